#!/usr/bin/env bats
# invoice-gen: the sample month's golden invoices, tax by the EN 16931
# rule (exclusive, inclusive, exempt, reverse charge), currencies of 0
# and 3 decimals, FX for the books, drafts, and the refused lines.

load lib

# sums INVOICE_FILE: checks every document adds up exactly (Python's
# decimal): lines = net = sum of tax bases, total = net + tax,
# amount_due = total + prepaid_credit
sums() {
	python3 - "$1" <<-'EOF2'
	import json, sys
	from decimal import Decimal as D
	for l in open(sys.argv[1]):
	    d = json.loads(l)
	    net = sum((D(x["net"]) for x in d["lines"]), D(0))
	    base = sum((D(x["base"]) for x in d["tax_lines"]), D(0))
	    tax = sum((D(x["tax"]) for x in d["tax_lines"]), D(0))
	    assert net == D(d["net"]) == base, (d["number"], net, base)
	    assert tax == D(d["tax"]), d["number"]
	    assert D(d["total"]) == net + tax, d["number"]
	    assert D(d["amount_due"]) == D(d["total"]) + D(d["prepaid_credit"])
	print("ok")
	EOF2
}

@test "the sample month: golden invoices, NDJSON and text, every total adds up" {
	run ig --issue --stats "$T/s" testdata/rate/rated.expected.ndjson
	expect_status 0
	echo "$output" | grep -v '^invoice-gen: ' >"$T/out"
	same testdata/invoice/invoices.expected.ndjson "$T/out"
	[ "${lines[-1]}" = "invoice-gen: read 23, invoiced 22, duplicates 0, skipped 1, rejected 0; issued 4 invoices, 0 credit notes, 0 debit notes" ]
	jq -e '.stage == "invoice-gen" and .read == 23 and .invoiced == 22 and .skipped == 1 and .invoices == 4 and .mode == "issue"' "$T/s"
	[ "$(sums "$T/out")" = ok ]
	rm -f "$T"/l*
	ig --issue --format text testdata/rate/rated.expected.ndjson >"$T/txt" 2>/dev/null
	same testdata/invoice/invoices.expected.txt "$T/txt"
}

@test "tax by hand: NY sales tax 8.875 % on 90.00 is 7.99 (half-up), once on the sum" {
	grep cus_acme testdata/invoice/invoices.expected.ndjson >"$T/a"
	jq -e '.tax_lines == [{"category":"S","rate":"8.875","inclusive":false,"rounding":"half-up","name":"NY sales tax","base":"90.00","tax":"7.99","note":null}] and .total == "97.99" and .number == "ACME-US-2026-000001" and .issue_date == "2026-11-02" and .due_date == "2026-12-02"' "$T/a"
	# per-line rounding would differ: the discount line is taxed in the sum
	jq -e '[.lines[].net] == ["49.00","0.00","5.00","3.51","2.00","0.04","0.00","40.45","-10.00"]' "$T/a"
}

@test "reverse charge: a B2B customer abroad with a tax id pays 0 % with the legal note" {
	grep cus_globex testdata/invoice/invoices.expected.ndjson >"$T/a"
	jq -e '.tax_lines | length == 1 and .[0].category == "AE" and .[0].rate == "0" and .[0].tax == "0.00" and (.[0].note | test("Reverse charge"))' "$T/a"
	jq -e '.customer.tax_id == "DE123456789" and .entity.tax_id == "IE6388047V" and .total == .net' "$T/a"
	# the same customer without a tax id pays German VAT
	sed 's/,"tax_id":"DE123456789"//' testdata/customers.ndjson >"$T/cust"
	grep cus_globex testdata/rate/rated.expected.ndjson |
	    "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers "$T/cust" --as-of 2026-11-02T12:00:00Z --rejects "$T/r" >"$T/b"
	jq -e '.tax_lines[0].category == "S" and .tax_lines[0].rate == "19" and .tax_lines[0].base == "83.51" and .tax_lines[0].tax == "15.87" and .total == "99.38"' "$T/b"
}

