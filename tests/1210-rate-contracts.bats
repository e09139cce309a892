#!/usr/bin/env bats
# rate: the sample data's golden lines, and the contract rules worked out
# by hand: commitments, discounts with caps, proration of a contract
# change, advance billing, overrides, group filters, determinism.

load lib

# lines: "charge line_type amount" of each rated line of $T/out
lines() {
	jq -r 'select(.kind == "rated") | "\(.charge) \(.line_type) \(.amount)"' "$T/out"
}

@test "the sample aggregates: golden rated lines and alerts" {
	run "$BIN/rate" --catalog testdata/catalog.json \
	    --customers testdata/customers.ndjson --as-of 2026-11-02T00:00:00Z \
	    --rejects "$T/r" --stats "$T/s" testdata/aggregate/aggregates.expected.ndjson
	expect_status 0
	echo "$output" | grep -v '^rate: ' >"$T/out"
	same testdata/rate/rated.expected.ndjson "$T/out"
	[ "${lines[-1]}" = "rate: read 10, rated 10, duplicates 0, outside the window 0, rejected 0; 22 lines in 4 bills, 1 alert" ]
	jq -e '.stage == "rate" and .read == 10 and .rated == 10 and .lines == 22 and .bills == 4 and .alerts == 1 and .rejected == 0' "$T/s"
	[ ! -e "$T/r" ]
	# by hand, cus_acme (growth, commitment 100.00, 10 % off capped at 20):
	# 49.00 + 0 + 2.00 + 0.04 + 0 + 3.51 + 5.00 = 59.55, true-up 40.45,
	# then 10 % of 100.00 = 10.00 off
	grep cus_acme "$T/out" | jq -r 'select(.kind == "rated") | .amount' >"$T/a"
	printf '%s\n' 49.00 0.00 2.00 0.04 0.00 3.51 5.00 40.45 -10.00 | same - "$T/a"
	# every line's amount is its currency's minor unit
	jq -e -s 'map(select(.kind == "rated")) | all(.amount | test("^-?[0-9]+(\\.[0-9]{2})?$"))' "$T/out"
	# the combined line of a charge sums its aggregates' lineages
	grep cus_acme "$T/out" | has '.charge == "api"' '.aggregates == ["48fc7eb3b3d40d4e55a9a018dca94ac8"] and .lineage == "4cf69572db5785014af8c473832d62b8"'
}

@test "deterministic: the input in another order gives the same bytes" {
	rate_sample() {
		"$BIN/rate" --catalog testdata/catalog.json \
		    --customers testdata/customers.ndjson \
		    --as-of 2026-11-02T00:00:00Z --rejects "$T/r" "$@" 2>/dev/null
	}
	tac testdata/aggregate/aggregates.expected.ndjson >"$T/rev"
	rate_sample "$T/rev" >"$T/out"
	same testdata/rate/rated.expected.ndjson "$T/out"
	# the same aggregates twice: duplicates, the lines unchanged
	rate_sample testdata/aggregate/aggregates.expected.ndjson "$T/rev" >"$T/out2"
	same testdata/rate/rated.expected.ndjson "$T/out2"
}

@test "a charge's minimum commitment: a true-up line when usage falls short, none when not" {
	plan1 '"model":"unit","unit_amount":"1.00","minimum_commitment":"10.00"'
	aggr 1 cus_a m 4 | rate >"$T/out"
	run lines
	[ "$output" = $'c usage 4.00\nc true_up 6.00' ]
	has '.line_type == "true_up"' '.model == "minimum_commitment" and .breakdown == {"minimum_commitment":"10.00","amount_before":"4.00"}' "$T/out"
	aggr 1 cus_a m 12 | rate >"$T/out"
	run lines
	[ "$output" = "c usage 12.00" ]
}

@test "the plan's minimum commitment counts every line; a contract override replaces it" {
	plan1 '"model":"unit","unit_amount":"1.00"},{"id":"base","model":"flat","amount":"20.00"' \
	    '"minimum_commitment":"50.00"'
	aggr 1 cus_a m 4 | rate >"$T/out"
	run lines
	[ "$output" = $'base flat 20.00\nc usage 4.00\nnull true_up 26.00' ]
	plan1 '"model":"unit","unit_amount":"1.00"' '"minimum_commitment":"50.00"' \
	    '"overrides":{"minimum_commitment":"5.00"}'
	aggr 1 cus_a m 4 | rate >"$T/out"
	run lines
	[ "$output" = $'c usage 4.00\nnull true_up 1.00' ]
}

