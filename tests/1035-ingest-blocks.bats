#!/usr/bin/env bats
# Schema 12's usage blocks (common/ublk.c, usage-to-cash(5)): a block a
# day a batch, at most 4096 records, one run's; prune cutting a day's
# block; the rejects of meter-aggregate quoting records from blocks, on
# one scan thread and on two; a corrupt block refused with exit 78.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

# gen N PREFIX DAY: N events of globex on DAY (2026-10-DD), a second apart
gen() {
	local i
	for i in $(seq 1 "$1"); do
		ce "$2$i" globex "$(date -u -d "2026-10-$3T00:00:00Z + $i seconds" +%Y-%m-%dT%H:%M:%SZ)" "{\"requests\":$i}"
	done
}

# blocks: day|seq|n|last of every block, in order
blocks() {
	lq ledger.sqlite "select day || '|' || seq || '|' || n || '|' || last from usage_block order by day, seq"
}

@test "a batch stores a block a day it touches, in acceptance order; the next batch more" {
	{ gen 3 a 12; gen 2 b 10; gen 2 c 12; gen 1 d 11; } >"$T/a"
	ingest --rejects "$T/r" "$T/a" >"$T/out"
	# days 20736 (10-10), 20737 (10-11), 20738 (10-12); seqs in input order
	[ "$(blocks | paste -s -d' ')" = "20736|4|2|5 20737|8|1|8 20738|1|5|7" ]
	gen 2 e 12 >"$T/b"
	ingest --rejects "$T/r" "$T/b" >>"$T/out"
	[ "$(blocks | paste -s -d' ')" = "20736|4|2|5 20737|8|1|8 20738|1|5|7 20738|9|2|10" ]
	# replayed by day, then acceptance: exactly the records written
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" >"$T/rep"
	[ "$(jq -r .id "$T/rep" | paste -s -d,)" = b1,b2,d1,a1,a2,a3,c1,c2,e1,e2 ]
	sort "$T/out" | cmp - <(sort "$T/rep")
}

@test "a block holds at most 4096 records: a batch of 5000 on one day is two" {
	gen 5000 x 14 >"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null
	[ "$(blocks | paste -s -d' ')" = "20740|1|4096|4096 20740|4097|904|5000" ]
	[ "$("$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" | wc -l)" -eq 5000 ]
}

@test "a run with another --as-of starts its own blocks, which --changed-since reads" {
	gen 2 a 12 >"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null
	gen 1 b 15 >"$T/b"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$(ledger_new ledger.sqlite)" --as-of 2026-10-21T00:00:00Z \
	    --rejects "$T/r" "$T/b" >/dev/null
	[ "$(lq ledger.sqlite 'select count(*) from usage_block')" -eq 2 ]
	run "$BIN/meter-ingest" --changed-since 2026-10-21T00:00:00Z \
	    --ledger "$(ledger_new ledger.sqlite)"
	expect_status 0
	[ "$output" = 2026-10-15T00:00:01Z ]
	run "$BIN/meter-ingest" --changed-since 2026-10-20T00:00:00Z \
	    --ledger "$(ledger_new ledger.sqlite)"
	[ "$output" = 2026-10-12T00:00:01Z ]
}

@test "prune cuts the horizon's day: the block is written again with what it keeps" {
	gen 6 a 12 >"$T/a"
	gen 2 b 13 >>"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null
	run "$BIN/meter-ingest" --ledger "$(ledger_new ledger.sqlite)" \
	    --as-of 2026-10-20T00:00:00Z --max-age 30d \
	    --prune-before 2026-10-12T00:00:04Z --force
	expect_status 0
	# a1..a3 went: the day's block now starts at a4's seq
	[ "$(blocks | paste -s -d' ')" = "20738|4|3|6 20739|7|2|8" ]
	[ "$(lq ledger.sqlite 'select tmin from usage_block where day = 20738')" = \
	    "$(( $(date -u -d 2026-10-12T00:00:04Z +%s) * 1000000000 ))" ]
	[ "$("$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" | jq -r .id | paste -s -d,)" = a4,a5,a6,b1,b2 ]
	# their keys went too: the same events are new again (before the
	# horizon they are refused, so give them the day after)
	gen 3 a 12 | sed 's/2026-10-12T/2026-10-16T/' >"$T/c"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/c"
	expect_status 0
	jq -e '.emitted == 3' "$T/s"
}

@test "meter-aggregate's rejects quote records from the blocks, on one scan thread and on two" {
	{ gen 300 a 12; gen 300 b 13; } | awk 'NR % 7 == 0 { sub(/"requests":[0-9]+/, "\"other\":1") } 1' >"$T/a"
	ingest --rejects "$T/r" "$T/a" >"$T/out"
	for j in 1 2; do
		run "$BIN/meter-aggregate" --meters testdata/aggregate/meters.json \
		    --ledger "$(ledger_new ledger.sqlite)" --period day --jobs $j \
		    --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z \
		    --rejects "$T/rej$j" --stats "$T/st$j"
		expect_status 0
		jq -e '.rejected == 85' "$T/st$j"
		# each quotes the record meter-ingest wrote, in the order scanned
		jq -r .raw "$T/rej$j" >"$T/raw$j"
		grep '"other":1' "$T/out" | cmp - "$T/raw$j"
	done
}

@test "a corrupt block: exit 78, its day named, for every reader" {
	sqlite_only "a block damaged by hand in the SQLite file"
	gen 3 a 12 >"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null
	sqlite3 "$T/ledger.sqlite" "update usage_block set data = substr(data, 1, length(data) - 1)"
	run "$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite"
	expect_status 78
	[[ "$output" == *"ledger '$T/ledger.sqlite': a usage block of 2026-10-12 is corrupt (the ledger was damaged or altered by hand)"* ]]
	run "$BIN/meter-aggregate" --meters testdata/aggregate/meters.json \
	    --ledger "$T/ledger.sqlite" --from 2026-10-01T00:00:00Z \
	    --to 2026-11-01T00:00:00Z
	expect_status 78
	[[ "$output" == *"a usage block of 2026-10-12 is corrupt"* ]]
}
