# tests/lib.bash: shared set-up for the bats files.
#   BIN     the binaries under test (set by tests/run; defaults to bin/)
#   T       a fresh temporary directory per test, removed afterwards
#   REPO    the repository root; tests run from there so file names in
#           rejects are the relative names the golden files hold
#   BG      pids of background processes a test started, killed by
#           teardown if the test fails before it waits for them

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${BIN:=$REPO/bin}"
export LC_ALL=C TZ=UTC

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/u2c-test.XXXXXX")
	cd "$REPO" || return 1
	unset METER_LEDGER
	# a reason setup_file gave to skip the whole file (bats 1.8 cannot
	# skip from setup_file itself)
	[ -z "${FILE_SKIP:-}" ] || skip "$FILE_SKIP"
}

# Kill what a failed test left running in the background (the pids a
# test lists in BG), then remove its directory.
teardown() {
	teardown_common
}

# teardown's work, for a file whose own teardown does more
teardown_common() {
	local p
	for p in ${BG:-}; do
		{ kill -9 "$p" && wait "$p"; } 2>/dev/null || true
	done
	[ -n "${T:-}" ] && rm -rf "$T"
}

# ingest ARGS...: meter-ingest with the sample customers, the ledger
# "ledger.sqlite" ($T/ledger.sqlite on SQLite, see ledger_new) and a fixed
# as-of, so output is deterministic.  Without --rejects in ARGS, on
# PostgreSQL too the rejects go where SQLite's default puts them
# ($T/ledger.sqlite-rejects.ndjson), not to ./rejects.ndjson in the tree.
ingest() {
	local rj=()

	[ "${LEDGER_ENGINE:-}" = pg ] && [[ " $* " != *" --rejects "* ]] &&
	    rj=(--rejects "$T/ledger.sqlite-rejects.ndjson")
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$(ledger_new ledger.sqlite)" --as-of 2026-10-20T00:00:00Z \
	    "${rj[@]}" "$@"
}

# expect_status N: the last `run` exited with exactly N.
expect_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status" >&2
		echo "output: $output" >&2
		return 1
	fi
}

# same EXPECTED ACTUAL: diff -u, failing with the difference.
same() {
	diff -u "$1" "$2"
}

# ce ID SUBJECT TIME [DATA]: one CloudEvent line
ce() {
	printf '{"specversion":"1.0","id":"%s","source":"test","type":"api.request","subject":"%s","time":"%s","data":%s}\n' \
	    "$1" "$2" "$3" "${4:-{\}}"
}

# urec N CUSTOMER TYPE TIME DATA: a usage record (meter-ingest's form)
# whose key is N in hex, for meter-aggregate
urec() {
	printf '{"kind":"usage","schema":"1.0","customer":"%s","source":"t","id":"e%s","type":"%s","subject":"s","time":"%s","data":%s,"key":"%032x"}\n' \
	    "$2" "$1" "$3" "$4" "$5" "$1"
}

# meters JSON...: a meters file in $T/m made of these meter objects
meters() {
	local IFS=,
	printf '{"meters":[%s]}\n' "$*" >"$T/m"
}

# agg ARGS...: meter-aggregate with the meters file $T/m, rejects in $T/r
agg() {
	"$BIN/meter-aggregate" --meters "$T/m" --rejects "$T/r" "$@"
}

# aggr N CUSTOMER METER QUANTITY [GROUP] [START END] [EVENTS]: an aggregate
# (meter-aggregate's form) whose key and lineage are N in hex; the period
# defaults to September 2026 in UTC.
aggr() {
	printf '{"kind":"aggregate","schema":"1.0","key":"%032x","customer":"%s","meter":"%s","aggregation":"sum","group":%s,"period":"month","timezone":"UTC","period_start":"%s","period_end":"%s","quantity":"%s","events":%s,"first_event_at":null,"last_event_at":null,"lineage":"%032x","correlation_id":"%032x"}\n' \
	    "$1" "$2" "$3" "${5:-{\}}" "${6:-2026-09-01T00:00:00Z}" \
	    "${7:-2026-10-01T00:00:00Z}" "$4" "${8:-1}" "$1" "$1"
}

