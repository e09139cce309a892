#!/usr/bin/env bats
# scripts/finance-summary, the demo's books as a controller reads them:
# per entity in its functional currency the balances at the run date by
# the roles of the accounts file, why receivables are not the total
# invoiced, and the entries scheduled after the run date.

load lib

D=testdata/erp/documents.ndjson

fs() {
	scripts/finance-summary --journal "$T/j" --accounts testdata/accounts.json \
	    --as-of 2026-11-02 "$@"
}

# block ENTITY: the summary's lines of that entity
block() {
	awk -v e="  $1 " 'index($0, e) == 1 { p = 1; print; next } /^  [a-z]/ { p = 0 } p' "$T/out"
}

@test "balances at the run date by role, in the functional currency; later entries are scheduled, not in them" {
	ep "$D" >"$T/j" 2>/dev/null
	fs >"$T/out"
	block acme-us >"$T/us"
	cat >"$T/want" <<-'OUT'
	  acme-us (USD)
	    receivables (owed by customers)                               99.08
	    revenue, net of discounts (earned)                            42.00
	    deferred revenue (billed, not yet earned)                     49.00
	    tax payable (collected for the tax authorities)                8.08
	    customer prepayments (credit customers hold)                   0.00
	    receivables are the total invoiced, tax included (2 documents): no
	    prepaid credit applied, no credit note, no cash received
	    scheduled after the run date: 1 revenue recognition entry,
	      dated 2026-11-30: as the service is delivered they move
	      49.00 USD from deferred revenue to revenue; they are in the journal
	      now, each dated the day it falls due
	OUT
	same "$T/want" "$T/us"
	# the yen invoices of acme-jp in its functional currency, USD; an
	# account no role names, by its name
	block acme-jp >"$T/jp"
	grep -qx '  acme-jp (USD)' "$T/jp"
	grep -q '^    receivables (owed by customers)  *148.55$' "$T/jp"
	grep -q '^    Expenses:JP:FXRounding  *-0.01$' "$T/jp"
	grep -q '^    receivables are the total invoiced, tax included (1 document): no$' "$T/jp"
	# a credit note: receivables less it
	block acme-eu >"$T/eu"
	grep -q '^      less credit notes issued (1)  *-35.08$' "$T/eu"
	grep -q '^      = receivables  *83.51$' "$T/eu"
}

@test "prepaid credit applied: why receivables are less than invoiced, in words; a liability in debit is named" {
	jq -c 'if .number == "ACME-US-2026-000001" and .kind == "invoice" then
	    .prepaid_credit = "-10.00" | .amount_due = "87.99" else . end' "$D" >"$T/d"
	ep "$T/d" >"$T/j" 2>/dev/null
	fs >"$T/out"
	block acme-us >"$T/us"
	grep -q '^    receivables (owed by customers)  *89.08$' "$T/us"
	grep -q '^    customer prepayments (credit customers hold)  *-10.00$' "$T/us"
	grep -qx '      (in debit: more drawn than was booked as received)' "$T/us"
	sed -n '/why receivables/,/customer prepayments liability/p' "$T/us" >"$T/why"
	cat >"$T/want" <<-'OUT'
	    why receivables are not the total invoiced:
	      invoiced, tax included (2 documents)                        99.08
	      less prepaid credit the invoices applied                   -10.00
	      = receivables                                               89.08
	      (the prepaid credit was paid in advance: the invoices draw it from the
	      customer prepayments liability instead of billing it again)
	OUT
	same "$T/want" "$T/why"
	# a role the books gain later flows through: an account mapped to it
	jq '.entities[0].cash = "Assets:Bank:Operating"' testdata/accounts.json >"$T/acc"
	scripts/finance-summary --journal "$T/j" --accounts "$T/acc" --as-of 2026-11-30 >"$T/out"
	block acme-us >"$T/us"
	# at the month's end the recognition is in: deferred revenue 0
	grep -q '^    deferred revenue (billed, not yet earned)  *0.00$' "$T/us"
	grep -q '^    revenue, net of discounts (earned)  *91.00$' "$T/us"
	! grep -q 'scheduled after' "$T/us"
}
