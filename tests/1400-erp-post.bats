#!/usr/bin/env bats
# erp-post: golden journals in every format, accepted by the real
# accounting tools (hledger, ledger, beancount); every entry balanced in
# both currencies; deferred revenue; credit notes reversing; closed
# periods; refused documents and bad accounts files.

load lib

D=testdata/erp/documents.ndjson

# balanced FILE: every NDJSON entry's debits equal its credits, in the
# transaction and the functional currency (Python's decimal)
balanced() {
	python3 - "$1" <<-'EOF2'
	import json, sys
	from decimal import Decimal as D
	n = 0
	for l in open(sys.argv[1]):
	    e = json.loads(l)
	    for d, c in (("debit", "credit"), ("functional_debit", "functional_credit")):
	        assert sum(D(x[d]) for x in e["lines"]) == sum(D(x[c]) for x in e["lines"]), (e["id"], d)
	    assert sum(D(x["functional_debit"]) for x in e["lines"]) == D(e["functional_total"])
	    n += 1
	print(n)
	EOF2
}

@test "golden journals: NDJSON, hledger, ledger and beancount, from the sample documents" {
	for f in ndjson hledger ledger beancount; do
		run "$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" \
		    --as-of 2026-11-03T00:00:00Z --format $f --stats "$T/s" "$D"
		expect_status 0
		echo "$output" | grep -v '^erp-post: ' >"$T/out"
		same testdata/erp/journal.expected.$f "$T/out"
	done
	[ "${lines[-1]}" = "erp-post: read 6, posted 6, duplicates 0, skipped 0, rejected 0; 7 entries emitted, 0 retried, 0 confirmed before, 0 pending" ]
	jq -e '.stage == "erp-post" and .read == 6 and .posted == 6 and .entries_emitted == 7 and .format == "beancount"' "$T/s"
	[ "$(balanced testdata/erp/journal.expected.ndjson)" = 7 ]
}

@test "the real tools accept the journals: hledger check, ledger, bean-check, strict" {
	strict_journal testdata/erp/journal.expected.hledger
	strict_journal testdata/erp/journal.expected.ledger
	strict_journal testdata/erp/journal.expected.beancount
	# and the books come out as the documents say: receivables of EUR
	# 83.51 (globex; initech's 35.08 was credited), USD 97.99 + 1.09
	run hledger -f testdata/erp/journal.expected.hledger bal Assets:Receivable:Trade -N
	[[ "$output" == *"83.51 EUR"* ]]
	[[ "$output" == *"99.08 USD"* ]]
	# an unbalanced journal is refused by them: the checks can fail
	sed '0,/-8.62 EUR/s/-8.62 EUR/-8.61 EUR/' testdata/erp/journal.expected.hledger >"$T/bad"
	run hledger -f "$T/bad" check
	[ "$status" -ne 0 ]
	sed '0,/-8.62 EUR/s/-8.62 EUR/-8.61 EUR/' testdata/erp/journal.expected.beancount >"$T/bad.beancount"
	run bean-check "$T/bad.beancount"
	[ "$status" -ne 0 ]
}

@test "an invoice: receivable against revenue by charge, tax by category, discounts, deferred revenue" {
	grep '"number":"ACME-US-2026-000001"' testdata/erp/journal.expected.ndjson | head -1 >"$T/e"
	run jq -r '.lines[] | "\(.account) \(.debit) \(.credit) \(.memo)"' "$T/e"
	[ "${lines[0]}" = "Assets:Receivable:Trade 97.99 0.00 receivable" ]
	# November's platform fee, billed in advance: deferred
	[ "${lines[1]}" = "Liabilities:DeferredRevenue 0.00 49.00 Platform fee" ]
	[ "${lines[7]}" = "Income:Discounts 10.00 0.00 discount" ]
	[ "${lines[8]}" = "Liabilities:SalesTax:NY 0.00 7.99 tax" ]
	jq -e '.type == "document" and .date == "2026-11-02" and .total_debit == "107.99" and .document == {"kind":"invoice","number":"ACME-US-2026-000001","version":0,"references":null}' "$T/e"
	# recognised at the end of November in the customer's zone
	grep '"type":"recognition"' testdata/erp/journal.expected.ndjson >"$T/r1"
	jq -e '.date == "2026-11-30" and [.lines[] | [.account, .debit, .credit]] == [["Liabilities:DeferredRevenue","49.00","0.00"],["Income:Subscriptions","0.00","49.00"]]' "$T/r1"
}