# plan1 CHARGE_MEMBERS [PLAN_MEMBERS] [CONTRACT_MEMBERS]: a catalog in
# $T/c with plan "p" v1 in USD whose one charge "c" prices meter "m",
# and a contract for cus_a from 2026-01-01.
plan1() {
	printf '{"plans":[{"id":"p","version":1,"currency":"USD","charges":[{"id":"c","meter":"m",%s}]%s}],"contracts":[{"customer":"cus_a","plan":"p","start":"2026-01-01T00:00:00Z"%s}]}\n' \
	    "$1" "${2:+,$2}" "${3:+,$3}" >"$T/c"
}

# rate ARGS...: rate with the catalog in $T/c, rejects in $T/r and an
# as-of after September 2026
rate() {
	"$BIN/rate" --catalog "$T/c" --rejects "$T/r" \
	    --as-of 2026-11-01T00:00:00Z "$@"
}

# amounts CHARGE_MEMBERS Q...: the usage line's amount of charge "c" for
# each quantity, space separated (one rate run each)
amounts() {
	local m=$1 q out=
	shift
	plan1 "$m"
	for q; do
		out+=" $(aggr 1 cus_a m "$q" | rate 2>/dev/null |
		    jq -r 'select(.line_type == "usage") | .amount')"
	done
	echo "${out# }"
}

# has COND EXPR [FILE]: some NDJSON record matches COND, and EXPR holds
# for every one that does (jq 1.6's -e looks only at the last input)
has() {
	jq -e -s "map(select($1)) | length > 0 and all($2)" ${3:+"$3"} >/dev/null
}

# rline N CUSTOMER AMOUNT [CURRENCY] [TAX_CODE] [LINE_TYPE] [START END]: a
# rated line (rate's form) whose key is N in hex, for invoice-gen; the
# period defaults to October 2026 in UTC.
rline() {
	local tc=null
	[ -n "${5:-}" ] && tc="\"$5\""
	printf '{"kind":"rated","schema":"1.0","key":"%032x","customer":"%s","contract":null,"plan":"p","plan_version":1,"charge":"c%s","line_type":"%s","model":"unit","name":"Charge %s","tax_code":%s,"meter":"m","group":{},"period":"month","period_start":"%s","period_end":"%s","service_start":"%s","service_end":"%s","quantity":"1","breakdown":{},"amount_unrounded":"%s","amount":"%s","currency":"%s","rounding":"half-up","preview":false,"aggregates":[],"lineage":"%032x","correlation_id":"%032x"}\n' \
	    "$1" "$2" "$1" "${6:-usage}" "$1" "$tc" "${7:-2026-10-01T00:00:00Z}" \
	    "${8:-2026-11-01T00:00:00Z}" "${7:-2026-10-01T00:00:00Z}" \
	    "${8:-2026-11-01T00:00:00Z}" "$3" "$3" "${4:-EUR}" "$1" "$1"
}

# ig ARGS...: invoice-gen with the sample entities, tax table, customers
# and FX rates, the ledger "l" ($T/l on SQLite), rejects in $T/r and a
# fixed as-of
ig() {
	"$BIN/invoice-gen" --entities testdata/entities.json \
	    --tax testdata/tax.json --customers testdata/customers.ndjson \
	    --fx testdata/fx.json --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --as-of 2026-11-02T12:00:00Z "$@"
}

# ep ARGS...: erp-post with the sample accounts, the ledger "l" ($T/l on
# SQLite), rejects in $T/r and a fixed as-of
ep() {
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$(ledger_new l)" \
	    --rejects "$T/r" --as-of 2026-11-03T00:00:00Z "$@"
}

# keys_sql LEDGER SQL: run SQL with the entries of the ledger's key index
# in scope: cold(run, lo, x, k, d, th) those of the cold runs' blocks (x:
# the place in its block lo), logged(seq, k, d, th) those of the key log;
# d is the first 8 bytes of the digest, th the event time in hex, as
# printf('%016X', t) gives it
keys_sql() {
	sqlite3 ${KEYS_SQL_CMD:+-cmd "$KEYS_SQL_CMD"} "$1" "with recursive i(x) as (select 0 union all select x + 1 from i where x < 4095),
	    cold(run, lo, x, k, d, th) as (select run, lo, x, substr(keys, x * 32 + 1, 16),
	    substr(keys, x * 32 + 17, 8), hex(substr(keys, x * 32 + 25, 8))
	    from ukey_block join i on x < n),
	    logged(seq, k, d, th) as (select seq + x, substr(keys, x * 32 + 1, 16),
	    substr(keys, x * 32 + 17, 8), hex(substr(keys, x * 32 + 25, 8))
	    from ukey_batch join i on x < n) $2"
}

