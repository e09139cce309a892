#!/usr/bin/env bats
# meter-aggregate --ledger: the month-end run reads the usage records
# straight from the ledger and gives what the NDJSON path gives.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

M=testdata/aggregate/meters.json

# gen N: N generated events over October and November, ingested into
# the ledger "ledger.sqlite"; their usage records in $T/usage
gen() {
	python3 scripts/gen-events --seed 3 --customers 50 --start 2026-10-01T00:00:00Z \
	    --span 5184000 --customers-out "$T/cust" "$1" >"$T/events"
	"$BIN/meter-ingest" --customers "$T/cust" --ledger "$(ledger_new ledger.sqlite)" \
	    --as-of 2026-12-01T00:00:00Z --max-age 70d --rejects "$T/ir" \
	    "$T/events" >"$T/usage" 2>/dev/null
}

# both ARGS...: the same aggregation from the ledger and from $T/usage
both() {
	"$BIN/meter-aggregate" --meters $M --ledger "$(ledger_new ledger.sqlite)" \
	    --rejects "$T/r1" --stats "$T/s1" "$@" >"$T/from-ledger" 2>"$T/e1"
	"$BIN/meter-aggregate" --meters $M --rejects "$T/r2" --stats "$T/s2" \
	    "$@" "$T/usage" >"$T/from-ndjson" 2>"$T/e2"
}

@test "from the ledger and from NDJSON: byte-identical aggregates, every aggregation" {
	gen 3000
	both --customers "$T/cust" --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z
	[ -s "$T/from-ledger" ]
	cmp "$T/from-ledger" "$T/from-ndjson"
	jq -e '.input == "ledger"' "$T/s1"
	jq -e '.input == "ndjson"' "$T/s2"
	# the ledger is read from one period before --from: fewer rows
	[ "$(jq .aggregated "$T/s1")" -eq "$(jq .aggregated "$T/s2")" ]
	jq -s -e 'map(.meter) | unique | length == 7' "$T/from-ledger"
}

@test "from the ledger and from NDJSON: the same by the hour and by the day" {
	gen 2000
	both --period day --from 2026-10-10T00:00:00Z --to 2026-11-20T00:00:00Z
	cmp "$T/from-ledger" "$T/from-ndjson"
	both --period hour --from 2026-11-01T00:00:00Z --to 2026-11-03T00:00:00Z
	cmp "$T/from-ledger" "$T/from-ndjson"
	[ -s "$T/from-ledger" ]
}

@test "a gauge's level comes from ledger events before the window" {
	gen 2000
	both --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z
	cmp "$T/from-ledger" "$T/from-ndjson"
	# November's storage aggregates open at the level October left,
	# which only events before --from can tell: without them, they
	# would open at 0
	jq -s -e 'map(select(.meter == "storage")) | length > 0 and any(.opening_level != "0")' "$T/from-ledger"
	grep '"time":"2026-11' "$T/usage" >"$T/nov"
	"$BIN/meter-aggregate" --meters $M --rejects "$T/r3" \
	    --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z "$T/nov" >"$T/nov-only" 2>/dev/null
	jq -s -e 'map(select(.meter == "storage")) | all(.opening_level == "0")' "$T/nov-only"
	! cmp -s "$T/nov-only" "$T/from-ledger" || false
}

@test "rejects from the ledger quote the usage record; file is the ledger, line its sequence" {
	ingest testdata/events.ndjson >/dev/null 2>&1
	echo '{"meters":[{"name":"s","event_type":"api.request","aggregation":"sum","field":"bytes"}]}' >"$T/m"
	run "$BIN/meter-aggregate" --meters "$T/m" --ledger "$(ledger_new ledger.sqlite)" \
	    --from 2026-09-01T00:00:00Z --to 2026-11-01T00:00:00Z --rejects "$T/r"
	expect_status 0
	[ "$(wc -l <"$T/r")" -eq 2 ]
	jq -e --arg l "$(ledger_new ledger.sqlite)" '.code == "missing_value" and .file == $l and .line >= 1' "$T/r"
	# raw is exactly the record meter-ingest wrote for that event
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" >"$T/replay"
	jq -r .raw "$T/r" | while read -r line; do grep -qxF "$line" "$T/replay"; done
}

