#!/usr/bin/env bats
# invoice-gen's documents, line by line and tax by tax, as a customer
# reads them: a US seller's sales tax in words with its state and the
# seller's EIN as such (text and HTML); EU documents keep EN 16931's
# category letters.

load lib
load invfmt

@test "US invoice: 'Sales tax (NY) 8.875 %' and 'EIN 98-7654321', in text; EU ones keep 'S 20%'" {
	igen --format text testdata/rate/rated.expected.ndjson >"$T/txt"
	grep -qxF 'From  Acme Cloud Inc. (acme-us), EIN 98-7654321' "$T/txt"
	grep -qxF '   1  Platform fee                                  1          49.00  Sales tax (NY) 8.875 %' "$T/txt"
	grep -qxF '                      Sales tax (NY) 8.875 % on 90.00           7.99 USD' "$T/txt"
	[ "$(grep -c 'Sales tax (NY) 8.875 %$' "$T/txt")" = 9 ]
	! grep -q 'S 8.875%' "$T/txt"
	! grep -q 'tax id US98' "$T/txt"
	grep -qxF 'From  Acme Cloud Europe Ltd (acme-eu), tax id IE6388047V' "$T/txt"
	grep -qxF '                                   Tax S 20% on 29.23           5.85 EUR' "$T/txt"
}

@test "US invoice: sales tax in words and the EIN in HTML too" {
	igen --format html testdata/rate/rated.expected.ndjson >"$T/h"
	grep -qF '<div>EIN 98-7654321</div>' "$T/h"
	! grep -qF 'Tax ID US98-7654321' "$T/h"
	[ "$(grep -cF '<td>Sales tax (NY) 8.875 %</td>' "$T/h")" = 9 ]
	grep -qF '<tr><td>Sales tax (NY) <span class="sub">NY sales tax</span></td><td class="n">8.875%</td>' "$T/h"
	grep -qF '<td>S 20%</td>' "$T/h"
	grep -qF '<div>Tax ID IE6388047V</div>' "$T/h"
}

@test "a US tax id that is no EIN stays a 'tax id'; a buyer in a state without the tax has 'No sales tax'" {
	jq -c 'if .id == "acme-us" then .tax_id = "US-STATE-77" else . end' \
	    <(jq -c '.entities[]' testdata/entities.json) |
	    jq -s '{schema: "1.0", entities: .}' >"$T/entities"
	jq -c 'if .id == "cus_acme" then .region = "CA" |
	    .address.region = "CA" else . end' \
	    testdata/customers.ndjson >"$T/customers"
	igen --format text testdata/rate/rated.expected.ndjson >"$T/txt"
	grep -qxF 'From  Acme Cloud Inc. (acme-us), tax id US-STATE-77' "$T/txt"
	grep -qxF '   1  Platform fee                                  1          49.00  No sales tax' "$T/txt"
	grep -qxF '                                No sales tax on 90.00           0.00 USD' "$T/txt"
}

# units_catalog: $T/cat, the sample catalog with eu-starter's storage
# named "Storage", in gigabytes (E34) shown with 2 decimals, and its
# models in persons (IE)
units_catalog() {
	jq '(.plans[] | select(.id == "eu-starter") | .charges[] |
	    select(.id == "storage")) += {"name": "Storage", "unit_code": "E34",
	    "display_decimals": 2} |
	    (.plans[] | select(.id == "eu-starter") | .charges[] |
	    select(.id == "models")) += {"unit_code": "IE"}' \
	    testdata/catalog.json >"$T/cat"
}

# units_rated: $T/rated, the sample aggregates rated with units_catalog
units_rated() {
	units_catalog
	"$BIN/rate" --catalog "$T/cat" --customers testdata/customers.ndjson \
	    --as-of 2026-11-02T00:00:00Z --rejects "$T/r" \
	    testdata/aggregate/aggregates.expected.ndjson >"$T/rated" 2>/dev/null
}

@test "catalog unit_code and display_decimals: on the rated line and the document line; the unit price and tiers too" {
	units_rated
	has '.customer == "cus_initech" and .charge == "storage"' \
	    '.unit_code == "E34" and .display_decimals == 2 and .name == "Storage"' "$T/rated"
	has '.customer == "cus_initech" and .charge == "models"' \
	    '.unit_code == "IE" and (has("display_decimals") | not)' "$T/rated"
	# a charge without them: the rated line as before
	has '.charge == "platform"' '(has("unit_code") or has("display_decimals")) | not' "$T/rated"
	igen --ledger "$T/l" --issue "$T/rated" >"$T/docs"
	jq -c 'select(.customer.id == "cus_initech") | .lines[] |
	    select(.charge == "storage") | {name, quantity, unit,
	    display_decimals, tiers}' "$T/docs" >"$T/a"
	echo '{"name":"Storage","quantity":"444.866778523","unit":"E34","display_decimals":2,"tiers":[{"from":"0","up_to":"1000","units":"444.866778523","unit_amount":"0.023","flat_amount":"0","amount":"10.231935906029"}]}' |
	    same - "$T/a"
	jq -c 'select(.customer.id == "cus_acme") | .lines[] |
	    select(.charge == "tokens-large" or .charge == "search") |
	    [.unit_price, .package_price, .package_size]' "$T/docs" >"$T/a"
	printf '%s\n' '[null,"2.00","1000"]' '["0.00003",null,null]' | same - "$T/a"
}

