#!/usr/bin/env bats
# sql/roles.sql, the least-privilege roles of a ledger on PostgreSQL: each
# role gets what its stages' statements need, the audit role reads only;
# with the PostgreSQL engine built, the stages run as them: the ingest
# role ingests but cannot issue invoices, the audit role verifies the log
# but cannot write.

load lib

setup_file() {
	pg_start_file
}

teardown_file() {
	pg_stop_file
}

# as ROLE URI: URI connecting as ROLE instead of the superuser
as() {
	echo "${2/user=postgres/user=$1}"
}

# login ROLE GROUP: a login role of this test, member of GROUP
login() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$("$REPO/tests/pgcluster" conninfo "$PGC/c" postgres)" \
	    -c "CREATE ROLE $1 LOGIN IN ROLE $2"
}

# owned ROLE GROUP EVENTS: a ledger whose owner (the superuser) made its
# schema ingesting EVENTS, then ran roles.sql; U its conninfo, R the same
# as ROLE, a new login role of GROUP
owned() {
	U=$(pg_ledger l)
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$U" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r0" "$3" >/dev/null 2>&1
	psql -X -q -v ON_ERROR_STOP=1 -d "$U" -f sql/roles.sql
	login "$1" "$2"
	R=$(as "$1" "$U")
}

# privileges URI: "role table privileges" of the four roles on each table
privileges() {
	psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -d "$1" -c "
	    SELECT r, tablename, string_agg(p, ',' ORDER BY o)
	    FROM (VALUES ('ledger_ingest'), ('ledger_billing'), ('ledger_posting'),
	    ('ledger_audit')) AS g(r), pg_tables,
	    unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) WITH ORDINALITY AS q(p, o)
	    WHERE schemaname = current_schema() AND has_table_privilege(r, tablename, p)
	    GROUP BY r, tablename ORDER BY r, tablename"
}