@test "a window reaching before the retention horizon is refused, exit 65" {
	gen 500
	"$BIN/meter-ingest" --prune-before 2026-10-20T00:00:00Z --force \
	    --ledger "$(ledger_new ledger.sqlite)" --as-of 2026-12-01T00:00:00Z 2>/dev/null
	run "$BIN/meter-aggregate" --meters $M --ledger "$(ledger_new ledger.sqlite)" \
	    --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z --rejects "$T/r"
	expect_status 65
	[[ "$output" == *"before the ledger's retention horizon 2026-10-20T00:00:00Z"* ]]
	run "$BIN/meter-aggregate" --meters $M --ledger "$(ledger_new ledger.sqlite)" \
	    --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z --rejects "$T/r"
	expect_status 0
}

@test "a missing ledger is 66, and meter-aggregate does not create one" {
	sqlite_only "a ledger file that does not exist"
	echo '{"meters":[{"name":"c","event_type":"t","aggregation":"count"}]}' >"$T/m"
	run "$BIN/meter-aggregate" --meters "$T/m" --ledger "$T/none.sqlite" \
	    --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z
	expect_status 66
	[ ! -e "$T/none.sqlite" ]
}

@test "reading the ledger while meter-ingest holds its write lock" {
	sqlite_only "SQLite's write lock, taken by python3's sqlite3"
	gen 500
	echo '{"meters":[{"name":"c","event_type":"api.request","aggregation":"count"}]}' >"$T/m"
	python3 - "$T/ledger.sqlite" <<-'EOF' &
	import sqlite3, sys, time
	db = sqlite3.connect(sys.argv[1], isolation_level=None)
	db.execute("BEGIN IMMEDIATE")
	time.sleep(3)
	db.execute("ROLLBACK")
	EOF
	BG="$!"
	sleep 0.5
	run "$BIN/meter-aggregate" --meters "$T/m" --ledger "$(ledger_new ledger.sqlite)" \
	    --from 2026-10-01T00:00:00Z --to 2026-12-01T00:00:00Z --busy-timeout 100
	expect_status 0
	wait "$BG"
}

@test "gauges walked day by day from the ledger: heavy days, ties and levels as from NDJSON" {
	# two customers, 20000 events over ten days: about a hundred gauge
	# points a day each, walked and freed at each new day of the scan
	python3 scripts/gen-events --seed 1141 --customers 2 --start 2026-10-25T00:00:00Z \
	    --span 864000 --customers-out "$T/cust" 20000 >"$T/events"
	# and two levels at the very same instant, the later key's must win
	printf '%s\n' \
	    '{"specversion":"1.0","id":"tie-a","source":"storage","type":"storage.gauge","subject":"sub-00000","time":"2026-10-30T12:00:00Z","data":{"gb":1}}' \
	    '{"specversion":"1.0","id":"tie-b","source":"storage","type":"storage.gauge","subject":"sub-00000","time":"2026-10-30T12:00:00Z","data":{"gb":999}}' >>"$T/events"
	"$BIN/meter-ingest" --customers "$T/cust" --ledger "$(ledger_new ledger.sqlite)" \
	    --as-of 2026-12-01T00:00:00Z --max-age 70d --rejects "$T/ir" \
	    "$T/events" >"$T/usage" 2>/dev/null
	for p in hour day month; do
		both --customers "$T/cust" --period $p --from 2026-10-28T00:00:00Z --to 2026-11-05T00:00:00Z
		cmp "$T/from-ledger" "$T/from-ndjson"
	done
	[ "$(jq -s 'map(select(.meter == "storage")) | length' "$T/from-ledger")" -ge 2 ]
	both --customers "$T/cust" --period hour --from 2026-10-30T11:00:00Z --to 2026-10-30T13:00:00Z
	cmp "$T/from-ledger" "$T/from-ndjson"
}