# Usage records as SQL rows.  Since schema 12 the ledger keeps them in
# blocks of columns (common/ublk.h) that SQL cannot read; the tests'
# queries over records are written against version 11's table usage,
# which tests/tools/usage-rows prints as INSERTs (every record, gone set
# on the replaced ones).
# USAGE_V11: version 11's table usage, as schema_v1 made it and version
# 10 added gone to it
USAGE_V11='CREATE TABLE usage (day INTEGER NOT NULL, seq INTEGER NOT NULL,
    t INTEGER NOT NULL, key BLOB NOT NULL, customer TEXT NOT NULL,
    source TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
    subject TEXT NOT NULL, digest BLOB NOT NULL, corr TEXT,
    ingested INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (day, seq)) WITHOUT ROWID;
    ALTER TABLE usage ADD COLUMN gone INTEGER;'

# usage_db LEDGER: the path of a new scratch SQLite database under $T
# holding the table usage (version 11's) of LEDGER, a path or a conninfo
usage_db() {
	local db
	db=$(mktemp "$T/.usage11.XXXXXX") &&
	    "$UNITBIN/tools/usage-rows" "$1" >"$db.sql" &&
	    { echo "$USAGE_V11 BEGIN;"; cat "$db.sql"; echo 'COMMIT;'; } |
	    sqlite3 -bail "$db" && rm -f "$db.sql" && echo "$db"
}

# uq NAME SQL: run SQL (SQLite's dialect, sqlite3's plain output) over
# the usage records of ledger NAME (on either engine), in a table usage
# as version 11 had it
uq() {
	local db
	if [ "$(ledger_engine)" = sqlite ]; then
		db=$(usage_db "$T/$1")
	else
		db=$(usage_db "$(ledger_new "$1")")
	fi || return 1
	sqlite3 "$db" "$2"
}

# ukeys_sql LEDGER SQL: keys_sql with the table usage of LEDGER (an
# SQLite file) in scope too
ukeys_sql() {
	local db
	db=$(usage_db "$1") || return 1
	KEYS_SQL_CMD="ATTACH '$db' AS u11" keys_sql "$1" "$2"
}

# ledger_v11 LEDGER: turn a ledger (an SQLite file) back into schema 11,
# its usage records a row each in the table usage (gone set on the
# replaced ones), no usage_block, usage_gone nor usage_fix.prev_t
ledger_v11() {
	"$UNITBIN/tools/usage-rows" "$1" >"$1.v11.sql" &&
	    { echo "BEGIN; $USAGE_V11"; cat "$1.v11.sql"
	    echo 'DROP TABLE usage_block; DROP TABLE usage_gone;
	    ALTER TABLE usage_fix DROP COLUMN prev_t; PRAGMA user_version = 11;
	    COMMIT;'; } | sqlite3 -bail "$1" && rm -f "$1.v11.sql"
}

# pg_ledger_v11 CONNINFO: ledger_v11 for a ledger on PostgreSQL: the
# table usage as version 11 made it (common/ldg_schema.c's types), filled
# from usage-rows --pg; meta's schema 11
pg_ledger_v11() {
	local f=$T/.pg_v11.sql
	{
		echo 'BEGIN; CREATE TABLE usage (day BIGINT NOT NULL,
		    seq BIGINT NOT NULL, t BIGINT NOT NULL, key BYTEA NOT NULL,
		    customer TEXT COLLATE "C" NOT NULL, source TEXT COLLATE "C" NOT NULL,
		    id TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C" NOT NULL,
		    subject TEXT COLLATE "C" NOT NULL, digest BYTEA NOT NULL,
		    corr TEXT COLLATE "C", ingested BIGINT NOT NULL,
		    data BYTEA NOT NULL, gone BIGINT, PRIMARY KEY (day, seq));'
		"$UNITBIN/tools/usage-rows" --pg "$1" || return 1
		echo "DROP TABLE usage_block; DROP TABLE usage_gone;
		    ALTER TABLE usage_fix DROP COLUMN prev_t;
		    UPDATE meta SET v = '11' WHERE k = 'schema'; COMMIT;"
	} >"$f" && psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$f"
}