@test "a credit note reverses the invoice's accounts; a prepaid credit goes to customer prepayments" {
	grep '"number":"acme-eu-CN-2026-000001"' testdata/erp/journal.expected.ndjson >"$T/cn"
	grep '"number":"ACME-EU-2026-000002"' testdata/erp/journal.expected.ndjson >"$T/in"
	# the same accounts, each on the other side
	diff <(jq -r '.lines[] | "\(.account) \(.debit) \(.credit)"' "$T/in") \
	    <(jq -r '.lines[] | "\(.account) \(.credit) \(.debit)"' "$T/cn")
	jq -e '.document.references == "ACME-EU-2026-000002" and .document.kind == "credit_note"' "$T/cn"
	# a prepaid credit applied: debit customer prepayments
	{ rline 1 cus_initech 10.00; rline 2 cus_initech -5.00 EUR "" credit; } |
	    ig >"$T/doc"
	sed 's/"state":"draft"/"state":"issued"/; s/"number":null/"number":"X-1"/' "$T/doc" |
	    "$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" >"$T/e"
	jq -e '[.lines[] | [.account, .debit, .credit]] == [["Assets:Receivable:Trade","7.00","0.00"],["Liabilities:EU:CustomerPrepayments","5.00","0.00"],["Income:EU:Usage","0.00","10.00"],["Liabilities:VAT:FR","0.00","2.00"]]' "$T/e"
}

@test "another currency than the books': functional amounts at the document's rate, balanced by a rounding line" {
	grep '"number":"AJ2611-00001"' testdata/erp/journal.expected.ndjson >"$T/e"
	jq -e '.currency == "JPY" and .functional_currency == "USD" and .fx_rate == "0.006602"' "$T/e"
	run jq -r '.lines[] | "\(.account) \(.debit) \(.credit) \(.functional_debit) \(.functional_credit)"' "$T/e"
	# 22500 x 0.006602 = 148.545 -> 148.55; 135.04 + 13.50 = 148.54
	[ "${lines[0]}" = "Assets:JP:Receivable 22500 0 148.55 0.00" ]
	[ "${lines[1]}" = "Income:JP:Seats 0 20455 0.00 135.04" ]
	[ "${lines[2]}" = "Liabilities:JP:ConsumptionTax 0 2045 0.00 13.50" ]
	[ "${lines[3]}" = "Expenses:JP:FXRounding 0 0 0.00 0.01" ]
	grep -q '22500 JPY @@ 148.55 USD' testdata/erp/journal.expected.hledger
}

@test "closed periods: posted on the first open day, or refused, as the entity's policy says" {
	# acme-us: closed through 2026-09-30, next_open; an October document
	sed 's/"issue_date":"2026-11-02"/"issue_date":"2026-09-15"/' "$D" >"$T/sep"
	"$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" "$T/sep" >"$T/out" 2>/dev/null
	has '.document.number == "ACME-US-2026-000001" and .type == "document"' '.date == "2026-10-01" and .document_date == "2026-09-15"' "$T/out"
	# acme-eu: August closed, reject
	sed 's/"issue_date":"2026-11-02"/"issue_date":"2026-08-15"/' "$D" >"$T/aug"
	run "$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r2" --stats "$T/s" "$T/aug"
	expect_status 0
	[ "$(jq -r 'select(.code == "closed_period") | .class' "$T/r2" | sort -u)" = policy_violation ]
	[ "$(jq -s 'length' "$T/r2")" -eq 3 ]
	jq -r .message "$T/r2" | grep -qx "document ACME-EU-2026-000001's document entry is dated 2026-08-15, in a closed period of entity 'acme-eu' (closed_policy reject)"
	jq -e '.read == 6 and .posted == 3 and .rejected == 3' "$T/s"
}

@test "refused documents: drafts, unknown entities, other records; journal entries are passed over" {
	{
		jq -c '.state = "draft" | .number = null' "$D" | head -1
		jq -c '.entity.id = "acme-xx"' "$D" | head -1
		echo '{"kind":"rated","schema":"1.0"}'
		head -1 testdata/erp/journal.expected.ndjson
		jq -c 'del(.issue_date)' "$D" | head -1
	} >"$T/in"
	run "$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" --stats "$T/s" "$T/in"
	expect_status 0
	run jq -r '"\(.line) \(.class) \(.code)"' "$T/r"
	[ "${lines[0]}" = "1 policy_violation not_issued" ]
	[ "${lines[1]}" = "2 policy_violation unknown_entity" ]
	[ "${lines[2]}" = "3 data_quality not_document" ]
	[ "${lines[3]}" = "5 data_quality invalid_document" ]
	jq -e '.read == 5 and .skipped == 1 and .rejected == 4' "$T/s"
}

