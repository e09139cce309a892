#!/usr/bin/env bats
# Books that are right, 3: credit grants that behave like money.  A grant
# may expire, has a priority and is bought (paid) or promotional; a period
# draws on the grants open at its end by priority, the soonest expiry, the
# oldest, and its credit line names them; an expired balance is gone:
# rate stops drawing on it, erp-post books a paid grant's unused balance
# as breakage and reverses a promotional one's (the mirror of its grant,
# booked against promotions, with no cash); customer prepayments never
# end in debit; erp-post --aging and --grants show the open grants.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

# The catalog: cus_acme (acme-us, New York) pays 1.00 a unit of meter m,
# with five grants: draws go vip (priority 10), then promo (expires
# first), older, newer (same expiry, older first), bought (never
# expires).
catalog() {
	cat >"$T/c" <<-'EOF'
	{"plans":[{"id":"p","version":1,"currency":"USD","charges":[{"id":"c","meter":"m","model":"unit","unit_amount":"1.00"}]}],
	 "contracts":[{"customer":"cus_acme","plan":"p","start":"2026-01-01T00:00:00Z","prepaid_credits":[
	  {"id":"bought","amount":"100.00","granted_at":"2026-08-01T00:00:00Z"},
	  {"id":"promo","amount":"50.00","granted_at":"2026-08-01T00:00:00Z","expires":"2026-10-15T12:00:00Z","paid":false},
	  {"id":"vip","amount":"20.00","granted_at":"2026-08-15T00:00:00Z","expires":"2026-12-01T00:00:00Z","priority":10},
	  {"id":"older","amount":"25.00","granted_at":"2026-08-01T00:00:00Z","expires":"2026-12-01T00:00:00Z"},
	  {"id":"newer","amount":"40.00","granted_at":"2026-08-10T00:00:00Z","expires":"2026-12-01T00:00:00Z"}]}]}
	EOF
	# acme-us with an account of its own for breakage; promotions are
	# its discounts account by default
	jq '.entities[0].breakage = "Income:Breakage"' testdata/accounts.json >"$T/acc"
}

SEP='2026-09-01T00:00:00Z 2026-10-01T00:00:00Z'
OCT='2026-10-01T00:00:00Z 2026-11-01T00:00:00Z'
NOV='2026-11-01T00:00:00Z 2026-12-01T00:00:00Z'

# month N QUANTITY START END AS_OF: rate cus_acme's month with the ledger
month() {
	aggr "$1" cus_acme m "$2" '{}' "$3" "$4" |
	    "$BIN/rate" --catalog "$T/c" --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --as-of "$5" --stats "$T/s"
}
# credit FILE: the credit line's amount and breakdown
credit() {
	jq -c 'select(.line_type == "credit") | [.amount, .breakdown]' "$1"
}
# issue RATED AS_OF: invoice-gen --issue
issue() {
	"$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --issue --as-of "$2" "$1"
}
# post AS_OF ARGS...: erp-post with $T/acc
post() {
	local asof=$1
	shift
	"$BIN/erp-post" --accounts "$T/acc" --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --as-of "$asof" "$@"
}
# the three months rated, issued and posted, each at its month-end
three_months() {
	catalog
	month 1 60 $SEP 2026-10-02T00:00:00Z >"$T/sep"
	month 2 50 $OCT 2026-11-02T00:00:00Z >"$T/oct"
	month 3 5 $NOV 2026-12-02T00:00:00Z >"$T/nov"
	issue "$T/sep" 2026-10-02T12:00:00Z >"$T/d1" 2>/dev/null
	post 2026-10-03T00:00:00Z "$T/d1" >"$T/j1" 2>"$T/e1"
	issue "$T/oct" 2026-11-02T12:00:00Z >"$T/d2" 2>/dev/null
	post 2026-11-03T00:00:00Z "$T/d2" >"$T/j2" 2>"$T/e2"
	issue "$T/nov" 2026-12-02T12:00:00Z >"$T/d3" 2>/dev/null
	post 2026-12-03T00:00:00Z "$T/d3" >"$T/j3" 2>"$T/e3"
	cat "$T/d1" "$T/d2" "$T/d3" >"$T/docs"
}
# lines TYPE: the entries of that type in $T/j*, "date account debit
# credit" a line
lines_of() {
	cat "$T"/j[0-9] | jq -r "select(.type == \"$1\") | .date as \$d |
	    .lines[] | \"\(\$d) \(.account) \(.debit) \(.credit)\""
}