# v12_ledger LEDGER: for the tests of the migration to version 12: into
# LEDGER 4100 records of globex on 2026-10-10 (more than a usage block
# holds) and one on each of the two days after, as of 2026-10-20; then as
# of 2026-10-21 an amendment of b5 moving it to 2026-10-13 and a cancel of
# d1: records 4103 and 4104 (the cancel's own), b5 and d1 replaced
v12_ledger() {
	awk 'BEGIN { for (i = 1; i <= 4100; i++) printf "{\"specversion\":\"1.0\",\"id\":\"b%d\",\"source\":\"test\",\"type\":\"api.request\",\"subject\":\"globex\",\"time\":\"2026-10-10T00:00:%02dZ\",\"data\":{\"n\":%d}}\n", i, i % 60, i }' >"$T/v12a"
	ce d1 globex 2026-10-11T01:00:00Z >>"$T/v12a"
	ce d2 globex 2026-10-12T01:00:00Z '{"n":2}' >>"$T/v12a"
	{
		printf '{"specversion":"1.0","id":"a5","source":"test","amends":"b5","type":"api.request","subject":"globex","time":"2026-10-13T02:00:00Z","data":{"n":55}}\n'
		printf '{"specversion":"1.0","id":"c1","source":"test","cancels":"d1","type":"api.request","subject":"globex","time":"2026-10-14T00:00:00Z"}\n'
	} >"$T/v12b"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$1" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/v12r" "$T/v12a" >/dev/null 2>&1 &&
	    "$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$1" \
	    --as-of 2026-10-21T00:00:00Z --rejects "$T/v12r" "$T/v12b" >/dev/null 2>&1 &&
	    [ ! -e "$T/v12r" ]
}

# ledger_v7 LEDGER: turn a ledger back into schema 7, which had no audit
# log (version 8), no claims of erp-send (version 9), no corrections of
# meter-ingest (version 10) and grants without expiry, priority and paid,
# their draws without the grants they used (version 11)
ledger_v7() {
	ledger_v9 "$1"
	sqlite3 "$1" 'DROP TABLE audit; DROP TABLE send_claim; PRAGMA user_version = 7'
}

# ledger_v9 LEDGER: turn a ledger back into schema 9 (before version 10's
# corrections and version 11's grants)
ledger_v9() {
	ledger_v10 "$1"
	sqlite3 "$1" 'DROP TABLE usage_fix; ALTER TABLE usage DROP COLUMN gone;
	    PRAGMA user_version = 9'
}

# ledger_v10 LEDGER: turn a ledger back into schema 10 (before version
# 11's grants that behave like money, and version 12's usage blocks)
ledger_v10() {
	ledger_v11 "$1" || return 1
	sqlite3 "$1" 'DROP TABLE credit_draw_grant;
	    ALTER TABLE credit_grant DROP COLUMN expires;
	    ALTER TABLE credit_grant DROP COLUMN priority;
	    ALTER TABLE credit_grant DROP COLUMN paid; PRAGMA user_version = 10'
}

# ledger_v5 LEDGER: turn a ledger back into schema 5, its keys a row
# each in ukey_cold and ukey_log as that version kept them
ledger_v5() {
	ledger_v7 "$1"
	sqlite3 "$1" 'CREATE TABLE ukey_cold (run INTEGER NOT NULL, k BLOB NOT NULL,
	    d BLOB NOT NULL, t INTEGER NOT NULL, PRIMARY KEY (run, k)) WITHOUT ROWID;
	    CREATE TABLE ukey_log (seq INTEGER PRIMARY KEY, k BLOB NOT NULL,
	    d BLOB NOT NULL, t INTEGER NOT NULL)'
	keys_sql "$1" 'insert into ukey_cold select c.run, u.key, u.digest, u.t
	    from cold c join usage u on u.key = c.k'
	keys_sql "$1" 'insert into ukey_log select u.seq, u.key, u.digest, u.t
	    from logged h join usage u on u.key = h.k'
	sqlite3 "$1" 'DROP TABLE ukey_block; DROP TABLE ukey_batch; PRAGMA user_version = 5'
}