@test "tax-inclusive prices in JPY: the tax is taken out of the gross, and the books get USD at the day's rate" {
	grep cus_umbrella testdata/invoice/invoices.expected.ndjson >"$T/a"
	# 22500 x 10 / 110 = 2045.45..., rounded down (the rule's rounding)
	jq -e '.tax_lines[0] == {"category":"S","rate":"10","inclusive":true,"rounding":"down","name":"消費税 10%","base":"20455","tax":"2045","note":null}' "$T/a"
	jq -e '.lines[0].gross == "22500" and .lines[0].net == "20455" and .total == "22500" and .currency == "JPY"' "$T/a"
	# 22500 x 0.006602: the rate of the issue date, not the day before
	jq -e '.fx == {"from":"JPY","to":"USD","rate":"0.006602","date":"2026-11-02","net":"135.04","tax":"13.50","total":"148.54"} and .functional_currency == "USD"' "$T/a"
	[ "$(jq -r .number "$T/a")" = AJ2611-00001 ]
}

@test "inclusive prices over several lines: the line nets add up to the base, to the unit" {
	cat >"$T/tax" <<-'EOF2'
	{"rules":[{"entity":"acme-eu","country":"FR","rate":"20","inclusive":true}]}
	EOF2
	{
		rline 1 cus_initech 10.00
		rline 2 cus_initech 10.00
		rline 3 cus_initech 10.00
		rline 4 cus_initech -0.01 EUR "" discount
	} | "$BIN/invoice-gen" --entities testdata/entities.json --tax "$T/tax" \
	    --customers testdata/customers.ndjson --as-of 2026-11-02T12:00:00Z \
	    --rejects "$T/r" >"$T/a"
	# 29.99 gross: tax 29.99 x 20 / 120 = 4.998 -> 5.00, net 24.99
	jq -e '.tax_lines[0].tax == "5.00" and .tax_lines[0].base == "24.99" and .total == "29.99"' "$T/a"
	jq -e '[.lines[].net] | map(tonumber) | add * 100 | round == 2499' "$T/a"
	[ "$(sums "$T/a")" = ok ]
}

@test "an exempt customer: category E at 0 with the exemption note" {
	sed 's/"name":"Initech SARL"/"name":"Initech SARL","tax_exempt":true/' testdata/customers.ndjson >"$T/cust"
	rline 1 cus_initech 100.00 | "$BIN/invoice-gen" --entities testdata/entities.json \
	    --tax testdata/tax.json --customers "$T/cust" --as-of 2026-11-02T12:00:00Z \
	    --rejects "$T/r" >"$T/a"
	jq -e '.tax_lines == [{"category":"E","rate":"0","inclusive":false,"rounding":"half-up","name":null,"base":"100.00","tax":"0.00","note":"Exempt from tax"}] and .total == "100.00"' "$T/a"
}

@test "a product tax code picks its own rate; each category is rounded once" {
	{
		rline 1 cus_initech 10.01
		rline 2 cus_initech 10.01
		rline 3 cus_initech 10.01 EUR ebook
		rline 4 cus_initech 10.01 EUR ebook
	} | ig >"$T/a"
	# 20.02 x 20 % = 4.004 -> 4.00 and 20.02 x 5.5 % = 1.1011 -> 1.10;
	# per line it would be 2.00 x 2 and 0.55 x 2: the same here, but
	# each category's tax is computed on its sum
	jq -e '[.tax_lines[] | [.category, .rate, .base, .tax]] == [["S","20","20.02","4.00"],["S","5.5","20.02","1.10"]] and .total == "45.14"' "$T/a"
	jq -e '.state == "draft" and .number == null' "$T/a"
}

@test "BHD (3 decimals) and JPY (0 decimals) amounts keep their minor units" {
	cat >"$T/ent" <<-'EOF2'
	{"entities":[{"id":"acme-bh","name":"Acme Gulf WLL","country":"BH","functional_currency":"BHD","tax_id":"200000000000003"}]}
	EOF2
	cat >"$T/tax" <<-'EOF2'
	{"rules":[{"entity":"acme-bh","country":"BH","rate":"10"}]}
	EOF2
	printf '{"id":"cus_bh","subjects":["bh"],"entity":"acme-bh","currency":"BHD","country":"BH","timezone":"Asia/Bahrain"}\n' >"$T/cust"
	{
		rline 1 cus_bh 1.005 BHD
		rline 2 cus_bh 2.333 BHD
	} | "$BIN/invoice-gen" --entities "$T/ent" --tax "$T/tax" --customers "$T/cust" \
	    --as-of 2026-11-02T12:00:00Z --rejects "$T/r" >"$T/a"
	# 3.338 x 10 % = 0.3338 -> 0.334
	jq -e '.net == "3.338" and .tax == "0.334" and .total == "3.672" and .currency == "BHD" and .fx == null' "$T/a"
	[ "$(sums "$T/a")" = ok ]
}

