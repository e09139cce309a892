#!/usr/bin/env bats
# reconcile --confirmations with an ERP's export (records of kind
# "erp_move", as scripts/erp-export-tryton writes them): the ERP's own
# record of each move against our journal (amounts by account through
# the accounts file's ERP codes, totals, date) and our ledger (state,
# reference); an entry confirmed in our ledger that the ERP lacks.
# The export here is made from the journal with jq, as the ERP would
# have it; tests/1470 reads a real Tryton's.

load lib

D=testdata/erp/documents.ndjson

# month: the sample documents posted ($T/j), the ERP's export of them
# ($T/x: Tryton's codes, references "R-1"...), its acknowledgements
# recorded in the ledger
month() {
	ep "$D" >"$T/j" 2>/dev/null
	jq -c --slurpfile acc testdata/accounts.json '
	    ($acc[0].entities | map({key: .entity, value: .erp.tryton}) |
	     from_entries) as $m | .entity as $e |
	    {kind: "erp_move", schema: "1.0", erp: "tryton",
	     company: $m[$e].company, id, erp_ref: "R-\(input_line_number)",
	     status: "confirmed", date, currency: .functional_currency,
	     debit: .functional_total, credit: .functional_total,
	     lines: [.lines[] | {account: $m[$e].accounts[.account],
	       debit: .functional_debit, credit: .functional_credit}]}' \
	    "$T/j" >"$T/x"
	jq -c '{id, erp_ref, status, reason: ""}' "$T/x" >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
}

rc() {
	"$BIN/reconcile" --accounts testdata/accounts.json --ledger "$T/l" \
	    --journal "$T/j" --rejects "$T/rj" --as-of 2026-11-04T00:00:00Z "$@"
}

# codes: "code keys difference" of each exception of $T/out
codes() {
	jq -r '"\(.code) \(.keys | join(",")) \(.difference)"' "$T/out"
}

# id N: the id of the journal's entry N
id() {
	sed -n "${1}p" "$T/j" | jq -r .id
}

@test "the ERP's export of what was posted and confirmed: no exception, exit 0" {
	month
	run rc --confirmations "$T/x"
	expect_status 0
	[ "${lines[-1]}" = "reconcile: 0 exceptions; 0 aggregates, 0 rated lines, 0 documents, 7 journal entries; documents that agree: 0 (100.0%); variance 0; posting latency 0 s" ]
	# the same, with lines split and reordered by the ERP: by account
	jq -c '.lines |= (reverse | map(if .account == "4000" and .credit != "0" then
	    (., {account, debit: "0", credit: "0"}) else . end))' "$T/x" >"$T/x2"
	run rc --confirmations "$T/x2"
	expect_status 0
}

@test "a move deleted in the ERP: confirmation_missing; a pending one absent is not" {
	month
	sed 4d "$T/x" >"$T/x2"
	rc --confirmations "$T/x2" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "confirmation_missing $(id 4) null" ]
	[ "$(jq -r .message "$T/out")" = "entry $(id 4) of ACME-US-2026-000001 is confirmed in the ledger as the ERP's R-4, and the ERP does not have it" ]
	[ "$(jq -r .document "$T/out")" = ACME-US-2026-000001 ]
	# without the journal: the ledger's confirmed postings
	"$BIN/reconcile" --ledger "$T/l" --rejects "$T/rj" --as-of 2026-11-04T00:00:00Z \
	    --confirmations "$T/x2" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "confirmation_missing $(id 4) null" ]
	# acknowledgements (not an export) lacking an entry: no exception
	sed 4d "$T/acks" >"$T/acks2"
	run rc --confirmations "$T/acks2"
	expect_status 0
	# an entry still pending in the ledger, absent from the export: none
	rm "$T/l"
	ep "$D" >/dev/null 2>&1
	grep -v "$(id 4)" "$T/acks" >"$T/acks2"
	ep --confirm "$T/acks2" 2>/dev/null
	run rc --confirmations "$T/x2"
	expect_status 0
}

