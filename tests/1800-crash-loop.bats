#!/usr/bin/env bats
# The crash loop (issue 17): scripts/crash-loop runs generated months
# through scripts/crontab.example's jobs, kills one stage's run with
# SIGKILL at a random moment each loop, runs the job again as cron
# would, and checks the ledger and the outputs.  make check runs 30
# loops; `make crash-loop` runs 1,000.  The checks are shown to fail on a
# loop's directory made wrong by hand (--check-only), and the driver on
# a toolchain that loses work.

load lib

# crash_loop ARGS...: the driver on the binaries under test, with the
# shim built beside the unit tests when there is one
crash_loop() {
	local so=${UNITBIN:+$UNITBIN/../fault.so}
	scripts/crash-loop --bin "$BIN" ${so:+--so "$so"} "$@"
}

@test "crash-loop: 30 months, each with a stage killed at random and cron left to catch up, lose nothing and count nothing twice" {
	run crash_loop --seed 1 --loops 30 --dir "$T/cl" -v
	expect_status 0
	[ "${lines[-1]}" = "30 loops, 0 duplicates, 0 lost, 0 gaps, 0 unposted, 0 corrupt" ]
	# the kills landed: most runs picked were killed (exit 137)
	[ "$(printf '%s\n' "${lines[@]}" | grep -c ': exit 137; counts 0 0 0 0 0$')" -ge 15 ]
	# both kinds of kill, on ingest and month-end stages
	printf '%s\n' "${lines[@]}" | grep -q 'killed meter-ingest:0 '
	printf '%s\n' "${lines[@]}" | grep -q 'killed \(erp-post\|invoice-gen\):[01] '
	printf '%s\n' "${lines[@]}" | grep -q ' timer:'
	if [ -n "${UNITBIN:-}" ]; then
		printf '%s\n' "${lines[@]}" | grep -q ' io:[0-9]*: exit 137;'
	fi
	# nothing is left behind when every loop passed
	[ ! -e "$T/cl" ] || [ -z "$(ls "$T/cl")" ]
}

# A finished loop kept, copied to $T/x for each wrong made by hand
kept_loop() {
	crash_loop --seed 3 --loops 1 --keep --dir "$T/cl" >/dev/null
	X=$T/x
	U=$X/u2c
	R=$U/run/2026-10
	L=$U/ledger.sqlite
}
fresh() {
	rm -rf "$X"
	cp -a "$T/cl/loop-3" "$X"
}

@test "crash-loop --check-only: a finished loop passes; a duplicate posting, a gap, an unposted document, a torn line, a lost event or document each count" {
	kept_loop
	fresh
	run crash_loop --check-only "$X"
	expect_status 0
	[ "$output" = "1 loops, 0 duplicates, 0 lost, 0 gaps, 0 unposted, 0 corrupt" ]

	# a document posted twice (its second entry in the journal too)
	n=$(sqlite3 "$L" 'SELECT min(number) FROM doc')
	sqlite3 "$L" "INSERT INTO posting SELECT id || '-2', entity, number, state,
	    erp_ref, reason, emitted, updated, replace(record, id, id || '-2')
	    FROM posting WHERE number = '$n' AND json_extract(record, '\$.type') = 'document'"
	sqlite3 "$L" "SELECT record FROM posting WHERE id LIKE '%-2'" >>"$R/journal.ndjson"
	run crash_loop --check-only "$X"
	expect_status 1
	[[ "${lines[-1]}" =~ ^1\ loops,\ [1-9][0-9]*\ duplicates,\ 0\ lost,\ 0\ gaps,\ 0\ unposted,\ 0\ corrupt$ ]]
	[ "${lines[0]}" = "D: document $n posted 2 times" ]

	# a number taken and never used
	fresh
	sqlite3 "$L" "UPDATE doc_seq SET next = next + 1 WHERE entity = 'acme-us'"
	m=$(sqlite3 "$L" "SELECT next - 1 FROM doc_seq WHERE entity = 'acme-us'")
	run crash_loop --check-only "$X"
	expect_status 1
	[ "${lines[-1]}" = "1 loops, 0 duplicates, 0 lost, 1 gaps, 0 unposted, 0 corrupt" ]
	[[ "${lines[0]}" == "G: series acme-us ACME-US-2026-{seq:6}: next $((m + 1)), numbers "*", missing [$m]" ]]

	# an issued document without its posting (nor its entries in the journal)
	fresh
	sqlite3 "$L" "DELETE FROM posting WHERE number = '$n'"
	grep -v "\"number\":\"$n\"" "$R/journal.ndjson" >"$T/j"
	cp "$T/j" "$R/journal.ndjson"
	run crash_loop --check-only "$X"
	expect_status 1
	[[ "${lines[-1]}" =~ ^1\ loops,\ 0\ duplicates,\ 0\ lost,\ 0\ gaps,\ [1-9][0-9]*\ unposted,\ 0\ corrupt$ ]]
	[[ "${lines[0]}" == "U: document $n (total "*") has no posting" ]]

	# a line cut short in the outbox
	fresh
	printf '{"kind":"journal_entry","id":"JE-' >>"$U/outbox/month-end-2026-10.ndjson"
	k=$(wc -l <"$U/outbox/month-end-2026-10.ndjson")
	run crash_loop --check-only "$X"
	expect_status 1
	[ "${lines[-1]}" = "1 loops, 0 duplicates, 0 lost, 0 gaps, 0 unposted, 1 corrupt" ]
	[[ "${lines[0]}" == "C: $U/outbox/month-end-2026-10.ndjson:$((k + 1)): not a JSON object: "* ]]

	# an event in an hour's file that is neither stored nor rejected
	fresh
	f=$(ls "$U/incoming" | head -n 1)
	k=$(wc -l <"$U/incoming/$f")
	head -n 1 "$U/incoming/$f" | sed 's/"id":"[^"]*"/"id":"never-ingested"/' >>"$U/incoming/$f"
	run crash_loop --check-only "$X"
	expect_status 1
	[ "${lines[-1]}" = "1 loops, 0 duplicates, 1 lost, 0 gaps, 0 unposted, 0 corrupt" ]
	[ "${lines[0]}" = "L: $U/incoming/$f:$((k + 1)): neither stored nor rejected" ]

	# a document missing from the month's documents file
	fresh
	sed -i 1d "$R/documents.ndjson"
	run crash_loop --check-only "$X"
	expect_status 1
	[[ "${lines[-1]}" =~ ^1\ loops,\ 0\ duplicates,\ [1-9][0-9]*\ lost,\ 0\ gaps,\ 0\ unposted,\ 0\ corrupt$ ]]
	[ "${lines[0]}" = "L: document $(sqlite3 "$L" 'SELECT min(number) FROM doc') is not in documents.ndjson" ]

	# a ledger damaged on disk: a page of it overwritten
	fresh
	sqlite3 "$L" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	yes garbage | head -c 16384 | dd of="$L" bs=16384 seek=3 conv=notrunc 2>/dev/null
	run crash_loop --check-only "$X"
	expect_status 1
	[ "${lines[-1]}" = "1 loops, 0 duplicates, 0 lost, 0 gaps, 0 unposted, 1 corrupt" ]
	[ "${lines[0]}" = "C: integrity_check: database disk image is malformed" ]
}