@test "drafts: no number, nothing in the ledger, the same content as the issued invoice" {
	ig testdata/rate/rated.expected.ndjson >"$T/d" 2>/dev/null
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM doc')" -eq 0 ]
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM doc_seq')" -eq 0 ]
	jq -e -s 'all(.state == "draft" and .number == null)' "$T/d"
	# the draft is what --issue will issue, but for the number and state
	jq -c 'del(.number, .state)' "$T/d" >"$T/d2"
	jq -c 'del(.number, .state)' testdata/invoice/invoices.expected.ndjson | same - "$T/d2"
}

@test "refused lines: preview, unknown customer, unknown entity, no tax rule, conflicts, other records" {
	printf '{"id":"cus_x","subjects":["x"],"entity":"nowhere","currency":"EUR","country":"FR","timezone":"UTC"}\n' |
	    cat testdata/customers.ndjson - >"$T/cust"
	{
		rline 1 cus_initech 1.00 | sed 's/"preview":false/"preview":true/'
		rline 2 cus_nobody 1.00
		rline 3 cus_x 1.00
		rline 4 cus_umbrella 5 EUR
		rline 5 cus_initech 1.00
		rline 5 cus_initech 2.00
		rline 5 cus_initech 1.00
		echo '{"kind":"alert","schema":"1.0"}'
		echo '{"kind":"aggregate","schema":"1.0"}'
	} >"$T/in"
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers "$T/cust" --as-of 2026-11-02T12:00:00Z --rejects "$T/r" \
	    --stats "$T/s" "$T/in"
	expect_status 0
	run jq -r '"\(.line) \(.class) \(.code)"' "$T/r"
	[ "${lines[0]}" = "1 policy_violation preview_line" ]
	[ "${lines[1]}" = "2 data_quality unknown_customer" ]
	[ "${lines[2]}" = "3 policy_violation unknown_entity" ]
	[ "${lines[3]}" = "6 idempotency_conflict idempotency_conflict" ]
	[ "${lines[4]}" = "9 data_quality not_rated" ]
	# acme-jp keeps USD books: a EUR invoice needs a rate (no --fx here)
	[ "${lines[5]}" = "4 policy_violation no_fx_rate" ]
	[ "${#lines[@]}" -eq 6 ]
	jq -e '.read == 9 and .invoiced == 1 and .duplicates == 1 and .skipped == 1 and .rejected == 6 and .invoices_failed == 1' "$T/s"
	# a line with no tax rule fails its invoice, every line of it
	printf '{"rules":[{"entity":"acme-eu","country":"DE","rate":"19"}]}\n' >"$T/tax"
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax "$T/tax" \
	    --customers testdata/customers.ndjson --as-of 2026-11-02T12:00:00Z \
	    --rejects "$T/r2" --strict <(rline 7 cus_initech 1.00; rline 8 cus_initech 2.00)
	expect_status 65
	[[ "$output" == *"invoice-gen: customer 'cus_initech', the period starting 2026-10-01T00:00:00Z is not invoiced: no_tax_rule: the tax table has no rule for entity 'acme-eu', country FR, tax code (none)"* ]]
	[ "$(jq -r .code "$T/r2" | sort | uniq -c | tr -s ' ')" = " 2 no_tax_rule" ]
}

