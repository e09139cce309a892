#!/usr/bin/env bats
# reconcile: the sample month end to end agrees (exit 0); then one fault
# injected at a time, each found with its code, keys and amount (exit 1).

load lib

A=testdata/aggregate/aggregates.expected.ndjson
R=testdata/rate/rated.expected.ndjson

# chain: the sample month invoiced and posted into $T/l: $T/inv, $T/j
chain() {
	ig --issue "$R" >"$T/inv" 2>/dev/null
	ep "$T/inv" >"$T/j" 2>/dev/null
}

rc() {
	"$BIN/reconcile" --accounts testdata/accounts.json --ledger "$T/l" \
	    --rejects "$T/rj" --as-of 2026-11-04T00:00:00Z "$@"
}

# code: the code of each exception of $T/out
codes() {
	jq -r '"\(.code) \(.difference)"' "$T/out"
}

@test "the sample month end to end: everything agrees, exit 0" {
	chain
	run rc --aggregates "$A" --rated "$R" --invoices "$T/inv" --journal "$T/j" --stats "$T/s"
	expect_status 0
	# completion: posted, and confirmed by the ERP (none yet)
	[ "${lines[-1]}" = "reconcile: 0 exceptions; 10 aggregates, 22 rated lines, 4 documents, 5 journal entries; documents that agree: 4 (100.0%); variance 0; completion 0 of 4" ]
	jq -e '.stage == "reconcile" and .exceptions == 0 and .documents == 4 and .documents_agreeing == 4 and .documents_completed == 0' "$T/s"
	jq -r '"\(.id),NS-\(input_line_number),confirmed,"' "$T/j" |
	    { echo id,erp_ref,status,reason; cat; } >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
	run rc --aggregates "$A" --rated "$R" --invoices "$T/inv" --journal "$T/j"
	expect_status 0
	[[ "${lines[-1]}" == *"; posting latency 0 s; completion 4 of 4" ]]
}

@test "an event dropped from aggregation: the rated line's lineage is not its aggregate's" {
	chain
	# the storage aggregate re-made without one of its events
	sed '/"meter":"storage"/s/"lineage":"[0-9a-f]*"/"lineage":"00000000000000000000000000000001"/' "$A" >"$T/a"
	run rc --aggregates "$T/a" --rated "$R"
	expect_status 1
	rc --aggregates "$T/a" --rated "$R" >"$T/out" 2>/dev/null || true
	[ "$(codes)" = "lineage_mismatch null" ]
	jq -e '.class == "reconciliation_exception" and .customer == "cus_initech" and (.message | test("its aggregates. events sum to 00000000000000000000000000000001"))' "$T/out"
	# an aggregate no rated line prices
	{ cat "$A"; aggr 99 cus_acme extra 5; } >"$T/a2"
	rc --aggregates "$T/a2" --rated "$R" >"$T/out" 2>/dev/null || true
	[ "$(codes)" = "aggregate_not_rated null" ]
}

@test "an invoice amount changed by one cent" {
	chain
	sed '/ACME-US-2026-000001/s/"net":"3.51"/"net":"3.52"/' "$T/inv" >"$T/inv2"
	rc --rated "$R" --invoices "$T/inv2" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "invoice_amount_mismatch 0.01" ]
	jq -e '.expected == "3.51" and .actual == "3.52" and .currency == "USD" and .customer == "cus_acme" and (.keys | length) == 1' "$T/out"
	# within a tolerance it is not an exception
	run rc --rated "$R" --invoices "$T/inv2" --tolerance 0.01
	expect_status 0
}

