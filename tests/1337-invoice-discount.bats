#!/usr/bin/env bats
# A discount or true-up of the whole bill (a rated line without a
# charge) on a bill of several tax categories: shared over the
# categories with a positive amount only, in proportion, a line for
# each, never of the other sign; each a document-level allowance or
# charge in its own tax category in UBL (EN 16931 BG-20, BG-21), valid
# Peppol.  The amounts are checked against Python's decimal.

load lib

V=tests/peppol/validate

# disc_config: acme-eu with a Peppol id, an Irish customer, and Irish
# tax codes exempt (E) and reduced (S 13.5 %) beside the standard 23 %
disc_config() {
	jq '.entities |= map(if .id == "acme-eu" then
	    .peppol_id = "9935:IE6388047V" | .legal_id = "634563" |
	    .bank = {"iban": "IE29AIBK93115212345678", "bic": "AIBKIE2D"}
	    else . end)' testdata/entities.json >"$T/entities.json"
	jq '.rules += [{"entity": "acme-eu", "country": "IE", "tax_code": "edu",
	    "rate": "0", "category": "E",
	    "note": "Exempt: education (Directive 2006/112/EC, Article 132(1)(i))"},
	    {"entity": "acme-eu", "country": "IE", "tax_code": "reduced",
	    "rate": "13.5", "name": "VAT 13.5%"}]' testdata/tax.json >"$T/tax.json"
	{
		cat testdata/customers.ndjson
		echo '{"id":"cus_ie","subjects":["ie"],"entity":"acme-eu","currency":"EUR","country":"IE","timezone":"Europe/Dublin","name":"Trinity Learning Ltd","peppol_id":"9935:IE1234567X"}'
	} >"$T/customers.ndjson"
}

# rl KEY CHARGE TYPE AMOUNT TAX_CODE: a rated line of cus_ie for October
# (CHARGE and TAX_CODE "" for none), cus_globex's first line made over
rl() {
	jq -c --arg k "$1" --arg c "$2" --arg t "$3" --arg a "$4" --arg x "$5" \
	    'select(.customer == "cus_globex") | .customer = "cus_ie" |
	    .key = $k | .correlation_id = $k |
	    .charge = (if $c == "" then null else $c end) | .line_type = $t |
	    .amount = $a | .amount_unrounded = $a |
	    .tax_code = (if $x == "" then null else $x end) |
	    .service_start = .period_start | .service_end = .period_end |
	    .breakdown = {} | .quantity = "1"' \
	    testdata/rate/rated.expected.ndjson | head -1
}

dig() {
	"$BIN/invoice-gen" --entities "$T/entities.json" --tax "$T/tax.json" \
	    --customers "$T/customers.ndjson" --fx testdata/fx.json \
	    --as-of 2026-11-02T12:00:00Z --rejects "$T/r" "$@"
}