@test "a number in an address is refused when the entities or customers are loaded, exit 78" {
	sed 's/"postal_code": "19801"/"postal_code": 19801/' testdata/entities.json >"$T/ent"
	grep -q '"postal_code": 19801' "$T/ent"
	rline 1 cus_acme 100.00 USD >"$T/in"
	run "$BIN/invoice-gen" --entities "$T/ent" --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --rejects "$T/r" <"$T/in"
	expect_status 78
	[[ "$output" == *"$T/ent: entities[0] ('acme-us'): address.postal_code must be a string"* ]]
	[[ "$output" != *"json writer"* ]]
	sed '1s/"postal_code":"10118"/"postal_code":10118/' testdata/customers.ndjson >"$T/cust"
	grep -q '"postal_code":10118' "$T/cust"
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers "$T/cust" --rejects "$T/r" <"$T/in"
	expect_status 78
	[[ "$output" == *"$T/cust:1: address.postal_code must be a string"* ]]
	# nested too, and the strings of the sample still pass
	sed 's/"postal_code": "19801"/"postal_code": {"main": [1]}/' testdata/entities.json >"$T/ent"
	run "$BIN/invoice-gen" --entities "$T/ent" --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --rejects "$T/r" <"$T/in"
	expect_status 78
	[[ "$output" == *"address.postal_code.main[0] must be a string"* ]]
}

@test "bad configuration: entities and tax table list their problems, exit 78" {
	printf '{"entities":[{"id":"e","name":"E","country":"France","functional_currency":"EURO","invoice_number_format":"E-{yyyy}","payment_terms_days":-1,"colour":1}]}\n' >"$T/ent"
	run "$BIN/invoice-gen" --entities "$T/ent" --tax testdata/tax.json \
	    --customers testdata/customers.ndjson </dev/null
	expect_status 78
	[[ "$output" == *"entities[0] ('e'): unknown property 'colour'"* ]]
	[[ "$output" == *"entities[0] ('e'): country must be an ISO 3166 alpha-2 code"* ]]
	[[ "$output" == *"functional_currency must be an ISO 4217 code"* ]]
	[[ "$output" == *"invoice_number_format 'E-{yyyy}': it needs exactly one {seq} or {seq:N}"* ]]
	[[ "$output" == *"payment_terms_days must be a whole number of days from 0 to 3650"* ]]
	printf '{"rules":[{"entity":"e","country":"FR","rate":"120"},{"entity":"e","country":"FR","rate":"5","category":"E"},{"entity":"e","country":"XX1","rate":"1","category":"Q"}]}\n' >"$T/tax"
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax "$T/tax" \
	    --customers testdata/customers.ndjson </dev/null
	expect_status 78
	[[ "$output" == *"rules[0]: rate is a percentage: at most 100"* ]]
	[[ "$output" == *"rules[1]: category E is taxed at 0: rate must be \"0\""* ]]
	[[ "$output" == *"rules[1]: rules[0] is for the same entity, country, region and tax code"* ]]
	[[ "$output" == *"rules[2]: country must be an ISO 3166 alpha-2 code"* ]]
	[[ "$output" == *"rules[2]: category must be an EN 16931 VAT category"* ]]
	run "$BIN/invoice-gen" --tax testdata/tax.json </dev/null
	expect_status 64
	run ig --format pdf </dev/null
	expect_status 64
	run ig --issue --draft </dev/null
	expect_status 64
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --issue </dev/null
	expect_status 64
	[[ "$output" == *"--issue needs --ledger"* ]]
}

@test "a discount of the whole bill is shared among its tax categories, as EN 16931 allowances are" {
	{
		rline 1 cus_initech 100.00 EUR ebook
		rline 2 cus_initech 100.00
		rline 3 cus_initech -20.00 EUR "" discount | sed 's/"charge":"c3"/"charge":null/'
	} | ig >"$T/a"
	# -10.00 each: 5.5 % of 90.00 and 20 % of 90.00, not 20 % of -20.00
	jq -e '[.tax_lines[] | [.rate, .base, .tax]] == [["5.5","90.00","4.95"],["20","90.00","18.00"]] and .total == "202.95"' "$T/a"
	jq -e '[.lines[] | select(.line_type == "discount") | [.rated_key, .net, .tax_rate]] == [["00000000000000000000000000000003","-10.00","5.5"],["00000000000000000000000000000003","-10.00","20"]]' "$T/a"
	[ "$(sums "$T/a")" = ok ]
	# uneven shares keep every cent: 0.01 over two categories
	{
		rline 1 cus_initech 1.00 EUR ebook
		rline 2 cus_initech 2.00
		rline 3 cus_initech -0.01 EUR "" discount | sed 's/"charge":"c3"/"charge":null/'
	} | ig >"$T/b"
	jq -e '[.lines[] | select(.line_type == "discount") | .net] == ["-0.01"]' "$T/b"
	[ "$(sums "$T/b")" = ok ]
}

