#!/usr/bin/env bats
# rate: every refused aggregate is a reject with its class, code, field
# and raw line, never priced at zero; a bad catalog is listed and exits
# 78; the accounting adds up.

load lib

# code: "class code field" of each reject in $T/r
codes() {
	jq -r '"\(.class) \(.code) \(.field)"' "$T/r"
}

@test "no contract, a meter no charge uses, a group no charge prices: rejects, never zero" {
	plan1 '"model":"unit","unit_amount":"1.00","group":{"tier":"gold"}'
	{
		aggr 1 cus_zz m 5
		aggr 2 cus_a other 5
		aggr 3 cus_a m 5 '{"tier":"silver"}'
		aggr 4 cus_a m 5 '{"tier":"gold"}'
		# before the contract starts
		aggr 5 cus_a m 5 '{"tier":"gold"}' 2025-12-01T00:00:00Z 2026-01-01T00:00:00Z
	} >"$T/in"
	run rate --stats "$T/s" "$T/in"
	expect_status 0
	run codes
	[ "${lines[0]}" = "policy_violation no_contract customer" ]
	[ "${lines[1]}" = "policy_violation unpriced_meter meter" ]
	[ "${lines[2]}" = "policy_violation unpriced_group group" ]
	[ "${lines[3]}" = "policy_violation no_contract customer" ]
	[ "${#lines[@]}" -eq 4 ]
	jq -r .message "$T/r" >"$T/msg"
	grep -qx "customer 'cus_zz' has no contract in force in the period starting 2026-09-01T00:00:00Z" "$T/msg"
	grep -qx "no charge of plan 'p' v1 (customer 'cus_a') prices meter 'other'" "$T/msg"
	grep -qx "no charge of plan 'p' v1 prices meter 'm' for group {\"tier\":\"silver\"}" "$T/msg"
	# raw is the line as it was: fix and replay
	jq -r .raw "$T/r" | head -3 | same <(head -3 "$T/in") -
	jq -e '.read == 5 and .rated == 1 and .rejected == 4 and .rejects_by_code == {"no_contract":2,"unpriced_group":1,"unpriced_meter":1}' "$T/s"
	run rate --strict "$T/in"
	expect_status 65
}

@test "bad aggregates: each field checked, the line and file named" {
	plan1 '"model":"graduated","tiers":[{"up_to":null,"unit_amount":"1"}]'
	{
		echo '{"kind":"usage"}'
		echo 'not json'
		aggr 1 cus_a m 1 | jq -c 'del(.customer)'
		aggr 2 cus_a m 1.2.3
		aggr 3 cus_a m 1 | jq -c '.period_start = "2026-13-01T00:00:00Z"'
		aggr 4 cus_a m 1 | jq -c '.key = "xyz"'
		aggr 5 cus_a m 1 | jq -c '.period = "year"'
		aggr 6 cus_a m 1 | jq -c '.events = -1'
		aggr 7 cus_a m -2
		aggr 8 cus_a m 1 | jq -c '.schema = "2.0"'
		aggr 9 cus_a m 1 '{}' 2026-10-01T00:00:00Z 2026-09-01T00:00:00Z
		aggr 10 cus_a m 1 | jq -c '.group = []'
		aggr 11 cus_a m 1 | jq -c '.period = "day"'
		aggr 12 cus_a m 1 | jq -c 'del(.events)'
	} >"$T/in"
	run rate "$T/in"
	expect_status 0
	run jq -r '"\(.line) \(.code) \(.field)"' "$T/r"
	[ "${lines[0]}" = "1 not_aggregate kind" ]
	[ "${lines[1]}" = "2 invalid_json " ]
	[ "${lines[2]}" = "3 missing_field customer" ]
	[ "${lines[3]}" = "4 invalid_quantity quantity" ]
	[ "${lines[4]}" = "5 invalid_time period_start" ]
	[ "${lines[5]}" = "6 invalid_field key" ]
	[ "${lines[6]}" = "7 invalid_field period" ]
	[ "${lines[7]}" = "8 invalid_field events" ]
	[ "${lines[8]}" = "9 negative_quantity quantity" ]
	[ "${lines[9]:0:2}" = "10" ]
	[ "${lines[10]}" = "11 invalid_period period_end" ]
	[ "${lines[11]}" = "12 invalid_field group" ]
	[ "${lines[12]}" = "13 period_mismatch period" ]
	[ "${lines[13]}" = "14 missing_field events" ]
	[ "${#lines[@]}" -eq 14 ]
	has '.line == 9' '.message == "quantity -2 is negative: charge '"'c'"' (graduated) prices only quantities of 0 or more"' "$T/r"
	has '.line == 13' '.message == "the aggregate'"'"'s period is a day; plan '"'p'"' v1 bills by month"' "$T/r"
	jq -e -s 'all(.file == "'"$T/in"'" and .stage == "rate" and .kind == "reject")' "$T/r"
}