# ledger_v6 LEDGER: turn a ledger back into schema 6, its cold blocks in a
# WITHOUT ROWID table as that version kept them, on 4 KiB pages as ledgers
# were made before version 7
ledger_v6() {
	ledger_v7 "$1"
	sqlite3 "$1" 'PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM;
	    ALTER TABLE ukey_block RENAME TO b7;
	    CREATE TABLE ukey_block (run INTEGER NOT NULL, lo BLOB NOT NULL,
	    n INTEGER NOT NULL, keys BLOB NOT NULL, PRIMARY KEY (run, lo)) WITHOUT ROWID;
	    INSERT INTO ukey_block SELECT run, lo, n, keys FROM b7; DROP TABLE b7;
	    PRAGMA user_version = 6; PRAGMA journal_mode = WAL' >/dev/null
}

# readonly_ledger PATH: make PATH (a ledger, closed) and its directory
# read-only for the user as_reader runs commands as: mode 0444 in a
# directory of mode 0555, reachable from $T.
readonly_ledger() {
	chmod 0755 "$T"
	chmod 0444 "$1"
	chmod 0555 "$(dirname "$1")"
}

# as_reader CMD...: CMD as a user who may read but not write: as root
# (whom file modes do not stop) the user nobody, through setpriv(1).
as_reader() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# strict_journal FILE [FORMAT]: the real accounting tools accept the
# journal in their strict modes and say nothing: for an hledger or ledger
# journal `hledger check --strict ordereddates` (every account and
# commodity declared, dates in order) and `ledger --strict --pedantic`;
# for a beancount one (FORMAT beancount, or FILE.beancount) bean-check.
# Any message fails, warnings included.  Skips where a tool is missing
# (scripts/deps installs them).
strict_journal() {
	local f=$1 fmt=${2:-} out
	command -v hledger >/dev/null && command -v ledger >/dev/null &&
	    command -v bean-check >/dev/null ||
	    skip "hledger, ledger or bean-check not installed (scripts/deps installs them)"
	[ -n "$fmt" ] || case $f in *.beancount) fmt=beancount ;; *) fmt=hledger ;; esac
	if [ "$fmt" = beancount ]; then
		out=$(bean-check "$f" 2>&1) && [ -z "$out" ] ||
		    { echo "bean-check $f: ${out:-failed}" >&2; return 1; }
		return 0
	fi
	out=$(hledger -f "$f" check --strict ordereddates 2>&1) && [ -z "$out" ] ||
	    { echo "hledger check --strict ordereddates $f: ${out:-failed}" >&2; return 1; }
	out=$(ledger -f "$f" --strict --pedantic bal 2>&1 >/dev/null) && [ -z "$out" ] ||
	    { echo "ledger --strict --pedantic $f: ${out:-failed}" >&2; return 1; }
}

# PostgreSQL (issue 23): a throwaway cluster of tests/pgcluster per bats
# file, started in setup_file and stopped in teardown_file, one database
# per ledger.
#   PGC     the cluster's directory (its socket in $PGC/c), exported by
#           pg_start_file for the file's tests

# pg_server_missing: why the PostgreSQL server cannot be used (initdb and
# pg_ctl not installed), or nothing
pg_server_missing() {
	"$REPO/tests/pgcluster" bindir >/dev/null 2>&1 ||
	    echo "PostgreSQL server not installed: no initdb and pg_ctl on PATH nor under /usr/lib/postgresql/*/bin (scripts/deps installs postgresql)"
}

# pg_available: skip the test unless the PostgreSQL server is installed
pg_available() {
	local why
	why=$(pg_server_missing)
	[ -z "$why" ] || skip "$why"
}

# pg_start_file: for setup_file: a cluster in a new directory $PGC; when
# the server is not installed, FILE_SKIP says so instead
pg_start_file() {
	export FILE_SKIP PGC
	FILE_SKIP=$(pg_server_missing)
	[ -z "$FILE_SKIP" ] || return 0
	PGC=$(mktemp -d "${TMPDIR:-/tmp}/u2c-pg.XXXXXX") || return 1
	# the server runs as another user when we are root: let it through
	chmod 0711 "$PGC" &&
	    "$REPO/tests/pgcluster" start "$PGC/c" >/dev/null
}

