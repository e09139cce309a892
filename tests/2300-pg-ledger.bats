#!/usr/bin/env bats
# The ledger on PostgreSQL (common/ldg_pg.c), on a throwaway cluster of
# tests/pgcluster (a Unix socket in its directory, run as the user
# postgres when we are root): the sample month through every stage gives
# the same bytes as on SQLite; duplicates and idempotency conflicts; the
# writers' lock (exit 75 past --busy-timeout); a newer schema refused; a
# server stopped mid-run is exit 75 with nothing half-done; concurrent
# meter-ingest and invoice-gen runs; a password never shown.  Skipped,
# saying why, when the PostgreSQL server is not installed.

load lib
load http/lib

setup_file() {
	FILE_SKIP=$("$REPO/tests/pgcluster" bindir 2>&1 >/dev/null) || true
	export FILE_SKIP
	[ -n "$FILE_SKIP" ] || pg_start_file
}

# after a test that stopped the server and failed before restarting it
teardown() {
	teardown_common
	if [ -z "${FILE_SKIP:-}" ] && [ ! -f "$PGC/c/data/postmaster.pid" ]; then
		pg_ctl_as -l "$PGC/c/server.log" -w -s start
	fi
}

teardown_file() {
	pg_stop_file
}

# hold_lock LEDGER KEYS: another session holds the advisory lock KEYS
# ("1429357313" or "1429357313, K") until it is terminated; returns
# once the lock is granted
hold_lock() {
	psql -X -q -d "$1" -c "SELECT pg_advisory_lock($2)" \
	    -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
	BG="${BG:-} $!"
	for _ in $(seq 300); do
		[ "$(sql "$1" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -eq 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# pg_ctl_as ARGS...: the cluster's pg_ctl, as its owner
pg_ctl_as() {
	local bin
	bin=$("$REPO/tests/pgcluster" bindir) || return 1
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$PGC/c" && setpriv --reuid=postgres --regid=postgres \
		    --init-groups "$bin/pg_ctl" -D "$PGC/c/data" "$@")
	else
		(cd "$PGC/c" && "$bin/pg_ctl" -D "$PGC/c/data" "$@")
	fi
}

# sql LEDGER SQL: one value (psql -At)
sql() {
	psql -X -At -d "$1" -c "$2"
}

# pipeline LEDGER DIR: the sample month through every stage into DIR,
# each stage's stdout and stderr, the ledger's name in them as LEDGER
pipeline() {
	local l=$1 o=$2
	mkdir -p "$o"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$l" --as-of 2026-10-20T00:00:00Z --rejects "$o/ir" \
	    testdata/events.ndjson >"$o/ingest" 2>"$o/ingest.err"
	"$BIN/meter-aggregate" --meters testdata/aggregate/meters.json \
	    --customers testdata/customers.ndjson --rejects "$o/ar" \
	    --ledger "$l" --from 2026-10-01T00:00:00Z \
	    --to 2026-11-01T00:00:00Z >"$o/agg" 2>"$o/agg.err"
	"$BIN/rate" --catalog testdata/catalog.json \
	    --customers testdata/customers.ndjson --as-of 2026-11-02T00:00:00Z \
	    --rejects "$o/rr" --ledger "$l" "$o/agg" >"$o/rated" 2>"$o/rate.err"
	grep -v '"kind":"alert"' "$o/rated" >"$o/lines"
	"$BIN/invoice-gen" --entities testdata/entities.json \
	    --tax testdata/tax.json --customers testdata/customers.ndjson \
	    --fx testdata/fx.json --ledger "$l" --rejects "$o/gr" \
	    --as-of 2026-11-02T12:00:00Z --issue "$o/lines" >"$o/inv" \
	    2>"$o/inv.err"
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$l" \
	    --rejects "$o/er" --as-of 2026-11-03T00:00:00Z "$o/inv" \
	    >"$o/j" 2>"$o/ep.err"
	"$BIN/reconcile" --accounts testdata/accounts.json --ledger "$l" \
	    --rejects "$o/rj" --as-of 2026-11-04T00:00:00Z --aggregates \
	    "$o/agg" --rated "$o/lines" --invoices "$o/inv" --journal "$o/j" \
	    --audit >"$o/rec" 2>"$o/rec.err"
	sed -i "s|$o/|DIR/|g" "$o"/*.err
}

# events FIRST LAST: CloudEvents FIRST to LAST of acme-prod in October
events() {
	local i
	for ((i = $1; i <= $2; i++)); do
		ce "e$i" acme-prod "$(printf '2026-10-%02dT%02d:%02d:00Z' \
		    $((i % 19 + 1)) $((i / 60 % 24)) $((i % 60)))" \
		    "{\"requests\":$((i % 7 + 1))}"
	done
}

@test "pg: the sample month through every stage gives byte for byte what it gives on SQLite" {
	local pg f
	pg=$(pg_ledger sample)
	pipeline "$T/l.sqlite" "$T/s"
	pipeline "$pg" "$T/p"
	for f in ingest agg rated inv j rec ir ingest.err agg.err rate.err \
	    inv.err ep.err rec.err; do
		same "$T/s/$f" "$T/p/$f"
	done
	# it did something: documents and entries, the audit log intact
	[ "$(wc -l <"$T/p/inv")" -eq 3 ] && [ "$(wc -l <"$T/p/j")" -eq 4 ]
	[[ "$(tail -1 "$T/p/rec.err")" == *"audit log: 18 rows verified, intact" ]]
	# in PostgreSQL's own tables, schema 12
	[ "$(sql "$pg" "SELECT coalesce(sum(n), 0) FROM usage_block")" -eq 6 ]
	[ "$(sql "$pg" "SELECT v FROM meta WHERE k = 'schema'")" = 12 ]
	[ "$(sql "$pg" "SELECT count(*) FROM doc")" -eq 3 ]
}

@test "pg: a re-run stores nothing again (duplicates); another content under a taken key is refused" {
	local pg
	pg=$(pg_ledger dup)
	ingest --ledger "$pg" --rejects "$T/r" testdata/events.ndjson >"$T/o1" 2>"$T/e1" || true
	[ "$(wc -l <"$T/o1")" -eq 6 ]
	run ingest --ledger "$pg" --rejects "$T/r2" testdata/events.ndjson
	expect_status 0
	[[ "$output" == *"read 22, emitted 0, duplicates 7, rejected 15 (idempotency_conflict 1,"* ]]
	# evt-0001 again with another request count
	head -1 testdata/events.ndjson | sed 's/"requests":1/"requests":2/' >"$T/in"
	run ingest --ledger "$pg" --rejects "$T/r3" "$T/in"
	expect_status 0
	[[ "$output" == *"read 1, emitted 0, duplicates 0, rejected 1 (idempotency_conflict 1;"* ]]
	jq -e '.code == "idempotency_conflict" and (.message | test("evt-0001.*stored event time 2026-10-01T09:15:00Z"))' "$T/r3"
	[ "$(sql "$pg" "SELECT coalesce(sum(n), 0) FROM usage_block")" -eq 6 ]
}

@test "pg: a writer waits for the writers' lock up to --busy-timeout, then exit 75 as on SQLite" {
	local pg
	pg=$(pg_ledger busy)
	ingest --ledger "$pg" --rejects "$T/r" testdata/events.ndjson >/dev/null 2>&1 || true
	# another session holds the writers' advisory lock
	hold_lock "$pg" 1429357313
	events 1 3 >"$T/in"
	run ingest --ledger "$pg" --rejects "$T/r2" --busy-timeout 300 "$T/in"
	expect_status 75
	[[ "$output" == *"ledger 'postgresql:///t${BATS_TEST_NUMBER}_busy?host="*"' is busy: "*"(waited 300 ms for another process); re-run to complete the work"* ]]
	# the server notices a client gone only when it talks to it
	sql "$pg" "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'" >/dev/null
	wait $BG 2>/dev/null || true
	BG=
	run ingest --ledger "$pg" --rejects "$T/r2" "$T/in"
	expect_status 0
	[[ "$output" == *"read 3, emitted 3,"* ]]
}

@test "pg: a ledger of a newer schema is refused, exit 78" {
	local pg
	pg=$(pg_ledger newer)
	events 1 1 | ingest --ledger "$pg" --rejects "$T/r" >/dev/null 2>&1
	sql "$pg" "UPDATE meta SET v = '13' WHERE k = 'schema'"
	run ingest --ledger "$pg" --rejects "$T/r" --replay
	expect_status 78
	[[ "$output" == *"has schema version 13, newer than this program knows (12); upgrade the toolchain"* ]]
	# a database of something else is not made a ledger
	pg=$(pg_ledger other)
	sql "$pg" "CREATE TABLE t (x int)"
	run ingest --ledger "$pg" --rejects "$T/r" --replay
	expect_status 78
	[[ "$output" == *"is a PostgreSQL database with tables but not a ledger of this toolchain"* ]]
}

@test "pg: the server stopped mid-run: exit 75, and after a restart the ledger holds exactly the batches emitted" {
	local pg pid st=0
	pg=$(pg_ledger stop)
	mkfifo "$T/fifo"
	ingest --ledger "$pg" --rejects "$T/r" <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	BG=$pid
	exec 7>"$T/fifo"
	events 1 5 >&7
	# a quiet pipe ends the batch: committed, then emitted
	for _ in $(seq 300); do
		[ "$(wc -l <"$T/out")" -eq 5 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$T/out")" -eq 5 ]
	pg_ctl_as -m immediate -w -s stop
	# in one write: the reader may be gone before a second one
	events 6 10 >"$T/more"
	cat "$T/more" >&7 || true
	exec 7>&-
	wait "$pid" || st=$?
	BG=
	[ "$st" -eq 75 ] || { cat "$T/err" >&2; false; }
	grep -q "lost the connection to the server" "$T/err"
	grep -q "nothing of the current transaction was kept: re-run to complete the work" "$T/err"
	[ "$(wc -l <"$T/out")" -eq 5 ]
	pg_ctl_as -l "$PGC/c/server.log" -w -s start
	[ "$(sql "$pg" "SELECT coalesce(sum(n), 0) FROM usage_block")" -eq 5 ]
	[ "$(sql "$pg" "SELECT v FROM meta WHERE k = 'next_seq'")" -eq 6 ]
	# the re-run completes the work: the 5 stored are duplicates
	events 1 10 >"$T/in"
	run ingest --ledger "$pg" --rejects "$T/r" "$T/in"
	expect_status 0
	[[ "$output" == *"read 10, emitted 5, duplicates 5, rejected 0"* ]]
	[ "$(sql "$pg" "SELECT coalesce(sum(n), 0) FROM usage_block")" -eq 10 ]
	run "$BIN/reconcile" --ledger "$pg" --rejects "$T/rj" --audit
	expect_status 0
	[[ "${lines[-1]}" == *"audit log: 3 rows verified, intact" ]]
}

@test "pg: 4 meter-ingest runs at once on overlapping inputs store each event once, the key index merged and compacted under them" {
	local pg i u pids=
	pg=$(pg_ledger conc)
	for i in 0 1 2 3; do
		events $((i * 300 + 1)) $((i * 300 + 600)) >"$T/in$i"
	done
	for i in 0 1 2 3; do
		# a merge of the key log every few batches, by any of them
		ingest --ledger "$pg" --rejects "$T/r$i" --batch 50 \
		    --hot-keys 120 "$T/in$i" \
		    >"$T/out$i" 2>"$T/err$i" &
		pids="$pids $!"
	done
	BG=$pids
	for i in $pids; do
		wait "$i"
	done
	BG=
	# 1500 events: every one emitted by exactly one run, stored once
	[ "$(cat "$T"/out? | jq -r .key | sort | uniq | wc -l)" -eq 1500 ]
	[ "$(cat "$T"/out? | wc -l)" -eq 1500 ]
	u=$(usage_db "$pg")
	[ "$(sqlite3 "$u" "SELECT count(*) || ' ' || count(DISTINCT key) FROM usage")" = "1500 1500" ]
	[ "$(sqlite3 "$u" "SELECT min(seq) || ' ' || max(seq) FROM usage")" = "1 1500" ]
	[ "$(cat "$T"/err? | grep -o 'duplicates [0-9]*' | awk '{ n += $2 } END { print n }')" -eq 900 ]
	# merged runs: the key log went into runs of blocks many times
	[ "$(sql "$pg" "SELECT (v::bigint > 3)::int FROM meta WHERE k = 'key_gen'")" -eq 1 ]
	[ "$(sql "$pg" "SELECT (count(DISTINCT run) > 0)::int FROM ukey_block")" -eq 1 ]
	# every key once, in the runs and the log
	run ingest --ledger "$pg" --rejects "$T/r9" "$T/in0" "$T/in3"
	expect_status 0
	[[ "$output" == *"read 1200, emitted 0, duplicates 1200, rejected 0"* ]]
	run "$BIN/reconcile" --ledger "$pg" --rejects "$T/rj" --audit
	expect_status 0
	[[ "${lines[-1]}" == *"intact" ]]
}

@test "pg: 3 invoice-gen runs at once number each entity's invoices without a gap or a repeat" {
	local pg i pids=
	pg=$(pg_ledger inv)
	jq -c 'select(.customer == "cus_globex")' testdata/rate/rated.expected.ndjson >"$T/in0"
	jq -c 'select(.customer == "cus_initech")' testdata/rate/rated.expected.ndjson >"$T/in1"
	jq -c 'select(.kind == "rated")' testdata/rate/rated.expected.ndjson >"$T/in2"
	for i in 0 1 2; do
		"$BIN/invoice-gen" --entities testdata/entities.json \
		    --tax testdata/tax.json --customers testdata/customers.ndjson \
		    --fx testdata/fx.json --ledger "$pg" --rejects "$T/r$i" \
		    --as-of 2026-11-02T12:00:00Z --issue "$T/in$i" \
		    >"$T/out$i" 2>"$T/err$i" &
		pids="$pids $!"
	done
	BG=$pids
	for i in $pids; do
		wait "$i"
	done
	BG=
	# each invoice issued by exactly one run, each series 1, 2, ...
	cat "$T"/out? | jq -r .number | sort >"$T/numbers"
	printf '%s\n' ACME-EU-2026-000001 ACME-EU-2026-000002 ACME-US-2026-000001 \
	    AJ2611-00001 >"$T/want"
	same "$T/want" "$T/numbers"
	[ "$(sql "$pg" "SELECT string_agg(number, ' ' ORDER BY number) FROM doc")" = \
	    "ACME-EU-2026-000001 ACME-EU-2026-000002 ACME-US-2026-000001 AJ2611-00001" ]
	run "$BIN/reconcile" --ledger "$pg" --rejects "$T/rj" --audit
	expect_status 0
	[[ "${lines[-1]}" == *"intact" ]]
}

@test "pg: a password in the ledger string is never shown" {
	local pg url kw
	pg=$(pg_ledger pw)
	# trust on the socket: the password is never asked for, only shown
	url=$(echo "$pg" | sed 's|^postgresql://|postgresql://postgres:Sup3rS3cret@|')
	events 1 2 >"$T/in"
	run ingest --ledger "$url" --rejects "$T/r" --stats "$T/s" "$T/in"
	expect_status 0
	jq -e '.ledger | test("^postgresql://postgres:\\*\\*\\*@/t[0-9]+_pw[?]host=")' "$T/s"
	# a database that is not there: the message names the ledger
	run ingest --ledger "${url/_pw?/_nope?}" --rejects "$T/r" "$T/in"
	expect_status 66
	[[ "$output" == *"no ledger at 'postgresql://postgres:***@/t"*"_nope?host="* ]]
	[[ "$output" != *Sup3rS3cret* ]]
	kw="host=$PGC/c user=postgres password=Sup3rS3cret dbname=nope"
	run ingest --ledger "$kw" --rejects "$T/r" "$T/in"
	expect_status 66
	[[ "$output" == *"no ledger at 'host=$PGC/c user=postgres password=*** dbname=nope'"* ]]
	[[ "$output" != *Sup3rS3cret* ]]
	run env METER_LEDGER="${url/_pw?/_nope?}" "$BIN/reconcile" --ledger "" --rejects "$T/r" --audit
	[[ "$output" == *"postgres:***@"* ]] && [[ "$output" != *Sup3rS3cret* ]]
	[ ! -e "$T/s" ] || ! grep -q Sup3rS3cret "$T/s"
}

@test "pg: a ledger database not there is 66, a login refused 73 (neither helped by a re-run), a server not there 75; each saying what, where and why" {
	local db pg
	events 1 2 >"$T/in"
	db=$(pg_dbname gone)
	pg=$("$REPO/tests/pgcluster" conninfo "$PGC/c" "$db")
	run ingest --ledger "$pg" --rejects "$T/r" "$T/in"
	expect_status 66
	[ "${lines[-1]}" = "meter-ingest: no ledger at '$pg': connection to server on socket \"$PGC/c/.s.PGSQL.5432\" failed: FATAL:  database \"$db\" does not exist (the stages make a ledger's tables in its database, not the database: create it first)" ]
	# the same for a reader
	run "$BIN/reconcile" --ledger "$pg" --rejects "$T/r" --audit
	expect_status 66
	[[ "${lines[-1]}" == "reconcile: no ledger at '$pg': "*"FATAL:  database \"$db\" does not exist (the stages make"* ]]
	[ ! -s "$T/r" ]

	# a login refused: a role that does not exist; a role whose password
	# is asked for (scram-sha-256 for it on the socket), none given, a
	# wrong one given; the right one connects
	pg=$(pg_ledger login)
	sql "$pg" "CREATE ROLE u2c_pw LOGIN PASSWORD 'right'; GRANT ALL ON SCHEMA public TO u2c_pw" >/dev/null
	run ingest --ledger "${pg/user=postgres/user=u2c_nobody}" --rejects "$T/r" "$T/in"
	expect_status 73
	[ "${lines[-1]}" = "meter-ingest: cannot connect to ledger '${pg/user=postgres/user=u2c_nobody}': connection to server on socket \"$PGC/c/.s.PGSQL.5432\" failed: FATAL:  role \"u2c_nobody\" does not exist (the server refused the login: check the user, its password in libpq's password or service file or PGPASSWORD, and the server's pg_hba.conf)" ]
	sed -i '1i local all u2c_pw scram-sha-256' "$PGC/c/data/pg_hba.conf"
	sql "$pg" "SELECT pg_reload_conf()" >/dev/null
	run env -u PGPASSWORD PGPASSFILE=/dev/null "$BIN/meter-ingest" --replay \
	    --ledger "${pg/user=postgres/user=u2c_pw}"
	expect_status 73
	[[ "${lines[-1]}" == "meter-ingest: cannot connect to ledger '${pg/user=postgres/user=u2c_pw}': "*"no password supplied (the server refused the login: "* ]]
	run env PGPASSWORD=wrong "$BIN/meter-ingest" --replay \
	    --ledger "${pg/user=postgres/user=u2c_pw}"
	expect_status 73
	[[ "${lines[-1]}" == "meter-ingest: cannot connect to ledger '${pg/user=postgres/user=u2c_pw}': "*"FATAL:  password authentication failed for user \"u2c_pw\" (the server refused the login: "* ]]
	[[ "$output" != *wrong* ]]
	run env PGPASSWORD=right "$BIN/meter-ingest" --replay \
	    --ledger "${pg/user=postgres/user=u2c_pw}"
	expect_status 0
	sed -i '1d' "$PGC/c/data/pg_hba.conf"
	sql "$pg" "SELECT pg_reload_conf()" >/dev/null

	# no server on the socket: 75, re-run when it is reachable
	pg="postgresql:///$db?host=$T&port=5432&user=postgres"
	run ingest --ledger "$pg" --rejects "$T/r" "$T/in"
	expect_status 75
	[ "${lines[-1]}" = "meter-ingest: cannot connect to ledger '$pg': connection to server on socket \"$T/.s.PGSQL.5432\" failed: No such file or directory; re-run when the server is reachable" ]
}

@test "pg: a document number taken (the sequence set back by hand) is refused as on SQLite, exit 78" {
	local pg l
	pg=$(pg_ledger taken)
	jq -c 'select(.customer == "cus_globex")' testdata/rate/rated.expected.ndjson >"$T/in0"
	jq -c 'select(.customer == "cus_initech")' testdata/rate/rated.expected.ndjson >"$T/in1"
	for l in "$T/l.sqlite" "$pg"; do
		ig --ledger "$l" --issue "$T/in0" >/dev/null 2>&1
		if [ "$l" = "$pg" ]; then
			sql "$pg" "UPDATE doc_seq SET next = 1"
		else
			sqlite3 "$l" "UPDATE doc_seq SET next = 1"
		fi
		run ig --ledger "$l" --issue "$T/in1"
		expect_status 78
		[[ "${lines[-1]}" == "invoice-gen: document number ACME-EU-2026-000001 of entity 'acme-eu' is already another document's: "* ]]
	done
	# nothing of the refused run was kept
	[ "$(sql "$pg" "SELECT count(*) FROM doc")" -eq 1 ]
}

@test "pg: 5000 events: the records read back (--replay, meter-aggregate --ledger) are SQLite's, in order" {
	local pg l n
	pg=$(pg_ledger many)
	awk 'BEGIN { for (i = 1; i <= 5000; i++)
		printf "{\"specversion\":\"1.0\",\"id\":\"m%d\",\"source\":\"s%d\",\"type\":\"api.request\",\"subject\":\"%s\",\"time\":\"2026-10-%02dT%02d:%02d:%02dZ\",\"data\":{\"requests\":%d}}\n",
		    i, i % 3, i % 2 ? "acme-prod" : "globex", i % 19 + 1, i % 24, i % 60, i % 59, i % 7 + 1 }' >"$T/in"
	for n in s p; do
		l=$T/l.sqlite
		[ $n = s ] || l=$pg
		ingest --ledger "$l" --rejects "$T/r" --batch 700 "$T/in" >"$T/out.$n" 2>/dev/null
		ingest --ledger "$l" --replay --from 2026-10-01T00:00:00Z \
		    --to 2026-11-01T00:00:00Z >"$T/replay.$n"
		"$BIN/meter-aggregate" --meters testdata/aggregate/meters.json \
		    --customers testdata/customers.ndjson --rejects "$T/ar" \
		    --ledger "$l" --from 2026-10-01T00:00:00Z \
		    --to 2026-11-01T00:00:00Z >"$T/agg.$n" 2>/dev/null
	done
	# every record back through the cursor, 8 blocks a fetch
	[ "$(wc -l <"$T/replay.s")" -eq 5000 ]
	same "$T/out.s" "$T/out.p"
	same "$T/replay.s" "$T/replay.p"
	same "$T/agg.s" "$T/agg.p"
	[ -s "$T/agg.s" ]
}

@test "pg: corrections of events of the same batch, then of an earlier one: the same records, replay and aggregates as SQLite" {
	local pg l n
	pg=$(pg_ledger fix)
	# e1, its amendment a1 and e2, its cancel c1, in one batch
	{
		ce e1 acme-prod 2026-10-05T10:00:00Z '{"requests":3}'
		ce e2 acme-prod 2026-10-06T10:00:00Z '{"requests":4}'
		ce a1 acme-prod 2026-10-05T10:00:00Z '{"requests":5}' | sed 's/"subject"/"amends":"e1","subject"/'
		ce c1 acme-prod 2026-10-06T10:00:00Z '{"requests":0}' | sed 's/"subject"/"cancels":"e2","subject"/'
	} >"$T/in1"
	# a later batch amends the amendment
	ce a2 acme-prod 2026-10-05T10:00:00Z '{"requests":6}' | sed 's/"subject"/"amends":"a1","subject"/' >"$T/in2"
	meters '{"name":"req","event_type":"api.request","aggregation":"sum","field":"requests"}'
	for n in s p; do
		l=$T/l.sqlite
		[ $n = s ] || l=$pg
		ingest --ledger "$l" --rejects "$T/r$n" "$T/in1" >"$T/out1.$n" 2>"$T/err1.$n"
		ingest --ledger "$l" --rejects "$T/r$n" "$T/in2" >"$T/out2.$n" 2>"$T/err2.$n"
		ingest --ledger "$l" --replay --from 2026-10-01T00:00:00Z \
		    --to 2026-11-01T00:00:00Z >"$T/replay.$n"
		# acme's months, New York time
		agg --customers testdata/customers.ndjson --ledger "$l" \
		    --from 2026-10-02T00:00:00Z --to 2026-12-02T00:00:00Z \
		    >"$T/agg.$n" 2>/dev/null
		ingest --ledger "$l" --changed-since 2026-10-19T00:00:00Z >"$T/chg.$n"
	done
	[[ "$(cat "$T/err1.p")" == *"read 4, emitted 2, duplicates 0, amended 1, cancelled 1, rejected 0"* ]]
	[[ "$(cat "$T/err2.p")" == *"read 1, emitted 0, duplicates 0, amended 1, cancelled 0, rejected 0"* ]]
	[ ! -e "$T/rp" ]
	for f in out1 out2 err1 err2 replay agg chg; do
		same "$T/$f.s" "$T/$f.p"
	done
	[ "$(jq -r .quantity "$T/agg.p")" = 6 ]
}

@test "pg: a version 11 ledger (a row a usage record) migrates to version 12's blocks: every record, gone mark and replaced time kept" {
	local pg
	pg=$(pg_ledger v11)
	v12_ledger "$pg"
	"$BIN/meter-ingest" --replay --ledger "$pg" >"$T/re1"
	[ "$(wc -l <"$T/re1")" -eq 4101 ]
	"$UNITBIN/tools/usage-rows" "$pg" >"$T/rows1"
	[ "$(wc -l <"$T/rows1")" -eq 4104 ]
	psql -X -At -v ON_ERROR_STOP=1 -d "$pg" -c 'SELECT * FROM usage_fix ORDER BY orig, n' >"$T/fix1"
	[ "$(sql "$pg" 'SELECT count(*) FROM usage_fix WHERE prev_t IS NOT NULL')" -eq 2 ]
	"$BIN/meter-ingest" --ledger "$pg" --changed-since 2026-10-21T00:00:00Z >"$T/cs1"
	[ "$(cat "$T/cs1")" = 2026-10-10T00:00:05Z ]
	# version 11: the records a row each, the replaced ones marked gone
	pg_ledger_v11 "$pg"
	[ "$(sql "$pg" "SELECT v FROM meta WHERE k = 'schema'")" = 11 ]
	[ "$(sql "$pg" "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ('usage_block', 'usage_gone')")" -eq 0 ]
	[ "$(sql "$pg" "SELECT string_agg(id || ':' || gone, ',' ORDER BY seq) FROM usage WHERE gone IS NOT NULL")" = b5:4103,d1:4104,c1:4104 ]
	[ "$(sql "$pg" 'SELECT count(*) FROM usage')" -eq 4104 ]
	# opening migrates: the same records, marks and trail
	"$BIN/meter-ingest" --replay --ledger "$pg" >"$T/re2"
	cmp "$T/re1" "$T/re2"
	[ "$(sql "$pg" "SELECT v FROM meta WHERE k = 'schema'")" = 12 ]
	[ "$(sql "$pg" "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'usage'")" -eq 0 ]
	"$UNITBIN/tools/usage-rows" "$pg" | same "$T/rows1" -
	psql -X -At -v ON_ERROR_STOP=1 -d "$pg" -c 'SELECT * FROM usage_fix ORDER BY orig, n' |
	    same "$T/fix1" -
	"$BIN/meter-ingest" --ledger "$pg" --changed-since 2026-10-21T00:00:00Z |
	    same "$T/cs1" -
	# in blocks of at most 4096 records, a day and a run each
	[ "$(sql "$pg" "SELECT string_agg(n::text, ',' ORDER BY day, seq) FROM usage_block")" = 4096,4,1,1,1,1 ]
	[ "$(sql "$pg" 'SELECT count(*) FROM usage_gone')" -eq 3 ]
}

@test "pg: one erp-send at a time per ledger, by a session advisory lock: a second exits 75 before sending anything" {
	local pg key name
	pg=$(pg_ledger send)
	pipeline "$pg" "$T/p"
	srv_up
	# erp-send's lock: the writers' key, and FNV-1a of "erp-send" as int32
	key=$(python3 -c 'h = 2166136261
for c in b"erp-send": h = (h ^ c) * 16777619 % 2**32
print(h - 2**32 if h >= 2**31 else h)')
	# held by another session, as a running erp-send holds it
	hold_lock "$pg" "1429357313, $key"
	run hs --ledger "$pg" "$T/p/j"
	expect_status 75
	name=$(printf '%s' "$pg")
	[ "$output" = "erp-send: another erp-send is sending the entries of ledger '$name' (it holds the advisory lock (1429357313, $key), \"erp-send\"): run again when it is done" ]
	[ ! -s "$T/srv/requests.ndjson" ]
	# once the other is gone, the entries go
	sql "$pg" "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'" >/dev/null
	run hs --ledger "$pg" "$T/p/j"
	expect_status 0
	[ "$(wc -l <"$T/srv/entries.ndjson")" -eq 4 ]
	# and a run holding it ends, dropping it: the next run finds it free
	run hs --ledger "$pg" "$T/p/j"
	expect_status 0
}