@test "roles.sql: on a ledger's tables each role gets its stages' privileges, the audit role SELECT only; run twice, the same" {
	pg_available
	local u t
	# the tables of a ledger (SQLite's, whose names PostgreSQL's keeps)
	# as empty tables: no engine needed to check the grants
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/s.sqlite" \
	    --as-of 2026-10-20T00:00:00Z </dev/null
	u=$(pg_ledger l)
	for t in $(sqlite3 "$T/s.sqlite" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
		psql -X -q -v ON_ERROR_STOP=1 -d "$u" -c "CREATE TABLE $t (x int)"
	done
	psql -X -q -v ON_ERROR_STOP=1 -d "$u" -f sql/roles.sql
	privileges "$u" >"$T/p1"
	psql -X -q -v ON_ERROR_STOP=1 -d "$u" -f sql/roles.sql
	privileges "$u" >"$T/p2"
	same "$T/p1" "$T/p2"
	# the audit role reads every table and writes none
	[ "$(grep -c '^ledger_audit ' "$T/p1")" -eq "$(grep -c . <(sqlite3 "$T/s.sqlite" "SELECT name FROM sqlite_master WHERE type = 'table'"))" ]
	grep '^ledger_audit ' "$T/p1" | grep -v ' SELECT$' | same /dev/null -
	# every table is written by some stage: a table added to the schema
	# fails here until roles.sql says who writes it
	for t in $(sqlite3 "$T/s.sqlite" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
		grep -q "^ledger_[a-z]* $t .*INSERT" "$T/p1" ||
		    { echo "no role writes table $t" >&2; return 1; }
	done
	grep -v '^ledger_audit ' "$T/p1" | same - <(cat <<-'EOF'
	ledger_billing audit SELECT,INSERT
	ledger_billing credit_draw SELECT,INSERT,UPDATE
	ledger_billing credit_draw_grant SELECT,INSERT,DELETE
	ledger_billing credit_grant SELECT,INSERT
	ledger_billing doc SELECT,INSERT
	ledger_billing doc_seq SELECT,INSERT,UPDATE
	ledger_billing invoice SELECT,INSERT,UPDATE
	ledger_billing meta SELECT
	ledger_billing rate_alert SELECT,INSERT
	ledger_billing usage_block SELECT
	ledger_billing usage_fix SELECT
	ledger_billing usage_gone SELECT
	ledger_ingest audit SELECT,INSERT
	ledger_ingest meta SELECT,INSERT,UPDATE
	ledger_ingest ukey_batch SELECT,INSERT,UPDATE,DELETE
	ledger_ingest ukey_block SELECT,INSERT,UPDATE,DELETE
	ledger_ingest ukey_run SELECT,INSERT,UPDATE,DELETE
	ledger_ingest usage_block SELECT,INSERT,DELETE
	ledger_ingest usage_fix SELECT,INSERT,UPDATE,DELETE
	ledger_ingest usage_gone SELECT,INSERT,DELETE
	ledger_posting audit SELECT,INSERT
	ledger_posting credit_draw SELECT
	ledger_posting credit_draw_grant SELECT
	ledger_posting credit_grant SELECT
	ledger_posting doc SELECT
	ledger_posting invoice SELECT
	ledger_posting meta SELECT
	ledger_posting payment SELECT,INSERT
	ledger_posting posting SELECT,INSERT,UPDATE
	ledger_posting receivable SELECT,INSERT,UPDATE
	ledger_posting send_claim SELECT,INSERT,UPDATE,DELETE
	EOF
	)
}

@test "roles: the ingest role runs meter-ingest but not invoice-gen, which changes nothing" {
	pg_available
	pg_engine
	owned ing2 ledger_ingest /dev/null
	run "$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$R" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r" testdata/events.ndjson
	expect_status 0
	[ "$(psql -X -A -t -d "$U" -c 'SELECT coalesce(sum(n), 0) FROM usage_block')" -eq 6 ]
	n=$(psql -X -A -t -d "$U" -c 'SELECT count(*) FROM audit')
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --fx testdata/fx.json --ledger "$R" \
	    --rejects "$T/r2" --as-of 2026-11-02T12:00:00Z --issue testdata/rate/rated.expected.ndjson
	expect_status 74
	[ "$output" = "invoice-gen: ledger '$R': reading an invoice: permission denied for table invoice" ]
	[ "$(psql -X -A -t -d "$U" -c 'SELECT count(*) FROM doc')" -eq 0 ]
	[ "$(psql -X -A -t -d "$U" -c 'SELECT count(*) FROM audit')" -eq "$n" ]
}

@test "roles: the audit role verifies the audit log and reads the usage, but cannot write" {
	pg_available
	pg_engine
	owned aud3 ledger_audit testdata/events.ndjson
	run "$BIN/reconcile" --ledger "$R" --audit --rejects /dev/null --as-of 2026-11-04T00:00:00Z
	expect_status 0
	[[ "${lines[-1]}" == *"; audit log: 2 rows verified, intact" ]]
	run "$BIN/meter-ingest" --replay --ledger "$R"
	expect_status 0
	[ "${#lines[@]}" -eq 6 ]
	n=$(psql -X -A -t -d "$U" -c 'SELECT coalesce(sum(n), 0) FROM usage_block')
	ce late1 acme-prod 2026-10-19T00:00:00Z >"$T/e"
	run "$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$R" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r2" "$T/e"
	expect_status 74
	[ "$output" = "meter-ingest: ledger '$R': storing usage records: permission denied for table usage_block" ]
	[ "$(psql -X -A -t -d "$U" -c 'SELECT coalesce(sum(n), 0) FROM usage_block')" -eq "$n" ]
	# nor by hand
	run psql -X -q -d "$R" -c 'DELETE FROM audit'
	[ "$status" -ne 0 ]
	[[ "$output" == *"permission denied for table audit"* ]]
}