@test "a posting doubled: the same entry twice, or a document posted under two ids" {
	chain
	{ cat "$T/j"; head -1 "$T/j"; } >"$T/j2"
	rc --invoices "$T/inv" --journal "$T/j2" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "duplicate_posting null" ]
	jq -e '.document == "ACME-EU-2026-000001"' "$T/out"
	{ cat "$T/j"; head -1 "$T/j" | sed 's/"id":"JE-[0-9a-f]*"/"id":"JE-00000000000000000000000000000001"/'; } >"$T/j3"
	rc --invoices "$T/inv" --journal "$T/j3" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "duplicate_posting null" ]
	jq -e '.keys | length == 2' "$T/out"
}

@test "a posting left unconfirmed past the limit" {
	chain
	jq -r '"\(.id),NS-\(input_line_number),confirmed,"' "$T/j" | sed '$d' |
	    { echo id,erp_ref,status,reason; cat; } >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
	# three days later: fine; a week later: one is pending too long
	run rc --as-of 2026-11-06T00:00:00Z --max-pending-age 72h
	expect_status 0
	"$BIN/reconcile" --ledger "$T/l" --rejects "$T/rj" --as-of 2026-11-10T00:00:00Z \
	    --max-pending-age 72h >"$T/out" 2>"$T/err" && false
	[ "$(codes)" = "posting_pending_too_long null" ]
	jq -e '.keys == ["'"$(tail -1 "$T/j" | jq -r .id)"'"] and (.message | test("has waited 168h"))' "$T/out"
	grep -q 'posting latency 0 s' "$T/err"
}

@test "a posting into the wrong account; receivable, revenue and tax that are not the document's" {
	chain
	sed '1s/"Income:EU:Usage"/"Income:EU:Misc"/' "$T/j" >"$T/j2"
	rc --invoices "$T/inv" --journal "$T/j2" >"$T/out" 2>/dev/null && false
	run codes
	# the 3.00 of usage posted elsewhere: wrong account, revenue short
	[ "${lines[0]}" = "wrong_account null" ]
	[ "${lines[1]}" = "revenue_posting_mismatch -3.00" ]
	has '.code == "wrong_account"' '.document == "ACME-EU-2026-000001" and (.message | test("posts to Income:EU:Misc, not an account of entity acme-eu"))' "$T/out"
	sed '1s/"debit":"83.51","credit":"0.00"/"debit":"83.50","credit":"0.00"/' "$T/j" >"$T/j3"
	rc --invoices "$T/inv" --journal "$T/j3" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[0]}" = "unbalanced_entry 0.01" ]
	[ "${lines[1]}" = "receivable_mismatch -0.01" ]
	# tax posted to revenue: both off by the tax
	sed '2s/"Liabilities:VAT:FR"/"Income:EU:Usage"/' "$T/j" >"$T/j4"
	rc --invoices "$T/inv" --journal "$T/j4" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[0]}" = "revenue_posting_mismatch 5.85" ]
	[ "${lines[1]}" = "tax_posting_mismatch -5.85" ]
}

@test "a credit note lost: not posted, or posted without its document" {
	chain
	ig --void ACME-EU-2026-000002 >"$T/cn" 2>/dev/null
	cat "$T/inv" "$T/cn" >"$T/inv2"
	rc --invoices "$T/inv2" --journal "$T/j" >"$T/out" 2>/dev/null && false
	# not in the journal; and the ledger has no entry of it posted
	run codes
	[ "${lines[*]}" = "document_not_posted 35.08 document_unposted_in_ledger 35.08" ]
	jq -s -e 'map(.document == "acme-eu-CN-2026-000001" and (.message | test("^credit note"))) | all' "$T/out"
	ep "$T/cn" >>"$T/j" 2>/dev/null
	# the invoices without it: the ledger issued it, the journal posts it
	rc --invoices "$T/inv" --journal "$T/j" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[*]}" = "document_not_in_invoices 35.08 posting_without_document null" ]
	run rc --invoices "$T/inv2" --journal "$T/j"
	expect_status 0
}