# oracle RECORDS RATED: the invoice records' amounts against the rated
# lines, in Python's decimal: each bill-level line shared over the
# categories with a positive amount (their own lines' sum) in
# proportion, to the cent, adding up exactly, never of the other sign;
# each category's base its lines' sum and its tax half-up to the cent
oracle() {
	python3 - "$1" "$2" <<'PY'
import json, sys
from decimal import Decimal as D, ROUND_HALF_UP, getcontext

getcontext().prec = 100
CENT = D("0.01")
bad = []
docs = [json.loads(l) for l in open(sys.argv[1])]
rated = [json.loads(l) for l in open(sys.argv[2])]
for doc in docs:
    n = doc["number"]
    mine = [r for r in rated if r["customer"] == doc["customer"]["id"]]
    bill = [r for r in mine if r["charge"] is None and
            r["line_type"] in ("discount", "true_up")]
    lines = doc["lines"]
    own = {}          # category -> the sum of its charges' lines
    for l in lines:
        if l["charge"] is not None:
            k = (l["tax_category"], D(l["tax_rate"]))
            own[k] = own.get(k, D(0)) + D(l["net"])
    w = {k: v for k, v in own.items() if v > 0}
    W = sum(w.values(), D(0))
    for r in bill:
        amt = D(r["amount"])
        shares = [l for l in lines if l["rated_key"].startswith(r["key"])]
        got = sum((D(l["net"]) for l in shares), D(0))
        if got != amt:
            bad.append("%s: %s shared as %s, not %s" % (n, r["key"], got, amt))
        for l in shares:
            k = (l["tax_category"], D(l["tax_rate"]))
            net = D(l["net"])
            if net * amt < 0:
                bad.append("%s: a %s share of %s on %s" % (n, r["line_type"],
                           net, k))
            if k not in w:
                bad.append("%s: a share on %s, not above zero" % (n, k))
                continue
            exact = amt * w[k] / W
            if abs(net - exact) >= CENT:
                bad.append("%s: share %s on %s, exact %s" % (n, net, k, exact))
    for t in doc["tax_lines"]:
        k = (t["category"], D(t["rate"]))
        base = sum((D(l["net"]) for l in lines
                    if (l["tax_category"], D(l["tax_rate"])) == k), D(0))
        tax = (base * k[1] / 100).quantize(CENT, ROUND_HALF_UP)
        if D(t["base"]) != base or D(t["tax"]) != tax:
            bad.append("%s: %s base %s tax %s, want %s %s" % (n, k, t["base"],
                       t["tax"], base, tax))
    net = sum((D(r["amount"]) for r in mine if r["line_type"] != "credit"), D(0))
    tax = sum((D(t["tax"]) for t in doc["tax_lines"]), D(0))
    if D(doc["net"]) != net or D(doc["total"]) != net + tax:
        bad.append("%s: net %s total %s, want %s %s" % (n, doc["net"],
                   doc["total"], net, net + tax))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

# ubl_signs FILE: every allowance and charge of the document > 0, each
# with a tax category; no category's taxable amount other than its
# lines' and its allowances' and charges' sum
ubl_signs() {
	python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal as D

U = "urn:oasis:names:specification:ubl:schema:xsd:"
ns = {"cbc": U + "CommonBasicComponents-2",
      "cac": U + "CommonAggregateComponents-2"}
r = ET.parse(sys.argv[1]).getroot()
bad = []
def cat(e, p):
    return (e.findtext(p + "/cbc:ID", namespaces=ns),
            e.findtext(p + "/cbc:Percent", namespaces=ns))
base = {}
for l in r.findall("cac:InvoiceLine", ns) + r.findall("cac:CreditNoteLine", ns):
    k = cat(l, "cac:Item/cac:ClassifiedTaxCategory")
    base[k] = base.get(k, D(0)) + D(l.findtext("cbc:LineExtensionAmount",
                                                 namespaces=ns))
for c in r.findall("cac:AllowanceCharge", ns):
    a = D(c.findtext("cbc:Amount", namespaces=ns))
    k = cat(c, "cac:TaxCategory")
    if a <= 0 or k[0] is None:
        bad.append("allowance or charge %s in %s" % (a, k))
    up = c.findtext("cbc:ChargeIndicator", namespaces=ns) == "true"
    base[k] = base.get(k, D(0)) + (a if up else -a)
for s in r.findall("cac:TaxTotal/cac:TaxSubtotal", ns):
    k = cat(s, "cac:TaxCategory")
    if D(s.findtext("cbc:TaxableAmount", namespaces=ns)) != base.pop(k, None):
        bad.append("taxable amount of %s" % (k,))
if base:
    bad.append("no tax subtotal for %s" % (list(base),))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

@test "discount: on a bill of S and E, an allowance in each category, in proportion, exact, valid Peppol" {
	disc_config
	{
		rl 00000000000000000000000000000001 platform flat 100.00 ""
		rl 00000000000000000000000000000002 training flat 50.00 edu
		rl 00000000000000000000000000000003 "" discount -15.00 ""
	} >"$T/rated.ndjson"
	mkdir "$T/ubl"
	dig --ledger "$T/l.sqlite" --issue "$T/rated.ndjson" >"$T/docs.ndjson"
	dig --ledger "$T/l.sqlite" --replay --format ubl --output-dir "$T/ubl" \
	    "$T/rated.ndjson" >/dev/null
	oracle "$T/docs.ndjson" "$T/rated.ndjson"
	[ "$(jq -c '[.lines[] | select(.line_type == "discount") |
	    [.tax_category, .net]]' "$T/docs.ndjson")" = '[["S","-10.00"],["E","-5.00"]]' ]
	[ "$(jq -c '[.tax_lines[] | [.category, .base, .tax]]' "$T/docs.ndjson")" = '[["S","90.00","20.70"],["E","45.00","0.00"]]' ]
	f=$T/ubl/ACME-EU-2026-000001.xml
	ubl_signs "$f"
	run "$V" "$f"
	echo "$output"
	expect_status 0
	[ "$output" = "validate: 1 documents, 0 not schema-valid, 0 fatal (in 0 documents), 0 warnings" ]
	[ "$(xmllint --xpath 'count(/*/*[local-name() = "AllowanceCharge"])' "$f")" -eq 2 ]
	[ "$(grep -c '<cac:InvoiceLine>' "$f")" -eq 2 ]
	grep -q '<cbc:AllowanceTotalAmount currencyID="EUR">15.00<' "$f"
	grep -q '<cbc:LineExtensionAmount currencyID="EUR">150.00<' "$f"
	grep -q '<cbc:TaxExclusiveAmount currencyID="EUR">135.00<' "$f"
}

@test "discount: a category at or below zero gets no share, so never a positive discount on an exempt line" {
	disc_config
	# E: 50.00 less a 60.00 refund, -10.00; the discount all on S
	{
		rl 00000000000000000000000000000001 platform flat 100.00 ""
		rl 00000000000000000000000000000002 training flat 50.00 edu
		rl 00000000000000000000000000000004 training usage -60.00 edu
		rl 00000000000000000000000000000003 "" discount -15.00 ""
	} >"$T/rated.ndjson"
	mkdir "$T/ubl"
	dig --ledger "$T/l.sqlite" --issue --format ubl --output-dir "$T/ubl" \
	    "$T/rated.ndjson" >/dev/null
	dig --ledger "$T/l.sqlite" --replay "$T/rated.ndjson" >"$T/docs.ndjson"
	oracle "$T/docs.ndjson" "$T/rated.ndjson"
	[ "$(jq -c '[.lines[] | select(.line_type == "discount") |
	    [.tax_category, .net]]' "$T/docs.ndjson")" = '[["S","-15.00"]]' ]
	[ "$(jq -c '[.tax_lines[] | [.category, .base, .tax]]' "$T/docs.ndjson")" = '[["S","85.00","19.55"],["E","-10.00","0.00"]]' ]
	ubl_signs "$T/ubl/ACME-EU-2026-000001.xml"
	"$V" "$T/ubl/ACME-EU-2026-000001.xml"
}

@test "discount: three categories, remainders to the cent, a true-up a charge; a later note keeps the sums" {
	disc_config
	{
		rl 00000000000000000000000000000001 platform flat 33.33 ""
		rl 00000000000000000000000000000002 training flat 66.67 edu
		rl 00000000000000000000000000000005 ebooks flat 12.34 reduced
		rl 00000000000000000000000000000006 "" true_up 7.77 ""
		rl 00000000000000000000000000000003 "" discount -10.01 ""
	} >"$T/rated.ndjson"
	dig --ledger "$T/l.sqlite" --issue "$T/rated.ndjson" >"$T/docs.ndjson"
	oracle "$T/docs.ndjson" "$T/rated.ndjson"
	[ "$(jq '[.lines[] | select(.charge == null)] | length' "$T/docs.ndjson")" -eq 6 ]
	# the exempt training dropped: a credit note takes back its share
	# of the discount and true-up, the rest shared again over S only
	sed '/"key":"00000000000000000000000000000002"/d' "$T/rated.ndjson" \
	    >"$T/late.ndjson"
	dig --ledger "$T/l.sqlite" --issue "$T/late.ndjson" >"$T/note.ndjson"
	[ "$(jq -r .kind "$T/note.ndjson")" = credit_note ]
	mkdir "$T/ubl"
	dig --ledger "$T/l.sqlite" --replay --format ubl --output-dir "$T/ubl" \
	    "$T/late.ndjson" >/dev/null
	# what is billed in the end, the invoice and the note together, is
	# what the late lines alone call for
	dig "$T/late.ndjson" >"$T/draft.ndjson"
	oracle "$T/draft.ndjson" "$T/late.ndjson"
	python3 -c '
import json, sys
from decimal import Decimal as D
t = [sum(D(json.loads(l)[k]) for f in sys.argv[1:3] for l in open(f))
     for k in ("net", "tax", "total")]
d = json.loads(open(sys.argv[3]).readline())
assert t == [D(d[k]) for k in ("net", "tax", "total")], (t, d["total"])
' "$T/docs.ndjson" "$T/note.ndjson" "$T/draft.ndjson"
	for f in "$T"/ubl/*.xml; do
		ubl_signs "$f"
	done
	"$V" "$T"/ubl/*.xml
	grep -q '<cbc:ChargeTotalAmount currencyID="EUR">' "$T/ubl/ACME-EU-2026-000001.xml"
}

@test "discount: a note changing only the discount keeps it as lines (UBL needs one), valid" {
	disc_config
	{
		rl 00000000000000000000000000000001 platform flat 100.00 ""
		rl 00000000000000000000000000000002 training flat 50.00 edu
		rl 00000000000000000000000000000003 "" discount -15.00 ""
	} >"$T/rated.ndjson"
	dig --ledger "$T/l.sqlite" --issue "$T/rated.ndjson" >/dev/null
	sed 's/"-15.00"/"-30.00"/g' "$T/rated.ndjson" >"$T/late.ndjson"
	dig --ledger "$T/l.sqlite" --issue "$T/late.ndjson" >"$T/note.ndjson"
	[ "$(jq -c '[.kind, [.lines[] | [.line_type, .tax_category, .net]]]' "$T/note.ndjson")" = '["credit_note",[["discount","S","-10.00"],["discount","E","-5.00"]]]' ]
	mkdir "$T/ubl"
	dig --ledger "$T/l.sqlite" --replay --format ubl --output-dir "$T/ubl" \
	    "$T/late.ndjson" >/dev/null
	f=$T/ubl/$(jq -r .number "$T/note.ndjson").xml
	[ "$(grep -c '<cac:CreditNoteLine>' "$f")" -eq 2 ]
	# none of the document's own (a line's is its amount without quantity)
	[ "$(xmllint --xpath 'count(/*/*[local-name() = "AllowanceCharge"])' "$f")" -eq 0 ]
	ubl_signs "$f"
	"$V" "$T"/ubl/*.xml
}
