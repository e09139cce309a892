#!/usr/bin/env bats
# Progressive billing (issue 21): a spending threshold of the catalog
# with "invoice": true has the period to date invoiced when a customer's
# spending crosses it, by the hourly job (rate --preview | invoice-gen
# --interim --issue); the final invoice of the period bills it whole and
# deducts what the interim invoices billed, so that the period's
# invoices add up to what a single invoice bills, tax included, to the
# cent.  Each threshold invoices once per period, however often the
# hour's job runs or is killed.
#
# Semantics mirrored, see invoice-gen(1) PROGRESSIVE BILLING:
#   Lago, https://getlago.com/docs/guide/plans/progressive-billing (an
#   invoice when usage reaches each threshold, once); lago-api
#   app/services/credits/progressive_billing_service.rb (the final
#   invoice's progressive_billing_credit, before_taxes: true, an
#   allowance on the fees); Stripe's subscription billing_thresholds
#   (amount_gte: an invoice for what accrued when the amount is reached).
# Peppol BIS Billing 3.0 / EN 16931: the deduction is a document-level
# allowance in each tax category (BG-20), the interim invoices preceding
# invoice references (BG-3); BR-CO-17 holds within its 1.00 tolerance.

load lib

V=tests/peppol/validate

# pb_config: entities and customers with Peppol ids (as in 1335), and a
# catalog $T/c: cus_initech (FR, TVA 20 %, e-books 5.5 %) pays 0.01 EUR a
# call and a page, with thresholds at 100.00 and 300.00 that invoice and
# one at 50.00 that only alerts
pb_config() {
	jq '.entities |= map(.peppol_id = ({"acme-us": "0060:123456789",
	    "acme-eu": "9935:IE6388047V", "acme-jp": "0188:1234567890123"}[.id]))' \
	    testdata/entities.json >"$T/entities.json"
	jq -c '.peppol_id //= ({"cus_acme": "0060:987654321",
	    "cus_initech": "0009:73282932000074",
	    "cus_umbrella": "0188:9876543210987"}[.id])' \
	    testdata/customers.ndjson >"$T/customers.ndjson"
	cat >"$T/c" <<'EOF'
{"plans":[{"id":"p","version":1,"currency":"EUR","charges":[
 {"id":"api","meter":"m","model":"unit","unit_amount":"0.01","name":"API calls"},
 {"id":"books","meter":"e","model":"unit","unit_amount":"0.01","tax_code":"ebook","name":"E-book pages"}]}],
 "contracts":[{"customer":"cus_initech","plan":"p","start":"2026-01-01T00:00:00Z",
  "thresholds":[{"amount":"100.00","invoice":true},{"amount":"300.00","invoice":true},{"amount":"50.00"}]}]}
EOF
}

# todate API BOOKS: October's aggregates to date, in $T/a
todate() {
	{
		aggr 1 cus_initech m "$1" '{}' 2026-10-01T00:00:00Z 2026-11-01T00:00:00Z
		aggr 2 cus_initech e "$2" '{}' 2026-10-01T00:00:00Z 2026-11-01T00:00:00Z
	} >"$T/a"
}

# pig AS_OF ARGS...: invoice-gen with those, the ledger $T/l
pig() {
	local at=$1
	shift
	"$BIN/invoice-gen" --entities "$T/entities.json" --tax testdata/tax.json \
	    --customers "$T/customers.ndjson" --ledger "${L:-$T/l}" \
	    --rejects "$T/r" --as-of "$at" "$@"
}

# hourly AS_OF: the hour's job on $T/a: rate --preview, then invoice-gen
# --interim --issue (the preview in $T/p, the documents in $T/docs)
hourly() {
	"$BIN/rate" --catalog "$T/c" --ledger "$T/l" --rejects "$T/r" \
	    --preview --as-of "$1" <"$T/a" >"$T/p" 2>/dev/null &&
	pig "$1" --interim --issue "$T/p" >"$T/docs"
}

# monthend: the month-end on $T/a: rate, invoice-gen --issue (the rated
# lines in $T/f, the documents in $T/docs)
monthend() {
	"$BIN/rate" --catalog "$T/c" --ledger "$T/l" --rejects "$T/r" \
	    --as-of 2026-11-02T00:00:00Z <"$T/a" >"$T/f" 2>/dev/null &&
	pig 2026-11-02T12:00:00Z --issue "$T/f" >"$T/docs"
}