@test "--explain: a document's chain from its rated lines and aggregates to its journal entry and the ERP's reference" {
	chain
	jq -r '"\(.id),NS-\(input_line_number),confirmed,"' "$T/j" |
	    { echo id,erp_ref,status,reason; cat; } >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
	run rc --aggregates "$A" --rated "$R" --invoices "$T/inv" --journal "$T/j" \
	    --explain ACME-EU-2026-000002
	expect_status 0
	[ "${lines[0]}" = "invoice ACME-EU-2026-000002 of cus_initech, 2026-09-30T22:00:00Z .. 2026-10-31T23:00:00Z, amount due 35.08 EUR" ]
	[[ "$output" == *"  rated line 578b3fe98fae1676faf72ed926e8278b: storage 10.23 EUR, lineage 9f267fe31ac4c1b9f3a20923c1f675ab"* ]]
	[[ "$output" == *"    aggregate a73e9aef7d0d114fe4b88902d285acbd: meter storage, events' lineage 9f267fe31ac4c1b9f3a20923c1f675ab"* ]]
	[[ "$output" == *"  journal entry JE-35fe0bd76f1aeae1f0141bc2e8e6e2bc (document): 35.08 debited and credited"* ]]
	[[ "$output" == *"    ledger: JE-35fe0bd76f1aeae1f0141bc2e8e6e2bc confirmed, ERP reference NS-2"* ]]
}

@test "usage errors" {
	run "$BIN/reconcile"
	expect_status 64
	run "$BIN/reconcile" --rated "$R" --explain X
	expect_status 64
	run "$BIN/reconcile" --rated "$R" --tolerance -1
	expect_status 64
	run "$BIN/reconcile" --rated "$T/none"
	expect_status 66
}

@test "usage in the ledger against the aggregates: an event late or missing from aggregation" {
	M=testdata/aggregate/meters.json
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/l" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r" testdata/events.ndjson >/dev/null 2>&1
	"$BIN/meter-aggregate" --meters $M --customers testdata/customers.ndjson \
	    --ledger "$T/l" --from 2026-10-01T00:00:00Z --to 2026-11-02T00:00:00Z \
	    --rejects "$T/r" >"$T/a" 2>/dev/null
	run rc --meters $M --customers testdata/customers.ndjson --aggregates "$T/a"
	expect_status 0
	[ "${lines[-1]}" = "reconcile: 0 exceptions; 10 aggregates, 0 rated lines, 0 documents, 0 journal entries; documents that agree: 0 (100.0%); variance 0" ]
	# an aggregate left out: its usage was not aggregated
	sed 2d "$T/a" >"$T/a2"
	rc --meters $M --customers testdata/customers.ndjson --aggregates "$T/a2" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "usage_not_aggregated -2" ]
	# a late event after the aggregation: the two aggregates it counts in
	printf '%s\n' '{"specversion":"1.0","id":"late-1","source":"test","type":"api.request","subject":"acme-prod","time":"2026-10-15T10:00:00Z","data":{"endpoint":"/v1/search","requests":3}}' |
	    "$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/l" \
	    --as-of 2026-11-03T00:00:00Z --rejects "$T/r" >/dev/null 2>&1
	rc --meters $M --customers testdata/customers.ndjson --aggregates "$T/a" >"$T/out" 2>"$T/err" && false
	run codes
	[ "${lines[0]}" = "aggregate_mismatch -1" ]
	[ "${lines[1]}" = "aggregate_mismatch -3" ]
	has '.keys == ["48fc7eb3b3d40d4e55a9a018dca94ac8"]' '.expected == "3" and .actual == "2" and .customer == "cus_acme"' "$T/out"
	! grep -q '^meter-aggregate:' "$T/err" || false
}

