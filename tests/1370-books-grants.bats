#!/usr/bin/env bats
# Books that are right, 2: prepaid credit bought is booked when granted.
# erp-post with --ledger books every credit grant rate recorded that no
# entry has booked yet (cash against customer prepayments), once, in the
# books of its customer's first invoice; the demo's prepayments end in
# credit or zero.

load lib

# the sample month issued into $T/l, and grants as rate records them
# (customer, id, currency, amount, granted at)
setup_ledger() {
	ig --issue testdata/rate/rated.expected.ndjson >/dev/null 2>&1
}
grant() {
	sqlite3 "$T/l" "INSERT INTO credit_grant (customer, id, currency, amount,
	    granted, recorded) VALUES ('$1', '$2', '$3', '$4',
	    (strftime('%s', '$5') * 1000000000), 0)"
}

@test "a grant is booked once: cash against customer prepayments, on the day granted in the customer's zone" {
	setup_ledger
	# 23:30 UTC on October 31st is November 1st in Berlin
	grant cus_globex welcome EUR 25 2026-10-31T23:30:00Z
	grant cus_acme promo USD 10.5 2026-10-05T12:00:00Z
	grant cus_nobody welcome USD 5 2026-10-05T12:00:00Z
	run ep --stats "$T/s" testdata/erp/documents.ndjson
	expect_status 0
	[[ "${lines[-1]}" == *"; credit grants: 2 booked, 1 waiting for their customer's first invoice" ]]
	jq -e '.grants_booked == 2 and .grants_waiting == 1 and .grants_rejected == 0' "$T/s"
	echo "$output" | grep '"type":"grant"' >"$T/g"
	[ "$(wc -l <"$T/g")" -eq 2 ]
	has '.customer == "cus_globex"' '.date == "2026-11-01" and .entity == "acme-eu" and .document == {"kind":"credit_grant","number":"cus_globex/welcome","version":0,"references":null} and [.lines[] | [.account, .debit, .credit]] == [["Assets:EU:Bank:Stripe","25.00","0.00"],["Liabilities:EU:CustomerPrepayments","0.00","25.00"]]' "$T/g"
	has '.customer == "cus_acme"' '.date == "2026-10-05" and [.lines[] | [.account, .debit, .credit]] == [["Assets:Bank:Clearing","10.50","0.00"],["Liabilities:CustomerPrepayments","0.00","10.50"]]' "$T/g"
	# pending like every entry, its id the ERP's key
	id=$(jq -r 'select(.customer == "cus_acme") | .id' "$T/g")
	[ "$(sqlite3 "$T/l" "SELECT state, number FROM posting WHERE id = '$id'")" = "pending|cus_acme/promo" ]
	# booked once: a second run books nothing, a retry sends it again
	run ep testdata/erp/documents.ndjson
	[ "$(echo "$output" | grep -c '"type":"grant"')" -eq 0 ]
	[[ "${lines[-1]}" == *"0 entries emitted, 0 retried, 0 confirmed before, 9 pending; credit grants: 0 booked, 1 waiting"* ]]
	ep --retry-pending testdata/erp/documents.ndjson 2>/dev/null | grep '"type":"grant"' | same "$T/g" -
	# --replay: with the entries of the documents read, those of the grants
	# booked in the books of their customers' first invoices among them
	ep --replay testdata/erp/documents.ndjson 2>/dev/null | grep '"type":"grant"' | same "$T/g" -
	grep -v ACME-EU-2026-000001 testdata/erp/documents.ndjson >"$T/no-globex"
	ep --replay "$T/no-globex" 2>/dev/null | jq -r 'select(.type == "grant") | .customer' >"$T/rc"
	[ "$(cat "$T/rc")" = cus_acme ]
	# reconcile takes them for what they are: entries of no document
	ep --replay testdata/erp/documents.ndjson >"$T/journal" 2>/dev/null
	run "$BIN/reconcile" --invoices testdata/erp/documents.ndjson --journal "$T/journal" \
	    --accounts testdata/accounts.json --rejects "$T/rr"
	expect_status 0
	[[ "$output" != *posting_without_document* ]]
	# the customer's first invoice comes: its grant is booked then
	sqlite3 "$T/l" "UPDATE credit_grant SET customer = 'cus_initech' WHERE customer = 'cus_nobody'"
	sqlite3 "$T/l" "UPDATE credit_grant SET currency = 'EUR' WHERE customer = 'cus_initech'"
	run ep testdata/erp/documents.ndjson
	has '.type == "grant"' '.customer == "cus_initech" and .lines[0].debit == "5.00"' <(echo "$output" | grep '"type":"grant"')
}

