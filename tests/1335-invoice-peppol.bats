#!/usr/bin/env bats
# invoice-gen --format ubl against the official Peppol BIS Billing 3.0
# artifacts (tests/peppol/validate: the UBL 2.1 schema, the CEN EN 16931
# rules, the OpenPEPPOL rules): every kind of document invoice-gen
# issues is valid, 0 fatal; what cannot be valid is refused with its
# reason, never written.

load lib

V=tests/peppol/validate

# peppol_config: $T/entities.json and $T/customers.ndjson, the samples
# with a Peppol id for each entity and customer, and four customers more
peppol_config() {
	jq '.entities |= map(.peppol_id = ({"acme-us": "0060:123456789",
	    "acme-eu": "9935:IE6388047V", "acme-jp": "0188:1234567890123"}[.id]) |
	    if .id == "acme-eu" then .legal_id = "634563" |
	      .bank = {"iban": "IE29AIBK93115212345678", "bic": "AIBKIE2D",
	      "name": "Acme Cloud Europe Ltd"}
	    elif .id == "acme-us" then
	      .bank = {"account": "000123456789", "routing": "021000021"}
	    else . end)' testdata/entities.json >"$T/entities.json"
	jq -c '.peppol_id //= ({"cus_acme": "0060:987654321",
	    "cus_initech": "0009:73282932000074",
	    "cus_umbrella": "0188:9876543210987"}[.id])' \
	    testdata/customers.ndjson >"$T/customers.ndjson"
	cat >>"$T/customers.ndjson" <<'EOC'
{"id":"cus_ca","subjects":["ca"],"entity":"acme-us","currency":"USD","country":"US","region":"CA","timezone":"America/New_York","name":"Hooli Inc.","peppol_id":"0060:111111111"}
{"id":"cus_exempt","subjects":["ex"],"entity":"acme-us","currency":"USD","country":"US","region":"NY","timezone":"America/New_York","name":"City College","tax_exempt":true,"peppol_id":"0060:222222222"}
{"id":"cus_gb","subjects":["gb"],"entity":"acme-us","currency":"USD","country":"GB","timezone":"America/New_York","name":"Wonka Ltd","peppol_id":"9932:GB123456789"}
{"id":"cus_prepaid","subjects":["pp"],"entity":"acme-us","currency":"USD","country":"US","region":"NY","timezone":"America/New_York","name":"Soylent Corp","peppol_id":"0060:333333333"}
EOC
}

# peppol_rated: $T/rated.ndjson, the sample rated lines and cus_acme's
# again for each customer more (cus_prepaid with a prepaid credit)
peppol_rated() {
	{
		cat testdata/rate/rated.expected.ndjson
		for c in ca:c1 exempt:c2 gb:c3 prepaid:c4; do
			jq -c --arg c "cus_${c%:*}" --arg k "${c#*:}" \
			    'select(.customer == "cus_acme") | .customer = $c |
			    .key = $k + .key[2:]' testdata/rate/rated.expected.ndjson
		done
		jq -c 'select(.customer == "cus_acme" and .line_type == "discount") |
		    .customer = "cus_prepaid" | .key = "c5" + .key[2:] |
		    .line_type = "credit" | .amount = "-20.00" |
		    .amount_unrounded = "-20.00"' testdata/rate/rated.expected.ndjson
	} >"$T/rated.ndjson"
}

pig() {
	"$BIN/invoice-gen" --entities "$T/entities.json" --tax testdata/tax.json \
	    --customers "$T/customers.ndjson" --fx testdata/fx.json \
	    --as-of 2026-11-02T12:00:00Z --rejects "$T/r" "$@"
}

# peppol_issue: every kind of document into the ledger $T/l.sqlite, then
# all of them as UBL in $T/ubl: the 8 invoices, a debit note (more usage
# for cus_acme), a credit note (less for cus_globex) and two voids
peppol_issue() {
	peppol_config && peppol_rated &&
	pig --ledger "$T/l.sqlite" --issue "$T/rated.ndjson" >/dev/null &&
	sed -e 's/"amount":"3.51"/"amount":"4.51"/' \
	    -e 's/"amount":"12.35"/"amount":"10.35"/' \
	    "$T/rated.ndjson" >"$T/late.ndjson" &&
	pig --ledger "$T/l.sqlite" --issue "$T/late.ndjson" >/dev/null &&
	pig --ledger "$T/l.sqlite" --void ACME-US-2026-000004 >/dev/null &&
	pig --ledger "$T/l.sqlite" --void ACME-EU-2026-000002 >/dev/null &&
	mkdir "$T/ubl" &&
	pig --ledger "$T/l.sqlite" --replay --format ubl --output-dir "$T/ubl" \
	    "$T/late.ndjson" >"$T/names"
}

