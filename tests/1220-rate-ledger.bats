#!/usr/bin/env bats
# rate with the ledger: prepaid credits drawn across periods and never
# twice, previews that change nothing, spending alerts once per threshold
# and period, the month-end window, and the schema migration.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

SEP='{} 2026-09-01T00:00:00Z 2026-10-01T00:00:00Z'
OCT='{} 2026-10-01T00:00:00Z 2026-11-01T00:00:00Z'

# credit_plan: unit price 1.00 and a 100.00 prepaid credit for cus_a
credit_plan() {
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"prepaid_credits":[{"id":"welcome","amount":"100.00"}]'
}

# credit: the credit line's amount, or nothing
credit() {
	jq -r 'select(.line_type == "credit") | .amount' "$T/out"
}

# draws: the ledger's draws, "period_start amount" a line
draws() {
	lq l "SELECT period_start, amount FROM credit_draw ORDER BY period_start"
}

@test "prepaid credits: drawn down across two periods, and re-rating a period never draws twice" {
	credit_plan
	# September uses 60: all of it from the credit
	aggr 1 cus_a m 60 $SEP | rate --ledger "$(ledger_new l)" --stats "$T/s" >"$T/out"
	[ "$(credit)" = -60.00 ]
	has '.line_type == "credit"' '.breakdown == {"balance_before":"100.00","balance_after":"40.00","amount_due_before":"60.00","grants":[{"id":"welcome","amount":"60.00"}]} and .model == "prepaid_credit"' "$T/out"
	jq -e '.credit_draws == 1' "$T/s"
	cp "$T/out" "$T/sep"
	# October uses 70: the 40.00 left
	aggr 2 cus_a m 70 $OCT | rate --ledger "$(ledger_new l)" >"$T/out"
	[ "$(credit)" = -40.00 ]
	has '.line_type == "credit"' '.breakdown.balance_before == "40.00" and .breakdown.balance_after == "0.00"' "$T/out"
	# September again: the same line, nothing drawn
	aggr 1 cus_a m 60 $SEP | rate --ledger "$(ledger_new l)" --stats "$T/s" >"$T/out"
	same "$T/sep" "$T/out"
	jq -e '.credit_draws == 0' "$T/s"
	run draws
	[ "${lines[0]}" = "1788220800000000000|60" ]
	[ "${lines[1]}" = "1790812800000000000|40" ]
	# a third period finds nothing left: no credit line
	aggr 3 cus_a m 5 '{}' 2026-08-01T00:00:00Z 2026-09-01T00:00:00Z | rate --ledger "$(ledger_new l)" >"$T/out"
	[ -z "$(credit)" ]
	[ "$(lq l 'SELECT count(*) FROM credit_grant')" -eq 1 ]
}

@test "prepaid credits: a corrected period replaces its draw; the balance stays whole" {
	credit_plan
	aggr 1 cus_a m 60 $SEP | rate --ledger "$(ledger_new l)" >/dev/null
	# late usage: September is now 30, so it draws 30 and 70 are left
	aggr 1 cus_a m 30 $SEP | rate --ledger "$(ledger_new l)" >"$T/out"
	[ "$(credit)" = -30.00 ]
	aggr 2 cus_a m 90 $OCT | rate --ledger "$(ledger_new l)" >"$T/out"
	[ "$(credit)" = -70.00 ]
	# (amounts are decimal text: summed here, as 100)
	[ "$(lq l 'SELECT amount FROM credit_draw' | awk '{ s += $1 } END { print s }')" = 100 ]
}