@test "the same aggregate twice is a duplicate; the same key with other content a conflict" {
	plan1 '"model":"unit","unit_amount":"1.00"'
	{
		aggr 1 cus_a m 5
		aggr 1 cus_a m 5
		aggr 1 cus_a m 6
	} >"$T/in"
	run rate --stats "$T/s" "$T/in"
	expect_status 0
	echo "$output" | grep -v '^rate: ' | has '.line_type == "usage"' '.amount == "5.00"'
	jq -e '.class == "idempotency_conflict" and .code == "idempotency_conflict" and .line == 3' "$T/r"
	jq -r .message "$T/r" | grep -q "already read on $T/in:1 with other content"
	jq -e '.read == 3 and .rated == 1 and .duplicates == 1 and .rejected == 1' "$T/s"
}

@test "an open period is refused without --preview, and a window leaves periods out" {
	plan1 '"model":"unit","unit_amount":"1.00"'
	aggr 1 cus_a m 5 '{}' 2026-11-01T00:00:00Z 2026-12-01T00:00:00Z >"$T/in"
	run rate "$T/in"
	jq -e '.code == "period_open" and .message == "the period ends 2026-12-01T00:00:00Z, after --as-of: it is still open; rate it with --preview"' "$T/r"
	rm "$T/r"
	aggr 2 cus_a m 5 >>"$T/in"
	run rate --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z --stats "$T/s" "$T/in"
	expect_status 0
	[ ! -e "$T/r" ]
	jq -e '.read == 2 and .outside_window == 2 and .rated == 0' "$T/s"
}

@test "with the customer master: an aggregate of another zone's period, an unknown customer" {
	plan1 '"model":"unit","unit_amount":"1"'
	jq -c '.contracts += [{"customer":"cus_b","plan":"p","start":"2026-01-01T00:00:00Z"}]' "$T/c" >"$T/c2"
	mv "$T/c2" "$T/c"
	printf '{"id":"cus_a","subjects":["a"],"entity":"e","currency":"USD","country":"FR","timezone":"Europe/Paris","billing_anchor":15}\n' >"$T/cust"
	{
		aggr 1 cus_a m 5
		aggr 2 cus_b m 5
		aggr 3 cus_a m 5 '{}' 2026-09-14T22:00:00Z 2026-10-14T22:00:00Z
	} | rate --customers "$T/cust" >"$T/out"
	run jq -r '"\(.code) \(.message)"' "$T/r"
	[ "${lines[0]}" = "period_mismatch not a billing period of customer 'cus_a' (Europe/Paris, billing_anchor 15): the month there is 2026-08-14T22:00:00Z .. 2026-09-14T22:00:00Z" ]
	[ "${lines[1]}" = "unknown_customer customer 'cus_b' is not in the customers file" ]
	[ "${#lines[@]}" -eq 2 ]
	has '.line_type == "usage"' '.period_start == "2026-09-14T22:00:00Z" and .amount == "5.00"' "$T/out"
}

