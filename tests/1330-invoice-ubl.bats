#!/usr/bin/env bats
# invoice-gen --format ubl: a UBL 2.1 file a document as Peppol BIS
# Billing 3.0 wants it: well-formed, each field the record's, EN 16931's
# sums exact, credit notes positive and pointing at their invoice.

load lib
load invfmt

NS=urn:oasis:names:specification:ubl:schema:xsd
CUSTOMIZATION='urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'

# xq XPATH: XPATH with cac:Name and cbc:Name matched in their UBL
# namespaces (xmllint --xpath registers none)
xq() {
	printf '%s' "$1" | sed -E \
	    -e "s/cbc:([A-Za-z]+)/*[local-name()='\\1' and namespace-uri()='$NS:CommonBasicComponents-2']/g" \
	    -e "s/cac:([A-Za-z]+)/*[local-name()='\\1' and namespace-uri()='$NS:CommonAggregateComponents-2']/g"
}

# xp FILE XPATH: its string value; xn FILE XPATH: how many nodes;
# xt FILE XPATH: the text of each node, a line each
xp() { xmllint --xpath "string($(xq "$2"))" "$1"; }
xn() { xmllint --xpath "count($(xq "$2"))" "$1"; }
xt() { xmllint --xpath "$(xq "$2")/text()" "$1"; }

# neg AMOUNT: the decimal string negated
neg() {
	case $1 in
	-*) echo "${1#-}" ;;
	*[1-9]*) echo "-$1" ;;
	*) echo "$1" ;;
	esac
}

# en16931 FILE...: EN 16931's arithmetic holds, exactly (Python's decimal)
en16931() {
	python3 - "$@" <<'EOF'
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal as D, getcontext

getcontext().prec = 200
U = "urn:oasis:names:specification:ubl:schema:xsd:"
ns = {"cbc": U + "CommonBasicComponents-2",
      "cac": U + "CommonAggregateComponents-2"}
bad = []

def a(e, path):
    x = e.find(path, ns)
    return None if x is None else D(x.text)

def check(cond, f, what):
    if not cond:
        bad.append(f + ": " + what)

for f in sys.argv[1:]:
    r = ET.parse(f).getroot()
    cur = r.findtext("cbc:DocumentCurrencyCode", namespaces=ns)
    t = r.find("cac:LegalMonetaryTotal", ns)
    lines = r.findall("cac:InvoiceLine", ns) + r.findall("cac:CreditNoteLine", ns)
    # document-level allowances (BG-20) and charges (BG-21), each > 0
    acs = [(c, 1 if c.findtext("cbc:ChargeIndicator", namespaces=ns) == "true"
            else -1) for c in r.findall("cac:AllowanceCharge", ns)]
    allow = sum((a(c, "cbc:Amount") for c, k in acs if k < 0), D(0))
    charge = sum((a(c, "cbc:Amount") for c, k in acs if k > 0), D(0))
    for c, k in acs:
        check(a(c, "cbc:Amount") > 0, f, "an allowance or charge not > 0")
    check(a(t, "cbc:AllowanceTotalAmount") == (allow if any(k < 0 for c, k in acs)
          else None), f, "BR-CO-11 allowances")
    check(a(t, "cbc:ChargeTotalAmount") == (charge if any(k > 0 for c, k in acs)
          else None), f, "BR-CO-12 charges")
    subs = r.findall("cac:TaxTotal/cac:TaxSubtotal", ns)
    tax = a(r, "cac:TaxTotal/cbc:TaxAmount")
    lext = a(t, "cbc:LineExtensionAmount")
    texc = a(t, "cbc:TaxExclusiveAmount")
    tinc = a(t, "cbc:TaxInclusiveAmount")
    pre = a(t, "cbc:PrepaidAmount") or D(0)
    check(len(lines) > 0, f, "BR-16 no lines")
    check(len(r.findall("cac:TaxTotal", ns)) == 1, f, "one TaxTotal")
    check(sum(a(l, "cbc:LineExtensionAmount") for l in lines) == lext, f,
          "BR-CO-10 sum of lines")
    check(texc == lext - allow + charge, f, "BR-CO-13 tax exclusive amount")
    check(tinc == texc + tax, f, "BR-CO-15 tax inclusive amount")
    check(a(t, "cbc:PayableAmount") == tinc - pre, f, "BR-CO-16 payable")
    check(sum(a(s, "cbc:TaxAmount") for s in subs) == tax, f,
          "BR-CO-14 tax subtotals")
    for e in r.iter():
        if "currencyID" not in e.attrib:
            continue
        check(e.get("currencyID") == cur, f, e.tag + " in another currency")
        if not e.tag.endswith("}PriceAmount"):
            check(-D(e.text).as_tuple().exponent <= 2, f,
                  "BR-DEC: " + e.tag + " " + e.text)
    def cat(e, p):
        return (e.findtext(p + "/cbc:ID", namespaces=ns),
                e.findtext(p + "/cbc:Percent", namespaces=ns))
    for s in subs:
        c = cat(s, "cac:TaxCategory")
        base = sum(a(l, "cbc:LineExtensionAmount") for l in lines
                   if cat(l, "cac:Item/cac:ClassifiedTaxCategory") == c)
        base += sum(k * a(ac, "cbc:Amount") for ac, k in acs
                    if cat(ac, "cac:TaxCategory") == c)
        check(base == a(s, "cbc:TaxableAmount"), f, "taxable amount of %s" % (c,))
    for l in lines:
        q = a(l, "cbc:InvoicedQuantity")
        if q is None:
            q = a(l, "cbc:CreditedQuantity")
        price = a(l, "cac:Price/cbc:PriceAmount")
        base = a(l, "cac:Price/cbc:BaseQuantity") or D(1)
        ch = sum((a(c, "cbc:Amount") *
                  (1 if c.findtext("cbc:ChargeIndicator", namespaces=ns) == "true" else -1)
                  for c in l.findall("cac:AllowanceCharge", ns)), D(0))
        n = l.findtext("cbc:ID", namespaces=ns)
        check(q * price / base + ch == a(l, "cbc:LineExtensionAmount"), f,
              "PEPPOL-EN16931-R120 line " + n)
        check(price >= 0 and base > 0, f, "BR-27 price of line " + n)
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
}