@test "prepaid credits: a grant is recorded once; changing it under the same id is a conflict" {
	credit_plan
	aggr 1 cus_a m 1 $SEP | rate --ledger "$(ledger_new l)" >/dev/null
	sed -i 's/"100.00"/"150.00"/' "$T/c"
	run rate --ledger "$(ledger_new l)" </dev/null
	expect_status 65
	[[ "$output" == *"prepaid credit 'welcome' of customer 'cus_a' is in the ledger with another currency, amount, time, expiry, priority or paid"* ]]
	[ "$(lq l 'SELECT amount FROM credit_grant')" = 100 ]
	# a grant made after a period ended does not pay for it
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"prepaid_credits":[{"id":"later","amount":"10","granted_at":"2026-10-15T00:00:00Z"}]'
	aggr 1 cus_a m 5 $SEP | rate --ledger "$(ledger_new l2)" >"$T/out"
	[ -z "$(credit)" ]
	aggr 2 cus_a m 5 $OCT | rate --ledger "$(ledger_new l2)" >"$T/out"
	[ "$(credit)" = -5.00 ]
}

@test "--preview: an open period rated and marked, no credit drawn, the ledger unchanged" {
	credit_plan
	aggr 1 cus_a m 60 $SEP | rate --ledger "$(ledger_new l)" >/dev/null
	ledger_dump l >"$T/before"
	# November is open on 2026-11-20
	aggr 2 cus_a m 70 '{}' 2026-11-01T00:00:00Z 2026-12-01T00:00:00Z >"$T/nov"
	run "$BIN/rate" --catalog "$T/c" --rejects "$T/r" --ledger "$(ledger_new l)" \
	    --as-of 2026-11-20T00:00:00Z "$T/nov"
	expect_status 0
	[ -z "$(echo "$output" | grep -v '^rate: ')" ]
	jq -e '.code == "period_open" and .class == "policy_violation"' "$T/r"
	"$BIN/rate" --catalog "$T/c" --rejects "$T/r2" --ledger "$(ledger_new l)" --preview \
	    --as-of 2026-11-20T00:00:00Z "$T/nov" >"$T/out"
	has '.kind == "rated"' '.preview == true' "$T/out"
	[ "$(jq -r 'select(.line_type == "usage") | .amount' "$T/out")" = 70.00 ]
	[ -z "$(credit)" ]
	ledger_dump l >"$T/after"
	same "$T/before" "$T/after"
	[ ! -e "$T/r2" ]
}

@test "spending thresholds: an alert once per threshold and period, previews included" {
	plan1 '"model":"unit","unit_amount":"1.00"' '"minimum_commitment":"100.00"' \
	    '"thresholds":[{"amount":"50.00"},{"percent":"80"},{"amount":"500"}]'
	aggr 1 cus_a m 40 '{}' 2026-11-01T00:00:00Z 2026-12-01T00:00:00Z >"$T/a40"
	aggr 1 cus_a m 85 '{}' 2026-11-01T00:00:00Z 2026-12-01T00:00:00Z >"$T/a85"
	prev() {
		"$BIN/rate" --catalog "$T/c" --rejects "$T/r" --ledger "$(ledger_new l)" \
		    --preview --as-of 2026-11-20T00:00:00Z "$@" 2>/dev/null
	}
	# 40 spent so far (the commitment's true-up is not spending): nothing
	prev --alerts "$T/al" "$T/a40" >"$T/out"
	[ ! -s "$T/al" ]
	has '.line_type == "true_up"' '.amount == "60.00"' "$T/out"
	# 85: past 50.00 and 80 % of 100.00, not 500
	prev --alerts "$T/al" "$T/a85" >"$T/out"
	run jq -r '"\(.threshold) \(.threshold_amount) \(.amount) \(.preview)"' "$T/al"
	[ "${lines[0]}" = "amount:50 50.00 85.00 true" ]
	[ "${lines[1]}" = "percent:80 80.00 85.00 true" ]
	[ "${#lines[@]}" -eq 2 ]
	has 'true' '.kind == "alert" and .customer == "cus_a" and .correlation_id == .key and .as_of == "2026-11-20T00:00:00Z" and .period_start == "2026-11-01T00:00:00Z"' "$T/al"
	! grep -q '"kind":"alert"' "$T/out" || false
	# the next preview: nothing new, on stdout or in the file
	prev --alerts "$T/al" "$T/a85" >"$T/out"
	! grep -q '"kind":"alert"' "$T/out" || false
	[ "$(wc -l <"$T/al")" -eq 2 ]
	[ "$(lq l 'SELECT count(*) FROM rate_alert')" -eq 2 ]
	# a period is billed once it is over: its alerts were given already
	"$BIN/rate" --catalog "$T/c" --rejects "$T/r" --ledger "$(ledger_new l)" \
	    --as-of 2026-12-02T00:00:00Z "$T/a85" >"$T/out" 2>/dev/null
	! grep -q '"kind":"alert"' "$T/out" || false
	# the next month starts again
	sed 's/2026-11-01/2026-10-01/; s/2026-12-01/2026-11-01/' "$T/a85" >"$T/oct"
	prev "$T/oct" >"$T/out"
	[ "$(grep -c '"kind":"alert"' "$T/out")" -eq 2 ]
	# without a ledger every run says it
	"$BIN/rate" --catalog "$T/c" --rejects "$T/r" --preview \
	    --as-of 2026-11-20T00:00:00Z "$T/a85" >"$T/out" 2>/dev/null
	[ "$(grep -c '"kind":"alert"' "$T/out")" -eq 2 ]
}