# pg_stop_file: for teardown_file: stop the cluster, remove $PGC
pg_stop_file() {
	[ -n "${PGC:-}" ] || return 0
	"$REPO/tests/pgcluster" stop "$PGC/c" && rm -rf "$PGC"
}

# pg_dbname NAME: the database of ledger NAME in this test
pg_dbname() {
	printf 't%s_%s\n' "${BATS_TEST_NUMBER:-0}" \
	    "$(printf '%s' "$1" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_' _)"
}

# pg_ledger NAME: create a database for ledger NAME in the file's cluster,
# unique to this test, and print its conninfo (a postgresql:// URI)
pg_ledger() {
	"$REPO/tests/pgcluster" createdb "$PGC/c" "$(pg_dbname "$1")"
}

# The ledger tests on both engines: a file made engine-parametric names
# its ledgers through ledger_new and reads them through lq; tests/run runs
# it once as is (SQLite) and once with LEDGER_ENGINE=pg, a cluster for
# the file.
#   LEDGER_ENGINE   sqlite (or unset): ledgers are files in $T; pg: each
#                   ledger a database in the file's cluster

# ledger_engine: the engine the ledgers of this run are on, sqlite or pg
ledger_engine() {
	case ${LEDGER_ENGINE:-sqlite} in
	sqlite | pg) echo "${LEDGER_ENGINE:-sqlite}" ;;
	*) echo "LEDGER_ENGINE=$LEDGER_ENGINE: not sqlite nor pg" >&2; return 1 ;;
	esac
}

# ledger_setup_file, ledger_teardown_file: the setup_file and
# teardown_file of an engine-parametric file: on pg, the file's cluster,
# or every test of the file skipped, saying why, when the server is not
# installed or the binaries have no PostgreSQL engine
ledger_setup_file() {
	[ "$(ledger_engine)" = pg ] || return 0
	export FILE_SKIP
	FILE_SKIP=$(pg_engine_missing)
	[ -n "$FILE_SKIP" ] || pg_start_file
}
ledger_teardown_file() {
	[ "$(ledger_engine)" = pg ] || return 0
	pg_stop_file
}

# pg_engine_missing: why the binaries under test cannot run on
# PostgreSQL (built without its engine, they take a postgresql://
# ledger for a file name not found), or nothing
pg_engine_missing() {
	local out
	out=$("$BIN/meter-ingest" --replay \
	    --ledger 'postgresql:///u2c_probe?host=/nonexistent' 2>&1 </dev/null) || true
	case $out in
	*"no ledger at 'postgresql:"*)
		echo "the binaries in $BIN have no PostgreSQL engine (--ledger postgresql://... is taken for a file name)" ;;
	esac
}

# pg_engine: skip the test unless the binaries have the PostgreSQL engine
pg_engine() {
	local why
	why=$(pg_engine_missing)
	[ -z "$why" ] || skip "$why"
}

# ledger_new NAME: the ledger NAME of this test: the file $T/NAME, or on
# pg a database of the file's cluster, created at the first call in the
# test (so every call in one test names the same ledger; calls at once,
# from commands started in the background, wait for each other)
ledger_new() {
	if [ "$(ledger_engine)" = sqlite ]; then
		echo "$T/$1"
		return
	fi
	(
		flock 9 || exit 1
		if [ ! -s "$T/.pg.$1" ]; then
			pg_ledger "$1" >"$T/.pg.$1.new" &&
			    mv "$T/.pg.$1.new" "$T/.pg.$1" || exit 1
		fi
		cat "$T/.pg.$1"
	) 9>>"$T/.pg.lock"
}

# sqlite_only REASON: skip on pg a test about the SQLite file itself
sqlite_only() {
	[ "$(ledger_engine)" = sqlite ] || skip "SQLite only: $1"
}

# lq NAME SQL: run SQL on ledger NAME (sqlite3's plain output: fields
# split by |, no header; psql made to print the same)
lq() {
	if [ "$(ledger_engine)" = sqlite ]; then
		sqlite3 "$T/$1" "$2"
	else
		psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(ledger_new "$1")" -c "$2"
	fi
}

# ledger_dump NAME: the whole content of ledger NAME, to compare before
# and after
ledger_dump() {
	if [ "$(ledger_engine)" = sqlite ]; then
		sqlite3 "$T/$1" .dump
	else
		# less pg_dump's \restrict key, new each run
		pg_dump --no-owner "$(ledger_new "$1")" | grep -v '^\\\(un\)\{0,1\}restrict '
	fi
}