# xp FILE XPATH: its string value, the UBL prefixes matched by local name
xp() {
	xmllint --xpath "string($(printf '%s' "$2" |
	    sed -E 's/(cac|cbc):([A-Za-z]+)/*[local-name()="\2"]/g'))" "$1"
}

@test "peppol: every kind of document is valid in the three layers, 0 fatal" {
	peppol_issue
	[ "$(wc -l <"$T/names")" -eq 16 ]
	run "$V" "$T"/ubl/*.xml
	echo "$output"
	expect_status 0
	[ "${lines[${#lines[@]}-1]}" = "validate: 16 documents, 0 not schema-valid, 0 fatal (in 0 documents), 0 warnings" ]
	# and they are every kind: invoices, debit and credit notes, each
	# tax category, a discount, a prepaid credit, JPY
	cat "$T"/ubl/*.xml >"$T/all"
	[ "$(grep -c '<CreditNote ' "$T/all")" -eq 3 ]
	[ "$(grep -c '<cbc:InvoiceTypeCode>383<' "$T/all")" -eq 5 ]
	[ "$(grep -c '<cbc:InvoiceTypeCode>380<' "$T/all")" -eq 8 ]
	for c in S AE E O G; do
		grep -q "<cbc:ID>$c</cbc:ID>" "$T/all"
	done
	grep -q '<cbc:PrepaidAmount currencyID="USD">20.00<' "$T/all"
	grep -q '<cbc:AllowanceTotalAmount currencyID="USD">10.00<' "$T/all"
	grep -q '<cbc:DocumentCurrencyCode>JPY<' "$T/all"
}

@test "peppol R010/R020: no peppol_id for the buyer or the seller: refused for --format ubl, with the rule" {
	peppol_config
	peppol_rated
	jq -c 'if .id == "cus_initech" then del(.peppol_id) else . end' \
	    "$T/customers.ndjson" >"$T/c" && mv "$T/c" "$T/customers.ndjson"
	jq 'del(.entities[] | select(.id == "acme-jp") | .peppol_id)' \
	    "$T/entities.json" >"$T/e" && mv "$T/e" "$T/entities.json"
	mkdir "$T/ubl"
	run pig --ledger "$T/l.sqlite" --issue --format ubl --output-dir \
	    "$T/ubl" "$T/rated.ndjson"
	expect_status 0
	[ "$(wc -l <"$T/r")" -eq 6 ]
	grep -qxF "invoice-gen: customer 'cus_initech', the period starting 2026-09-30T22:00:00Z is not invoiced: peppol_id_missing: --format ubl: the buyer, customer 'cus_initech', has no peppol_id, the electronic address Peppol BIS Billing 3.0 requires (PEPPOL-EN16931-R010): give it one in the customer master" <<<"$output"
	grep -qxF "invoice-gen: customer 'cus_umbrella', the period starting 2026-09-30T15:00:00Z is not invoiced: peppol_id_missing: --format ubl: the seller, entity 'acme-jp', has no peppol_id, the electronic address Peppol BIS Billing 3.0 requires (PEPPOL-EN16931-R020): give it one in the entities file" <<<"$output"
	[ "$(jq -r '[.class, .code] | @tsv' "$T/r" | sort -u)" = "$(printf 'policy_violation\tpeppol_id_missing')" ]
	# nothing issued for them, the others issued and valid
	[ "$(ls "$T/ubl" | wc -l)" -eq 6 ]
	! ls "$T/ubl" | grep -e ACME-EU-2026-000002 -e AJ || false
	"$V" "$T"/ubl/*.xml
}

@test "peppol R010: a stored document whose buyer has no peppol_id is not written as UBL (exit 65)" {
	peppol_config
	peppol_rated
	jq -c 'del(.peppol_id)' "$T/customers.ndjson" >"$T/c" &&
	    mv "$T/c" "$T/customers.ndjson"
	pig --ledger "$T/l.sqlite" --issue "$T/rated.ndjson" >/dev/null
	mkdir "$T/ubl"
	run pig --ledger "$T/l.sqlite" --replay --format ubl --output-dir \
	    "$T/ubl" "$T/rated.ndjson"
	expect_status 65
	grep -qxF "invoice-gen: --format ubl: document ACME-EU-2026-000001: the buyer, customer 'cus_globex', has no peppol_id, the electronic address Peppol BIS Billing 3.0 requires (PEPPOL-EN16931-R010): give it one in the customer master" <<<"$output"
	[ "$(ls "$T/ubl" | wc -l)" -eq 0 ]
}

@test "peppol: a peppol_id in the customer master, NDJSON or CSV, is checked and used" {
	peppol_config
	jq -r '[.id, (.subjects | join("|")), .entity, .currency, .country,
	    .timezone, .name, (.peppol_id // "")] | @csv' \
	    "$T/customers.ndjson" | sed '1i id,subjects,entity,currency,country,timezone,name,peppol_id' \
	    >"$T/customers.csv"
	sed -i 's/"0188:9876543210987"/""/' "$T/customers.csv"
	mkdir "$T/ubl"
	"$BIN/invoice-gen" --entities "$T/entities.json" --tax testdata/tax.json \
	    --customers "$T/customers.csv" --fx testdata/fx.json \
	    --as-of 2026-11-02T12:00:00Z --rejects "$T/r" --ledger "$T/l.sqlite" \
	    --issue --format ubl --output-dir "$T/ubl" \
	    testdata/rate/rated.expected.ndjson
	[ "$(xp "$T/ubl/ACME-EU-2026-000002.xml" '/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID')" = 73282932000074 ]
	[ "$(xp "$T/ubl/ACME-EU-2026-000002.xml" '/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID')" = 0009 ]
	# an empty cell is none: cus_umbrella is refused
	[ "$(jq -r .code "$T/r" | sort -u)" = peppol_id_missing ]
	sed -i 's/0009:73282932000074/73282932000074/' "$T/customers.csv"
	run "$BIN/invoice-gen" --entities "$T/entities.json" --tax testdata/tax.json \
	    --customers "$T/customers.csv" --rejects "$T/r" </dev/null
	expect_status 78
	grep -qxF "invoice-gen: $T/customers.csv:4: peppol_id '73282932000074' is not an electronic address as SCHEME:ID with a 4-digit scheme, like \"0088:5790000435975\"" <<<"$output"
}

@test "peppol BR-CO-26: an invoice out of scope of tax (O) names its seller by its tax registration" {
	peppol_issue
	f=$T/ubl/ACME-US-2026-000002.xml
	[ "$(xp "$f" '/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID')" = O ]
	run "$V" "$f"
	echo "$output"
	expect_status 0
	[ "$(xp "$f" '/*/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID')" = US98-7654321 ]
	[ "$(xp "$f" '/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID')" = TAX ]
}