@test "crash-loop --check-only: the credit grants' draws and expiries (issue 21): a grant overdrawn, a draw on an expired grant, an expiry not booked each count" {
	kept_loop
	fresh
	# the loop has grants drawn by priority, breakage and reversals booked
	[ "$(sqlite3 "$L" "SELECT count(*) FROM credit_draw_grant WHERE grant_id = 'cl-vip'")" -ge 1 ]
	[ "$(sqlite3 "$L" "SELECT count(*) FROM posting WHERE json_extract(record, '\$.type') = 'grant_reversal'")" -ge 1 ]
	[ "$(sqlite3 "$L" "SELECT count(*) FROM posting WHERE json_extract(record, '\$.type') = 'grant_breakage'")" -ge 1 ]

	# a draw that took more of its grant than the draw is
	c=$(sqlite3 "$L" "SELECT min(customer) FROM credit_draw_grant WHERE grant_id = 'cl-vip'")
	sqlite3 "$L" "UPDATE credit_draw_grant SET amount = amount + 1 WHERE customer = '$c' AND grant_id = 'cl-vip'"
	run crash_loop --check-only "$X"
	expect_status 1
	[[ "${lines[-1]}" =~ ^1\ loops,\ [1-9][0-9]*\ duplicates,\ 0\ lost,\ 0\ gaps,\ 0\ unposted,\ 0\ corrupt$ ]]
	[[ "${lines[0]}" == "D: draw of $c USD "*": its grants add up to "*", not "* ]]

	# a draw on the grant that expired on October 20th
	fresh
	sqlite3 "$L" "UPDATE credit_draw_grant SET grant_id = 'cl-promo', amount = '1' WHERE customer = '$c' AND grant_id = 'cl-vip'"
	run crash_loop --check-only "$X"
	expect_status 1
	printf '%s\n' "${lines[@]}" | grep -q "^D: draw of $c [0-9]* on grant cl-promo, expired before the period's end$"

	# an expiry entry lost: what expired is not released
	fresh
	sqlite3 "$L" "DELETE FROM posting WHERE number = '$c/cl-promo' AND json_extract(record, '\$.type') = 'grant_reversal'"
	run crash_loop --check-only "$X"
	expect_status 1
	[ "${lines[-1]}" = "1 loops, 0 duplicates, 0 lost, 0 gaps, 1 unposted, 0 corrupt" ]
	[ "${lines[0]}" = "U: grant $c/cl-promo expired with 4 unused; its expiry entries release 0" ]
}