@test "text: the quantity at display_decimals with its unit, the display name, the unit price or the tiers under the line" {
	units_rated
	igen --format text "$T/rated" >"$T/txt"
	grep -qxF '   4  Storage                               444.87 GB          10.23  S 20%' "$T/txt"
	grep -qxF '      0 to 1000: 444.866778523 x 0.023 = 10.231935906029 EUR' "$T/txt"
	grep -qxF '   2  models                                 0 person           0.00  S 20%' "$T/txt"
	grep -qxF '      at 4.00 EUR per person' "$T/txt"
	grep -qxF '      at 2.00 USD per 1000' "$T/txt"
	grep -qxF '      at 0.00003 USD each' "$T/txt"
	grep -qxF '      10 to 50: 25 x 900 = 22500 JPY' "$T/txt"
}

@test "html: the quantity with its unit, the price under the description" {
	units_rated
	igen --format html "$T/rated" >"$T/h"
	grep -qF '<td>Storage<div class="sub">0 to 1000: 444.866778523 x 0.023 = 10.231935906029 EUR</div></td><td class="n q">444.87 GB</td>' "$T/h"
	grep -qF '<div class="sub">at 4.00 EUR per person</div></td><td class="n q">0 person</td>' "$T/h"
}

@test "ubl: unitCode from the charge (C62 without one), the price in the item's description, still valid Peppol" {
	units_rated
	peppol_ids
	mkdir "$T/ubl"
	igen --ledger "$T/l" --issue --format ubl --output-dir "$T/ubl" "$T/rated" >/dev/null
	f=$T/ubl/ACME-EU-2026-000002.xml
	grep -qF '<cbc:InvoicedQuantity unitCode="E34">444.866778523</cbc:InvoicedQuantity>' "$f"
	grep -qF '<cbc:InvoicedQuantity unitCode="IE">0</cbc:InvoicedQuantity>' "$f"
	grep -qF '<cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>' "$f"
	grep -qF '<cbc:BaseQuantity unitCode="E34">444.866778523</cbc:BaseQuantity>' "$f"
	grep -qF '<cbc:Description>0 to 1000: 444.866778523 x 0.023 = 10.231935906029 EUR</cbc:Description>' "$f"
	run tests/peppol/validate "$T"/ubl/*.xml
	echo "$output"
	expect_status 0
	[ "${lines[${#lines[@]}-1]}" = "validate: 4 documents, 0 not schema-valid, 0 fatal (in 0 documents), 0 warnings" ]
}

@test "catalog: an unknown unit_code or a bad display_decimals is a config error naming the charge and the accepted codes" {
	jq '.plans[0].charges[0].unit_code = "GIGA" |
	    .plans[0].charges[1].display_decimals = 12' testdata/catalog.json >"$T/cat"
	run "$BIN/rate" --catalog "$T/cat" --customers testdata/customers.ndjson \
	    --as-of 2026-11-02T00:00:00Z testdata/aggregate/aggregates.expected.ndjson
	echo "$output"
	expect_status 78
	[[ "$output" == *"unit_code 'GIGA' is not a UN/ECE Recommendation 20 code known here (one of C62, H87, EA, IE, SEC, MIN, HUR, DAY, WEE, MON, ANN, AD, 2P, 4L, E34, E35, E36, KWH)"* ]]
	[[ "$output" == *"display_decimals must be a whole number from 0 to 9"* ]]
}

@test "invoice-gen: a rated line with an unknown unit_code is rejected (invalid_field), never written as an invalid unitCode" {
	rline 1 cus_globex 5.00 EUR | jq -c '.unit_code = "GIGA"' >"$T/in"
	rline 2 cus_globex 6.00 EUR | jq -c '.unit_code = "HUR" | .display_decimals = 1' >>"$T/in"
	run igen --ledger "$T/l" --issue "$T/in"
	expect_status 0
	jq -r '"\(.code) \(.field) \(.message)"' "$T/r" >"$T/a"
	echo "invalid_field unit_code unit_code 'GIGA' is not a UN/ECE Recommendation 20 code known here (one of C62, H87, EA, IE, SEC, MIN, HUR, DAY, WEE, MON, ANN, AD, 2P, 4L, E34, E35, E36, KWH)" |
	    same - "$T/a"
	echo "$output" | grep '^{' | jq -e '.lines == [.lines[0]] and .lines[0].unit == "HUR" and .lines[0].display_decimals == 1'
}
