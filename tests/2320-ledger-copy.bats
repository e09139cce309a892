#!/usr/bin/env bats
# ledger-copy(1) (issue 23, moving over): a SQLite ledger copied into an
# empty PostgreSQL ledger of a throwaway cluster (tests/pgcluster), every
# table's rows and digest printed and equal on both sides (the digests
# also computed apart, by tests/ledger_digest.py), the audit chain
# verified on the copy; the month-end continued on the copy gives byte
# for byte what it gives on the original; a target not empty refused
# (73); a row altered on the copy caught by --verify (1, the table
# named); a failure (a value refused, kill -9, a lost connection) leaves
# the target empty; a password never printed.  Skipped, saying why,
# when PostgreSQL is not installed.

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	pg_start_file
	[ -z "$FILE_SKIP" ] || return 0
	# the sample month on SQLite, once for the file's tests
	cd "$REPO" && pipeline "$BATS_FILE_TMPDIR/month.sqlite" \
	    "$BATS_FILE_TMPDIR/m"
}

teardown_file() {
	pg_stop_file
}

# A test that failed between hold and release leaves psql's `\! cat`
# waiting at the fifo, bats' descriptors open: bats would wait for it
# forever.  Give it its line (nobody reads once released: timeout).
teardown() {
	[ ! -p "${T:-}/hold" ] || timeout 5 sh -c 'echo >"$1"' _ "$T/hold" ||
	    true
	teardown_common
}

# pipeline LEDGER DIR: the sample month through every stage into DIR
pipeline() {
	local l=$1 o=$2
	mkdir -p "$o"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$l" --as-of 2026-10-20T00:00:00Z --rejects "$o/ir" \
	    testdata/events.ndjson >"$o/ingest" 2>/dev/null
	"$BIN/meter-aggregate" --meters testdata/aggregate/meters.json \
	    --customers testdata/customers.ndjson --ledger "$l" \
	    --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z \
	    >"$o/agg" 2>/dev/null
	"$BIN/rate" --catalog testdata/catalog.json \
	    --customers testdata/customers.ndjson --as-of 2026-11-02T00:00:00Z \
	    --ledger "$l" "$o/agg" >"$o/rated" 2>/dev/null
	grep -v '"kind":"alert"' "$o/rated" >"$o/lines"
	"$BIN/invoice-gen" --entities testdata/entities.json \
	    --tax testdata/tax.json --customers testdata/customers.ndjson \
	    --fx testdata/fx.json --ledger "$l" --as-of 2026-11-02T12:00:00Z \
	    --issue "$o/lines" >"$o/inv" 2>/dev/null
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$l" \
	    --as-of 2026-11-03T00:00:00Z "$o/inv" >"$o/j" 2>/dev/null
}