@test "crash-loop: a toolchain that loses work fails the loop, names its seed and keeps its directory" {
	# an erp-post that posts nothing unless it replays
	mkdir "$T/bin"
	for b in "$BIN"/*; do ln -s "$b" "$T/bin/"; done
	rm "$T/bin/erp-post"
	printf '#!/bin/sh\ncase " $* " in *" --replay "*) exec "%s/erp-post" "$@" ;; esac\nexit 0\n' \
	    "$BIN" >"$T/bin/erp-post"
	chmod +x "$T/bin/erp-post"
	run scripts/crash-loop --bin "$T/bin" --seed 7 --loops 1 --dir "$T/cl"
	expect_status 1
	[[ "${lines[-2]}" =~ ^1\ loops,\ 0\ duplicates,\ 0\ lost,\ 0\ gaps,\ [1-9][0-9]*\ unposted,\ 0\ corrupt$ ]]
	[ "${lines[-1]}" = "crash-loop: failing seeds: 7 (directories kept in $T/cl)" ]
	[[ "${lines[0]}" == "crash-loop: seed 7 (replay: scripts/crash-loop --seed 7 --loops 1 --keep): killed "*"; kept in $T/cl/loop-7:" ]]
	[ -d "$T/cl/loop-7/u2c" ]
}

# The loop on PostgreSQL (issue 23): a cluster of tests/pgcluster for the
# test, stopped by teardown; skipped, saying why, without the server or
# without the engine in the binaries
teardown() {
	pg_stop_file
	teardown_common
}
pg_cluster() {
	pg_available
	pg_engine
	pg_start_file
}

@test "crash-loop --pg: 10 months on a PostgreSQL ledger, each with a stage killed at random and cron left to catch up, lose nothing and count nothing twice" {
	pg_cluster
	run crash_loop --pg "$PGC/c" --seed 1 --loops 10 --dir "$T/cl" -v
	expect_status 0
	[ "${lines[-1]}" = "10 loops, 0 duplicates, 0 lost, 0 gaps, 0 unposted, 0 corrupt" ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c ': exit 137; counts 0 0 0 0 0$')" -ge 5 ]
	printf '%s\n' "${lines[@]}" | grep -q 'killed meter-ingest:0 '
	printf '%s\n' "${lines[@]}" | grep -q 'killed \(erp-post\|invoice-gen\):[01] '
	# the shim's kills at a write are SQLite's: the timer's only
	! printf '%s\n' "${lines[@]}" | grep -q ' io:'
	# every loop's database dropped with its directory
	[ "$(psql -X -A -t -d "$("$REPO/tests/pgcluster" conninfo "$PGC/c" postgres)" \
	    -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'cl\_%'")" -eq 0 ]
}

@test "crash-loop --pg --check-only: the checks read the PostgreSQL ledger: a gap, a document posted twice each count" {
	pg_cluster
	crash_loop --pg "$PGC/c" --seed 3 --loops 1 --keep --dir "$T/cl" >/dev/null
	X=$T/cl/loop-3
	R=$X/u2c/run/2026-10
	L=$(cat "$X/ledger")
	[[ "$L" == "postgresql:///cl_loop_3?"* ]]
	run crash_loop --check-only "$X"
	expect_status 0
	[ "$output" = "1 loops, 0 duplicates, 0 lost, 0 gaps, 0 unposted, 0 corrupt" ]

	# a number taken and never used
	psql -X -q -d "$L" -c "UPDATE doc_seq SET next = next + 1 WHERE entity = 'acme-us'"
	m=$(psql -X -A -t -d "$L" -c "SELECT next - 1 FROM doc_seq WHERE entity = 'acme-us'")
	run crash_loop --check-only "$X"
	expect_status 1
	[ "${lines[-1]}" = "1 loops, 0 duplicates, 0 lost, 1 gaps, 0 unposted, 0 corrupt" ]
	[[ "${lines[0]}" == "G: series acme-us ACME-US-2026-{seq:6}: next $((m + 1)), numbers "*", missing [$m]" ]]
	psql -X -q -d "$L" -c "UPDATE doc_seq SET next = next - 1 WHERE entity = 'acme-us'"

	# a document posted twice (its second entry in the journal too)
	n=$(psql -X -A -t -d "$L" -c 'SELECT min(number) FROM doc')
	psql -X -q -d "$L" -c "INSERT INTO posting SELECT id || '-2', entity, number, state,
	    erp_ref, reason, emitted, updated, replace(record, id, id || '-2')
	    FROM posting WHERE number = '$n' AND record::json->>'type' = 'document'"
	psql -X -A -t -d "$L" -c "SELECT record FROM posting WHERE id LIKE '%-2'" >>"$R/journal.ndjson"
	run crash_loop --check-only "$X"
	expect_status 1
	[[ "${lines[-1]}" =~ ^1\ loops,\ [1-9][0-9]*\ duplicates,\ 0\ lost,\ 0\ gaps,\ 0\ unposted,\ 0\ corrupt$ ]]
	[ "${lines[0]}" = "D: document $n posted 2 times" ]
}

@test "crash-loop: a bad option is exit 2 with the usage" {
	run scripts/crash-loop --loops many
	expect_status 2
	[ "${lines[0]}" = "crash-loop: 'many' is not a number" ]
	[ "${lines[1]}" = "usage: crash-loop [--seed N] [--loops N] [--events N] [--customers N]" ]
}
