#!/usr/bin/env bats
# reconcile --format html: one self-contained page (no script, nothing
# fetched) with the verdict, the counts, the totals of each stage per
# currency with an inline SVG chart, and the exceptions, every string
# escaped and every amount exact; and what a reader sees once headless
# Chromium has printed it (scripts/invoice-pdf).

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

# all: every input of the sample month, the documents in FILE ($T/inv)
all() {
	rc --format html --aggregates "$A" --rated "${2:-$R}" \
	    --invoices "${1:-$T/inv}" --journal "$T/j"
}

# cent: $T/inv2, an invoice line's net changed by one cent
cent() {
	sed '/ACME-US-2026-000001/s/"net":"3.51"/"net":"3.52"/' "$T/inv" \
	    >"$T/inv2"
}

# no_fetch FILE: nothing in FILE runs or loads anything
no_fetch() {
	if grep -Eion '<script|<link|<img|<iframe|<object|<embed|@import|@font-face|url\(|(src|href|srcset|action)=|https?:|//' "$1"; then
		echo "'$1' runs or fetches something" >&2
		return 1
	fi
}

# pdf HTML: HTML printed to HTML's .pdf and its text in HTML's .txt
pdf() {
	INVOICE_PDF_TIMEOUT=90 scripts/invoice-pdf "$1" "${1%.html}.pdf"
	pdfinfo "${1%.html}.pdf" | grep -Eq '^Page size: +59[45](\.[0-9]+)? x 84[12](\.[0-9]+)? pts \(A4\)'
	pdftotext -layout "${1%.html}.pdf" "${1%.html}.txt"
}

# contains FILE REGEX...: each extended regex matches a line of FILE
contains() {
	local f=$1 s
	shift
	for s in "$@"; do
		grep -qE -- "$s" "$f" || { echo "no '$s' in '$f'" >&2; return 1; }
	done
}

# lacks FILE STRING...: no line of FILE holds any STRING (a plain
# command, where `! grep` would not fail a test under set -e)
lacks() {
	local f=$1 s
	shift
	for s in "$@"; do
		if grep -nF -- "$s" "$f"; then
			echo "'$s' in '$f'" >&2
			return 1
		fi
	done
}

need_chromium() {
	if ! command -v chromium >/dev/null 2>&1; then
		skip "chromium is not installed (Debian package chromium; sh scripts/deps as root installs it)"
	fi
}

@test "html: the sample month agrees, a self-contained printable page, exit 0" {
	chain
	run all
	expect_status 0
	all >"$T/r.html" 2>"$T/err"
	no_fetch "$T/r.html"
	head -1 "$T/r.html" | grep -qx '<!DOCTYPE html>'
	tail -1 "$T/r.html" | grep -qx '</main></body></html>'
	grep -q '<meta charset="utf-8">' "$T/r.html"
	grep -q '@page { size: A4;' "$T/r.html"
	grep -q '<h1>Reconciliation report</h1>' "$T/r.html"
	grep -q 'As of 2026-11-04 00:00 UTC' "$T/r.html"
	grep -q '<div class="verdict ok">&#10003; Everything agrees</div>' "$T/r.html"
	lacks "$T/r.html" 'verdict bad'
	grep -q 'No exceptions' "$T/r.html"
	lacks "$T/r.html" '<table class="exc">'
	# the counts, as the summary line on stderr gives them
	grep -q 'documents that agree: 4 (100.0%)' "$T/err"
	contains "$T/r.html" '<span class="k">Aggregates</span><span class="v">10</span>' \
	    '<span class="k">Rated lines</span><span class="v">22</span>' \
	    '<span class="k">Documents</span><span class="v">4</span>' \
	    '<span class="k">Journal entries</span><span class="v">5</span>' \
	    'Documents that agree</span><span class="v">100\.0%</span><span class="s">4 of 4</span>' \
	    'Variance total</span><span class="v">0</span>'
	# no postings confirmed: no latency
	lacks "$T/r.html" 'Posting latency'
	# a row and a chart a currency, a bar and its amount a stage
	contains "$T/r.html" \
	    '<tr><td class="cur">EUR</td><td class="n">112\.74</td><td class="n">112\.74</td><td class="n">118\.59</td><td class="n">118\.59</td></tr>' \
	    '<tr><td class="cur">JPY</td><td class="n">22,500</td><td class="n">20,455</td><td class="n">22,500</td><td class="n">22,500</td></tr>' \
	    '<tr><td class="cur">USD</td><td class="n">90\.00</td><td class="n">90\.00</td><td class="n">97\.99</td><td class="n">97\.99</td></tr>'
	[ "$(grep -c '^<svg ' "$T/r.html")" -eq 3 ]
	[ "$(grep -c '^<rect ' "$T/r.html")" -eq 12 ]
	grep -q '>90\.00 USD</text>' "$T/r.html"
	grep -q '>22,500 JPY</text>' "$T/r.html"
	# the longest bar of a currency is the full length, the others in
	# proportion: JPY's net is 20455/22500 of it
	[ "$(grep -c '<rect [^>]*width="150\.0"' "$T/r.html")" -eq 7 ]
	grep -q '<rect [^>]*width="136\.3"' "$T/r.html"
	# the ERP confirmed every posting: the mean latency
	jq -r '"\(.id),NS-\(input_line_number),confirmed,"' "$T/j" |
	    { echo id,erp_ref,status,reason; cat; } >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
	all >"$T/r2.html" 2>"$T/err"
	grep -q 'posting latency 0 s' "$T/err"
	grep -q 'Posting latency</span><span class="v">0 s</span>' "$T/r2.html"
}