# ndocs: the documents in the ledger
ndocs() {
	sqlite3 "$T/l" 'SELECT count(*) FROM doc'
}

# the month of the tests: 60.00 on the 5th (an alert only), 110.04 on the
# 10th (the first threshold), 320.08 on the 20th (the second), 390.14 in
# the end; the period's documents in $T/all (--replay)
month() {
	pb_config
	todate 5000 1000 && hourly 2026-10-05T00:00:00Z &&
	todate 10003 1001 && hourly 2026-10-10T00:00:00Z &&
	todate 25007 7001 && hourly 2026-10-20T00:00:00Z &&
	todate 30011 9003 && monthend &&
	pig 2026-11-02T12:00:00Z --replay "$T/f" >"$T/all" 2>/dev/null
}

@test "progressive: a threshold crossed mid-period issues one interim invoice of the period to date; the hour's job again issues none" {
	pb_config
	# under every threshold that invoices: the 50.00 alert, no document
	todate 5000 1000
	run hourly 2026-10-05T00:00:00Z
	expect_status 0
	[ "$output" = "invoice-gen: read 3, invoiced 0, duplicates 0, skipped 3, rejected 0; issued 0 invoices, 0 credit notes, 0 debit notes" ]
	has '.kind == "alert"' '.threshold == "amount:50" and (has("invoice") | not)' "$T/p"
	[ ! -s "$T/docs" ]
	# 110.04: the 100.00 threshold, one interim invoice of both lines
	todate 10003 1001
	run hourly 2026-10-10T00:00:00Z
	expect_status 0
	[ "$output" = "invoice-gen: read 3, invoiced 2, duplicates 0, skipped 1, rejected 0; issued 1 invoice, 0 credit notes, 0 debit notes" ]
	has '.kind == "alert"' '.threshold == "amount:100" and .invoice == true and .preview == true' "$T/p"
	[ "$(jq -c '[.kind, .number, .version, .interim, .net, .tax, .total, .amount_due, .issue_date, (.lines | map([.line_type, .charge, .net]))]' "$T/docs")" = '["invoice","ACME-EU-2026-000001",0,true,"110.04","20.56","130.60","130.60","2026-10-10",[["usage","api","100.03"],["usage","books","10.01"]]]' ]
	[ "$(sqlite3 "$T/l" 'SELECT state, version, number FROM invoice')" = "interim|0|ACME-EU-2026-000001" ]
	# the hour after, and the one after with more usage under 300.00:
	# no alert is written again, no document issued
	for at in 2026-10-10T01:00:00Z 2026-10-10T02:00:00Z; do
		run hourly "$at"
		expect_status 0
		[ "$output" = "invoice-gen: read 2, invoiced 0, duplicates 0, skipped 2, rejected 0; issued 0 invoices, 0 credit notes, 0 debit notes" ]
		todate 20003 5001
	done
	[ "$(ndocs)" -eq 1 ]
	# the same preview given again (its alert included): a duplicate
	todate 10003 1001
	"$BIN/rate" --catalog "$T/c" --rejects "$T/r" --preview \
	    --as-of 2026-10-10T00:00:00Z <"$T/a" >"$T/p" 2>/dev/null
	run pig 2026-10-10T00:00:00Z --interim --issue "$T/p"
	expect_status 0
	[ "$output" = "invoice-gen: read 4, invoiced 0, duplicates 2, skipped 2, rejected 0; issued 0 invoices, 0 credit notes, 0 debit notes" ]
	[ "$(ndocs)" -eq 1 ]
}

@test "progressive: a second threshold issues a second interim invoice that deducts the first; two crossed in one hour issue one" {
	pb_config
	todate 10003 1001 && hourly 2026-10-10T00:00:00Z
	todate 25007 7001
	run hourly 2026-10-20T00:00:00Z
	expect_status 0
	[ "$(jq -c '[.number, .version, .interim, .interim_invoices, .net, .progressive_billing_credit, .total, (.lines | map([.line_type, .charge, .quantity, .net])), (.tax_lines | map([.rate, .base, .tax]))]' "$T/docs")" = '["ACME-EU-2026-000002",1,true,["ACME-EU-2026-000001"],"210.04","-110.04","243.34",[["usage","api","25007","250.07"],["usage","books","7001","70.01"],["progressive_billing_credit","api","-10003","-100.03"],["progressive_billing_credit","books","-1001","-10.01"]],[["20","150.04","30.00"],["5.5","60.00","3.30"]]]' ]
	run hourly 2026-10-20T01:00:00Z
	[ "$(ndocs)" -eq 2 ]
	# another ledger: 0 to 320.08 in one hour crosses both at once
	rm -f "$T"/l*
	run hourly 2026-10-20T00:00:00Z
	expect_status 0
	[ "$(jq -s -c 'map([.number, .interim, .total])' "$T/docs")" = '[["ACME-EU-2026-000001",true,"373.94"]]' ]
	[ "$(jq -s -c '[.[] | select(.kind == "alert") | .threshold]' "$T/p")" = '["amount:100","amount:300","amount:50"]' ]
	run hourly 2026-10-20T01:00:00Z
	[ "$output" = "invoice-gen: read 2, invoiced 0, duplicates 0, skipped 2, rejected 0; issued 0 invoices, 0 credit notes, 0 debit notes" ]
	[ "$(ndocs)" -eq 1 ]
}