@test "discounts: percent with a cap, a fixed amount never below zero, per charge or on the plan, in order" {
	C='"overrides":{"discounts":[{"id":"ten","percent":"10","cap":"5.00","charge":"c"},{"id":"off","amount":"30.00"}]}'
	plan1 '"model":"unit","unit_amount":"1.00"' "" "$C"
	# 10 % of 20 = 2.00 off c; then 30 off the 18.00 left, held at 18.00
	aggr 1 cus_a m 20 | rate >"$T/out"
	run lines
	[ "$output" = $'c usage 20.00\nc discount -2.00\nnull discount -18.00' ]
	# 10 % of 100 = 10, capped at 5; then 30 off 95
	aggr 1 cus_a m 100 | rate >"$T/out"
	run lines
	[ "$output" = $'c usage 100.00\nc discount -5.00\nnull discount -30.00' ]
	has '.discount == "ten"' '.breakdown == {"applies_to":"c","percent":"10","cap":"5.00","base":"100.00"}' "$T/out"
	# a percent of a sub-cent amount is rounded once, on the line
	plan1 '"model":"unit","unit_amount":"0.01"' "" \
	    '"overrides":{"discounts":[{"id":"third","percent":"33.3333"}]}'
	aggr 1 cus_a m 1 | rate >"$T/out"
	has '.line_type == "discount"' '.amount_unrounded == "-0.00333333" and .amount == "0.00"' "$T/out"
}

@test "overrides: custom prices merged over the plan's charge, checked like it" {
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"overrides":{"charges":{"c":{"unit_amount":"0.80"}}}'
	[ "$(aggr 1 cus_a m 10 | rate | jq -r .amount)" = 8.00 ]
	# another model altogether
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"overrides":{"charges":{"c":{"model":"package","package_size":"3","amount":"2.00"}}}'
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"contracts[0] ('cus_a'): overrides: charges: 'c': unknown property 'unit_amount'"* ]]
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"overrides":{"charges":{"c":{"model":"package","unit_amount":null,"package_size":"3","amount":"2.00"}}}'
	run rate </dev/null
	expect_status 78
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"overrides":{"charges":{"nope":{"unit_amount":"2"}}}'
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"overrides: charges: plan 'p' v1 has no charge 'nope'"* ]]
}

@test "proration: a plan change in the middle of September splits the flat fees and commitments by time" {
	cat >"$T/c" <<-'EOF2'
	{"plans":[
	 {"id":"a","version":1,"currency":"USD","minimum_commitment":"100.00","charges":[
	  {"id":"fee","model":"flat","amount":"30.00"},
	  {"id":"use","meter":"m","model":"unit","unit_amount":"1.00"}]},
	 {"id":"b","version":1,"currency":"USD","minimum_commitment":"200.00","charges":[
	  {"id":"fee","model":"flat","amount":"60.00"},
	  {"id":"use","meter":"m","model":"unit","unit_amount":"2.00"}]}],
	 "contracts":[
	  {"customer":"cus_a","plan":"a","start":"2026-01-01T00:00:00Z","end":"2026-09-10T00:00:00Z"},
	  {"customer":"cus_a","plan":"b","start":"2026-09-10T00:00:00Z"}]}
	EOF2
	aggr 1 cus_a m 10 | rate >"$T/out"
	# fee: 30 x 9/30 + 60 x 21/30; usage whole at b's price; commitment
	# 100 x 9/30 + 200 x 21/30 = 170, less 9 + 42 + 20 = 71
	run jq -r 'select(.kind == "rated") | "\(.plan) \(.charge) \(.line_type) \(.service_start) \(.amount)"' "$T/out"
	[ "${lines[0]}" = "a fee flat 2026-09-01T00:00:00Z 9.00" ]
	[ "${lines[1]}" = "b fee flat 2026-09-10T00:00:00Z 42.00" ]
	[ "${lines[2]}" = "b use usage 2026-09-10T00:00:00Z 20.00" ]
	[ "${lines[3]}" = "b null true_up 2026-09-10T00:00:00Z 99.00" ]
	[ "${#lines[@]}" -eq 4 ]
	has '.plan == "a"' '.breakdown.proration == {"service_seconds":"777600","period_seconds":"2592000"} and .service_end == "2026-09-10T00:00:00Z"' "$T/out"
	# a share that does not come out even: 10 days of 30.00 over 31 days
	sed -i 's/2026-09-10/2026-10-11/g' "$T/c"
	aggr 1 cus_a m 0 '{}' 2026-10-01T00:00:00Z 2026-11-01T00:00:00Z | rate >"$T/out"
	has '.plan == "a" and .line_type == "flat"' '.amount_unrounded == "9.67741935483870968" and .amount == "9.68"' "$T/out"
	has '.plan == "b" and .line_type == "flat"' '.amount == "40.65"' "$T/out"
}