@test "a grant in another currency than the books': the FX table's rate of its day, or a reject until there is one" {
	setup_ledger
	grant cus_umbrella seats JPY 1000 2026-11-02T03:00:00Z
	run ep testdata/erp/documents.ndjson
	jq -r '"\(.class) \(.code) \(.message)"' "$T/r" | grep -qx "data_quality no_fx_rate credit grant cus_umbrella/seats is in JPY for books in USD: no FX rate on or before 2026-11-02 (give --fx FILE)"
	jq -e 'select(.code == "no_fx_rate") | .raw | fromjson | .customer == "cus_umbrella" and .amount == "1000"' "$T/r"
	[[ "${lines[-1]}" == *"credit grants: 0 booked, 1 rejected"* ]]
	# 1000 JPY x 0.006602 = 6.602 -> 6.60 USD
	run ep --fx testdata/fx.json testdata/erp/documents.ndjson
	echo "$output" | grep '"type":"grant"' >"$T/g"
	jq -e '.fx_rate == "0.006602" and [.lines[] | [.account, .debit, .functional_debit, .functional_credit]] == [["Assets:JP:Bank","1000","6.60","0.00"],["Liabilities:JP:CustomerPrepayments","0","0.00","6.60"]]' "$T/g"
}

@test "a grant in a closed period is refused as the entity's policy says; an entity without a bank account books it receivable" {
	setup_ledger
	grant cus_globex old EUR 5 2026-08-10T12:00:00Z	# acme-eu: August closed, reject
	grant cus_acme old USD 5 2026-08-10T12:00:00Z	# acme-us: next open day
	jq '.entities[1] |= (del(.clearing) | del(.erp[].accounts["Assets:EU:Bank:Stripe"]))' testdata/accounts.json >"$T/acc"
	run "$BIN/erp-post" --accounts "$T/acc" --ledger "$T/l" --rejects "$T/r" \
	    --as-of 2026-11-03T00:00:00Z testdata/erp/documents.ndjson
	jq -r 'select(.code == "closed_period") | .message' "$T/r" | grep -qx "credit grant cus_globex/old is dated 2026-08-10, in a closed period of entity 'acme-eu' (closed_policy reject)"
	has '.type == "grant"' '.customer == "cus_acme" and .date == "2026-10-01" and .document_date == "2026-08-10"' <(echo "$output" | grep '"type":"grant"')
	grant cus_globex new EUR 5 2026-10-10T12:00:00Z
	run "$BIN/erp-post" --accounts "$T/acc" --ledger "$T/l" --rejects "$T/r" \
	    --as-of 2026-11-03T00:00:00Z testdata/erp/documents.ndjson
	has '.type == "grant"' '.customer == "cus_globex" and .lines[0].account == "Assets:Receivable:Trade"' <(echo "$output" | grep '"type":"grant"')
}

@test "the demo's books: customer prepayments end in credit or zero, the journal strict" {
	DEMO_OUT="$T/demo" DEMO_EVENTS=3000 DEMO_CUSTOMERS=40 DEMO_HOURS=48 \
	    DEMO_ERP=none BIN="$BIN" sh scripts/demo >"$T/out" 2>&1
	grep -q 'credit grants: 1 booked' "$T/demo/work/post.log"
	strict_journal "$T/demo/journal.hledger"
	# what was bought less what was drawn: never a debit
	run hledger -f "$T/demo/journal.hledger" bal -N -E 'CustomerPrepayments' -O csv
	python3 - "$output" <<-'EOF'
	import csv, decimal, io, sys
	rows = list(csv.reader(io.StringIO(sys.argv[1])))[1:]
	assert rows, "no prepayments account"
	for acct, amt in rows:
	    for a in amt.split(", "):
	        v = decimal.Decimal(a.split()[0]) if a.strip() not in ("", "0") else 0
	        assert v <= 0, (acct, amt)
	EOF
	grep -q 'Prepaid credit bought' "$T/demo/journal.hledger"
}