@test "progressive: the final invoice bills the period and deducts the interim ones; the period's invoices sum to a single invoice's total, tax included, to the cent" {
	month
	[ "$(jq -s -c 'map([.number, .version, .interim, .interim_invoices, .net, .tax, .total, .amount_due])' "$T/all")" = '[["ACME-EU-2026-000001",0,true,null,"110.04","20.56","130.60","130.60"],["ACME-EU-2026-000002",1,true,["ACME-EU-2026-000001"],"210.04","33.30","243.34","243.34"],["ACME-EU-2026-000003",2,null,["ACME-EU-2026-000001","ACME-EU-2026-000002"],"70.06","11.11","81.17","81.17"]]' ]
	# the final: every line whole, what the interim invoices billed off
	[ "$(jq -c 'select(.number == "ACME-EU-2026-000003") | [.progressive_billing_credit, (.lines | map([.line_type, .charge, .net])), (.tax_lines | map([.rate, .base, .tax]))]' "$T/all")" = '["-320.08",[["usage","api","300.11"],["usage","books","90.03"],["progressive_billing_credit","api","-250.07"],["progressive_billing_credit","books","-70.01"]],[["20","50.04","10.01"],["5.5","20.02","1.10"]]]' ]
	[ "$(sqlite3 "$T/l" 'SELECT state, version, number FROM invoice')" = "issued|2|ACME-EU-2026-000003" ]
	# a single invoice of the same rated lines, in a ledger of its own
	L=$T/single pig 2026-11-02T12:00:00Z --issue "$T/f" >"$T/one" 2>/dev/null
	[ "$(jq -c '[.net, .tax, .total, (.tax_lines | map([.rate, .base, .tax]))]' "$T/one")" = '["390.14","64.97","455.11",[["20","300.11","60.02"],["5.5","90.03","4.95"]]]' ]
	# the sums, per category too, to the cent
	for k in net tax total amount_due; do
		[ "$(jq -s -r --arg k "$k" 'map(.[$k] | tonumber * 100 | round) | add' "$T/all")" = \
		    "$(jq -r --arg k "$k" '.[$k] | tonumber * 100 | round' "$T/one")" ]
	done
	for r in 20 5.5; do
		[ "$(jq -s -r --arg r "$r" '[.[].tax_lines[] | select(.rate == $r) | .tax | tonumber * 100 | round] | add' "$T/all")" = \
		    "$(jq -r --arg r "$r" '.tax_lines[] | select(.rate == $r) | .tax | tonumber * 100 | round' "$T/one")" ]
	done
	# tax rounded per document would not: 20 % of the second interim
	# invoice's 150.04 is 30.008, 30.01; it charges 30.00 (60.02 less
	# the 20.01 and 30.01 of the period to date, rounded once each)
	[ "$(jq -r 'select(.number == "ACME-EU-2026-000002") | .tax_lines[] | select(.rate == "20") | .tax' "$T/all")" = "30.00" ]
	# the rated lines' documents add up to their amounts
	[ "$(jq -s -c '[.[].lines[] | select(.charge == "api") | .net | tonumber * 100 | round] | add' "$T/all")" = 30011 ]
	# the documents say what they are, in text and HTML
	pig 2026-11-02T12:00:00Z --replay --format text "$T/f" >"$T/txt" 2>/dev/null
	grep -qxF 'Reason: Interim invoice (progressive billing): the period'"'"'s charges to date, on reaching a spending threshold; earlier interim invoices of the period are deducted' "$T/txt"
	grep -qxF 'Reason: Final invoice of the period (progressive billing): the whole period, less what its interim invoices billed' "$T/txt"
	[ "$(grep -c '^      billed on interim invoices, deducted$' "$T/txt")" -eq 4 ]
	pig 2026-11-02T12:00:00Z --replay --format html "$T/f" 2>/dev/null |
	    grep -c '<div class="sub">billed on interim invoices, deducted</div>' |
	    grep -qx 4
	# late usage after the final: a debit note of the difference, as for
	# any invoice, referencing the final invoice
	todate 30111 9003 && monthend
	[ "$(jq -c '[.kind, .references, .net, .tax, .total]' "$T/docs")" = '["debit_note","ACME-EU-2026-000003","1.00","0.20","1.20"]' ]
}