@test "contact details of the entity and the customer are on the document" {
	sed 's/"payment_terms_days": 30,/"payment_terms_days": 30, "email": "billing@acme.example", "website": "https:\/\/acme.example",/' \
	    testdata/entities.json >"$T/ent"
	sed 's/"name":"Initech SARL"/"name":"Initech SARL","email":"ap@initech.example"/' \
	    testdata/customers.ndjson >"$T/cust"
	rline 1 cus_initech 1.00 | "$BIN/invoice-gen" --entities "$T/ent" \
	    --tax testdata/tax.json --customers "$T/cust" --rejects "$T/r" >"$T/a"
	jq -e '.entity.email == "billing@acme.example" and .entity.website == "https://acme.example" and .customer.email == "ap@initech.example"' "$T/a"
}

@test "more bad configuration: numbers two entities share, a customer's payment terms, FX and tax for unknown entities" {
	sed 's/"invoice_number_format": "ACME-EU-{yyyy}-{seq:6}"/"invoice_number_format": "ACME-US-{yyyy}-{seq:6}"/' \
	    testdata/entities.json >"$T/ent"
	run "$BIN/invoice-gen" --entities "$T/ent" --tax testdata/tax.json \
	    --customers testdata/customers.ndjson </dev/null
	expect_status 78
	[[ "$output" == *"entities[1] ('acme-eu'): invoice_number_format gives the numbers entities[0] ('acme-us') does (ACME-US-2026-000001): each entity needs a prefix of its own"* ]]
	sed 's/"payment_terms_days":15/"payment_terms_days":-40/' testdata/customers.ndjson >"$T/cust"
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers "$T/cust" --rejects "$T/r" <(rline 1 cus_initech 1.00)
	expect_status 78
	[[ "$output" == *"customer 'cus_initech': payment_terms_days must be a whole number of days from 0 to 3650"* ]]
	printf '{"rates":[{"date":"2026-10-30","from":"JPY","to":"USD","rate":"0.0066"},{"date":"2026-10-30","from":"JPY","to":"USD","rate":"0.0067"}]}\n' >"$T/fx"
	run ig --fx "$T/fx" </dev/null
	expect_status 78
	[[ "$output" == *"rates[1]: rates[0] is for the same day and currencies"* ]]
	printf '{"rules":[{"entity":"acme-xx","country":"FR","rate":"20"}]}\n' >"$T/tax"
	run "$BIN/invoice-gen" --entities testdata/entities.json --tax "$T/tax" \
	    --customers testdata/customers.ndjson </dev/null
	expect_status 78
	[[ "$output" == *"rules[0] is for entity 'acme-xx', which is not in the entities file"* ]]
}

@test "a number format that a 19-digit sequence makes longer than 64 bytes is refused at load, exit 78" {
	# fits up to the 99,999th number; the 100,000th stopped invoice-gen (exit 70)
	jq --arg p "$(printf 'X%.0s' $(seq 52))" \
	    '.entities |= map(.invoice_number_format = ($p + .id + "{seq}"))' \
	    testdata/entities.json >"$T/ent"
	run "$BIN/invoice-gen" --entities "$T/ent" --tax testdata/tax.json \
	    --customers testdata/customers.ndjson </dev/null
	expect_status 78
	[[ "$output" == *"entities[0] ('acme-us'): invoice_number_format 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXacme-us{seq}': with a sequence of 19 digits the number would be longer than 64 bytes"* ]]
	# 45 bytes of text and a sequence of 19 digits fit
	jq '.entities |= map(.invoice_number_format |= .[14:])' "$T/ent" >"$T/ent2"
	rline 1 cus_acme 1.00 USD | "$BIN/invoice-gen" --entities "$T/ent2" \
	    --tax testdata/tax.json --customers testdata/customers.ndjson \
	    --ledger "$T/l" --issue --rejects "$T/r" >"$T/a"
	jq -e '.number == "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXacme-us1"' "$T/a"
}