@test "tax recomputed against tax invoiced, over an invoice and its notes" {
	chain
	sed '/ACME-US-2026-000001/s/"base":"90.00","tax":"7.99"/"base":"90.00","tax":"8.00"/' "$T/inv" >"$T/inv2"
	rc --invoices "$T/inv2" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "tax_mismatch 0.01" ]
	jq -e '.expected == "7.99" and .actual == "8.00" and .document == "ACME-US-2026-000001" and .currency == "USD"' "$T/out"
	# Lago's four lines credited one by one: the notes' tax still adds up
	{
		rline 1 cus_initech 68.33
		rline 2 cus_initech 68.33
		rline 3 cus_initech 57.50
		rline 4 cus_initech 85.00
	} >"$T/in"
	ig --issue "$T/in" >"$T/lago" 2>/dev/null
	for n in 1 2 3 4; do
		sed -i "${n}s/\"amount\":\"[0-9.]*\"/\"amount\":\"0.00\"/" "$T/in"
		ig --issue "$T/in" >>"$T/lago" 2>/dev/null
	done
	run rc --invoices "$T/lago"
	expect_status 0
}

@test "an auditor who may read the ledger but not write it reconciles" {
	if [ "$(id -u)" -eq 0 ] && ! command -v setpriv >/dev/null; then
		skip "root without setpriv(1)"
	fi
	M=testdata/aggregate/meters.json
	mkdir "$T/ro"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/ro/l" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r" testdata/events.ndjson >/dev/null 2>&1
	"$BIN/meter-aggregate" --meters $M --customers testdata/customers.ndjson \
	    --ledger "$T/ro/l" --from 2026-10-01T00:00:00Z --to 2026-11-02T00:00:00Z \
	    --rejects "$T/r" >"$T/a" 2>/dev/null
	sed 2d "$T/a" >"$T/a2"
	readonly_ledger "$T/ro/l"
	run as_reader "$BIN/reconcile" --ledger "$T/ro/l" --rejects /dev/null \
	    --as-of 2026-11-04T00:00:00Z --meters $M \
	    --customers testdata/customers.ndjson --aggregates "$T/a"
	expect_status 0
	[ "${lines[-1]}" = "reconcile: 0 exceptions; 10 aggregates, 0 rated lines, 0 documents, 0 journal entries; documents that agree: 0 (100.0%); variance 0" ]
	run as_reader "$BIN/reconcile" --ledger "$T/ro/l" --rejects /dev/null \
	    --as-of 2026-11-04T00:00:00Z --meters $M \
	    --customers testdata/customers.ndjson --aggregates "$T/a2"
	expect_status 1
	[[ "$output" == *usage_not_aggregated* ]]
	[ "$(ls "$T/ro")" = l ]
}

@test "the ERP's confirmations against what was sent and what the ledger recorded" {
	chain
	jq -r '"\(.id),NS-\(input_line_number),confirmed,\(.total_debit)"' "$T/j" |
	    { echo id,erp_ref,status,amount; cat; } >"$T/erp.csv"
	# nothing recorded yet: every confirmation says what the ledger lacks
	rc --journal "$T/j" --confirmations "$T/erp.csv" >"$T/out" 2>/dev/null && false
	[ "$(jq -r .code "$T/out" | sort -u)" = confirmation_not_recorded ]
	ep --confirm "$T/erp.csv" 2>/dev/null
	run rc --journal "$T/j" --confirmations "$T/erp.csv"
	expect_status 0
	# the ERP's amount off by a cent, a reference changed, an entry never sent
	sed -e '2s/,83.51$/,83.52/' -e '3s/,NS-2,/,NS-99,/' "$T/erp.csv" >"$T/erp2.csv"
	echo 'JE-00000000000000000000000000000009,NS-9,confirmed,1.00' >>"$T/erp2.csv"
	rc --journal "$T/j" --confirmations "$T/erp2.csv" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[0]}" = "confirmation_amount_mismatch 0.01" ]
	[ "${lines[1]}" = "confirmation_disagrees null" ]
	[ "${lines[2]}" = "confirmation_unknown_entry null" ]
}