@test "peppol R111: a fee billed in advance: the invoice period covers its line's" {
	peppol_issue
	f=$T/ubl/ACME-US-2026-000001.xml
	# the platform fee for November, billed with October's usage
	[ "$(xp "$f" '//cac:InvoiceLine[1]/cac:InvoicePeriod/cbc:StartDate')" = 2026-11-01 ]
	[ "$(xp "$f" '//cac:InvoiceLine[1]/cac:InvoicePeriod/cbc:EndDate')" = 2026-11-30 ]
	[ "$(xp "$f" '/*/cac:InvoicePeriod/cbc:StartDate')" = 2026-10-01 ]
	[ "$(xp "$f" '/*/cac:InvoicePeriod/cbc:EndDate')" = 2026-11-30 ]
	run "$V" "$f" "$T/ubl/ACME-US-CN-2026-000001.xml"
	echo "$output"
	expect_status 0
}

@test "peppol BR-CO-09: a tax id without a country prefix is the seller's tax registration, not a VAT id" {
	peppol_issue
	f=$T/ubl/AJ2611-00001.xml
	[ "$(xp "$f" '/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID')" = T1234567890123 ]
	[ "$(xp "$f" '/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID')" = TAX ]
	run "$V" "$f"
	echo "$output"
	expect_status 0
}

