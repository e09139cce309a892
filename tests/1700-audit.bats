#!/usr/bin/env bats
# The ledger's audit log: a row per state change, hash-chained, in the
# transaction of the change; reconcile --audit verifies the chain (exit
# 0) and names the first row edited, deleted or reordered (exit 1).

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

R=testdata/rate/rated.expected.ndjson

# month: a month of every kind of state change into the ledger l: usage keys
# claimed, a credit granted and drawn, invoices issued with their numbers,
# a debit note, a void, postings emitted and confirmed, a payment, and
# usage pruned.
month() {
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$(ledger_new l)" \
	    --rejects "$T/ir" --as-of 2026-10-20T00:00:00Z testdata/events.ndjson >/dev/null 2>&1
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"prepaid_credits":[{"id":"welcome","amount":"100.00"}]'
	aggr 1 cus_a m 60 | rate --ledger "$(ledger_new l)" >/dev/null 2>&1
	ig --issue "$R" >"$T/inv" 2>/dev/null
	sed 's/"amount":"3.51"/"amount":"4.51"/' "$R" | ig --issue >>"$T/inv" 2>/dev/null
	ig --void ACME-EU-2026-000002 >>"$T/inv" 2>/dev/null
	ep "$T/inv" >"$T/j" 2>/dev/null
	jq -r '"\(.id),NS-\(input_line_number),confirmed,"' "$T/j" |
	    { echo id,erp_ref,status,reason; cat; } >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
	printf '%s\n' 'invoice,amount,currency,date,reference' \
	    'ACME-US-2026-000001,50.00,USD,2026-11-20,ch_1' >"$T/p.csv"
	ep --payments "$T/p.csv" >/dev/null 2>&1
	"$BIN/meter-ingest" --ledger "$(ledger_new l)" --as-of 2026-11-20T00:00:00Z \
	    --prune-before 2026-10-01T00:00:00Z >/dev/null 2>&1
}

audit() {
	"$BIN/reconcile" --ledger "$(ledger_new l)" --audit --rejects "$T/rj" \
	    --as-of 2026-11-04T00:00:00Z "$@"
}

q() {
	lq l "$1"
}

# broken CODE ROW: reconcile --audit exits 1 with one exception, CODE,
# naming ROW
broken() {
	run audit
	expect_status 1
	audit >"$T/out" 2>/dev/null || true
	[ "$(wc -l <"$T/out")" -eq 1 ]
	jq -e --arg c "$1" --arg k "$2" '.kind == "exception" and
	    .class == "reconciliation_exception" and .code == $c and
	    .keys == [$k] and .customer == null and .expected == null' "$T/out"
}