@test "a difference of 0 does not hide a mismatch; a wrong amount counts against its document" {
	M=testdata/aggregate/meters.json
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/l" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r" testdata/events.ndjson >/dev/null 2>&1
	"$BIN/meter-aggregate" --meters $M --customers testdata/customers.ndjson \
	    --ledger "$T/l" --from 2026-10-01T00:00:00Z --to 2026-11-02T00:00:00Z \
	    --rejects "$T/r" >"$T/a" 2>/dev/null
	# the same quantity, one event fewer
	sed '1s/"events":2/"events":1/' "$T/a" >"$T/a2"
	rc --meters $M --customers testdata/customers.ndjson --aggregates "$T/a2" --tolerance 1 >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "aggregate_mismatch 0" ]
	# a document of nothing due, never posted
	chain
	sed '1s/"amount_due":"83.51"/"amount_due":"0.00"/; 1s/"prepaid_credit":"0.00"/"prepaid_credit":"-83.51"/' "$T/inv" >"$T/inv0"
	rc --invoices "$T/inv0" --journal <(sed 1d "$T/j") >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "document_not_posted 0.00" ]
	sed '/ACME-US-2026-000001/s/"net":"3.51"/"net":"3.52"/' "$T/inv" >"$T/inv2"
	run rc --rated "$R" --invoices "$T/inv2"
	expect_status 1
	[[ "${lines[-1]}" == *"documents that agree: 3 (75.0%); variance 0.01" ]]
}

@test "a broken row of confirmations is a reject; the rows after it are read" {
	chain
	jq -r '"\(.id),NS-\(input_line_number),confirmed,"' "$T/j" |
	    { echo id,erp_ref,status,reason; cat; } >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
	{
		echo 'id,erp_ref,status,amount'
		echo 'JE-x"y,NS,confirmed,1'
		echo ',NS-0,confirmed,'
		echo 'JE-00000000000000000000000000000009,NS-9,confirmed,1.00'
	} >"$T/c.csv"
	rc --journal "$T/j" --confirmations "$T/c.csv" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "confirmation_unknown_entry null" ]
	[ "$(jq -r '"\(.line) \(.code)"' "$T/rj" | xargs)" = "2 invalid_csv 3 missing_field" ]
}

# month: a generated month of five customers in $T/m, ingested into $T/l,
# aggregated ($T/a), rated ($T/rt) and invoiced ($T/inv, issued at
# 2026-11-02T02:00:00Z); the usage records in $T/usage
month() {
	m=$T/m
	scripts/gen-month --events 3000 --customers 5 --hours 48 "$m"
	cut -f1 "$m/batches.txt" | sed "s|^|$m/|" | xargs cat >"$T/ev"
	"$BIN/meter-ingest" --customers "$m/customers.ndjson" --ledger "$T/l" \
	    --as-of 2026-11-02T00:00:00Z --rejects "$T/r" "$T/ev" >"$T/usage" 2>/dev/null || true
	"$BIN/meter-aggregate" --meters "$m/meters.json" --customers "$m/customers.ndjson" \
	    --ledger "$T/l" --from 2026-10-15T00:00:00Z --to 2026-11-02T00:00:00Z \
	    --rejects "$T/r" >"$T/a" 2>/dev/null
	"$BIN/rate" --catalog "$m/catalog.json" --customers "$m/customers.ndjson" \
	    --ledger "$T/l" --as-of 2026-11-02T01:00:00Z --rejects "$T/r" <"$T/a" >"$T/rt" 2>/dev/null
	"$BIN/invoice-gen" --entities "$m/entities.json" --tax "$m/tax.json" \
	    --customers "$m/customers.ndjson" --ledger "$T/l" --issue \
	    --as-of 2026-11-02T02:00:00Z --rejects "$T/r" <"$T/rt" >"$T/inv" 2>/dev/null
}