@test "peppol: credit notes, of a void and of less usage, are valid" {
	peppol_issue
	run "$V" "$T"/ubl/*CN*.xml
	echo "$output"
	expect_status 0
	[ "${lines[${#lines[@]}-1]}" = "validate: 3 documents, 0 not schema-valid, 0 fatal (in 0 documents), 0 warnings" ]
}

@test "peppol: a currency of three decimals is refused for --format ubl" {
	peppol_config
	jq -c 'select(.customer == "cus_globex") | .currency = "BHD" |
	    .amount = .amount + "0"' testdata/rate/rated.expected.ndjson \
	    >"$T/bhd.ndjson"
	jq -c 'if .id == "cus_globex" then .currency = "BHD" else . end' \
	    "$T/customers.ndjson" >"$T/c" && mv "$T/c" "$T/customers.ndjson"
	mkdir "$T/ubl"
	run pig --ledger "$T/l.sqlite" --issue --format ubl --output-dir \
	    "$T/ubl" "$T/bhd.ndjson"
	expect_status 0
	grep -qxF "invoice-gen: customer 'cus_globex', the period starting 2026-09-30T22:00:00Z is not invoiced: currency_not_peppol: --format ubl: BHD has 3 decimals and Peppol BIS Billing 3.0 allows amounts of 2 at most (EN 16931 BR-DEC rules): no valid UBL can be made of it" <<<"$output"
	[ "$(ls "$T/ubl" | wc -l)" -eq 0 ]
	[ "$(jq -r .code "$T/r" | sort | uniq -c | xargs)" = "7 currency_not_peppol" ]
}

@test "peppol: where to pay, from the entity's bank account, in UBL, HTML and text; its legal registration" {
	peppol_issue
	f=$T/ubl/ACME-EU-2026-000002.xml
	p=/*/cac:PaymentMeans
	[ "$(xp "$f" "$p/cbc:PaymentMeansCode")" = 58 ]
	[ "$(xp "$f" "$p/cbc:PaymentID")" = ACME-EU-2026-000002 ]
	[ "$(xp "$f" "$p/cac:PayeeFinancialAccount/cbc:ID")" = IE29AIBK93115212345678 ]
	[ "$(xp "$f" "$p/cac:PayeeFinancialAccount/cbc:Name")" = "Acme Cloud Europe Ltd" ]
	[ "$(xp "$f" "$p/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")" = AIBKIE2D ]
	[ "$(xp "$f" '/*/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID')" = 634563 ]
	f=$T/ubl/ACME-US-DN-2026-000001.xml
	[ "$(xp "$f" "$p/cbc:PaymentMeansCode")" = 30 ]
	[ "$(xp "$f" "$p/cbc:PaymentID")" = ACME-US-DN-2026-000001 ]
	[ "$(xp "$f" "$p/cac:PayeeFinancialAccount/cbc:ID")" = 000123456789 ]
	[ "$(xp "$f" "$p/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")" = 021000021 ]
	# nothing to pay on a credit note; no account, no payment means
	! grep -l PaymentMeans "$T"/ubl/*CN*.xml "$T"/ubl/AJ*.xml || false
	pig --ledger "$T/l.sqlite" --replay --format text "$T/late.ndjson" >"$T/txt"
	grep -qxF "Pay by bank transfer to IBAN IE29AIBK93115212345678, BIC AIBKIE2D (Acme Cloud Europe Ltd), by 2026-11-17, with the reference ACME-EU-2026-000002" "$T/txt"
	grep -qxF "Pay by bank transfer to account 000123456789, routing number 021000021, by 2026-12-02, with the reference ACME-US-2026-000001" "$T/txt"
	grep -qF "From  Acme Cloud Europe Ltd (acme-eu), tax id IE6388047V, registration 634563" "$T/txt"
	[ "$(grep -c '^Pay by' "$T/txt")" -eq 12 ]
	pig --ledger "$T/l.sqlite" --replay --format html "$T/late.ndjson" >"$T/html"
	grep -qF '<h2>Payment</h2>
<p>By bank transfer to IBAN IE29AIBK93115212345678, BIC AIBKIE2D (Acme Cloud Europe Ltd), by 2026-11-17, with the reference <strong>ACME-EU-2026-000002</strong>.</p>' "$T/html"
	[ "$(grep -c '<h2>Payment</h2>' "$T/html")" -eq 12 ]
	grep -qF '<div>Registration 634563</div>' "$T/html"
}

@test "peppol: a note gives its reason and the number and issue date of the invoice it corrects" {
	peppol_issue
	b=/*/cac:BillingReference/cac:InvoiceDocumentReference
	f=$T/ubl/ACME-US-CN-2026-000001.xml
	[ "$(xp "$f" "$b/cbc:ID")" = ACME-US-2026-000004 ]
	[ "$(xp "$f" "$b/cbc:IssueDate")" = 2026-11-02 ]
	[ "$(xp "$f" '/*/cbc:Note')" = "Invoice voided: everything it billed is credited" ]
	f=$T/ubl/acme-eu-CN-2026-000001.xml
	[ "$(xp "$f" "$b/cbc:ID")" = ACME-EU-2026-000001 ]
	[ "$(xp "$f" '/*/cbc:Note')" = "Correction: the period's usage or charges were revised down after the invoice" ]
	f=$T/ubl/ACME-US-DN-2026-000001.xml
	[ "$(xp "$f" "$b/cbc:IssueDate")" = 2026-11-02 ]
	[ "$(xp "$f" '/*/cbc:Note')" = "Correction: the period's usage or charges were revised up after the invoice (late usage)" ]
	# an invoice has neither
	[ "$(xmllint --xpath 'count(/*/*[local-name()="Note" or local-name()="BillingReference"])' "$T/ubl/ACME-US-2026-000001.xml")" = 0 ]
	pig --ledger "$T/l.sqlite" --replay --format text "$T/late.ndjson" >"$T/txt"
	grep -A1 -xF 'CREDIT NOTE ACME-US-CN-2026-000001' "$T/txt" >"$T/head"
	printf '%s\n' 'CREDIT NOTE ACME-US-CN-2026-000001' \
	    'Corrects invoice ACME-US-2026-000004 of 2026-11-02' | same - "$T/head"
	grep -qxF 'Reason: Invoice voided: everything it billed is credited' "$T/txt"
	pig --ledger "$T/l.sqlite" --replay --format html "$T/late.ndjson" >"$T/html"
	grep -qF '<div class="ref">Corrects invoice ACME-US-2026-000004 of 2026-11-02</div><div class="reason">Invoice voided: everything it billed is credited</div>' "$T/html"
}