# ubl_all: the 6 documents of issue_all as UBL files in $T/ubl
ubl_all() {
	peppol_ids
	issue_all
	mkdir "$T/ubl"
	igen --ledger "$T/l.sqlite" --replay --format ubl --output-dir \
	    "$T/ubl" "$T/late.ndjson" >"$T/names"
	[ "$(wc -l <"$T/names")" -eq 6 ]
}

@test "ubl: every document well-formed, and what its record says" {
	ubl_all
	while read -r rec; do
		r() { jq -r "$1" <<<"$rec"; }
		f=$T/ubl/$(r .number).xml
		grep -qxF "$f" "$T/names"
		xmllint --noout "$f"
		case $(r .kind) in
		invoice) root=Invoice code=380 sign=1 ;;
		debit_note) root=Invoice code=383 sign=1 ;;
		credit_note) root=CreditNote code=381 sign=-1 ;;
		esac
		amt() { if [ "$sign" -lt 0 ]; then neg "$(r "$1")"; else r "$1"; fi; }
		[ "$(xmllint --xpath 'name(/*)' "$f")" = "$root" ]
		[ "$(xmllint --xpath 'namespace-uri(/*)' "$f")" = "$NS:$root-2" ]
		[ "$(xp "$f" "/*/cbc:CustomizationID")" = "$CUSTOMIZATION" ]
		[ "$(xp "$f" "/*/cbc:ProfileID")" = urn:fdc:peppol.eu:2017:poacc:billing:01:1.0 ]
		[ "$(xp "$f" "/*/cbc:ID")" = "$(r .number)" ]
		[ "$(xp "$f" "/*/cbc:IssueDate")" = "$(r .issue_date)" ]
		[ "$(xp "$f" "/*/cbc:${root}TypeCode")" = "$code" ]
		if [ $root = Invoice ]; then
			[ "$(xp "$f" "/*/cbc:DueDate")" = "$(r .due_date)" ]
		fi
		[ "$(xp "$f" "/*/cbc:DocumentCurrencyCode")" = "$(r .currency)" ]
		[ "$(xp "$f" "/*/cbc:BuyerReference")" = "$(r '.customer.buyer_reference // .customer.id')" ]
		[ "$(xp "$f" "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")" = "$(r '.references // ""')" ]
		for p in Supplier:entity Customer:customer; do
			party=/*/cac:Accounting${p%:*}Party/cac:Party
			[ "$(xp "$f" "$party/cac:PartyName/cbc:Name")" = "$(r .${p#*:}.name)" ]
			[ "$(xp "$f" "$party/cac:PartyLegalEntity/cbc:RegistrationName")" = "$(r .${p#*:}.name)" ]
			[ "$(xp "$f" "$party/cac:PartyTaxScheme/cbc:CompanyID")" = "$(r ".${p#*:}.tax_id // \"\"")" ]
			[ "$(xp "$f" "$party/cac:PostalAddress/cac:Country/cbc:IdentificationCode")" = "$(r ".${p#*:}.address.country // .${p#*:}.country")" ]
			# the electronic address, "SCHEME:ID" in the record
			ep=$(r ".${p#*:}.peppol_id // \"\"")
			[ "$(xp "$f" "$party/cbc:EndpointID")" = "${ep#*:}" ]
			[ "$(xp "$f" "$party/cbc:EndpointID/@schemeID")" = "${ep%%:*}" ]
		done
		[ "$(xp "$f" "/*/cac:TaxTotal/cbc:TaxAmount")" = "$(amt .tax)" ]
		[ "$(xp "$f" "/*/cac:TaxTotal/cbc:TaxAmount/@currencyID")" = "$(r .currency)" ]
		[ "$(xn "$f" "/*/cac:TaxTotal/cac:TaxSubtotal")" = "$(r '.tax_lines | length')" ]
		m=/*/cac:LegalMonetaryTotal
		# a discount or true-up of the whole bill: an allowance or
		# charge of the document, a line's sum less (en16931 checks)
		bl='select(.charge == null and (.line_type == "discount" or .line_type == "true_up"))'
		[ "$(xn "$f" "/*/cac:AllowanceCharge")" = "$(r "[.lines[] | $bl] | length")" ]
		[ "$(xp "$f" "$m/cbc:TaxExclusiveAmount")" = "$(amt .net)" ]
		[ "$(xp "$f" "$m/cbc:TaxInclusiveAmount")" = "$(amt .total)" ]
		[ "$(xp "$f" "$m/cbc:PayableAmount")" = "$(amt .amount_due)" ]
		[ "$(xn "$f" "$m/cbc:PrepaidAmount")" = 0 ]
		[ "$(xn "$f" "/*/cac:${root}Line")" = "$(r "[.lines[] | $bl] as \$b | .lines - \$b | length")" ]
		xt "$f" "/*/cac:${root}Line/cac:Item/cbc:Name" >"$T/names.ubl"
		r "[.lines[] | $bl] as \$b | .lines - \$b | .[] | .name // .charge // .line_type" |
		    sed 's/^discount$/Discount/; s/^true_up$/Minimum commitment true-up/' |
		    same - "$T/names.ubl"
	done <"$T/docs.ndjson"
}

