#!/usr/bin/env bats
# A write transaction on PostgreSQL that the server aborts for a
# serialization failure or a deadlock (SQLSTATE class 40) is run again in
# the process (common/ldg_pg.c's pq_again, common/pgreplay.c): the run
# ends as if nothing had happened when the replay gets every answer as
# before; exit 75 with nothing kept when another session changed what the
# transaction had read, or after 4 runs.  The failures are the server's
# own: a real deadlock with another session, and the error a trigger
# raises with the SQLSTATE of a serialization failure.  Skipped, saying
# why, when the PostgreSQL server is not installed.

load lib

setup_file() {
	pg_start_file
}

teardown_file() {
	pg_stop_file
}

# sql LEDGER SQL: one value (psql -At)
sql() {
	psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# mi LEDGER ARGS...: meter-ingest of the sample events
mi() {
	local l=$1
	shift
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$l" --as-of 2026-10-20T00:00:00Z "$@"
}

# reference NAME: the sample events into a ledger of their own, nobody
# in the way: $T/NAME.out, .err, .rej and .rows (its usage records)
reference() {
	local l
	l=$(pg_ledger "$1")
	mi "$l" --rejects "$T/$1.rej" testdata/events.ndjson >"$T/$1.out" \
	    2>"$T/$1.err"
	"$UNITBIN/tools/usage-rows" --pg "$l" >"$T/$1.rows"
}

# as_undisturbed LEDGER: a run into LEDGER ($T/out, $T/err, $T/rej) that
# ran one transaction twice ended as the reference "ref" did: its stdout,
# rejects, summary and usage records
as_undisturbed() {
	[ "$(grep -c 'running the transaction again' "$T/err")" -eq 1 ]
	same "$T/ref.out" "$T/out"
	same "$T/ref.rej" "$T/rej"
	grep -v 'running the transaction again' "$T/err" |
	    sed "s|'$T/rej'|'$T/ref.rej'|" >"$T/err2"
	same "$T/ref.err" "$T/err2"
	"$UNITBIN/tools/usage-rows" --pg "$1" >"$T/rows"
	same "$T/ref.rows" "$T/rows"
}

# fail_on LEDGER TABLE N: from now, the Nth row inserted into TABLE (N a
# comma-separated list, each counted once: a sequence does not roll back) is refused by the server with
# a serialization failure, as a conflicting session would make it
fail_on() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<EOF
CREATE SEQUENCE u2c_test_fail;
CREATE FUNCTION u2c_test_fail() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF nextval('u2c_test_fail') IN ($3) THEN
		RAISE EXCEPTION 'could not serialize access due to concurrent update (test)'
		    USING ERRCODE = 'serialization_failure';
	END IF;
	RETURN NEW;
END \$\$;
CREATE TRIGGER u2c_test_fail BEFORE INSERT ON $2
    FOR EACH ROW EXECUTE FUNCTION u2c_test_fail();
EOF
}

@test "pg retry: a serialization failure mid-batch is run again: same output, same records, said on stderr" {
	local l
	reference ref
	l=$(pg_ledger once)
	mi "$l" --replay >/dev/null 2>&1 </dev/null	# the schema
	fail_on "$l" usage_block 1
	mi "$l" --rejects "$T/rej" testdata/events.ndjson >"$T/out" 2>"$T/err"
	grep -q "^meter-ingest: ledger 'postgresql:///t${BATS_TEST_NUMBER}_once?host=.*': storing usage records: could not serialize access due to concurrent update (test); running the transaction again (2 of 4)$" "$T/err"
	as_undisturbed "$l"
	# one insert refused, every other one stored once
	[ "$(sql "$l" "SELECT last_value FROM u2c_test_fail")" -eq \
	    $(($(sql "$l" "SELECT count(*) FROM usage_block") + 1)) ]
}

@test "pg retry: a transaction aborted at every run gives up after 4: exit 75, nothing kept; a re-run completes" {
	local l
	reference ref
	l=$(pg_ledger always)
	mi "$l" --replay >/dev/null 2>&1 </dev/null
	fail_on "$l" usage_block "$(seq -s, 1 4)"
	run mi "$l" --rejects "$T/rej" testdata/events.ndjson
	expect_status 75
	[ "$(grep -c 'running the transaction again' <<<"$output")" -eq 3 ]
	[[ "$output" == *"(test); the transaction was run 4 times and aborted each time: nothing of it was kept: re-run to complete the work"* ]]
	[ "$(sql "$l" "SELECT count(*) FROM usage_block")" -eq 0 ]
	[ "$(sql "$l" "SELECT count(*) FROM ukey_batch")" -eq 0 ]
	# the fifth insert passes: the re-run stores the batch, once
	mi "$l" --rejects "$T/rej" testdata/events.ndjson >"$T/out" 2>/dev/null
	same "$T/ref.out" "$T/out"
	"$UNITBIN/tools/usage-rows" --pg "$l" >"$T/rows"
	same "$T/ref.rows" "$T/rows"
}