@test "a period draws on the grants open at its end: priority, then the soonest expiry, then the oldest; the credit line names them" {
	catalog
	month 1 60 $SEP 2026-10-02T00:00:00Z >"$T/out"
	[ "$(credit "$T/out")" = '["-60.00",{"balance_before":"235.00","balance_after":"175.00","amount_due_before":"60.00","grants":[{"id":"vip","amount":"20.00"},{"id":"promo","amount":"40.00"}]}]' ]
	# promo expired on October 15th, before October's end: October does
	# not draw on it, and its 10.00 left are out of the balance
	month 2 50 $OCT 2026-11-02T00:00:00Z >"$T/out"
	[ "$(credit "$T/out")" = '["-50.00",{"balance_before":"165.00","balance_after":"115.00","amount_due_before":"50.00","grants":[{"id":"older","amount":"25.00"},{"id":"newer","amount":"25.00"}]}]' ]
	# a grant that expires at the period's end still pays for it
	month 3 5 $NOV 2026-12-02T00:00:00Z >"$T/out"
	[ "$(credit "$T/out")" = '["-5.00",{"balance_before":"115.00","balance_after":"110.00","amount_due_before":"5.00","grants":[{"id":"newer","amount":"5.00"}]}]' ]
	# December: vip, older and newer expired at December's start
	month 4 500 2026-12-01T00:00:00Z 2027-01-01T00:00:00Z 2027-01-02T00:00:00Z >"$T/out"
	[ "$(credit "$T/out")" = '["-100.00",{"balance_before":"100.00","balance_after":"0.00","amount_due_before":"500.00","grants":[{"id":"bought","amount":"100.00"}]}]' ]
	# the ledger: each draw's grants, in the order drawn
	run lq l "SELECT $(sql_time period_start), seq, grant_id, amount FROM credit_draw_grant ORDER BY period_start, seq"
	[ "$output" = "2026-09-01 00:00:00|0|vip|20
2026-09-01 00:00:00|1|promo|40
2026-10-01 00:00:00|0|older|25
2026-10-01 00:00:00|1|newer|25
2026-11-01 00:00:00|0|newer|5
2026-12-01 00:00:00|0|bought|100" ]
	# and its audit trail names them
	[ "$(lq l "SELECT $(sql_json detail grants) FROM audit WHERE op = 'credit.draw' ORDER BY seq LIMIT 1")" = '[{"id":"vip","amount":"20"},{"id":"promo","amount":"40"}]' ]
	[ "$(lq l "SELECT $(sql_json detail expires) || ' ' || $(sql_json detail priority) || ' ' || $(sql_json detail paid) FROM audit WHERE op = 'credit.grant' AND $(sql_json detail id) = 'promo'")" = "2026-10-15T12:00:00Z 50 0" ]
}

@test "rated again: the same draw byte for byte; after a grant expired, never more drawn on it (no expired credit comes back), and less is left to expire" {
	catalog
	month 1 60 $SEP 2026-10-02T00:00:00Z >"$T/sep"
	month 2 50 $OCT 2026-11-02T00:00:00Z >/dev/null
	month 3 5 $NOV 2026-12-02T00:00:00Z >/dev/null
	# September again in December, the same usage: the same line, no draw
	month 1 60 $SEP 2026-12-03T00:00:00Z >"$T/out"
	same "$T/sep" "$T/out"
	jq -e '.credit_draws == 0' "$T/s"
	# more usage: vip and promo (expired since) give what they gave, the
	# rest comes from bought, never from newer's expired 10.00
	month 4 70 $SEP 2026-12-03T00:00:00Z >"$T/out"
	[ "$(credit "$T/out")" = '["-70.00",{"balance_before":"160.00","balance_after":"90.00","amount_due_before":"70.00","grants":[{"id":"vip","amount":"20.00"},{"id":"promo","amount":"40.00"},{"id":"bought","amount":"10.00"}]}]' ]
	jq -e '.credit_draws == 1' "$T/s"
	# less usage: the draw is less; promo's 10.00 more expire unused
	month 5 50 $SEP 2026-12-03T00:00:00Z >"$T/out"
	[ "$(credit "$T/out")" = '["-50.00",{"balance_before":"160.00","balance_after":"110.00","amount_due_before":"50.00","grants":[{"id":"vip","amount":"20.00"},{"id":"promo","amount":"30.00"}]}]' ]
	# never more on a grant than it was: every grant's draws
	run lq l "SELECT grant_id, sum(CAST(amount AS NUMERIC)) FROM credit_draw_grant GROUP BY grant_id ORDER BY grant_id"
	[ "$output" = "newer|30
older|25
promo|30
vip|20" ]
	# before a grant expires, a period rated again draws on it as any
	catalog
	ledger_rm l
	month 1 60 $SEP 2026-10-02T00:00:00Z >/dev/null
	month 6 65 $SEP 2026-10-05T00:00:00Z >"$T/out"
	[ "$(credit "$T/out" | jq -c '.[1].grants')" = '[{"id":"vip","amount":"20.00"},{"id":"promo","amount":"45.00"}]' ]
}

@test "erp-post books each expiry once: a paid grant's breakage, a promotional grant's reversal (the mirror of its grant, with no cash); prepayments never in debit; the journals strict" {
	three_months
	# the promotional grant: promotions (acme-us: its discounts account)
	# against customer prepayments, no cash
	run lines_of grant_promo
	[ "$output" = "2026-10-01 Income:Discounts 50.00 0.00
2026-10-01 Liabilities:CustomerPrepayments 0.00 50.00" ]
	# the bought ones as before: cash against prepayments
	[ "$(lines_of grant | grep -c 'Assets:Bank:Clearing')" -eq 4 ]
	# promo expired on October 15th (New York) with 10.00 unused: reversed
	run lines_of grant_reversal
	[ "$output" = "2026-10-15 Liabilities:CustomerPrepayments 10.00 0.00
2026-10-15 Income:Discounts 0.00 10.00" ]
	# newer expired at December's start (November 30th in New York) with
	# 10.00 unused: breakage, to the accounts file's breakage account;
	# vip and older were used up: nothing to book
	run lines_of grant_breakage
	[ "$output" = "2026-11-30 Liabilities:CustomerPrepayments 10.00 0.00
2026-11-30 Income:Breakage 0.00 10.00" ]
	has '.type == "grant_breakage"' '.document == {"kind":"credit_grant","number":"cus_acme/newer","version":0,"references":null}' "$T/j3"
	[[ "$(tail -1 "$T/e3")" == *"; credit grants: 0 booked, 1 expiry booked" ]]
	[[ "$(tail -1 "$T/e2")" == *"; credit grants: 0 booked, 1 expiry booked" ]]
	# booked once: another run books nothing
	run post 2026-12-10T00:00:00Z --stats "$T/s" "$T/docs"
	[ "$(echo "$output" | grep -c '"type":"grant')" -eq 0 ]
	jq -e '.grants_expired == 0 and .grants_booked == 0' "$T/s"

	# the whole journal, in each plain-text format, strict
	for f in hledger ledger beancount; do
		post 2026-12-10T00:00:00Z --replay --format $f "$T/docs" >"$T/books.$f" 2>/dev/null
	done
	grep -q 'Prepaid credit expired: breakage' "$T/books.hledger"
	grep -q 'Promotional credit expired: reversed' "$T/books.hledger"
	grep -q 'Promotional credit granted' "$T/books.hledger"
	strict_journal "$T/books.hledger"
	strict_journal "$T/books.ledger" ledger
	strict_journal "$T/books.beancount"
	# customer prepayments, day by day: never in debit, and at the end
	# what bought has left (100.00): 235 granted, 115 drawn, 20 expired
	run hledger -f "$T/books.hledger" reg -O csv 'Liabilities:CustomerPrepayments'
	python3 - "$output" <<-'EOF'
	import csv, decimal, io, sys
	rows = list(csv.DictReader(io.StringIO(sys.argv[1])))
	assert rows, "no prepayments postings"
	for r in rows:
	    v = decimal.Decimal(r["total"].split()[0])
	    assert v <= 0, ("in debit", r)
	assert decimal.Decimal(rows[-1]["total"].split()[0]) == -100, rows[-1]
	EOF
	# promotions: the promotional credit the customer used (40.00)
	[ "$(hledger -f "$T/books.hledger" bal -N -O csv Income:Discounts | tail -1)" = '"Income:Discounts","40.00 USD"' ]
	# reconcile takes the grants' entries for what they are: of no document
	run "$BIN/reconcile" --invoices "$T/docs" --journal <(post 2026-12-10T00:00:00Z --replay "$T/docs" 2>/dev/null) \
	    --accounts "$T/acc" --rejects "$T/rr"
	expect_status 0
}

@test "a draw recorded after the expiry was booked: the difference booked as the next version, on the day found" {
	three_months
	# September rated again with less usage: promo's unused is now 20.00
	month 4 50 $SEP 2026-12-04T00:00:00Z >"$T/sep2"
	issue "$T/sep2" 2026-12-04T12:00:00Z >"$T/d4" 2>/dev/null
	[ "$(jq -r '"\(.kind) \(.prepaid_credit)"' "$T/d4")" = "credit_note 10.00" ]
	run post 2026-12-05T00:00:00Z "$T/d4"
	echo "$output" | grep '"type":"grant_reversal"' >"$T/x"
	# this run's day in New York
	has 'true' '.date == "2026-12-04" and .document.version == 1 and [.lines[] | [.account, .debit, .credit]] == [["Liabilities:CustomerPrepayments","10.00","0.00"],["Income:Discounts","0.00","10.00"]]' "$T/x"
	[[ "${lines[-1]}" == *"credit grants: 0 booked, 1 expiry booked" ]]
	# and in the journal replayed, both versions
	cat "$T/docs" "$T/d4" >"$T/all"
	[ "$(post 2026-12-06T00:00:00Z --replay "$T/all" 2>/dev/null | grep -c '"type":"grant_reversal"')" -eq 2 ]
	post 2026-12-06T00:00:00Z --replay --format hledger "$T/all" >"$T/books" 2>/dev/null
	strict_journal "$T/books"
	[ "$(hledger -f "$T/books" bal -N -O csv Liabilities:CustomerPrepayments | tail -1)" = '"Liabilities:CustomerPrepayments","-100.00 USD"' ]
	# nothing more to book
	run post 2026-12-07T00:00:00Z --stats "$T/s" "$T/all"
	jq -e '.grants_expired == 0' "$T/s"
}

@test "erp-post --aging: each customer's open grants with balance and expiry, after the receivables; --grants the same as NDJSON" {
	three_months
	run "$BIN/erp-post" --aging --ledger "$(ledger_new l)" --as-of 2026-11-03T00:00:00Z
	expect_status 0
	[ "$(printf '%s\n' "${lines[@]}" | sed -n '/^Open credit grants/,$p')" = "Open credit grants as of 2026-11-03, in the order drawn
customer                 cur  grant            kind  prio granted    expires                    amount        drawn      balance
cus_acme                 USD  newer            paid    50 2026-08-10 2026-12-01T00:00:00Z        40.00        30.00        10.00
cus_acme                 USD  bought           paid    50 2026-08-01 never                      100.00         0.00       100.00
total                    USD                                                                    140.00        30.00       110.00" ]
	run "$BIN/erp-post" --grants --ledger "$(ledger_new l)" --as-of 2026-11-03T00:00:00Z
	expect_status 0
	[ "$output" = '{"kind":"grant_balance","customer":"cus_acme","id":"newer","currency":"USD","paid":true,"priority":50,"granted_at":"2026-08-10T00:00:00Z","expires":"2026-12-01T00:00:00Z","amount":"40.00","drawn":"30.00","balance":"10.00","as_of":"2026-11-03T00:00:00Z"}
{"kind":"grant_balance","customer":"cus_acme","id":"bought","currency":"USD","paid":true,"priority":50,"granted_at":"2026-08-01T00:00:00Z","expires":null,"amount":"100.00","drawn":"0.00","balance":"100.00","as_of":"2026-11-03T00:00:00Z"}' ]
	# expired, used up: not open
	run "$BIN/erp-post" --grants --ledger "$(ledger_new l)" --as-of 2026-12-03T00:00:00Z
	[ "$(echo "$output" | jq -r .id)" = bought ]
	# a ledger without grants: the receivables alone, as before
	run "$BIN/erp-post" --aging --ledger "$(ledger_new l2)" --as-of 2026-11-03T00:00:00Z
	[[ "$output" != *"credit grants"* ]]
	run "$BIN/erp-post" --grants --ledger "$(ledger_new l)" --aging
	expect_status 64
	[[ "$output" == *"--confirm, --payments, --aging and --grants go alone"* ]]
	run "$BIN/erp-post" --grants
	expect_status 64
	[[ "$output" == *"--grants needs --ledger and reads no other input"* ]]
}

@test "catalog: expires after granted_at, priority 0 to 100, paid true or false; a grant changed under its id is a conflict" {
	catalog
	jq '.contracts[0].prepaid_credits[1].expires = "2026-07-01T00:00:00Z" |
	    .contracts[0].prepaid_credits[2].priority = 101 |
	    .contracts[0].prepaid_credits[3].paid = "no" |
	    .contracts[0].prepaid_credits[4].expires = "soon"' "$T/c" >"$T/bad"
	run "$BIN/rate" --catalog "$T/bad" </dev/null
	expect_status 78
	[[ "$output" == *"prepaid_credits[1]: expires must be after granted_at (or the contract's start)"* ]]
	[[ "$output" == *"prepaid_credits[2]: priority must be a whole number from 0 to 100 (lower is drawn first)"* ]]
	[[ "$output" == *"prepaid_credits[3]: paid must be true or false"* ]]
	[[ "$output" == *"prepaid_credits[4]: expires must be an RFC 3339 time like \"2026-01-01T00:00:00Z\""* ]]
	month 1 60 $SEP 2026-10-02T00:00:00Z >/dev/null
	for change in '.expires = "2026-10-16T12:00:00Z"' '.priority = 5' '.paid = true'; do
		jq ".contracts[0].prepaid_credits[1] |= ($change)" "$T/c" >"$T/c2"
		run "$BIN/rate" --catalog "$T/c2" --ledger "$(ledger_new l)" --rejects "$T/r" </dev/null
		expect_status 65
		[[ "$output" == *"prepaid credit 'promo' of customer 'cus_acme' is in the ledger with another currency, amount, time, expiry, priority or paid"* ]]
	done
}

@test "a ledger of schema 10: its draws, which named no grant, are taken off the grants oldest first" {
	sqlite_only "a schema 10 SQLite file made by ledger_v10"
	catalog
	# schema 10 knew no expiry, priority or paid: two grants, bought
	jq '.contracts[0].prepaid_credits = [{"id":"a","amount":"30.00","granted_at":"2026-08-01T00:00:00Z"},{"id":"b","amount":"30.00","granted_at":"2026-08-02T00:00:00Z"}]' "$T/c" >"$T/c9"
	mv "$T/c9" "$T/c"
	month 1 40 $SEP 2026-10-02T00:00:00Z >/dev/null
	ledger_v10 "$T/l"
	[ "$(sqlite3 "$T/l" 'PRAGMA user_version')" = 10 ]
	# October: September's 40.00 took a (30) and 10 of b: 20.00 left, of b
	month 2 50 $OCT 2026-11-02T00:00:00Z >"$T/out"
	[ "$(sqlite3 "$T/l" 'PRAGMA user_version')" = 12 ]
	[ "$(credit "$T/out")" = '["-20.00",{"balance_before":"20.00","balance_after":"0.00","amount_due_before":"50.00","grants":[{"id":"b","amount":"20.00"}]}]' ]
	# September rated again: its draw now names its grants
	month 1 40 $SEP 2026-11-02T00:00:00Z >"$T/out"
	[ "$(credit "$T/out" | jq -c '.[1].grants')" = '[{"id":"a","amount":"30.00"},{"id":"b","amount":"10.00"}]' ]
}