@test "ubl: EN 16931's sums hold exactly, prices are never negative" {
	ubl_all
	en16931 "$T"/ubl/*.xml
}

@test "ubl: reverse charge is AE at 0% with its reason, both VAT ids, local dates" {
	ubl_all
	f=$T/ubl/ACME-EU-2026-000001.xml
	s='/*/cac:TaxTotal/cac:TaxSubtotal'
	[ "$(xp "$f" "$s/cac:TaxCategory/cbc:ID")" = AE ]
	[ "$(xp "$f" "$s/cac:TaxCategory/cbc:Percent")" = 0 ]
	[ "$(xp "$f" "$s/cac:TaxCategory/cbc:TaxExemptionReasonCode")" = VATEX-EU-AE ]
	[ "$(xp "$f" "$s/cac:TaxCategory/cbc:TaxExemptionReason")" = "$(jq -r 'select(.number == "ACME-EU-2026-000001") | .tax_lines[0].note' "$T/docs.ndjson")" ]
	[ "$(xp "$f" "$s/cac:TaxCategory/cac:TaxScheme/cbc:ID")" = VAT ]
	[ "$(xp "$f" "$s/cbc:TaxableAmount")" = 83.51 ]
	[ "$(xp "$f" "$s/cbc:TaxAmount")" = 0.00 ]
	[ "$(xn "$f" "//cac:ClassifiedTaxCategory[cbc:ID='AE' and cbc:Percent='0']")" = 7 ]
	[ "$(xp "$f" "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")" = IE6388047V ]
	[ "$(xp "$f" "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")" = DE123456789 ]
	[ "$(xp "$f" "/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:StreetName")" = 'Friedrichstraße 43' ]
	# the period in Berlin: 2026-09-30T22:00Z .. 2026-10-31T23:00Z
	[ "$(xp "$f" "/*/cac:InvoicePeriod/cbc:StartDate")" = 2026-10-01 ]
	[ "$(xp "$f" "/*/cac:InvoicePeriod/cbc:EndDate")" = 2026-10-31 ]
	# and in New York: 2026-10-01T04:00Z .. 2026-11-01T04:00Z, widened
	# to the platform fee billed in advance for November (R111)
	f=$T/ubl/ACME-US-2026-000001.xml
	[ "$(xp "$f" "/*/cac:InvoicePeriod/cbc:StartDate")" = 2026-10-01 ]
	[ "$(xp "$f" "/*/cac:InvoicePeriod/cbc:EndDate")" = 2026-11-30 ]
	f=$T/ubl/ACME-US-DN-2026-000001.xml
	[ "$(xp "$f" "/*/cac:InvoicePeriod/cbc:EndDate")" = 2026-10-31 ]
	# standard rate, no exemption reason
	f=$T/ubl/ACME-EU-2026-000002.xml
	[ "$(xp "$f" "$s/cac:TaxCategory/cbc:ID")" = S ]
	[ "$(xp "$f" "$s/cac:TaxCategory/cbc:Percent")" = 20 ]
	[ "$(xn "$f" "$s/cac:TaxCategory/cbc:TaxExemptionReason")" = 0 ]
	[ "$(xp "$f" "$s/cbc:TaxAmount")" = 5.85 ]
}

@test "ubl: JPY without decimals, prices exact or per base quantity" {
	ubl_all
	f=$T/ubl/AJ2611-00001.xml
	xmllint --xpath "//*[@currencyID and local-name() != 'PriceAmount']/text()" "$f" >"$T/jpy"
	[ "$(wc -l <"$T/jpy")" -ge 8 ]
	! grep -v '^[0-9]*$' "$T/jpy" || false
	[ "$(xp "$f" "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")" = 22500 ]
	[ "$(xp "$f" "/*/cac:TaxTotal/cbc:TaxAmount")" = 2045 ]
	# 20455 / 25 = 818.2 exactly: no base quantity
	[ "$(xp "$f" "//cac:InvoiceLine/cac:Price/cbc:PriceAmount")" = 818.2 ]
	[ "$(xn "$f" "//cac:Price/cbc:BaseQuantity")" = 0 ]
	# 3.51 / 350.5 does not terminate: 3.51 per 350.5
	f=$T/ubl/ACME-US-2026-000001.xml
	l="//cac:InvoiceLine[cbc:InvoicedQuantity='350.5']"
	[ "$(xp "$f" "$l/cac:Price/cbc:PriceAmount")" = 3.51 ]
	[ "$(xp "$f" "$l/cac:Price/cbc:BaseQuantity")" = 350.5 ]
	[ "$(xp "$f" "$l/cac:Price/cbc:BaseQuantity/@unitCode")" = C62 ]
	# a discount of the whole bill: an allowance of the document, in
	# its tax category (BG-20); the true-up a charge (BG-21)
	a="/*/cac:AllowanceCharge[cbc:ChargeIndicator='false']"
	[ "$(xn "$f" "$a")" = 1 ]
	[ "$(xp "$f" "$a/cbc:AllowanceChargeReason")" = Discount ]
	[ "$(xp "$f" "$a/cbc:Amount")" = 10.00 ]
	[ "$(xp "$f" "$a/cac:TaxCategory/cbc:ID")" = S ]
	[ "$(xp "$f" "$a/cac:TaxCategory/cbc:Percent")" = 8.875 ]
	a="/*/cac:AllowanceCharge[cbc:ChargeIndicator='true']"
	[ "$(xp "$f" "$a/cbc:AllowanceChargeReason")" = 'Minimum commitment true-up' ]
	[ "$(xp "$f" "$a/cbc:Amount")" = 40.45 ]
	[ "$(xp "$f" "/*/cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount")" = 10.00 ]
	[ "$(xp "$f" "/*/cac:LegalMonetaryTotal/cbc:ChargeTotalAmount")" = 40.45 ]
	[ "$(xn "$f" "//cac:InvoiceLine[cbc:LineExtensionAmount='-10.00']")" = 0 ]
}

@test "ubl: --void gives a CreditNote 381, positive, referring to the invoice" {
	peppol_ids
	issue_notes
	mkdir "$T/v"
	igen --ledger "$T/l.sqlite" --void ACME-US-2026-000001 --format ubl \
	    --output-dir "$T/v" >"$T/names"
	[ "$(wc -l <"$T/names")" -eq 1 ]
	f=$(cat "$T/names")
	xmllint --noout "$f"
	[ "$(xmllint --xpath 'name(/*)' "$f")" = CreditNote ]
	[ "$(xp "$f" "/*/cbc:CreditNoteTypeCode")" = 381 ]
	[ "$(xn "$f" "/*/cbc:InvoiceTypeCode")" = 0 ]
	[ "$(xn "$f" "/*/cbc:DueDate")" = 0 ]
	[ "$(xp "$f" "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")" = ACME-US-2026-000001 ]
	# the invoice was 97.99 and the debit note 1.09: both are voided
	[ "$(xp "$f" "/*/cac:LegalMonetaryTotal/cbc:PayableAmount")" = 99.08 ]
	[ "$(xp "$f" "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")" = 99.08 ]
	[ "$(xp "$f" "/*/cac:TaxTotal/cbc:TaxAmount")" = 8.08 ]
	# 7 lines; the discount and true-up taken back: the allowance and
	# charge again, positive
	[ "$(xn "$f" "//cac:CreditNoteLine/cbc:CreditedQuantity[@unitCode='C62']")" = 7 ]
	[ "$(xp "$f" "/*/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount")" = 10.00 ]
	[ "$(xp "$f" "/*/cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount")" = 40.45 ]
	[ "$(xn "$f" "//cac:InvoiceLine")" = 0 ]
	en16931 "$f"
}

@test "ubl: a debit note is an Invoice 383; an amount without quantity a line charge" {
	ubl_all
	f=$T/ubl/ACME-US-DN-2026-000001.xml
	[ "$(xmllint --xpath 'name(/*)' "$f")" = Invoice ]
	[ "$(xp "$f" "/*/cbc:InvoiceTypeCode")" = 383 ]
	[ "$(xp "$f" "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")" = ACME-US-2026-000001 ]
	l=//cac:InvoiceLine
	[ "$(xp "$f" "$l/cbc:InvoicedQuantity")" = 0 ]
	[ "$(xp "$f" "$l/cbc:LineExtensionAmount")" = 1.00 ]
	[ "$(xp "$f" "$l/cac:AllowanceCharge/cbc:ChargeIndicator")" = true ]
	[ "$(xp "$f" "$l/cac:AllowanceCharge/cbc:Amount")" = 1.00 ]
	[ "$(xp "$f" "$l/cac:Price/cbc:PriceAmount")" = 0.00 ]
	[ "$(xp "$f" "/*/cac:LegalMonetaryTotal/cbc:PayableAmount")" = 1.09 ]
}

@test "ubl: names in markup are escaped" {
	odd_customers
	peppol_ids
	issue_all
	mkdir "$T/ubl"
	igen --ledger "$T/l.sqlite" --replay --format ubl --output-dir \
	    "$T/ubl" "$T/late.ndjson" >/dev/null
	f=$T/ubl/ACME-EU-2026-000001.xml
	xmllint --noout "$f"
	grep -qF 'Globex &lt;b&gt;&amp;&quot;Co&#39;' "$f"
	[ "$(xp "$f" "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name")" = "Globex <b>&\"Co'" ]
	[ "$(xp "$f" "/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:AdditionalStreetName")" = '<script>x</script> 43' ]
}

# The golden of every field a document's UBL carries (Peppol ids, payment
# means, the seller's registration, units, item descriptions, document
# level allowances and charges, a note's reason and the invoice it
# corrects): the 6 documents of issue_all, each headed by its file name.
@test "ubl: the 6 documents as the golden has them, byte for byte" {
	peppol_ids
	jq '.entities |= map(
	    if .id == "acme-eu" then .legal_id = "634563" |
	      .bank = {"iban": "IE29AIBK93115212345678", "bic": "AIBKIE2D"}
	    elif .id == "acme-us" then
	      .bank = {"account": "000123456789", "routing": "021000021"}
	    else . end)' "$T/entities" >"$T/e" && mv "$T/e" "$T/entities"
	issue_all
	mkdir "$T/ubl"
	igen --ledger "$T/l.sqlite" --replay --format ubl --output-dir \
	    "$T/ubl" "$T/late.ndjson" >"$T/names"
	tests/peppol/validate "$T"/ubl/*.xml
	for f in $(LC_ALL=C sort "$T/names"); do
		echo "==> ${f##*/} <=="
		cat "$f"
	done >"$T/all"
	same testdata/invoice/documents.expected.ubl "$T/all"
}
