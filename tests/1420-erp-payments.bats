#!/usr/bin/env bats
# erp-post --payments and --aging: full, partial and over-payments, a
# reference counted once, unknown and void invoices and other currencies
# as reconciliation exceptions, the cash receipts balanced and accepted
# by hledger, payment statuses in the ledger, the aged receivables.

load lib

# The sample month issued into $T/l: four invoices, a debit note of
# 1.09 USD on ACME-US-2026-000001, and ACME-EU-2026-000002 voided.
setup_ledger() {
	ig --issue testdata/rate/rated.expected.ndjson >/dev/null 2>&1
	sed 's/"amount":"3.51"/"amount":"4.51"/' testdata/rate/rated.expected.ndjson |
	    ig --issue >/dev/null 2>&1
	ig --void ACME-EU-2026-000002 >/dev/null 2>&1
}

status() {
	sqlite3 "$T/l" "SELECT amount, paid, status FROM receivable WHERE number = '$1'"
}

@test "partial, then over-payment: the invoice with its debit note paid, the rest kept as credit" {
	setup_ledger
	printf '%s\n' 'invoice,amount,currency,date,reference' \
	    'ACME-US-2026-000001,50.00,USD,2026-11-20,ch_1' >"$T/p1.csv"
	ep --payments "$T/p1.csv" >"$T/out" 2>/dev/null
	[ "$(status ACME-US-2026-000001)" = "99.08|50|partially_paid" ]
	jq -e '.type == "payment" and .payment_reference == "ch_1" and [.lines[] | [.account, .debit, .credit]] == [["Assets:Bank:Clearing","50.00","0.00"],["Assets:Receivable:Trade","0.00","50.00"]]' "$T/out"
	printf '%s\n' '{"invoice":"ACME-US-2026-000001","amount":"60.00","currency":"USD","date":"2026-11-25","reference":"ch_2"}' >"$T/p2"
	ep --payments "$T/p2" >"$T/out" 2>/dev/null
	# 97.99 + 1.09 = 99.08: 49.08 still open, 10.92 over
	jq -e '[.lines[] | [.account, .debit, .credit]] == [["Assets:Bank:Clearing","60.00","0.00"],["Assets:Receivable:Trade","0.00","49.08"],["Liabilities:CustomerPrepayments","0.00","10.92"]]' "$T/out"
	[ "$(status ACME-US-2026-000001)" = "99.08|99.08|paid" ]
	[ "$(sqlite3 "$T/l" "SELECT applied, excess FROM payment WHERE reference = 'ch_2'")" = "49.08|10.92" ]
	# the cash receipts are journal entries like the others
	ep --payments "$T/p2" --format hledger >/dev/null 2>&1
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$T/l" --rejects "$T/r" \
	    --retry-pending --format hledger testdata/erp/documents.ndjson >"$T/j" 2>/dev/null
	strict_journal "$T/j"
}

@test "a reference seen twice counts once; the same reference with other content is a conflict" {
	setup_ledger
	printf '%s\n' 'invoice,amount,currency,date,reference' \
	    'ACME-EU-2026-000001,80.00,EUR,2026-11-21,tr_9' \
	    'ACME-EU-2026-000001,80.00,EUR,2026-11-21,tr_9' \
	    'ACME-EU-2026-000001,3.51,EUR,2026-11-21,tr_9' >"$T/p.csv"
	run ep --payments "$T/p.csv" --stats "$T/s"
	expect_status 0
	[ "$(echo "$output" | grep -c '"kind":"journal_entry"')" -eq 1 ]
	[ "${lines[-1]}" = "erp-post: read 3, applied 1, duplicates 1, rejected 1; 1 cash receipts emitted, 0 retried (idempotency_conflict 1; see '$T/r')" ]
	[ "$(status ACME-EU-2026-000001)" = "83.51|80|partially_paid" ]
	# and on a later run, again once
	run ep --payments "$T/p.csv"
	[ "$(echo "$output" | grep -c '"kind":"journal_entry"')" -eq 0 ]
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM payment')" -eq 1 ]
}

