#!/usr/bin/env bats
# invoice-gen --format html: one self-contained page (no script, nothing
# fetched), every name escaped; and what a reader sees once headless
# Chromium has printed it (scripts/invoice-pdf): numbers, parties,
# totals with their currency, the legal notes, each document on pages of
# its own.

load lib
load invfmt

# no_fetch FILE: nothing in FILE runs or loads anything
no_fetch() {
	if grep -Eion '<script|<link|<img|<iframe|<object|<embed|@import|url\(|(src|href|srcset|action)=|https?:|//' "$1"; then
		echo "'$1' runs or fetches something" >&2
		return 1
	fi
}

@test "html: a self-contained page, an article a document, printed on A4" {
	issue_all
	igen --ledger "$T/l.sqlite" --replay --format html "$T/late.ndjson" \
	    >"$T/issued.html"
	igen --format html testdata/rate/rated.expected.ndjson >"$T/drafts.html"
	for f in "$T/issued.html" "$T/drafts.html"; do
		no_fetch "$f"
		head -1 "$f" | grep -qx '<!DOCTYPE html>'
		tail -1 "$f" | grep -qx '</body></html>'
		grep -q '<meta charset="utf-8">' "$f"
		grep -q '@page { size: A4;' "$f"
		grep -q 'break-after: page; page-break-after: always;' "$f"
	done
	[ "$(grep -c '^<article' "$T/issued.html")" -eq 6 ]
	[ "$(grep -c '^<article class="doc draft"' "$T/drafts.html")" -eq 4 ]
	grep -q '<h1>DRAFT INVOICE</h1>' "$T/drafts.html"
	grep -q '<h1>CREDIT NOTE</h1>' "$T/issued.html"
	grep -q '<h1>DEBIT NOTE</h1>' "$T/issued.html"
	grep -q 'Corrects invoice ACME-US-2026-000001' "$T/issued.html"
	# --output-dir: a whole page a document
	mkdir "$T/d"
	igen --ledger "$T/l.sqlite" --replay --format html --output-dir "$T/d" \
	    "$T/late.ndjson" >"$T/names"
	[ "$(wc -l <"$T/names")" -eq 6 ]
	for f in $(cat "$T/names"); do
		no_fetch "$f"
		[ "$(grep -c '^<article' "$f")" -eq 1 ]
		tail -1 "$f" | grep -qx '</body></html>'
	done
	grep -q '<title>AJ2611-00001</title>' "$T/d/AJ2611-00001.html"
}

@test "html: names in markup are escaped, UTF-8 kept as it is" {
	odd_customers
	igen --format html testdata/rate/rated.expected.ndjson >"$T/p.html"
	grep -qF 'Globex &lt;b&gt;&amp;&quot;Co&#39;' "$T/p.html"
	grep -qF '&lt;script&gt;x&lt;/script&gt; 43' "$T/p.html"
	! grep -qF '<b>' "$T/p.html" || false
	! grep -qF '<script' "$T/p.html" || false
	grep -qF 'Reverse charge: the customer accounts' "$T/p.html"
	grep -qF '消費税 10%' "$T/p.html"
	issue_all
	igen --ledger "$T/l.sqlite" --replay --format html "$T/late.ndjson" \
	    >"$T/q.html"
	grep -qF 'Globex &lt;b&gt;&amp;&quot;Co&#39;' "$T/q.html"
	grep -qF 'Friedrichstraße 43' "$T/q.html"
}

@test "invoice-pdf: usage and a missing input" {
	run scripts/invoice-pdf
	expect_status 64
	[ "${lines[0]}" = "usage: invoice-pdf in.html out.pdf" ]
	run scripts/invoice-pdf "$T/none.html" "$T/none.pdf"
	expect_status 66
	[ "$output" = "invoice-pdf: cannot read '$T/none.html'" ]
	[ ! -e "$T/none.pdf" ]
}

@test "pdf: headless Chromium prints what a reader needs, a document a page" {
	if ! command -v chromium >/dev/null 2>&1; then
		skip "chromium is not installed (Debian package chromium; sh scripts/deps as root installs it)"
	fi
	issue_all
	igen --ledger "$T/l.sqlite" --replay --format html "$T/late.ndjson" \
	    >"$T/inv.html"
	INVOICE_PDF_TIMEOUT=90 scripts/invoice-pdf "$T/inv.html" "$T/inv.pdf"
	pdfinfo "$T/inv.pdf" | grep -Eq '^Page size: +59[45](\.[0-9]+)? x 84[12](\.[0-9]+)? pts \(A4\)'
	pdftotext -layout "$T/inv.pdf" "$T/inv.txt"
	for n in $(jq -r .number "$T/docs.ndjson"); do
		grep -qF "$n" "$T/inv.txt"
	done
	for s in 'Globex GmbH' 'Initech SARL' 'Umbrella KK' 'Acme Corp' \
	    'Acme Cloud Europe Ltd' 'Tax ID DE123456789' 'Friedrichstraße 43' \
	    'Total +83\.51 EUR' 'Total +35\.08 EUR' 'Total +22,500 JPY' \
	    'Total +97\.99 USD' 'Total +1\.09 USD' 'Total +-99\.08 USD' \
	    'functional currency: 148\.54 USD' \
	    'Reverse charge: the customer accounts for the tax' \
	    'Corrects invoice ACME-US-2026-000001' 'DEBIT NOTE' \
	    'Period +2026-10-01 – 2026-10-31'; do
		grep -qE -- "$s" "$T/inv.txt" || { echo "no '$s' in the PDF" >&2; false; }
	done
	# each document starts a page: one title a page, in record order
	# (--replay gives them by invoice, then version)
	pages=$(pdfinfo "$T/inv.pdf" | awk '/^Pages:/ { print $2 }')
	[ "$pages" -ge 6 ]
	awk -v d="$T" 'BEGIN { RS = "\f" } { print > (d "/page." NR) }' "$T/inv.txt"
	titles=""
	for p in $(seq 1 "$pages"); do
		n=$(grep -Ec '^ *(INVOICE|CREDIT NOTE|DEBIT NOTE)$|  (INVOICE|CREDIT NOTE|DEBIT NOTE)$' "$T/page.$p" || true)
		[ "$n" -le 1 ]
		[ "$n" -eq 0 ] || titles="$titles $(grep -Eo '(ACME|AJ)[-A-Z0-9]*' "$T/page.$p" | head -1)"
	done
	[ "$titles" = " ACME-EU-2026-000001 ACME-EU-2026-000002 AJ2611-00001 ACME-US-2026-000001 ACME-US-DN-2026-000001 ACME-US-CN-2026-000001" ]
}
