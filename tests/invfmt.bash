# tests/invfmt.bash: what the rendering tests of invoice-gen's documents
# (1320 HTML and PDF, 1330 UBL) share; loaded after lib.
#   igen ARGS...  invoice-gen on the sample entities, tax table and FX
#                 rates at a fixed as-of, rejects in $T/r; the customers
#                 are $T/customers when a test wrote one, the entities
#                 $T/entities
#   peppol_ids    $T/entities and $T/customers: the samples (or
#                 $T/customers) with a Peppol id for every entity and
#                 customer, as --format ubl needs
#   issue_notes   into the ledger $T/l.sqlite: the 4 sample invoices and
#                 a debit note for late usage of cus_acme, their records
#                 in $T/docs.ndjson; in $T/late.ndjson the input with the
#                 late usage, whose --replay gives every document
#   issue_all     issue_notes, then the credit note voiding
#                 ACME-US-2026-000001: 6 records in $T/docs.ndjson

igen() {
	local cu=testdata/customers.ndjson en=testdata/entities.json

	[ -f "$T/customers" ] && cu=$T/customers
	[ -f "$T/entities" ] && en=$T/entities
	"$BIN/invoice-gen" --entities "$en" \
	    --tax testdata/tax.json --customers "$cu" --fx testdata/fx.json \
	    --as-of 2026-11-02T12:00:00Z --rejects "$T/r" "$@"
}

issue_notes() {
	sed 's/"amount":"3.51"/"amount":"4.51"/' \
	    testdata/rate/rated.expected.ndjson >"$T/late.ndjson" &&
	igen --ledger "$T/l.sqlite" --issue \
	    testdata/rate/rated.expected.ndjson >"$T/docs.ndjson" &&
	igen --ledger "$T/l.sqlite" --issue "$T/late.ndjson" \
	    >>"$T/docs.ndjson"
}

issue_all() {
	issue_notes &&
	igen --ledger "$T/l.sqlite" --void ACME-US-2026-000001 \
	    >>"$T/docs.ndjson" &&
	[ "$(jq -r .kind "$T/docs.ndjson" | sort | uniq -c | xargs)" = \
	    "1 credit_note 1 debit_note 4 invoice" ]
}

# odd_customers: $T/customers, cus_globex named and addressed in markup
odd_customers() {
	jq -c --arg n "Globex <b>&\"Co'" --arg l "<script>x</script> 43" \
	    'if .id == "cus_globex" then .name = $n | .address.line2 = $l
	    else . end' testdata/customers.ndjson >"$T/customers"
}

peppol_ids() {
	local cu=testdata/customers.ndjson

	[ -f "$T/customers" ] && cu=$T/customers
	jq '.entities |= map(.peppol_id //= ({"acme-us": "0060:123456789",
	    "acme-jp": "0188:1234567890123"}[.id]))' \
	    testdata/entities.json >"$T/entities" &&
	jq -c '.peppol_id //= ({"cus_acme": "0060:987654321",
	    "cus_initech": "0009:73282932000074",
	    "cus_umbrella": "0188:9876543210987"}[.id])' "$cu" >"$T/c" &&
	mv "$T/c" "$T/customers"
}