# late AS_OF: an api.request of sub-00000 in October accepted at AS_OF
late() {
	printf '%s\n' '{"specversion":"1.0","id":"late-1","source":"gw/us-east-1","type":"api.request","subject":"sub-00000","time":"2026-10-02T10:00:00Z","data":{"requests":3}}' >"$T/late"
	"$BIN/meter-ingest" --customers "$m/customers.ndjson" --ledger "$T/l" \
	    --as-of "$1" --rejects "$T/r" "$T/late" >/dev/null 2>&1
}

@test "--explain with --meters: each aggregate down to its events in the ledger, proven by their keys" {
	month
	doc=$(jq -r 'select(.customer.id == "cus_00000") | .number' "$T/inv")
	x() { "$BIN/reconcile" --ledger "$T/l" --meters "$m/meters.json" \
	    --aggregates "$T/a" --rated "$T/rt" --invoices "$T/inv" \
	    --rejects "$T/r" --explain "$doc"; }
	run x
	expect_status 0
	# the api_requests events: as many as the usage records of the type
	n=$(jq -r 'select(.customer == "cus_00000" and .type == "api.request") | .id' "$T/usage" | wc -l)
	[[ "$output" == *"events of meter api_requests from "*": $n in the ledger; their keys sum to the lineages of its 1 aggregate of the period: yes"* ]]
	# tokens by model: three aggregates, one set of events
	[[ "$output" == *"events of meter tokens_in from "*"aggregates of the period: yes"* ]]
	[[ "$output" == *"(its events: above)"* ]]
	[ "$(echo "$output" | grep -c '^      event ')" -ge 5 ]
	! echo "$output" | grep -q ': NO$' || false
	# an event accepted after the aggregation: the keys no longer add up
	late 2026-11-03T00:00:00Z
	run x
	[[ "$output" == *"events of meter api_requests from "*": $((n + 1)) in the ledger; their keys sum to the lineages of its 1 aggregate of the period: NO"* ]]
}

@test "late usage: events accepted after the period's invoice was issued have their own code" {
	month
	doc=$(jq -r 'select(.customer.id == "cus_00000") | .number' "$T/inv")
	rcm() { "$BIN/reconcile" --ledger "$T/l" --meters "$m/meters.json" \
	    --customers "$m/customers.ndjson" --aggregates "$T/a" --invoices "$T/inv" \
	    --rejects "$T/r" "$@"; }
	run rcm
	expect_status 0
	late 2026-11-03T00:00:00Z
	rcm >"$T/out" 2>/dev/null && false
	# the meter that sums requests (3 more) and the one whose peak...
	has '.code == "late_usage"' '.document == "'"$doc"'" and .customer == "cus_00000"' "$T/out"
	has '.code == "late_usage" and (.message | test("meter api_requests"))' '.expected != .actual' "$T/out"
	[[ "$(jq -r .message "$T/out")" == *"1 event of the period accepted after invoice $doc was issued"* ]]
	! grep -q '"aggregate_mismatch"' "$T/out" || false
	# without the invoices it cannot be told from any other mismatch
	"$BIN/reconcile" --ledger "$T/l" --meters "$m/meters.json" --customers "$m/customers.ndjson" \
	    --aggregates "$T/a" --rejects "$T/r" >"$T/out2" 2>/dev/null && false
	has '.code == "aggregate_mismatch"' '.customer == "cus_00000"' "$T/out2"
	! grep -q '"late_usage"' "$T/out2" || false
}

@test "an event accepted before the invoice but after the aggregation is a plain mismatch" {
	month
	# invoiced at 02:00: an event accepted at 01:30 missed the
	# aggregation but not the invoice run; it is not late usage
	late 2026-11-02T01:30:00Z
	"$BIN/reconcile" --ledger "$T/l" --meters "$m/meters.json" --customers "$m/customers.ndjson" \
	    --aggregates "$T/a" --invoices "$T/inv" --rejects "$T/r" >"$T/out" 2>/dev/null && false
	has '.code == "aggregate_mismatch"' '.customer == "cus_00000"' "$T/out"
	! grep -q '"late_usage"' "$T/out" || false
}