@test "progressive: a period that never crosses a threshold that invoices is invoiced as without progressive billing, byte for byte" {
	pb_config
	todate 3000 1000 && hourly 2026-10-05T00:00:00Z && monthend
	[ "$(ndocs)" -eq 1 ]
	cp "$T/docs" "$T/with"
	# the same month, no threshold that invoices, no hourly job
	rm -f "$T"/l*
	jq '.contracts[0].thresholds |= map(del(.invoice))' "$T/c" >"$T/c2" &&
	    mv "$T/c2" "$T/c"
	monthend
	same "$T/with" "$T/docs"
	has true '(has("interim") or has("interim_invoices") or has("progressive_billing_credit")) | not' "$T/docs"
}

@test "progressive: interim and final invoices are valid Peppol BIS Billing 3.0, the deduction an allowance per category with the interim invoices referenced" {
	command -v xmllint >/dev/null && command -v java >/dev/null ||
	    skip "xmllint or java not installed (scripts/deps installs them)"
	month
	mkdir "$T/ubl"
	pig 2026-11-02T12:00:00Z --replay --format ubl --output-dir "$T/ubl" \
	    "$T/f" >"$T/names" 2>/dev/null
	[ "$(wc -l <"$T/names")" -eq 3 ]
	run "$V" "$T"/ubl/*.xml
	echo "$output"
	expect_status 0
	[ "${lines[${#lines[@]}-1]}" = "validate: 3 documents, 0 not schema-valid, 0 fatal (in 0 documents), 0 warnings" ]
	f=$T/ubl/ACME-EU-2026-000003.xml
	[ "$(grep -c '<cbc:InvoiceTypeCode>380<' "$T"/ubl/*.xml | grep -c ':1$')" -eq 3 ]
	[ "$(grep -c '<cac:BillingReference>' "$f")" -eq 2 ]
	grep -q '<cbc:AllowanceChargeReason>Billed on interim invoices: API calls<' "$f"
	grep -q '<cbc:AllowanceTotalAmount currencyID="EUR">320.08<' "$f"
	grep -q '<cbc:PayableAmount currencyID="EUR">81.17<' "$f"
	grep -q '<cbc:Note>Interim invoice (progressive billing)' "$T/ubl/ACME-EU-2026-000001.xml"
}

@test "progressive: erp-post posts interim and final invoices once, the journal strict in hledger, ledger and beancount; reconcile finds nothing" {
	month
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$T/l" \
	    --rejects "$T/r" --as-of 2026-11-03T00:00:00Z "$T/all" >"$T/j" 2>"$T/err"
	[ "$(jq -s -c '[.[] | .document.number] | unique' "$T/j")" = '["ACME-EU-2026-000001","ACME-EU-2026-000002","ACME-EU-2026-000003"]' ]
	for fmt in hledger beancount; do
		"$BIN/erp-post" --replay --accounts testdata/accounts.json \
		    --ledger "$T/l" --rejects /dev/null --format "$fmt" "$T/all" \
		    >"$T/journal.$fmt" 2>/dev/null
		strict_journal "$T/journal.$fmt" "$fmt"
	done
	# each invoice is its own receivable: a payment of the first
	# interim invoice's 130.60 pays it
	printf '{"invoice":"ACME-EU-2026-000001","amount":"130.60","currency":"EUR","date":"2026-10-20","reference":"PAY-1"}\n' >"$T/pay"
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$T/l" \
	    --rejects "$T/r" --as-of 2026-11-03T00:00:00Z --payments "$T/pay" \
	    >/dev/null 2>&1
	[ "$(sqlite3 "$T/l" "SELECT status FROM receivable WHERE number = 'ACME-EU-2026-000001'")" = paid ]
	"$BIN/erp-post" --replay --accounts testdata/accounts.json \
	    --ledger "$T/l" --rejects /dev/null "$T/all" >"$T/journal" 2>/dev/null
	run "$BIN/reconcile" --ledger "$T/l" --rated "$T/f" --invoices "$T/all" \
	    --journal "$T/journal" --accounts testdata/accounts.json \
	    --as-of 2026-11-03T00:00:00Z --format text
	echo "$output"
	expect_status 0
}

@test "progressive: --interim takes previews only; without it a preview is refused as before; an interim invoice is not voided alone" {
	pb_config
	todate 10003 1001
	"$BIN/rate" --catalog "$T/c" --rejects "$T/r" --as-of 2026-11-02T00:00:00Z \
	    <"$T/a" >"$T/f" 2>/dev/null
	run pig 2026-11-02T12:00:00Z --interim --issue "$T/f"
	expect_status 0
	[ "$(jq -r '.code' "$T/r" | sort -u)" = not_preview ]
	rm -f "$T/r"
	hourly 2026-10-10T00:00:00Z
	run pig 2026-10-10T00:00:00Z --issue "$T/p"
	expect_status 0
	[ "$(jq -r '.code' "$T/r" | sort -u)" = preview_line ]
	run pig 2026-10-10T00:00:00Z --void ACME-EU-2026-000001
	expect_status 65
	[ "$output" = "invoice-gen: --void ACME-EU-2026-000001: it is an interim invoice, which the period's next invoice deducts: void the period's final invoice once it is issued" ]
	run pig 2026-10-10T00:00:00Z --interim --replay "$T/p"
	expect_status 64
}

@test "progressive: kill -9 between rate and invoice-gen, or at any write or sync of invoice-gen, and the next hour's job issues the interim invoice once" {
	SO=${UNITBIN:-$BATS_TEST_DIRNAME/../build/rel/tests}/../fault.so
	[ -f "$SO" ] || skip "no fault shim (make builds build/rel/fault.so)"
	pb_config
	todate 10003 1001
	# killed between the two: rate wrote its preview, invoice-gen never
	# ran; the alert is not claimed, so the next hour's job invoices
	"$BIN/rate" --catalog "$T/c" --ledger "$T/l" --rejects "$T/r" \
	    --preview --as-of 2026-10-10T00:00:00Z <"$T/a" >/dev/null 2>&1
	hourly 2026-10-10T01:00:00Z
	[ "$(ndocs)" -eq 1 ]
	hourly 2026-10-10T02:00:00Z
	[ "$(ndocs)" -eq 1 ]
	# invoice-gen killed at each of its write and sync calls in turn
	rm -f "$T"/l*
	"$BIN/rate" --catalog "$T/c" --ledger "$T/l" --rejects "$T/r" \
	    --preview --as-of 2026-10-10T00:00:00Z <"$T/a" >"$T/p0" 2>/dev/null
	sqlite3 "$T/l" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	cp "$T/l" "$T/l0"
	rm -f "$T"/l "$T"/l-*
	cp "$T/l0" "$T/l"
	env FAULT_LOG="$T/calls" LD_PRELOAD="$SO" \
	    ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$BIN/invoice-gen" --entities "$T/entities.json" --tax testdata/tax.json \
	    --customers "$T/customers.ndjson" --ledger "$T/l" --rejects "$T/r" \
	    --as-of 2026-10-10T00:00:00Z --interim --issue "$T/p0" >"$T/out" 2>"$T/err"
	n=$(wc -l <"$T/calls")
	[ "$n" -gt 5 ]
	for k in $(seq 1 "$n"); do
		rm -f "$T"/l "$T"/l-*
		cp "$T/l0" "$T/l"
		rm -f "$T/r"
		st=0
		env FAULT_AT="$k" FAULT_ACTION=kill LD_PRELOAD="$SO" \
		    ASAN_OPTIONS=verify_asan_link_order=0 \
		    "$BIN/invoice-gen" --entities "$T/entities.json" \
		    --tax testdata/tax.json --customers "$T/customers.ndjson" \
		    --ledger "$T/l" --rejects "$T/r" --as-of 2026-10-10T00:00:00Z \
		    --interim --issue "$T/p0" >"$T/out" 2>"$T/err" || st=$?
		[ "$st" -eq 137 ] || { echo "call $k: exit $st"; false; }
		[ "$(sqlite3 "$T/l" 'PRAGMA integrity_check')" = ok ]
		hourly 2026-10-10T01:00:00Z
		hourly 2026-10-10T02:00:00Z
		[ "$(ndocs)" -eq 1 ] || { echo "call $k: $(ndocs) documents"; false; }
		[ "$(sqlite3 "$T/l" "SELECT number, version FROM doc")" = "ACME-EU-2026-000001|0" ]
		[ "$(sqlite3 "$T/l" "SELECT next FROM doc_seq")" = 2 ]
	done
}

# cron RE NOW: scripts/crontab.example's line whose schedule RE matches,
# word for word as cron runs it (its \% unescaped) in
# $T/u, with a date(1) whose now is NOW
cron() {
	local cmd
	cmd=$(grep "^$1" scripts/crontab.example | sed "s/^$1 *//; s/\\\\%/%/g")
	[ -n "$cmd" ]
	mkdir -p "$T/shim"
	cat >"$T/shim/date" <<-EOF2
	#!/bin/sh
	# date -u -d WHEN +FORMAT (WHEN 'last month': a month before NOW),
	# or date -u +FORMAT (NOW)
	if [ "\$2" = -d ]; then
		w=\$3
		[ "\$w" = "last month" ] && w="$2 -1 month"
		exec $(command -v date) -u -d "\$w" "\$4"
	fi
	exec $(command -v date) -u -d $2 "\$2"
	EOF2
	printf '#!/bin/sh\necho "$*" >>%s\n' "$T/logged" >"$T/shim/logger"
	chmod +x "$T/shim/date" "$T/shim/logger"
	U2C=$T/u PATH="$T/shim:$BIN:$PATH" sh -c "$cmd"
}