# ledger_copy NAME COPY: ledger COPY made a copy of ledger NAME (closed),
# replacing it: to put NAME back after the test broke it
ledger_copy() {
	if [ "$(ledger_engine)" = sqlite ]; then
		cp "$T/$1" "$T/$2"
		return
	fi
	local from to
	from=$(ledger_new "$1") && from=$(pg_dbname "$1") && to=$(pg_dbname "$2") &&
	    psql -X -q -v ON_ERROR_STOP=1 \
	    -d "$("$REPO/tests/pgcluster" conninfo "$PGC/c" postgres)" \
	    -c "DROP DATABASE IF EXISTS $to" -c "CREATE DATABASE $to TEMPLATE $from" &&
	    "$REPO/tests/pgcluster" conninfo "$PGC/c" "$to" >"$T/.pg.$2"
}

# ledger_rm NAME: ledger NAME gone, so that the next ledger_new NAME is a
# new, empty one
ledger_rm() {
	if [ "$(ledger_engine)" = sqlite ]; then
		rm -f "$T/$1" "$T/$1"-*
		return
	fi
	[ -e "$T/.pg.$1" ] || return 0
	psql -X -q -v ON_ERROR_STOP=1 \
	    -d "$("$REPO/tests/pgcluster" conninfo "$PGC/c" postgres)" \
	    -c "DROP DATABASE $(pg_dbname "$1")" && rm -f "$T/.pg.$1"
}

# The SQL that differs between the engines, for lq:
# sql_json COLUMN MEMBER: MEMBER of the JSON text in COLUMN, as SQLite's
# json_extract gives it (true and false as 1 and 0)
sql_json() {
	if [ "$(ledger_engine)" = sqlite ]; then
		echo "json_extract($1, '\$.$2')"
	else
		echo "(CASE $1::json->>'$2' WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE $1::json->>'$2' END)"
	fi
}

# sql_hex COLUMN: a blob column in lower-case hexadecimal
sql_hex() {
	if [ "$(ledger_engine)" = sqlite ]; then
		echo "lower(hex($1))"
	else
		echo "encode($1, 'hex')"
	fi
}

# sql_time COLUMN: a time in ns since 1970 as "YYYY-MM-DD HH:MM:SS" (UTC)
sql_time() {
	if [ "$(ledger_engine)" = sqlite ]; then
		echo "datetime($1 / 1000000000, 'unixepoch')"
	else
		echo "to_char(to_timestamp($1 / 1000000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
	fi
}

# u2c: a generated month (scripts/gen-month: the crontab's configuration
# files under their names there) ingested into the ledger $UL
# ($U/ledger.sqlite, the crontab's; on PostgreSQL the ledger "u2c" of
# ledger_new); a `date` that answers as on 2026-11-02 at 02:00 UTC, the
# month-end's day, and a `logger` that writes to $T/logged, both in
# $T/shim.
u2c() {
	U=$T/u2c
	UL=$U/ledger.sqlite
	[ "$(ledger_engine)" = sqlite ] || UL=$(ledger_new u2c)
	scripts/gen-month --events 1500 --customers 20 --hours 24 "$U" >/dev/null
	cut -f1 "$U/batches.txt" | sed "s|^|$U/|" | xargs cat >"$T/ev"
	"$BIN/meter-ingest" --customers "$U/customers.ndjson" \
	    --ledger "$UL" --as-of 2026-11-02T00:00:00Z \
	    --rejects "$T/ir" "$T/ev" >/dev/null 2>&1
	mkdir "$T/shim"
	cat >"$T/shim/date" <<-EOF
	#!/bin/sh
	# date -u -d 'last month' +FORMAT, or date -u +FORMAT
	[ "\$2" = -d ] && exec $(command -v date) -u -d 2026-10-02T02:00:00Z "\$4"
	exec $(command -v date) -u -d 2026-11-02T02:00:00Z "\$2"
	EOF
	printf '#!/bin/sh\necho "$*" >>%s\n' "$T/logged" >"$T/shim/logger"
	chmod +x "$T/shim/date" "$T/shim/logger"
}