@test "percentage bounds need one aggregate per transaction" {
	plan1 '"model":"percentage","rate":"1","per_transaction_max_amount":"5"'
	aggr 1 cus_a m 500 '{}' 2026-09-01T00:00:00Z 2026-10-01T00:00:00Z 4 | rate
	jq -e '.class == "policy_violation" and .code == "not_per_transaction" and .field == "events"' "$T/r"
}

@test "a period that would mix currencies is refused whole, its aggregates rejected" {
	cat >"$T/c" <<-'EOF2'
	{"plans":[{"id":"u","version":1,"currency":"USD","charges":[{"id":"c","meter":"m","model":"unit","unit_amount":"1"}]},
	 {"id":"e","version":1,"currency":"EUR","charges":[{"id":"c","meter":"m","model":"unit","unit_amount":"1"}]}],
	 "contracts":[{"customer":"cus_a","plan":"u","start":"2026-01-01T00:00:00Z","end":"2026-09-15T00:00:00Z"},
	  {"customer":"cus_a","plan":"e","start":"2026-09-15T00:00:00Z"}]}
	EOF2
	run rate --stats "$T/s" <(aggr 1 cus_a m 5; aggr 2 cus_a n 5)
	expect_status 0
	[ "$(echo "$output" | grep -vc '^rate: ')" -eq 0 ]
	[[ "$output" == *"rate: customer 'cus_a', the period starting 2026-09-01T00:00:00Z is not billed: currency_change: the contracts in force in this period bill in USD and EUR; a period is billed in one currency"* ]]
	jq -e '.bills_failed == 1 and .bills == 0 and .lines == 0' "$T/s"
	# a failed bill with no aggregate (billed for its fees) is said too
	printf '{"id":"cus_a","subjects":["a"],"entity":"e","currency":"USD","country":"US","timezone":"UTC"}\n' >"$T/cust"
	run rate --customers "$T/cust" --from 2026-09-15T00:00:00Z --to 2026-10-15T00:00:00Z --strict </dev/null
	expect_status 65
	[[ "$output" == *"is not billed: currency_change"* ]]
	jq -e -s 'map(select(.code == "currency_change")) | length == 1 and (.[0].message | test("bill in USD and EUR"))' "$T/r"
	jq -e '.read == 2 and .rated == 0 and .rejected == 2' "$T/s"
}

@test "a bad catalog: every problem listed with where it is, exit 78, nothing read" {
	cat >"$T/c" <<-'EOF2'
	{"plans":[{"id":"p","version":1,"currency":"usd","charges":[
	  {"id":"a","meter":"m","model":"volume","tiers":[{"up_to":10,"unit_amount":"1"},{"up_to":5,"unit_amount":"1"},{"up_to":null}]},
	  {"id":"a","meter":"m","model":"unit","unit_amount":"x"},
	  {"id":"b","model":"flat","amount":"5","meter":"m"},
	  {"id":"c","meter":"m","model":"tiered"},
	  {"id":"d","meter":"m","model":"package","package_size":"0","amount":"1","colour":"red"},
	  {"id":"e","meter":"m","model":"unit","unit_amount":"-0.01"}],"name":7}],
	 "contracts":[{"id":"K","customer":"x","plan":"q","start":"2026-01-01T00:00:00Z"},
	  {"id":"K","customer":"z","plan":"p","start":"2026-01-01T00:00:00Z"},
	  {"customer":"y","plan":"p","start":"yesterday","thresholds":[{"percent":"80"}],
	   "prepaid_credits":[{"id":"g","amount":"-1"}]}],
	 "extra":1}
	EOF2
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"rate: $T/c: unknown property 'extra'"* ]]
	[[ "$output" == *"plans[0] ('p' v1): currency must be an ISO 4217 code with minor units, like \"USD\""* ]]
	[[ "$output" == *"plans[0] ('p' v1): charges[0] ('a'): tiers[2]: a tier needs unit_amount, flat_amount or both"* ]]
	[[ "$output" == *"plans[0] ('p' v1): charges[1] ('a'): unit_amount must be a decimal number, best written as a string like \"12.50\""* ]]
	[[ "$output" == *"charges[2] ('b'): a flat charge reads no meter"* ]]
	[[ "$output" == *"charges[3] ('c'): model must be one of flat, unit, graduated, volume, package, percentage"* ]]
	[[ "$output" == *"charges[4] ('d'): unknown property 'colour'"* ]]
	[[ "$output" == *"charges[4] ('d'): package_size must be greater than 0"* ]]
	[[ "$output" == *"charges[5] ('e'): unit_amount must not be negative"* ]]
	[[ "$output" == *"plans[0] ('p' v1): name must be a non-empty string"* ]]
	[[ "$output" == *"contracts[0] ('K', customer x): plan 'q' is not in the catalog"* ]]
	[[ "$output" == *"the contract id 'K' is already used by contracts[0]"* ]]
	[[ "$output" == *"contracts[2] ('y'): start must be an RFC 3339 time"* ]]
	[[ "$output" == *"errors"* ]]
	# the tiers' order is checked once the values read
	sed -i 's/{"up_to":null}/{"up_to":null,"unit_amount":"1"}/' "$T/c"
	run rate </dev/null
	[[ "$output" == *"charges[0] ('a'): tiers: "* ]]
}