@test "the month-end window: --from/--to with the customer master bills contracts without usage" {
	printf '%s\n' '{"id":"cus_a","subjects":["a"],"entity":"e","currency":"USD","country":"US","timezone":"UTC"}' \
	    '{"id":"cus_b","subjects":["b"],"entity":"e","currency":"USD","country":"US","timezone":"Europe/Paris"}' >"$T/cust"
	cat >"$T/c" <<-'EOF2'
	{"plans":[{"id":"p","version":1,"currency":"USD","charges":[
	  {"id":"fee","model":"flat","amount":"10.00"},
	  {"id":"c","meter":"m","model":"unit","unit_amount":"1.00"}]}],
	 "contracts":[{"customer":"cus_a","plan":"p","start":"2026-01-01T00:00:00Z"},
	  {"customer":"cus_b","plan":"p","start":"2026-01-01T00:00:00Z"}]}
	EOF2
	{
		aggr 1 cus_a m 5 $SEP
		aggr 2 cus_a m 7 $OCT
	} | rate --customers "$T/cust" --from 2026-09-15T00:00:00Z \
	    --to 2026-10-15T00:00:00Z --stats "$T/s" >"$T/out"
	# only September ends in the window; cus_b gets its fee in its zone
	run jq -r '"\(.customer) \(.charge) \(.period_start) \(.quantity) \(.amount)"' "$T/out"
	[ "${lines[0]}" = "cus_a fee 2026-09-01T00:00:00Z 1 10.00" ]
	[ "${lines[1]}" = "cus_a c 2026-09-01T00:00:00Z 5 5.00" ]
	[ "${lines[2]}" = "cus_b fee 2026-08-31T22:00:00Z 1 10.00" ]
	[ "${lines[3]}" = "cus_b c 2026-08-31T22:00:00Z 0 0.00" ]
	[ "${#lines[@]}" -eq 4 ]
	jq -e '.read == 2 and .rated == 1 and .outside_window == 1 and .bills == 2' "$T/s"
}

@test "a version 1 ledger is migrated to version 12 in place" {
	sqlite_only "a schema 1 SQLite file made by ledger_v5 and sqlite3"
	credit_plan
	aggr 1 cus_a m 1 $SEP | rate --ledger "$T/l" >/dev/null
	ledger_v5 "$T/l"
	sqlite3 "$T/l" 'DROP TABLE credit_grant; DROP TABLE credit_draw; DROP TABLE rate_alert; DROP TABLE doc_seq; DROP TABLE invoice; DROP TABLE doc; DROP TABLE posting; DROP TABLE payment; DROP TABLE receivable; PRAGMA user_version = 1'
	aggr 1 cus_a m 60 $SEP | rate --ledger "$T/l" >"$T/out"
	[ "$(credit)" = -60.00 ]
	[ "$(sqlite3 "$T/l" 'PRAGMA user_version')" = 12 ]
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM credit_draw')" = 1 ]
}