@test "a bad accounts file lists its problems (78); beancount wants beancount names" {
	printf '{"entities":[{"entity":"e","receivable":"A  B","revenue":"R","tax":"T;x","deferred_revenue":"D","customer_credit":"C","closed_through":"30.9.2026","closed_policy":"later","colour":1}]}\n' >"$T/acc"
	run "$BIN/erp-post" --accounts "$T/acc" </dev/null
	expect_status 78
	[[ "$output" == *"entities[0] ('e'): unknown property 'colour'"* ]]
	[[ "$output" == *"receivable must be an account name: printable, without ';', tabs or two spaces in a row"* ]]
	[[ "$output" == *"rounding is missing: an account name"* ]]
	[[ "$output" == *"closed_through must be a day like \"2026-09-30\""* ]]
	[[ "$output" == *"closed_policy must be \"next_open\" or \"reject\""* ]]
	sed 's/"Income:Usage"/"4000 Usage"/' testdata/accounts.json >"$T/acc2"
	run "$BIN/erp-post" --accounts "$T/acc2" --format beancount </dev/null
	expect_status 78
	[[ "$output" == *"account '4000 Usage' is not a beancount account name"* ]]
	run "$BIN/erp-post" --accounts "$T/acc2" --format hledger </dev/null
	expect_status 0
}

@test "CSV cells that a spreadsheet would run as formulas are neutralized" {
	jq -c '.customer.id = "=HYPERLINK(\"http://x\",\"pay\")" | .lines[0].name = "+cmd|calc" | .lines[0].charge = "@SUM(1)"' "$D" |
	    head -1 >"$T/doc"
	"$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" \
	    --format netsuite "$T/doc" >"$T/csv"
	python3 - "$T/csv" <<-'EOF2'
	import csv, sys
	for r in csv.DictReader(open(sys.argv[1])):
	    for k, v in r.items():
	        assert v[:1] not in ("=", "+", "@", "\t", "\r") and not (v[:1] == "-" and not v[1:2].isdigit()), (k, v)
	    assert r["Name"] == "'=HYPERLINK(\"http://x\",\"pay\")", r["Name"]
	EOF2
	grep -q "'+cmd|calc" "$T/csv"
}

@test "a document that does not add up is refused, the others posted" {
	{
		jq -c 'select(.number == "ACME-EU-2026-000002") | .total = "35.09"' "$D"
		jq -c 'select(.number == "ACME-EU-2026-000001")' "$D"
	} >"$T/in"
	run "$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" "$T/in"
	expect_status 0
	[ "$(echo "$output" | grep -c '"kind":"journal_entry"')" -eq 1 ]
	jq -e '.code == "unbalanced_document" and .class == "data_quality" and .message == "document ACME-EU-2026-000002 does not add up: lines and tax 35.08, total 35.09, total and prepaid credit 35.09, amount due 35.08"' "$T/r"
}

@test "payments finer than the minor unit, closed months that are no months, lines too long" {
	sed 's/"closed_months": \["2026-08"\]/"closed_months": ["2026-8", 7]/' testdata/accounts.json >"$T/acc"
	run "$BIN/erp-post" --accounts "$T/acc" </dev/null
	expect_status 78
	[[ "$output" == *"closed_months[0] must be a month like \"2026-07\""* ]]
	[[ "$output" == *"closed_months[1] must be a month like \"2026-07\""* ]]
	ig --issue testdata/rate/rated.expected.ndjson >/dev/null 2>&1
	{
		echo 'invoice,amount,currency,date,reference'
		echo 'ACME-US-2026-000001,10.005,USD,2026-11-20,ch_1'
		printf 'ACME-US-2026-000001,1.00,USD,2026-11-20,%0200d\n' 0
	} >"$T/p.csv"
	run ep --payments "$T/p.csv" --max-line 100
	expect_status 0
	run jq -r '"\(.line) \(.code)"' "$T/r"
	[ "${lines[0]}" = "2 invalid_payment" ]
	[ "${lines[1]}" = "3 line_too_long" ]
}