cron_interim() {
	cron '15  *\*  *\*  *\*  *\*' "$1"
}

@test "progressive: the crontab's hourly line, word for word, issues and posts the interim invoice once; the month-end deducts it" {
	pb_config
	mkdir -p "$T/u/outbox"
	cp "$T/entities.json" "$T/customers.ndjson" testdata/accounts.json "$T/u/"
	cp testdata/tax.json "$T/u/tax.json"
	cp "$T/c" "$T/u/catalog.json"
	printf '{"meters":[{"name":"m","event_type":"api.request","aggregation":"sum","field":"n"},{"name":"e","event_type":"book.page","aggregation":"sum","field":"n"}]}\n' >"$T/u/meters.json"
	for i in 1 2 3; do
		printf '{"specversion":"1.0","id":"a%s","source":"t","type":"api.request","subject":"initech","time":"2026-10-0%sT00:00:00Z","data":{"n":4001}}\n' "$i" "$i"
	done >"$T/ev"
	printf '{"specversion":"1.0","id":"b1","source":"t","type":"book.page","subject":"initech","time":"2026-10-02T00:00:00Z","data":{"n":77}}\n' >>"$T/ev"
	"$BIN/meter-ingest" --customers "$T/u/customers.ndjson" \
	    --ledger "$T/u/ledger.sqlite" --as-of 2026-10-09T00:00:00Z \
	    --rejects "$T/ir" "$T/ev" >/dev/null 2>&1
	# 120.03 + 0.77 to date: the 100.00 threshold
	cron_interim 2026-10-09T00:15:00Z
	[ ! -e "$T/logged" ]
	[ "$(sqlite3 "$T/u/ledger.sqlite" 'SELECT number, version FROM doc')" = "ACME-EU-2026-000001|0" ]
	[ "$(jq -c '[.document.number, .total_debit]' "$T/u"/outbox/interim-202610.ndjson)" = '["ACME-EU-2026-000001","144.85"]' ]
	# the next hours: nothing more issued, nothing more posted
	cron_interim 2026-10-09T01:15:00Z
	cron_interim 2026-10-09T02:15:00Z
	[ "$(sqlite3 "$T/u/ledger.sqlite" 'SELECT count(*) FROM doc')" = 1 ]
	[ "$(wc -l <"$T/u"/outbox/interim-202610.ndjson)" -eq 1 ]
	[ ! -e "$T/logged" ]
	# the month-end line: the final invoice deducts the interim one
	cron '0  *2  *2  *\*  *\*' 2026-11-02T02:00:00Z
	[ ! -e "$T/logged" ]
	[ "$(jq -c '[.number, .interim, .interim_invoices, .progressive_billing_credit, .amount_due]' "$T/u/run/2026-10/documents.ndjson")" = '["ACME-EU-2026-000001",true,null,null,"144.85"]
["ACME-EU-2026-000002",null,["ACME-EU-2026-000001"],"-120.80","0.00"]' ]
}
