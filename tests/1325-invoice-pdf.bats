#!/usr/bin/env bats
# PDF (scripts/invoice-pdf, headless Chromium): an issued invoice printed
# from invoice-gen's --format html keeps, as text a reader can copy, what
# paying it takes: the number, the total, the payment reference (the
# number, in the payment block) and the account (IBAN).

load lib
load invfmt

@test "pdf: an invoice printed to PDF has its number, total, payment reference and IBAN" {
	if ! command -v chromium >/dev/null 2>&1; then
		skip "chromium is not installed (Debian package chromium; sh scripts/deps as root installs it)"
	fi
	jq '.entities |= map(if .id == "acme-eu" then
	    .bank = {"iban": "IE29AIBK93115212345678", "bic": "AIBKIE2D",
	    "name": "Acme Cloud Europe Ltd"} else . end)' \
	    testdata/entities.json >"$T/entities"
	igen --ledger "$T/l.sqlite" --issue testdata/rate/rated.expected.ndjson \
	    >"$T/docs.ndjson"
	n=$(jq -r 'select(.number | startswith("ACME-EU")) | .number' \
	    "$T/docs.ndjson" | head -1)
	[ "$n" = ACME-EU-2026-000001 ]
	mkdir "$T/d"
	igen --ledger "$T/l.sqlite" --replay --format html --output-dir "$T/d" \
	    testdata/rate/rated.expected.ndjson >/dev/null
	INVOICE_PDF_TIMEOUT=90 scripts/invoice-pdf "$T/d/$n.html" "$T/inv.pdf"
	pdftotext -layout "$T/inv.pdf" "$T/inv.txt"
	# one line of text for each sentence: the layout may break lines
	tr -s ' \n' '  ' <"$T/inv.txt" >"$T/flat.txt"
	grep -qE ' INVOICE$' "$T/inv.txt"
	grep -qE " $n\$" "$T/inv.txt"	# the number, under the title
	for s in 'Total 83.51 EUR' \
	    'IBAN IE29AIBK93115212345678, BIC AIBKIE2D' \
	    "with the reference $n."; do
		grep -qF -- "$s" "$T/flat.txt" ||
		    { echo "no '$s' in the PDF:" >&2; cat "$T/inv.txt" >&2; false; }
	done
}