@test "a move altered in the ERP: the account that differs, and the totals" {
	month
	# revenue 4000 of the US invoice: 40.45 credited as 41.45, the
	# receivable as much more
	jq -c 'if .erp_ref == "R-4" then .lines |= map(if .credit == "40.45" then .credit = "41.45"
	    elif .account == "1100" then .debit = "98.99" else . end) |
	    .debit = "108.99" | .credit = "108.99" else . end' "$T/x" >"$T/x2"
	rc --confirmations "$T/x2" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[0]}" = "confirmation_amount_mismatch $(id 4) 1.00" ]
	[ "${lines[1]}" = "confirmation_account_mismatch $(id 4),1100 1.00" ]
	[ "${lines[2]}" = "confirmation_account_mismatch $(id 4),4000 -1.00" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -r 'select(.keys[1] == "4000") | .message' "$T/out")" = "the ERP's move R-4 of entry $(id 4) moves account 4000 by -52.00 USD (debit less credit), the entry by -51.00" ]
	jq -e -s 'all(.currency == "USD" and .document == "ACME-US-2026-000001")' "$T/out"
	# within --tolerance: none
	run rc --confirmations "$T/x2" --tolerance 1
	expect_status 0
	# the credit total alone
	jq -c 'if .erp_ref == "R-4" then .credit = "107.00" else . end' "$T/x" >"$T/x4"
	rc --confirmations "$T/x4" >"$T/out" 2>/dev/null && false
	[ "$(codes)" = "confirmation_amount_mismatch $(id 4) -0.99" ]
	[ "$(jq -r .message "$T/out")" = "the ERP's move R-4 of entry $(id 4) totals 107.00 USD credit, not what was sent" ]
	# a line moved to another account, the totals the same
	jq -c 'if .erp_ref == "R-4" then .lines |= map(if .account == "2200" then .account = "2400" else . end) else . end' "$T/x" >"$T/x3"
	rc --confirmations "$T/x3" >"$T/out" 2>/dev/null && false
	[ "$(codes | xargs)" = "confirmation_account_mismatch $(id 4),2400 -7.99 confirmation_account_mismatch $(id 4),2200 7.99" ]
	# the ERP's codes need the accounts file: without it, not compared
	run "$BIN/reconcile" --ledger "$T/l" --journal "$T/j" --rejects "$T/rj" \
	    --as-of 2026-11-04T00:00:00Z --confirmations "$T/x3"
	expect_status 0
}

@test "a move added in the ERP, a move twice, another date, another reference, pending in ours" {
	month
	{
		cat "$T/x"
		# made in the ERP by hand: no entry id
		sed -n 1p "$T/x" | jq -c '.id = null | .erp_ref = "acme-eu/2026/99"'
		# the same entry posted twice
		sed -n 3p "$T/x" | jq -c '.erp_ref = "R-33"'
	} >"$T/x2"
	rc --confirmations "$T/x2" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[0]}" = "confirmation_unknown_entry acme-eu/2026/99 null" ]
	[ "${lines[1]}" = "confirmation_duplicate $(id 3),R-33 null" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .message "$T/out" | head -1)" = "the ERP has move acme-eu/2026/99 of Acme Cloud Europe Ltd, which is none of the entries sent (it names no entry id)" ]
	[ "$(jq -r .message "$T/out" | tail -1)" = "the ERP has entry $(id 3) more than once: moves R-3 and R-33" ]
	# another day, another reference
	jq -c 'if .erp_ref == "R-5" then .date = "2026-12-01" elif .erp_ref == "R-6" then .erp_ref = "R-66" else . end' "$T/x" >"$T/x3"
	rc --confirmations "$T/x3" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[0]}" = "confirmation_date_mismatch $(id 5) null" ]
	[ "${lines[1]}" = "confirmation_disagrees $(id 6) null" ]
	[ "$(jq -r .message "$T/out" | head -1)" = "the ERP has entry $(id 5) on 2026-12-01, the journal on 2026-11-30" ]
	# in the ERP, still pending in ours; a draft in the ERP
	rm "$T/l"
	ep "$D" >/dev/null 2>&1
	jq -c 'if .erp_ref == "R-2" then .status = "draft" | .erp_ref = null else . end' "$T/x" >"$T/x4"
	grep -v "$(id 7)" "$T/acks" >"$T/acks2"
	ep --confirm "$T/acks2" 2>/dev/null
	rc --confirmations "$T/x4" >"$T/out" 2>/dev/null && false
	run codes
	[ "${lines[0]}" = "confirmation_disagrees $(id 2) null" ]
	[ "${lines[1]}" = "confirmation_not_recorded $(id 7) null" ]
	[ "$(jq -r .message "$T/out" | head -1)" = "the ERP says draft  for entry $(id 2), the ledger has it confirmed as R-2" ]
}

@test "an export's record without an id or a reference is refused; CSV rows keep their rules" {
	month
	{
		cat "$T/x"
		echo '{"kind":"erp_move","id":null,"erp_ref":null}'
	} >"$T/x2"
	run rc --confirmations "$T/x2"
	expect_status 65
	[ "$(jq -r '"\(.line) \(.code) \(.message)"' "$T/rj")" = "8 missing_field a confirmation without an entry id" ]
}