@test "a plan version defined twice is a catalog error" {
	plan1 '"model":"unit","unit_amount":"1"'
	jq -c '.plans += [.plans[0]]' "$T/c" >"$T/c2"
	run "$BIN/rate" --catalog "$T/c2" </dev/null
	expect_status 78
	[[ "$output" == *"plans[1] ('p' v1): plan 'p' version 1 is already defined by plans[0]"* ]]
}

@test "overlapping contracts of one customer are a catalog error" {
	plan1 '"model":"unit","unit_amount":"1"'
	jq -c '.contracts += [{"customer":"cus_a","plan":"p","start":"2026-06-01T00:00:00Z"}]' "$T/c" >"$T/c2"
	mv "$T/c2" "$T/c"
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"contracts[1]: customer 'cus_a' already has a contract then (contracts[0], no end); a contract starting 2026-06-01T00:00:00Z needs the earlier one to end by then"* ]]
}

@test "usage errors, a missing input, a broken pipe" {
	plan1 '"model":"unit","unit_amount":"1"'
	run "$BIN/rate"
	expect_status 64
	[[ "$output" == *"--catalog FILE is required"* ]]
	run rate --from 2026-10-01T00:00:00Z
	expect_status 64
	run rate --as-of yesterday
	expect_status 64
	run "$BIN/rate" --catalog "$T/none"
	expect_status 66
	aggr 1 cus_a m 5 >"$T/in"
	run rate "$T/in" "$T/missing"
	expect_status 66
	[ "$(echo "$output" | grep -c '"kind":"rated"')" -eq 1 ]
	run "$BIN/rate" --help
	expect_status 0
	[[ "$output" == *"usage: rate --catalog FILE"* ]]
	# a reader that goes away: 74, and a hint on how to get the lines
	aggr 1 cus_a m 1 '{"g":"%d"}' | awk '{ for (i = 1; i <= 3000; i++) { l = $0; sub(/"key":"0+1"/, sprintf("\"key\":\"%032x\"", i), l); printf(l "\n", i) } }' >"$T/big"
	[ "$(sort -u "$T/big" | wc -l)" -eq 3000 ]
	run bash -c "set -o pipefail; '$BIN/rate' --catalog '$T/c' --rejects '$T/r' --as-of 2026-11-01T00:00:00Z '$T/big' | head -c 10 >/dev/null"
	expect_status 74
	[[ "$output" == *"the lines are computed again by running the same command"* ]]
}