@test "peppol: an entity's bank account and legal id are checked" {
	peppol_config
	jq '.entities[0].bank = {"iban": "IE29AIBK93115212345679", "bic": "AIBK"} |
	    .entities[1].bank = {"account": "1", "routing": "021000022"} |
	    .entities[2].bank = {"iban": "IE29AIBK93115212345678", "account": "1"} |
	    .entities[2].legal_id = 7' "$T/entities.json" >"$T/e"
	run "$BIN/invoice-gen" --entities "$T/e" --tax testdata/tax.json \
	    --customers "$T/customers.ndjson" </dev/null
	expect_status 78
	cat >"$T/want" <<EOM
invoice-gen: $T/e: entities[0] ('acme-us').bank: iban 'IE29AIBK93115212345679' is not an IBAN (capitals and digits, no spaces, its check digits right)
invoice-gen: $T/e: entities[0] ('acme-us').bank: bic 'AIBK' is not a BIC (8 or 11 capitals and digits)
invoice-gen: $T/e: entities[1] ('acme-eu').bank: routing '021000022' is not a routing number (9 digits, its check digit right)
invoice-gen: $T/e: entities[2] ('acme-jp'): legal_id must be a non-empty string of at most 64 bytes
invoice-gen: $T/e: entities[2] ('acme-jp').bank: bank needs an iban or an account, not both
EOM
	grep -F "$T/e: entities[" <<<"$output" | same "$T/want" -
}

@test "peppol: the buyer's address from a CSV customer master (address.* columns)" {
	peppol_config
	jq -r '[.id, (.subjects | join("|")), .entity, .currency, .country,
	    .timezone, .name, .peppol_id,
	    (if .id == "cus_initech" then "12 rue de la Paix", "", "Paris", "75002"
	    else "", "", "", "" end)] | @csv' "$T/customers.ndjson" |
	    sed '1i id,subjects,entity,currency,country,timezone,name,peppol_id,address.line1,address.line2,address.city,address.postal_code' \
	    >"$T/customers.csv"
	mkdir "$T/ubl"
	"$BIN/invoice-gen" --entities "$T/entities.json" --tax testdata/tax.json \
	    --customers "$T/customers.csv" --fx testdata/fx.json \
	    --as-of 2026-11-02T12:00:00Z --rejects "$T/r" --ledger "$T/l.sqlite" \
	    --issue --format ubl --output-dir "$T/ubl" \
	    testdata/rate/rated.expected.ndjson >/dev/null
	a=/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress
	f=$T/ubl/ACME-EU-2026-000002.xml
	[ "$(xp "$f" "$a/cbc:StreetName")" = "12 rue de la Paix" ]
	[ "$(xp "$f" "$a/cbc:CityName")" = Paris ]
	[ "$(xp "$f" "$a/cbc:PostalZone")" = 75002 ]
	[ "$(xmllint --xpath "count($(printf '%s' "$a" | sed -E 's/(cac|cbc):([A-Za-z]+)/*[local-name()="\2"]/g')/*[local-name()='AdditionalStreetName'])" "$f")" = 0 ]
	# empty cells: no address, the country alone
	f=$T/ubl/ACME-US-2026-000001.xml
	[ "$(xp "$f" "$a/cbc:StreetName")" = "" ]
	[ "$(xp "$f" "$a/cac:Country/cbc:IdentificationCode")" = US ]
	"$V" "$T"/ubl/*.xml
}