@test "gauges from NDJSON in any order wait in a temporary file, read back in passes: as from the ledger" {
	gen 6000
	python3 -c 'import random, sys
lines = open(sys.argv[1], "rb").readlines()
random.Random(1140).shuffle(lines)
sys.stdout.buffer.write(b"".join(lines))' "$T/usage" >"$T/shuffled"
	mv "$T/shuffled" "$T/usage"
	both --customers "$T/cust" --period day --from 2026-10-01T00:00:00Z --to 2026-12-01T00:00:00Z
	cmp "$T/from-ledger" "$T/from-ndjson"
	[ "$(jq -s 'map(select(.meter == "storage")) | length' "$T/from-ledger")" -ge 100 ]
	# every storage point went through the file from NDJSON, none from
	# the ledger, which walks them in memory day by day
	n=$(jq -c 'select(.type == "storage.gauge")' "$T/usage" | wc -l)
	[ "$n" -ge 100 ]
	jq -e ".gauge_points_spilled == $n" "$T/s2"
	jq -e '.gauge_points_spilled == 0' "$T/s1"
	# groups of 7 points: many passes, series cut nowhere, two threads'
	# files merged; and a single group larger than the limit
	for n in 7 1; do
		for j in 1 2; do
			U2C_TEST_PASS_POINTS=$n "$BIN/meter-aggregate" --meters $M -j $j \
			    --customers "$T/cust" --period day --from 2026-10-01T00:00:00Z \
			    --to 2026-12-01T00:00:00Z --rejects "$T/r3" "$T/usage" >"$T/passes"
			cmp "$T/from-ledger" "$T/passes"
		done
	done
}

@test "without gauges two threads scan half the days each: the same aggregates, rejects and counts as one" {
	gen 3000
	# every meter but the gauge, and one whose field no api.request has:
	# rejects in both halves of the days
	jq '.meters |= (map(select(.aggregation != "weighted_sum")) +
	    [{"name":"b","event_type":"api.request","aggregation":"sum","field":"nope"}])' $M >"$T/m"
	for j in 1 2; do
		"$BIN/meter-aggregate" --meters "$T/m" --ledger "$(ledger_new ledger.sqlite)" -j $j \
		    --customers "$T/cust" --period day --from 2026-10-01T00:00:00Z \
		    --to 2026-12-01T00:00:00Z --rejects "$T/r$j" --stats "$T/s$j" >"$T/a$j"
	done
	jq -e '.scan_threads == 1' "$T/s1"
	jq -e '.scan_threads == 2' "$T/s2"
	[ -s "$T/a1" ] && cmp "$T/a1" "$T/a2"
	[ "$(wc -l <"$T/r1")" -ge 100 ] && cmp "$T/r1" "$T/r2"
	# rejects in the order of one scan, by day: both halves represented
	[ "$(jq -s 'map(.raw | fromjson | .time[0:10]) | (. == sort) and (.[0] < "2026-10-31") and (.[-1] > "2026-11-01")' "$T/r2")" = true ]
	diff <(jq -S 'del(.scan_threads, .rejects_file)' "$T/s1") <(jq -S 'del(.scan_threads, .rejects_file)' "$T/s2")
	# too many rejects to keep: one scan again, the same output
	U2C_TEST_PSCAN_MAXREJ=10 "$BIN/meter-aggregate" --meters "$T/m" --ledger "$(ledger_new ledger.sqlite)" -j 2 \
	    --customers "$T/cust" --period day --from 2026-10-01T00:00:00Z \
	    --to 2026-12-01T00:00:00Z --rejects "$T/r3" --stats "$T/s3" >"$T/a3"
	jq -e '.scan_threads == 1' "$T/s3"
	cmp "$T/a1" "$T/a3" && cmp "$T/r1" "$T/r3"
	# a gauge meter keeps one scan, which walks it day by day
	"$BIN/meter-aggregate" --meters $M --ledger "$(ledger_new ledger.sqlite)" -j 2 \
	    --customers "$T/cust" --from 2026-10-01T00:00:00Z \
	    --to 2026-12-01T00:00:00Z --rejects "$T/r4" --stats "$T/s4" >/dev/null
	jq -e '.scan_threads == 1' "$T/s4"
}

@test "gauge points wait in TMPDIR: one that cannot hold the file is exit 73, naming it" {
	gen 500
	run env TMPDIR="$T/missing" "$BIN/meter-aggregate" --meters $M --customers "$T/cust" \
	    --rejects "$T/r" "$T/usage"
	expect_status 73
	[[ "$output" == *"cannot make a temporary file in '$T/missing' (TMPDIR)"* ]]
	mkdir "$T/tmp"
	TMPDIR="$T/tmp" "$BIN/meter-aggregate" --meters $M --customers "$T/cust" \
	    --rejects "$T/r" --stats "$T/s" "$T/usage" >"$T/out"
	jq -e '.gauge_points_spilled > 0' "$T/s"
	# unlinked: nothing is left behind
	[ -z "$(ls -A "$T/tmp")" ]
}