@test "payments of unknown and void invoices, or in another currency, are reconciliation exceptions" {
	setup_ledger
	printf '%s\n' 'reference,invoice,currency,amount,date' \
	    'x1,NOPE-1,EUR,1.00,2026-11-21' \
	    'x2,ACME-EU-2026-000002,EUR,35.08,2026-11-21' \
	    'x3,AJ2611-00001,USD,150.00,2026-11-21' \
	    'x4,AJ2611-00001,JPY,-5,2026-11-21' \
	    'x5,AJ2611-00001,JPY,22500,21/11/2026' >"$T/p.csv"
	run ep --payments "$T/p.csv"
	expect_status 0
	run jq -r '"\(.line) \(.class) \(.code)"' "$T/r"
	[ "${lines[0]}" = "2 reconciliation_exception unknown_document" ]
	[ "${lines[1]}" = "3 reconciliation_exception voided_document" ]
	[ "${lines[2]}" = "4 reconciliation_exception currency_mismatch" ]
	[ "${lines[3]}" = "5 data_quality invalid_payment" ]
	[ "${lines[4]}" = "6 data_quality invalid_payment" ]
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM payment')" -eq 0 ]
	printf 'invoice,amount\nX,1\n' >"$T/bad.csv"
	run ep --payments "$T/bad.csv"
	expect_status 65
	[[ "$output" == *"the first line must name the columns: invoice, amount, currency, date, reference"* ]]
}

@test "a JPY invoice paid in full, in books kept in USD" {
	setup_ledger
	printf '%s\n' '{"invoice":"AJ2611-00001","amount":"22500","currency":"JPY","date":"2026-11-28","reference":"jp_1"}' >"$T/p"
	ep --payments "$T/p" >"$T/out" 2>/dev/null
	jq -e '[.lines[] | [.account, .debit, .credit, .functional_debit, .functional_credit]] == [["Assets:JP:Bank","22500","0","148.55","0.00"],["Assets:JP:Receivable","0","22500","0.00","148.55"]]' "$T/out"
	[ "$(status AJ2611-00001)" = "22500|22500|paid" ]
}

@test "--aging: open receivables by customer and days past due, statuses refreshed" {
	setup_ledger
	printf '%s\n' 'invoice,amount,currency,date,reference' \
	    'ACME-US-2026-000001,50.00,USD,2026-11-20,ch_1' >"$T/p.csv"
	ep --payments "$T/p.csv" >/dev/null 2>&1
	# due 2026-12-02: 38 days past due on 2027-01-09
	run ep --aging --as-of 2027-01-09T00:00:00Z
	expect_status 0
	[ "${lines[0]}" = "Receivables as of 2027-01-09, by days past due" ]
	printf '%s\n' \
	    'cus_globex               EUR          0.00         0.00        83.51         0.00         0.00        83.51' \
	    'total                    EUR          0.00         0.00        83.51         0.00         0.00        83.51' \
	    'cus_umbrella             JPY             0            0        22500            0            0        22500' \
	    'total                    JPY             0            0        22500            0            0        22500' \
	    'cus_acme                 USD          0.00         0.00        49.08         0.00         0.00        49.08' \
	    'total                    USD          0.00         0.00        49.08         0.00         0.00        49.08' >"$T/want"
	echo "$output" | grep -E '^(cus_|total)' | same "$T/want" -
	[ "$(status ACME-US-2026-000001)" = "99.08|50|overdue" ]
	[ "$(status ACME-EU-2026-000002)" = "0|0|void" ]
	# before the due dates: all current
	run ep --aging --as-of 2026-11-10T00:00:00Z
	[[ "${lines[2]}" == "cus_globex               EUR         83.51 "* ]]
}