# deadlock LEDGER SQL: another session locks meta's next_seq row, waits
# until a writer waits for that row, runs SQL, then asks for the writers'
# lock, which that writer holds: a deadlock, which the writer's server
# process detects first (its deadlock_timeout, 1 s, against this
# session's 60 s) and breaks by aborting the writer's transaction.  Then
# it commits.  Started in the background; $T/locked once it holds the row.
deadlock() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" >"$T/f.out" 2>&1 <<EOF &
SET deadlock_timeout = '60s';
BEGIN;
SELECT 1 FROM meta WHERE k = 'next_seq' FOR UPDATE;
\\! touch $T/locked
DO \$\$ BEGIN
	WHILE NOT EXISTS (SELECT 1 FROM pg_locks
	    WHERE locktype = 'transactionid' AND NOT granted) LOOP
		PERFORM pg_sleep(0.05);
	END LOOP;
END \$\$;
$2
SELECT pg_advisory_xact_lock(1429357313);
COMMIT;
EOF
	BG=$!
	for _ in $(seq 300); do
		[ -e "$T/locked" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "pg retry: a deadlock with another session is run again: same output and records" {
	local l
	reference ref
	l=$(pg_ledger dl)
	mi "$l" --replay >/dev/null 2>&1 </dev/null
	deadlock "$l" ""
	mi "$l" --rejects "$T/rej" testdata/events.ndjson >"$T/out" 2>"$T/err"
	wait $BG
	BG=
	grep -q "^meter-ingest: ledger '.*': saving the sequence: deadlock detected; running the transaction again (2 of 4)$" "$T/err"
	as_undisturbed "$l"
}

@test "pg retry: another session changed what the transaction had read: exit 75, nothing kept; a re-run completes" {
	local l seq
	reference ref
	l=$(pg_ledger moved)
	mi "$l" --replay >/dev/null 2>&1 </dev/null
	seq=$(sql "$l" "SELECT v FROM meta WHERE k = 'next_seq'")
	deadlock "$l" "UPDATE meta SET v = (v::bigint + 100)::text WHERE k = 'next_seq';"
	run mi "$l" --rejects "$T/rej" testdata/events.ndjson
	expect_status 75
	wait $BG
	BG=
	[[ "$output" == *"': saving the sequence: deadlock detected; running the transaction again (2 of 4)"* ]]
	[[ "$output" == *"': saving the sequence: deadlock detected; the transaction could not be run again: another session changed what it had read (its statement "*" answered otherwise); nothing of it was kept: re-run to complete the work"* ]]
	[ "$(sql "$l" "SELECT count(*) FROM usage_block")" -eq 0 ]
	[ "$(sql "$l" "SELECT v FROM meta WHERE k = 'next_seq'")" -eq $((seq + 100)) ]
	mi "$l" --rejects "$T/rej" testdata/events.ndjson >"$T/out" 2>/dev/null
	same "$T/ref.out" "$T/out"
	[ "$(sql "$l" "SELECT coalesce(sum(n), 0) FROM usage_block")" -eq 6 ]
}

@test "pg retry: invoice-gen's transaction aborted mid-document is run again: the same documents, numbers without a gap" {
	local l ref x
	ref=$(pg_ledger iref)
	l=$(pg_ledger ifail)
	for x in "$ref" "$l"; do
		mi "$x" --rejects "$T/ir" testdata/events.ndjson >/dev/null 2>&1
	done
	"$BIN/meter-aggregate" --meters testdata/aggregate/meters.json \
	    --customers testdata/customers.ndjson --rejects "$T/ar" \
	    --ledger "$ref" --from 2026-10-01T00:00:00Z \
	    --to 2026-11-01T00:00:00Z >"$T/agg" 2>/dev/null
	"$BIN/rate" --catalog testdata/catalog.json \
	    --customers testdata/customers.ndjson --as-of 2026-11-02T00:00:00Z \
	    --rejects "$T/rr" --ledger "$ref" "$T/agg" 2>/dev/null |
	    grep -v '"kind":"alert"' >"$T/lines"
	[ -s "$T/lines" ]
	# the second document's row refused
	fail_on "$l" doc 2
	for x in ref l; do
		"$BIN/invoice-gen" --entities testdata/entities.json \
		    --tax testdata/tax.json --customers testdata/customers.ndjson \
		    --fx testdata/fx.json --ledger "${!x}" --rejects "$T/gr.$x" \
		    --as-of 2026-11-02T12:00:00Z --issue "$T/lines" \
		    >"$T/inv.$x" 2>"$T/err.$x"
	done
	[ "$(wc -l <"$T/inv.ref")" -eq 3 ]
	same "$T/inv.ref" "$T/inv.l"
	grep -q "^invoice-gen: ledger '.*': .*could not serialize access due to concurrent update (test); running the transaction again (2 of 4)$" "$T/err.l"
	grep -v 'running the transaction again' "$T/err.l" >"$T/err.l2"
	same "$T/err.ref" "$T/err.l2"
	same <(sql "$ref" "SELECT number, key, version, record FROM doc ORDER BY number") \
	    <(sql "$l" "SELECT number, key, version, record FROM doc ORDER BY number")
	same <(sql "$ref" "SELECT entity, scope, next FROM doc_seq ORDER BY 1, 2") \
	    <(sql "$l" "SELECT entity, scope, next FROM doc_seq ORDER BY 1, 2")
}