@test "advance billing: the next period's fee, and a new contract's first period too" {
	printf '{"id":"cus_a","subjects":["a"],"entity":"e","currency":"USD","country":"US","timezone":"UTC"}\n' >"$T/cust"
	plan1 '"model":"unit","unit_amount":"1.00"},{"id":"fee","model":"flat","amount":"30.00","billing":"advance"' \
	    "" ""
	sed -i 's/2026-01-01T00:00:00Z/2026-09-11T00:00:00Z/' "$T/c"
	aggr 1 cus_a m 1 | rate --customers "$T/cust" >"$T/out"
	run jq -r 'select(.line_type == "flat") | "\(.service_start) \(.service_end) \(.amount)"' "$T/out"
	[ "${lines[0]}" = "2026-09-11T00:00:00Z 2026-10-01T00:00:00Z 20.00" ]
	[ "${lines[1]}" = "2026-10-01T00:00:00Z 2026-11-01T00:00:00Z 30.00" ]
	[ "${#lines[@]}" -eq 2 ]
	has '.line_type == "flat"' '.period_start == "2026-09-01T00:00:00Z" and .breakdown.billing == "advance"' "$T/out"
	# October's bill: only November's fee
	aggr 2 cus_a m 1 '{}' 2026-10-01T00:00:00Z 2026-11-01T00:00:00Z | rate --customers "$T/cust" >"$T/out"
	run jq -r 'select(.line_type == "flat") | "\(.service_start) \(.amount)"' "$T/out"
	[ "$output" = "2026-11-01T00:00:00Z 30.00" ]
	# the commitment and the thresholds look at what serves the period:
	# October's fee (billed in September's bill) and usage, not November's
	plan1 '"model":"unit","unit_amount":"1.00"},{"id":"fee","model":"flat","amount":"30.00","billing":"advance"' \
	    '"minimum_commitment":"100.00"' '"thresholds":[{"amount":"45.00"}]'
	aggr 2 cus_a m 10 '{}' 2026-10-01T00:00:00Z 2026-11-01T00:00:00Z | rate --customers "$T/cust" >"$T/out"
	run jq -r 'select(.kind == "rated") | "\(.line_type) \(.service_start) \(.amount)"' "$T/out"
	[ "$output" = $'flat 2026-11-01T00:00:00Z 30.00\nusage 2026-10-01T00:00:00Z 10.00\ntrue_up 2026-10-01T00:00:00Z 60.00' ]
	! grep -q '"kind":"alert"' "$T/out" || false
	# without the customer master the next period is unknown: a usage error
	run rate </dev/null
	expect_status 64
	[[ "$output" == *"rate: $T/c: contracts[0]: charge 'fee' of plan 'p' bills in advance: give --customers FILE"* ]]
}

@test "group filters price groups apart; combine_groups makes one line; no usage still gets its line" {
	cat >"$T/c" <<-'EOF2'
	{"plans":[{"id":"p","version":1,"currency":"USD","charges":[
	  {"id":"large","meter":"tok","model":"unit","unit_amount":"0.00003","group":{"model":"large"}},
	  {"id":"small","meter":"tok","model":"unit","unit_amount":"0.000002","group":{"model":"small"}},
	  {"id":"calls","meter":"calls","model":"volume","combine_groups":true,
	   "tiers":[{"up_to":100,"unit_amount":"0.10"},{"up_to":null,"unit_amount":"0.05"}]},
	  {"id":"idle","meter":"idle","model":"graduated","tiers":[{"up_to":1,"flat_amount":"3.00"},{"up_to":null,"unit_amount":"1"}]}]}],
	 "contracts":[{"customer":"cus_a","plan":"p","start":"2026-01-01T00:00:00Z"}]}
	EOF2
	{
		aggr 1 cus_a tok 1000000 '{"model":"small"}'
		aggr 2 cus_a tok 100000 '{"model":"large"}'
		aggr 3 cus_a calls 80 '{"endpoint":"/a"}'
		aggr 4 cus_a calls 70 '{"endpoint":"/b"}'
	} | rate >"$T/out"
	run jq -r 'select(.kind == "rated") | "\(.charge) \(.group | tojson) \(.quantity) \(.amount)"' "$T/out"
	[ "${lines[0]}" = 'large {"model":"large"} 100000 3.00' ]
	[ "${lines[1]}" = 'small {"model":"small"} 1000000 2.00' ]
	# 150 calls together fall in the second volume tier: 150 x 0.05
	[ "${lines[2]}" = 'calls {} 150 7.50' ]
	# no aggregate of meter idle: quantity 0, the first tier's flat fee
	[ "${lines[3]}" = 'idle {} 0 3.00' ]
	# an unfiltered group of a filtered meter is priced by no charge
	aggr 5 cus_a tok 5 '{"model":"medium"}' | rate >"$T/out"
	[ ! -s "$T/out" ]
	jq -e '.code == "unpriced_group" and .class == "policy_violation" and .field == "group"' "$T/r"
}

@test "a plan's versions: a contract names one, or the plan has only one" {
	cat >"$T/c" <<-'EOF2'
	{"plans":[{"id":"p","version":1,"currency":"USD","charges":[{"id":"c","meter":"m","model":"unit","unit_amount":"1"}]},
	 {"id":"p","version":2,"currency":"USD","charges":[{"id":"c","meter":"m","model":"unit","unit_amount":"2"}]}],
	 "contracts":[{"customer":"cus_a","plan":"p","version":2,"start":"2026-01-01T00:00:00Z"}]}
	EOF2
	aggr 1 cus_a m 3 | rate >"$T/out"
	jq -e '.plan == "p" and .plan_version == 2 and .amount == "6.00"' "$T/out"
	sed -i 's/"version":2,"start"/"start"/' "$T/c"
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"contracts[0] ('cus_a'): plan 'p' has versions 1, 2: say which with \"version\""* ]]
}