@test "a month of state changes: a row each, in order, the chain intact (exit 0)" {
	month
	[ "$(q 'select op from audit where seq = 1')" = genesis ]
	[ "$(q 'select detail from audit where seq = 1')" = '{"created":true,"schema":12}' ]
	run q 'select op, count(*) from audit group by op order by min(seq)'
	[ "$output" = "genesis|1
usage.claim|1
credit.grant|1
credit.draw|1
number.take|6
doc.issue|6
invoice.issued|5
invoice.void|1
posting.put|8
posting.state|7
payment.record|1
usage.prune|1" ]
	# a batch's claims: its records, their seqs and a digest of their keys
	[ "$(q "select $(sql_json detail n) from audit where op = 'usage.claim'")" -eq 6 ]
	[ "$(q "select subject || ' ' || $(sql_json detail kind) || ' ' || $(sql_json detail total) from audit where op = 'doc.issue' order by seq limit 1")" = "ACME-EU-2026-000001 invoice 83.51" ]
	[ "$(q "select subject || ' ' || $(sql_json detail erp_ref) from audit where op = 'posting.state' order by seq limit 1")" = "$(jq -r '.id' "$T/j" | head -1) NS-1" ]
	run audit --stats "$T/s"
	expect_status 0
	[[ "${lines[-1]}" == *"; audit log: 39 rows verified, intact" ]]
	jq -e --arg h "$(q "select $(sql_hex hash) from audit order by seq desc limit 1")" \
	    '.audit_rows == 39 and .audit_head == $h and .exceptions == 0' "$T/s"
}

@test "the hash is BLAKE2b-256 of the documented encoding; a batch's keys digest is its records'" {
	sqlite_only "python3's sqlite3 reads the SQLite file"
	month
	python3 - "$T/l" <<'EOF'
import hashlib, sqlite3, struct, sys
def f(b):
    return struct.pack('<Q', len(b)) + b
db = sqlite3.connect(sys.argv[1])
prev = bytes(32)
n = 0
for seq, at, op, subj, det, ph, h in db.execute(
        'select seq, at, op, subject, detail, prev_hash, hash from audit order by seq'):
    m = (f(b'u2c-audit-1') + f(struct.pack('<q', seq)) + f(struct.pack('<q', at))
         + f(op.encode()) + f(subj.encode()) + f(det.encode()) + f(ph))
    assert ph == prev and hashlib.blake2b(m, digest_size=32).digest() == h, seq
    prev = h
    n += 1
assert n == 39
# usage.claim: BLAKE2b-256 of the domain, then key and digest of each
# record, in seq order (from a copy of the usage rows made before the prune)
det, = db.execute("select detail from audit where op = 'usage.claim'").fetchone()
print(det)
EOF
	# recompute the claim digest from a fresh ledger, before any prune
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/l2" \
	    --rejects "$T/ir" --as-of 2026-10-20T00:00:00Z testdata/events.ndjson >/dev/null 2>&1
	# (the usage rows from tests/tools/usage-rows, usage_db)
	python3 - "$T/l2" "$(usage_db "$T/l2")" <<'EOF'
import hashlib, json, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
h = hashlib.blake2b(digest_size=32)
h.update(struct.pack('<Q', 18) + b'u2c-usage-claims-1')
for k, d in sqlite3.connect(sys.argv[2]).execute('select key, digest from usage order by seq'):
    h.update(k + d)
det = json.loads(db.execute("select detail from audit where op = 'usage.claim'").fetchone()[0])
assert det == {"n": 6, "first_seq": 1, "last_seq": 6, "keys": h.hexdigest()}, det
EOF
}

@test "a re-run changes nothing: no row added" {
	rerun() {
		"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$(ledger_new l)" \
		    --rejects "$T/ir" --as-of 2026-10-20T00:00:00Z testdata/events.ndjson >/dev/null 2>&1
		plan1 '"model":"unit","unit_amount":"1.00"' "" \
		    '"prepaid_credits":[{"id":"welcome","amount":"100.00"}]'
		aggr 1 cus_a m 60 | rate --ledger "$(ledger_new l)" >/dev/null 2>&1
		ig --issue "$R" >"$T/inv" 2>/dev/null
		ep "$T/inv" >"$T/j" 2>/dev/null
		printf '%s\n' 'invoice,amount,currency,date,reference' \
		    'ACME-US-2026-000001,50.00,USD,2026-11-20,ch_1' >"$T/p.csv"
		ep --payments "$T/p.csv" >/dev/null 2>&1
		"$BIN/meter-ingest" --ledger "$(ledger_new l)" --as-of 2026-11-20T00:00:00Z \
		    --prune-before 2026-10-01T00:00:00Z >/dev/null 2>&1
	}
	rerun
	n=$(q 'select count(*) from audit')
	[ "$n" -gt 20 ]
	rerun
	[ "$(q 'select count(*) from audit')" -eq "$n" ]
	run audit
	expect_status 0
}

@test "a row edited: exit 1, audit_row_edited naming it" {
	month
	ledger_copy l l0
	q "update audit set detail = replace(detail, '83.51', '8.51') where op = 'doc.issue' and subject = 'ACME-EU-2026-000001'"
	row=$(q "select seq from audit where op = 'doc.issue' and subject = 'ACME-EU-2026-000001'")
	broken audit_row_edited "$row"
	jq -e --arg r "$row" '.message | startswith("audit log row \($r) was edited: its hash is not the hash of its content (the row found there: seq \($r), doc.issue of '"'"'ACME-EU-2026-000001'"'"')")' "$T/out"
	run audit --stats "$T/s"
	[[ "${lines[-1]}" == *"; audit log: $((row - 1)) rows verified, broken" ]]
	jq -e --argjson r "$row" '.audit_rows == $r - 1 and (has("audit_head") | not) and .exceptions == 1' "$T/s"
	# its time, or its stored hash, edited: the same
	ledger_copy l0 l
	q 'update audit set at = at + 1 where seq = 3'
	broken audit_row_edited 3
	ledger_copy l0 l
	if [ "$(ledger_engine)" = sqlite ]; then
		q 'update audit set hash = zeroblob(32) where seq = 5'
	else
		q "update audit set hash = decode(repeat('00', 32), 'hex') where seq = 5"
	fi
	broken audit_row_edited 5
}

@test "a row deleted: exit 1, audit_row_deleted naming it; the whole log emptied, row 1" {
	month
	ledger_copy l l0
	q 'delete from audit where seq = 9'
	broken audit_row_deleted 9
	jq -e '.message | startswith("audit log row 9 is missing: deleted, or its seq changed (the row found there: seq 10,")' "$T/out"
	ledger_copy l0 l
	q 'delete from audit where seq = 1'
	broken audit_row_deleted 1
	ledger_copy l0 l
	q 'delete from audit'
	broken audit_row_deleted 1
	jq -e '.message == "audit log row 1 is missing: the log is empty, its genesis row deleted"' "$T/out"
}

@test "two rows swapped: exit 1, audit_row_reordered naming the first" {
	month
	ledger_copy l l0
	q 'update audit set seq = -1 where seq = 12; update audit set seq = 12 where seq = 20; update audit set seq = 20 where seq = -1'
	broken audit_row_reordered 12
	jq -e '.message | startswith("audit log row 12 does not follow the row before it")' "$T/out"
	# neighbours swapped
	ledger_copy l0 l
	q 'update audit set seq = -1 where seq = 30; update audit set seq = 30 where seq = 31; update audit set seq = 31 where seq = -1'
	broken audit_row_reordered 30
}

@test "a state table edited without the log: the chain cannot tell (it proves the log only)" {
	month
	q "update posting set state = 'pending'"
	q "update doc set total = '0.00'"
	run audit
	expect_status 0
}

@test "--audit needs --ledger, and no --explain: exit 64" {
	run "$BIN/reconcile" --audit --invoices "$R"
	expect_status 64
	[[ "$output" == *"reconcile: --audit verifies the ledger's audit log: give --ledger, and no --explain"* ]]
}

@test "a ledger its user may only read is verified" {
	sqlite_only "file modes of the ledger file (the read-only role: tests/1960)"
	month
	readonly_ledger "$T/l"
	run as_reader "$BIN/reconcile" --ledger "$T/l" --audit --rejects /dev/null \
	    --as-of 2026-11-04T00:00:00Z
	expect_status 0
	[[ "${lines[-1]}" == *"; audit log: 39 rows verified, intact" ]]
}

@test "a schema 7 ledger: migrated with a genesis row that says so, the chain goes on from it" {
	sqlite_only "a schema 7 SQLite file made by ledger_v7"
	month
	ledger_v7 "$T/l"
	[ "$(q 'PRAGMA user_version')" = 7 ]
	run audit
	expect_status 0
	[[ "${lines[-1]}" == *"; audit log: 1 row verified, intact" ]]
	[ "$(q 'PRAGMA user_version')" = 12 ]
	[ "$(q 'select seq || op || detail from audit')" = '1genesis{"migrated_from":7,"schema":12}' ]
	ce late1 acme-prod 2026-10-19T00:00:00Z >"$T/e"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/l" \
	    --rejects "$T/ir" --as-of 2026-10-20T00:00:00Z "$T/e" >/dev/null 2>&1
	[ "$(q "select group_concat(op) from audit")" = genesis,usage.claim ]
	run audit
	expect_status 0
	[[ "${lines[-1]}" == *"; audit log: 2 rows verified, intact" ]]
}
