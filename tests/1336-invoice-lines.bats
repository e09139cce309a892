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