# next_month LEDGER DIR: the month-end continued: October's events again
# (duplicates) and November's (new, some refused), aggregated, rated,
# invoiced and posted; each stage's stdout, stderr and rejects into DIR,
# the ledger's name in them as LEDGER
next_month() {
	local l=$1 o=$2
	mkdir -p "$o"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$l" --as-of 2026-11-20T00:00:00Z --max-age 90d \
	    --rejects "$o/ir" testdata/events.ndjson "$T/nov.ndjson" \
	    >"$o/ingest" 2>"$o/ingest.err"
	"$BIN/meter-aggregate" --meters testdata/aggregate/meters.json \
	    --customers testdata/customers.ndjson --rejects "$o/ar" \
	    --ledger "$l" --from 2026-11-01T00:00:00Z \
	    --to 2026-12-01T00:00:00Z >"$o/agg" 2>"$o/agg.err"
	"$BIN/rate" --catalog testdata/catalog.json \
	    --customers testdata/customers.ndjson --as-of 2026-12-02T00:00:00Z \
	    --rejects "$o/rr" --ledger "$l" "$o/agg" >"$o/rated" 2>"$o/rate.err"
	grep -v '"kind":"alert"' "$o/rated" >"$o/lines"
	"$BIN/invoice-gen" --entities testdata/entities.json \
	    --tax testdata/tax.json --customers testdata/customers.ndjson \
	    --fx testdata/fx.json --ledger "$l" --rejects "$o/gr" \
	    --as-of 2026-12-02T12:00:00Z --issue "$o/lines" >"$o/inv" \
	    2>"$o/inv.err"
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$l" \
	    --rejects "$o/er" --as-of 2026-12-03T00:00:00Z "$o/inv" \
	    >"$o/j" 2>"$o/ep.err"
	sed -i "s|$o/|DIR/|g; s|$l|LEDGER|g" "$o"/*
}

# sql CONNINFO SQL: one value (psql -At)
sql() {
	psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# tables: ldg_schema.h's tables, in its order
tables() {
	echo meta usage_block usage_gone ukey_run credit_grant credit_draw rate_alert doc_seq \
	    invoice doc posting payment receivable ukey_block ukey_batch audit \
	    send_claim usage_fix credit_draw_grant
}

# empty CONNINFO: the ledger holds what ldg_open leaves in a new one
empty() {
	local t
	for t in $(tables); do
		case $t in
		meta) [ "$(sql "$1" "SELECT string_agg(k || '=' || v, ',' ORDER BY k) FROM meta WHERE k NOT IN ('schema', 'application_id')")" = key_gen=0,next_seq=1 ] ;;
		audit) [ "$(sql "$1" "SELECT string_agg(seq || op, ',') FROM audit")" = 1genesis ] ;;
		*) [ "$(sql "$1" "SELECT count(*) FROM $t")" -eq 0 ] ;;
		esac || { echo "table $t is not as in a new ledger" >&2; return 1; }
	done
}

# waiting CONNINFO: wait until ledger-copy's session waits for a lock
waiting() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(sql "$1" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ledger-copy' AND wait_event_type = 'Lock'")" -eq 1 ] && return 0
		sleep 0.1
	done
	echo "ledger-copy never waited for the lock" >&2
	return 1
}

# hold CONNINFO SOURCE: another session holds, uncommitted, a row of the
# last table (credit_draw_grant) under the key of SOURCE's, until
# release: a copy waits for it there, every other table copied (the
# check that the target is empty does not see it)
hold() {
	local key
	key=$(sqlite3 -separator "', '" "$2" "SELECT customer, currency, period_start, seq FROM credit_draw_grant")
	rm -f "$T/hold" "$T/held" && mkfifo "$T/hold" || return 1
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c 'BEGIN' \
	    -c "INSERT INTO credit_draw_grant VALUES ('$key', 'x', '0')" \
	    -c '\! touch '"$T/held" -c '\! cat '"$T/hold" -c 'ROLLBACK' \
	    >/dev/null &
	HOLD=$!
	BG="${BG:-} $HOLD"
	while [ ! -e "$T/held" ]; do
		kill -0 "$HOLD" || return 1
		sleep 0.1
	done
}
release() {
	echo >"$T/hold" && wait "$HOLD"
}

# copy_held CONNINFO SOURCE: ledger-copy of SOURCE into CONNINFO started
# in the background (stdout in $T/out, stderr in $T/err, its pid in
# $pid), once it waits at the row that hold holds
copy_held() {
	hold "$1" "$2"
	"$BIN/ledger-copy" --busy-timeout 600000 --from "$2" --to "$1" \
	    >"$T/out" 2>"$T/err" &
	pid=$!
	BG="$BG $pid"
	waiting "$1"
}

# gone CONNINFO: wait until ledger-copy's session has ended
gone() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(sql "$1" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ledger-copy'")" -eq 0 ] && return 0
		sleep 0.1
	done
	echo "ledger-copy's session never ended" >&2
	return 1
}

@test "ledger-copy: the sample month copied; each table's rows and digest printed, equal to those computed apart; the audit log verified" {
	local pg
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	pg=$(pg_ledger copy)
	run --separate-stderr "$BIN/ledger-copy" --from "$T/l.sqlite" --to "$pg"
	expect_status 0
	# a line a table, in the schema's order, with the SQLite file's
	# counts and digests as an independent reading of it gives them
	echo "$output" >"$T/out"
	python3 tests/ledger_digest.py "$T/l.sqlite" $(tables) >"$T/want"
	same "$T/want" "$T/out"
	[[ "$output" == *"usage_block                   4 "* ]]
	[[ "$output" == *"doc                           3 "* ]]
	[[ "$output" == *"audit                        18 "* ]]
	[ "$stderr" = "ledger-copy: copied '$T/l.sqlite' to '$pg': 19 tables, 41 rows, every count and digest agree; audit log: 19 rows verified, intact" ]
	# in PostgreSQL's tables: the rows, the source's audit log (not a
	# genesis of its own) and the copy's row chained after it, the
	# counters
	[ "$(sql "$pg" "SELECT op || ' ' || subject FROM audit WHERE seq = 19")" = "ledger.copy ledger" ]
	[ "$(sql "$pg" "SELECT prev_hash = (SELECT hash FROM audit WHERE seq = 18) FROM audit WHERE seq = 19")" = t ]
	sql "$pg" "SELECT detail FROM audit WHERE seq = 19" >"$T/detail"
	jq -e --arg f "$T/l.sqlite" '.from == $f and .rows == 41 and
	    (.tables | keys_unsorted | length) == 19 and .tables.usage_block.rows == 4' "$T/detail"
	[ "$(jq -r '.tables | to_entries[] | "\(.key) \(.value.rows) \(.value.digest)"' "$T/detail")" = \
	    "$(awk '{ print $1, $2, $3 }' "$T/want")" ]
	[ "$(sql "$pg" "SELECT sum(n) FROM usage_block")" -eq 6 ]
	[ "$(sql "$pg" "SELECT encode(hash, 'hex') FROM audit WHERE seq = 18")" = \
	    "$(sqlite3 "$T/l.sqlite" "SELECT lower(hex(hash)) FROM audit WHERE seq = 18")" ]
	[ "$(sql "$pg" "SELECT v FROM meta WHERE k = 'next_seq'")" = \
	    "$(sqlite3 "$T/l.sqlite" "SELECT v FROM meta WHERE k = 'next_seq'")" ]
	[ "$(sql "$pg" "SELECT v FROM meta WHERE k = 'schema'")" = 12 ]
	# --verify agrees, and reconcile --audit on the copy finds it intact
	run --separate-stderr "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 0
	same "$T/want" <(echo "$output")
	[[ "$stderr" == "ledger-copy: verified '$T/l.sqlite' to '$pg': 19 tables, 41 rows, every count and digest agree; audit log: 18 rows verified, intact" ]]
	run "$BIN/reconcile" --ledger "$pg" --audit --rejects "$T/rj" </dev/null
	[[ "$output" == *"audit log: 19 rows verified, intact"* ]]
	# the source was only read
	same <(python3 tests/ledger_digest.py "$BATS_FILE_TMPDIR/month.sqlite" $(tables)) "$T/want"
}

@test "ledger-copy: the month-end continued on the copy gives byte for byte what it gives on the original" {
	local pg f
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	pg=$(pg_ledger cont)
	"$BIN/ledger-copy" --from "$T/l.sqlite" --to "$pg" >/dev/null
	sed 's/2026-10-/2026-11-/; s/"id":"evt-/"id":"nov-/' \
	    testdata/events.ndjson >"$T/nov.ndjson"
	next_month "$T/l.sqlite" "$T/s"
	next_month "$pg" "$T/p"
	for f in ingest ingest.err ir agg agg.err rated rate.err inv inv.err \
	    j ep.err; do
		same "$T/s/$f" "$T/p/$f"
	done
	# it went on where it was: October's events duplicates, the numbers
	# after October's, the key index, the documents' order
	[[ "$(cat "$T/p/ingest.err")" == *"emitted 8, duplicates 8, "* ]]
	grep -q '"number":"ACME-EU-2026-000003"' "$T/p/inv"
	[ "$(wc -l <"$T/p/inv")" -eq 4 ] && [ "$(wc -l <"$T/p/j")" -eq 5 ]
	# and the two ledgers hold the same, but for the audit log's times
	run "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 1
	[ "$(grep -c differs <<<"$output")" -eq 1 ]
	[[ "$output" == *"audit                        37 "*" differs: the copy has 37 rows, digest "* ]]
	run "$BIN/reconcile" --ledger "$pg" --audit --rejects "$T/rj" </dev/null
	[[ "$output" == *"audit log: 38 rows verified, intact"* ]]
}

@test "ledger-copy holds the SQLite ledger's writers' lock until it commits: a stage writing meanwhile waits, then exits 75, and the copy misses nothing; a source its user cannot write is refused (73)" {
	local pg pg1 pid st
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	cp "$T/l.sqlite" "$T/before.sqlite"
	pg=$(pg_ledger locked)
	# the copy waits at its last table (of a ledger's schema), every
	# other one copied
	"$BIN/reconcile" --ledger "$pg" --audit --rejects "$T/rj" </dev/null >/dev/null 2>&1
	copy_held "$pg" "$T/l.sqlite"
	sed 's/2026-10-/2026-11-/; s/"id":"evt-/"id":"nov-/' \
	    testdata/events.ndjson >"$T/nov.ndjson"
	run "$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/l.sqlite" --as-of 2026-11-20T00:00:00Z --busy-timeout 300 \
	    --rejects "$T/ir" "$T/nov.ndjson"
	# the held row let go before anything can fail
	release
	st=0
	wait "$pid" || st=$?
	expect_status 75
	[[ "${lines[-1]}" == "meter-ingest: ledger '$T/l.sqlite' is busy"* ]]
	[ "$st" -eq 0 ] || { cat "$T/err"; return 1; }
	same <(python3 tests/ledger_digest.py "$T/before.sqlite" $(tables)) \
	    <(python3 tests/ledger_digest.py "$T/l.sqlite" $(tables))
	run "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 0
	pg1=$pg
	pg=$(pg_ledger locked2)
	# a source its user may read but not write: no lock, no copy
	mkdir "$T/ro"
	cp "$T/l.sqlite" "$T/ro/l.sqlite"
	readonly_ledger "$T/ro/l.sqlite"
	run as_reader "$BIN/ledger-copy" --from "$T/ro/l.sqlite" --to "$pg"
	expect_status 73
	[ "$output" = "ledger-copy: ledger '$T/ro/l.sqlite': cannot take its writers' lock: the file is read only for this user; ledger-copy holds the lock while it copies, so that no stage writes what the copy would miss: run it as the ledger's owner; nothing was copied" ]
	# refused before the target was touched
	[ "$(sql "$pg" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" -eq 0 ]
	# --verify only reads: that user may, where SQLite cannot make the
	# -shm file (read as every reader does, immutable)
	[ ! -e "$T/ro/l.sqlite-shm" ]
	run as_reader "$BIN/ledger-copy" --verify --from "$T/ro/l.sqlite" --to "$pg1"
	expect_status 0
	[[ "${lines[-1]}" == "ledger-copy: verified '$T/ro/l.sqlite' to '"*"': "*", every count and digest agree; audit log: "*" rows verified, intact" ]]
}

@test "ledger-copy: one row, one table: singular in its lines and messages" {
	local pg
	# a new ledger: meta's two counters and the genesis row
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/n.sqlite" --rejects "$T/ir" </dev/null >/dev/null 2>&1
	pg=$(pg_ledger one)
	run --separate-stderr "$BIN/ledger-copy" --from "$T/n.sqlite" --to "$pg"
	expect_status 0
	[ "$stderr" = "ledger-copy: copied '$T/n.sqlite' to '$pg': 19 tables, 3 rows, every count and digest agree; audit log: 2 rows verified, intact" ]
	run --separate-stderr "$BIN/ledger-copy" --verify --from "$T/n.sqlite" --to "$pg"
	expect_status 0
	[ "$stderr" = "ledger-copy: verified '$T/n.sqlite' to '$pg': 19 tables, 3 rows, every count and digest agree; audit log: 1 row verified, intact" ]
	sql "$pg" "INSERT INTO send_claim VALUES ('x', 'y', 1, 2)" >/dev/null
	sql "$pg" "UPDATE audit SET at = at + 1 WHERE seq = 1" >/dev/null
	run --separate-stderr "$BIN/ledger-copy" --verify --from "$T/n.sqlite" --to "$pg"
	expect_status 1
	[[ "$output" == *"audit                         1 "*" differs: the copy has 1 row, digest "* ]]
	[[ "$output" == *"send_claim                    0 "*" differs: the copy has 1 row, digest "* ]]
	[[ "$stderr" == *"ledger-copy: table audit does not agree: 1 row in '$T/n.sqlite', 1 in '$pg', and another digest"* ]]
	[[ "$stderr" == *"ledger-copy: table send_claim does not agree: 0 rows in '$T/n.sqlite', 1 in '$pg', and another digest"* ]]
}

@test "ledger-copy: a target that is not empty is refused (73) and left as it was" {
	local pg other
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	pg=$(pg_ledger twice)
	"$BIN/ledger-copy" --from "$T/l.sqlite" --to "$pg" >/dev/null 2>&1
	pg_dump --no-owner -d "$pg" | grep -v '^\\\(un\)\{0,1\}restrict ' >"$T/before"
	run --separate-stderr "$BIN/ledger-copy" --from "$T/l.sqlite" --to "$pg"
	expect_status 73
	[ -z "$output" ]
	[ "$stderr" = "ledger-copy: ledger '$pg' is not empty (table meta has rows): ledger-copy copies only into a new ledger, an empty database; nothing was copied" ]
	same "$T/before" <(pg_dump --no-owner -d "$pg" | grep -v '^\\\(un\)\{0,1\}restrict ')
	# a ledger a stage has written to: its usage
	other=$(pg_ledger used)
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$other" --as-of 2026-10-20T00:00:00Z --rejects "$T/ir" \
	    testdata/events.ndjson >/dev/null 2>&1
	run --separate-stderr "$BIN/ledger-copy" --from "$T/l.sqlite" --to "$other"
	expect_status 73
	[[ "$stderr" == *"is not empty (table meta has rows)"* ]]
	[ "$(sql "$other" "SELECT sum(n) FROM usage_block")" -eq 6 ]
	# an audit log beyond the genesis row alone is not empty either
	other=$(pg_ledger audited)
	"$BIN/reconcile" --ledger "$other" --audit --rejects "$T/rj" </dev/null >/dev/null 2>&1
	sql "$other" "INSERT INTO audit SELECT 2, at, 'x', 'y', '{}', hash, hash FROM audit" >/dev/null
	run --separate-stderr "$BIN/ledger-copy" --from "$T/l.sqlite" --to "$other"
	expect_status 73
	[[ "$stderr" == *"is not empty (table audit has rows)"* ]]
}

@test "ledger-copy --verify: a row altered on the copy is caught (1), its table named; an audit row altered breaks the chain too" {
	local pg
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	pg=$(pg_ledger altered)
	"$BIN/ledger-copy" --from "$T/l.sqlite" --to "$pg" >/dev/null 2>&1
	sql "$pg" "UPDATE doc SET total = total || '0' WHERE rowid = 2" >/dev/null
	run --separate-stderr "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 1
	[ "$(grep -c differs <<<"$output")" -eq 1 ]
	[[ "$output" == *"doc                           3 "*" differs: the copy has 3 rows, digest "* ]]
	[ "$stderr" = "ledger-copy: table doc does not agree: 3 rows in '$T/l.sqlite', 3 in '$pg', and another digest" ]
	sql "$pg" "UPDATE doc SET total = left(total, -1) WHERE rowid = 2" >/dev/null
	run "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 0
	# a row deleted (a block of usage records)
	sql "$pg" "DELETE FROM usage_block WHERE seq = 3" >/dev/null
	run --separate-stderr "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 1
	[ "$stderr" = "ledger-copy: table usage_block does not agree: 4 rows in '$T/l.sqlite', 3 in '$pg', and another digest" ]
	# the order a table keeps: doc's first row stored again, last
	sql "$pg" "UPDATE doc SET rowid = DEFAULT WHERE rowid = 1" >/dev/null
	run "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 1
	[[ "$output" == *"table doc does not agree: 3 rows in '$T/l.sqlite', 3 in '$pg'"* ]]
	# an audit row: its table, and the chain
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	pg=$(pg_ledger audit)
	"$BIN/ledger-copy" --from "$T/l.sqlite" --to "$pg" >/dev/null 2>&1
	sql "$pg" "UPDATE audit SET detail = detail || ' ' WHERE seq = 5" >/dev/null
	run --separate-stderr "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$pg"
	expect_status 1
	[[ "$output" == *"audit                        18 "*" differs: the copy has 18 rows, digest "* ]]
	[[ "$stderr" == *"ledger-copy: the audit log of '$pg' is not intact: audit log row 5 was edited: its hash is not the hash of its content"* ]]
}

@test "ledger-copy: a failure leaves the target empty: a value PostgreSQL refuses (65), kill -9 (nothing kept), a lost connection (75)" {
	local pg pid
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	cp "$T/l.sqlite" "$T/bad.sqlite"
	# a text that is not UTF-8, in the last document: refused by the
	# server after meta, the usage and most of doc went in
	sqlite3 "$T/bad.sqlite" "UPDATE doc SET record = CAST(x'ff' AS TEXT) WHERE rowid = (SELECT max(rowid) FROM doc)"
	pg=$(pg_ledger fail)
	run --separate-stderr "$BIN/ledger-copy" --from "$T/bad.sqlite" --to "$pg"
	expect_status 65
	[[ "$stderr" == "ledger-copy: ledger '$pg': copying table doc: PostgreSQL refuses a value of the SQLite ledger '$T/bad.sqlite' (invalid byte sequence for encoding \"UTF8\": 0xff); nothing was copied: the target is an empty ledger" ]]
	empty "$pg"
	# kill -9 while it waits for the last table, everything else copied
	copy_held "$pg" "$T/l.sqlite"
	[ "$(sql "$pg" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'ledger-copy' AND l.relation = 'usage_block'::regclass AND l.mode = 'RowExclusiveLock'")" -eq 1 ]
	kill -9 "$pid"
	wait "$pid" || true
	# its server process, once the row is no longer held, finds the
	# connection gone and rolls back
	release
	gone "$pg"
	empty "$pg"
	# the server lost while it waits: 75
	copy_held "$pg" "$T/l.sqlite"
	sql "$pg" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ledger-copy'" >/dev/null
	status=0
	wait "$pid" || status=$?
	expect_status 75
	[[ "$(cat "$T/err")" == "ledger-copy: ledger '$pg': copying table credit_draw_grant: lost the connection to the server ("*"); nothing was copied: the target is an empty ledger; re-run" ]]
	release
	gone "$pg"
	empty "$pg"
	# and a re-run copies it all
	run "$BIN/ledger-copy" --from "$T/l.sqlite" --to "$pg"
	expect_status 0
}

@test "ledger-copy: a password in the URL is never printed" {
	local pg db url
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/l.sqlite"
	pg=$(pg_ledger secret)
	db=$(pg_dbname secret)
	# the socket trusts: libpq does not send the password, the URL works
	url="postgresql://postgres:s3cr3t@/$db?host=$PGC/c&port=5432"
	run "$BIN/ledger-copy" --from "$T/l.sqlite" --to "$url"
	expect_status 0
	[[ "$output" == *"to 'postgresql://postgres:***@/$db?"* ]]
	[[ "$output" != *s3cr3t* ]]
	run "$BIN/ledger-copy" --from "$T/l.sqlite" --to "$url"
	expect_status 73
	[[ "$output" == *"ledger 'postgresql://postgres:***@/$db?"*"is not empty"* ]]
	[[ "$output" != *s3cr3t* ]]
	sql "$pg" "UPDATE doc SET total = '1' WHERE rowid = 1" >/dev/null
	run "$BIN/ledger-copy" --verify --from "$T/l.sqlite" --to "$url&password=pw2"
	expect_status 1
	[[ "$output" == *"password=***"* ]]
	[[ "$output" != *s3cr3t* && "$output" != *pw2* ]]
	# a server that is not there: 75, the URL redacted
	run "$BIN/ledger-copy" --from "$T/l.sqlite" \
	    --to "postgresql://postgres:s3cr3t@/$db?host=$T/nowhere&port=5432"
	expect_status 75
	[[ "$output" == *"postgres:***@"* ]]
	[[ "$output" != *s3cr3t* ]]
}

@test "ledger-copy: an older SQLite ledger is refused, left as it is, with how to migrate it; usage errors" {
	cp "$BATS_FILE_TMPDIR/month.sqlite" "$T/old.sqlite"
	ledger_v10 "$T/old.sqlite"
	cp "$T/old.sqlite" "$T/before.sqlite"
	run "$BIN/ledger-copy" --from "$T/old.sqlite" --to "$(pg_ledger old)"
	expect_status 78
	[ "$output" = "ledger-copy: ledger '$T/old.sqlite' has schema version 10, older than this program's (12): run any stage on it once (reconcile --ledger '$T/old.sqlite' --audit, say), which migrates it, then copy it" ]
	cmp "$T/old.sqlite" "$T/before.sqlite"
	# migrated by a stage, it copies
	"$BIN/reconcile" --ledger "$T/old.sqlite" --audit --rejects "$T/rj" </dev/null >/dev/null 2>&1 || true
	run "$BIN/ledger-copy" --from "$T/old.sqlite" --to "$(pg_ledger migrated)"
	expect_status 0
	run "$BIN/ledger-copy" --from "$T/missing.sqlite" --to "$(pg_ledger missing)"
	expect_status 66
	run "$BIN/ledger-copy" --from "$T/old.sqlite" --to "$T/l2.sqlite"
	expect_status 64
	[[ "$output" == "ledger-copy: --to '$T/l2.sqlite': not a PostgreSQL ledger"* ]]
	run "$BIN/ledger-copy" --from "$T/old.sqlite"
	expect_status 64
}