@test "html: an invoice amount changed by one cent is listed, exit 1" {
	chain
	cent
	run all "$T/inv2"
	expect_status 1
	all "$T/inv2" >"$T/r.html" 2>/dev/null || true
	no_fetch "$T/r.html"
	grep -q '<div class="verdict bad">1 exception</div>' "$T/r.html"
	lacks "$T/r.html" 'Everything agrees'
	grep -q '<tr class="group"><th colspan="9">invoice_amount_mismatch &times; 1</th></tr>' "$T/r.html"
	grep -q '<td class="code">invoice_<wbr>amount_<wbr>mismatch</td><td>cus_acme</td>' "$T/r.html"
	grep -q '<td class="n">3\.51</td><td class="n">3\.52</td><td class="n diff">0\.01</td><td>USD</td>' "$T/r.html"
	grep -q '2026-10-01 04:00 UTC &ndash; 2026-11-01 04:00 UTC' "$T/r.html"
	grep -q 'Variance total</span><span class="v">0\.01</span>' "$T/r.html"
	# exceptions grouped by code, in code order (reconcile finds the
	# invoice's before the journal's): a document lost from the journal
	jq -c 'select(.document.number != "ACME-EU-2026-000002")' "$T/j" >"$T/j2"
	[ "$(wc -l <"$T/j2")" -eq "$(($(wc -l <"$T/j") - 1))" ]
	rc --format html --rated "$R" --invoices "$T/inv2" --journal "$T/j2" \
	    >"$T/g.html" 2>/dev/null && false
	rc --rated "$R" --invoices "$T/inv2" --journal "$T/j2" >"$T/g.ndjson" \
	    2>/dev/null || true
	[ "$(jq -r .code "$T/g.ndjson" | xargs)" = "invoice_amount_mismatch document_not_posted" ]
	n=2
	grep -q "<div class=\"verdict bad\">$n exceptions</div>" "$T/g.html"
	# the heading rows in code order, as many rows as exceptions
	[ "$(grep -o '<tr class="group"><th colspan="9">[a-z_]*' "$T/g.html" | sed 's/.*">//' | xargs)" = \
	    "$(jq -r .code "$T/g.ndjson" | sort -u | xargs)" ]
	[ "$(grep -c '^<tr><td class="code">' "$T/g.html")" -eq "$n" ]
	grep -q 'document_<wbr>not_<wbr>posted</td><td>cus_initech</td><td>ACME-EU-2026-000002</td>' "$T/g.html"
}

@test "html: names and messages in markup are escaped, UTF-8 kept as it is" {
	chain
	cent
	# a customer id in markup, in the rated lines and the documents
	sed 's/"customer":"cus_acme"/"customer":"cus_<b>\&\\"x\x27 ü"/' "$R" >"$T/rated"
	sed 's/"id":"cus_acme"/"id":"cus_<b>\&\\"x\x27 ü"/' "$T/inv2" >"$T/inv3"
	jq -e -s 'map(select(.customer == "cus_<b>&\"x'"'"' ü")) | length > 0' "$T/rated" >/dev/null
	rc --format html --rated "$T/rated" --invoices "$T/inv3" >"$T/r.html" \
	    2>/dev/null && false
	no_fetch "$T/r.html"
	grep -qF '<td>cus_&lt;b&gt;&amp;&quot;x&#39; ü</td>' "$T/r.html"
	grep -qF '(cus_&lt;b&gt;&amp;&quot;x&#39; ü, charge output-peak)' "$T/r.html"
	lacks "$T/r.html" '<b>'
}

@test "html: amounts are exact, however large" {
	chain
	rline 1 cus_a 12345678901234567.89 USD >"$T/big"
	rline 2 cus_a 0.01 USD >>"$T/big"
	rline 3 cus_a -3.50 GBP >>"$T/big"
	rc --format html --rated "$T/big" >"$T/r.html" 2>/dev/null
	grep -q '<tr><td class="cur">USD</td><td class="n">12,345,678,901,234,567.90</td><td class="n">0.00</td>' "$T/r.html"
	grep -q '>12,345,678,901,234,567\.90 USD</text>' "$T/r.html"
	grep -q '<tr><td class="cur">GBP</td><td class="n">-3\.50</td>' "$T/r.html"
	grep -q '>-3\.50 GBP</text>' "$T/r.html"
	# a negative amount is a hollow bar, as long as its magnitude
	grep -q '<rect [^>]*width="150\.0" [^>]*fill="#fff" stroke=' "$T/r.html"
}

@test "pdf: headless Chromium prints the verdict, the totals and the exceptions on A4" {
	need_chromium
	chain
	all >"$T/ok.html" 2>/dev/null
	pdf "$T/ok.html"
	contains "$T/ok.txt" 'Reconciliation report' 'Everything agrees' \
	    'As of 2026-11-04 00:00 UTC' 'No exceptions' \
	    'USD +90\.00 +90\.00 +97\.99 +97\.99' \
	    'EUR +112\.74 +112\.74 +118\.59 +118\.59' \
	    'JPY +22,500 +20,455 +22,500 +22,500' \
	    'Rated +90\.00 USD' 'Posted receivable +97\.99 USD' \
	    '100\.0%' '4 of 4'
	# a cent changed: the verdict in words, the exception with amounts
	cent
	all "$T/inv2" >"$T/bad.html" 2>/dev/null || true
	pdf "$T/bad.html"
	contains "$T/bad.txt" '1 exception' 'invoice_amount_mismatch' \
	    'cus_acme .* 3\.51 +3\.52 +0\.01 +USD' \
	    'USD +90\.00 +90\.00 +97\.99 +97\.99'
	lacks "$T/bad.txt" 'Everything agrees'
	[ "$(pdfinfo "$T/bad.pdf" | awk '/^Pages:/ { print $2 }')" -eq 1 ]
}
