#!/usr/bin/env bats
# rate: every charge model on quantities whose amounts are worked out by
# hand (Stripe's and Lago's published examples among them), tier
# boundaries, zero, negative and decimal quantities, rounding per currency.

load lib

VOLUME='"model":"volume","tiers":[{"up_to":5,"unit_amount":"7"},{"up_to":10,"unit_amount":"6.50"},{"up_to":null,"unit_amount":"6"}]'
GRADUATED='"model":"graduated","tiers":[{"up_to":5,"unit_amount":"7"},{"up_to":10,"unit_amount":"6.50"},{"up_to":null,"unit_amount":"6"}]'

@test "volume: Stripe's example, tiers 1-5 at 7, 6-10 at 6.50, 11+ at 6: 5 -> 35, 6 -> 39, 20 -> 120" {
	run amounts "$VOLUME" 5 6 20
	[ "$output" = "35.00 39.00 120.00" ]
}

@test "volume: boundaries are inclusive, 0 is in the first tier, decimals fall between tiers" {
	run amounts "$VOLUME" 0 1 10 10.5 11 5.5
	# 10.5 is past 10: every unit at 6; 5.5 is past 5: every unit at 6.50
	[ "$output" = "0.00 7.00 65.00 63.00 66.00 35.75" ]
}

@test "graduated: each unit at its tier's price, with the same tiers" {
	run amounts "$GRADUATED" 0 5 6 10 10.5 20
	# 6 = 5 x 7 + 1 x 6.50; 10.5 = 35 + 32.50 + 0.5 x 6; 20 = 35 + 32.50 + 60
	[ "$output" = "0.00 35.00 41.50 67.50 70.50 127.50" ]
}

@test "tier flat amounts: the first tier's is charged at zero usage (Lago), each tier's once reached" {
	run amounts '"model":"graduated","tiers":[{"up_to":"100","flat_amount":"10"},{"up_to":null,"unit_amount":"0.1","flat_amount":"5"}]' \
	    0 100 100.5 200
	[ "$output" = "10.00 10.00 15.05 25.00" ]
	run amounts '"model":"volume","tiers":[{"up_to":"100","flat_amount":"10"},{"up_to":null,"unit_amount":"0.1","flat_amount":"5"}]' \
	    0 100 100.5 200
	# 100.5 x 0.1 + 5 = 15.05; 200 x 0.1 + 5 = 25
	[ "$output" = "10.00 10.00 15.05 25.00" ]
}

@test "the tier breakdown says what each tier contributed" {
	plan1 "$GRADUATED"
	aggr 1 cus_a m 12 | rate >"$T/out"
	run jq -c 'select(.line_type == "usage") | .breakdown.tiers[] | [.tier, .from, .up_to, .units, .amount]' "$T/out"
	[ "${lines[0]}" = '[1,"0","5","5","35"]' ]
	[ "${lines[1]}" = '[2,"5","10","5","32.50"]' ]
	[ "${lines[2]}" = '[3,"10",null,"2","12"]' ]
	has '.line_type == "usage"' '.amount_unrounded == "79.50" and .amount == "79.50"' "$T/out"
}

@test "unit: Stripe's 0.05 cents x 30 units is 1.5 cents, billed as 2 cents; prices below the minor unit" {
	run amounts '"model":"unit","unit_amount":"0.0005"' 30 29 1
	[ "$output" = "0.02 0.01 0.00" ]
	run amounts '"model":"unit","unit_amount":"0.00002"' 1234567 0 1000000000000
	[ "$output" = "24.69 0.00 20000000.00" ]
	plan1 '"model":"unit","unit_amount":"0.0005"'
	aggr 1 cus_a m 30 | rate | has '.line_type == "usage"' '.amount_unrounded == "0.0150" and .rounding == "half-up"'
}

@test "unit: a negative quantity (a correction) gives a credit" {
	run amounts '"model":"unit","unit_amount":"2.00"' -3
	[ "$output" = "-6.00" ]
}

@test "package: whole packages, a partial one rounded up or down" {
	run amounts '"model":"package","package_size":"1000","amount":"2.00"' 0 1 1000 1001 2500
	[ "$output" = "0.00 2.00 2.00 4.00 6.00" ]
	run amounts '"model":"package","package_size":"1000","amount":"2.00","round":"down"' 999 1999 2000
	[ "$output" = "0.00 2.00 4.00" ]
	plan1 '"model":"package","package_size":"1000","amount":"2.00"'
	aggr 1 cus_a m 2500 | rate | has '.line_type == "usage"' '.breakdown == {"package_size":"1000","packages":"3","amount_per_package":"2.00","round":"up"}'
}

@test "free units come off before the model, and never below zero" {
	run amounts '"model":"unit","unit_amount":"1.00","free_units":"100"' 50 100 150 100.5
	[ "$output" = "0.00 0.00 50.00 0.50" ]
	run amounts '"model":"graduated","free_units":"3","tiers":[{"up_to":5,"unit_amount":"7"},{"up_to":null,"unit_amount":"6"}]' 8
	# 5 billable: all in the first tier
	[ "$output" = "35.00" ]
	plan1 '"model":"unit","unit_amount":"1.00","free_units":"100"'
	aggr 1 cus_a m 50 | rate | has '.line_type == "usage"' '.quantity == "50" and .free_units == "100" and .billable_quantity == "0"'
}

@test "percentage: rate in percent plus a fixed fee, held between the per-transaction min and max" {
	P='"model":"percentage","rate":"2.9","fixed_amount":"0.30","per_transaction_min_amount":"0.50","per_transaction_max_amount":"20.00"'
	# 100 -> 2.90 + 0.30; 5 -> 0.445 held at 0.50; 1000 -> 29.30 held at
	# 20.00; a transaction of 0 still pays the minimum
	run amounts "$P" 100 5 1000 0
	[ "$output" = "3.20 0.50 20.00 0.50" ]
	# without bounds, an aggregate of 3 transactions: 2.9 % of 300 + 3 x 0.30
	plan1 '"model":"percentage","rate":"2.9","fixed_amount":"0.30"'
	aggr 1 cus_a m 300 '{}' 2026-09-01T00:00:00Z 2026-10-01T00:00:00Z 3 | rate >"$T/out"
	has '.line_type == "usage"' '.amount == "9.60" and .breakdown.transactions == 3 and .breakdown.transaction_amount == "300"' "$T/out"
}

@test "percentage: per-transaction bounds over a grouped meter, one line for all transactions" {
	plan1 '"model":"percentage","rate":"2.9","fixed_amount":"0.30","per_transaction_min_amount":"0.50","combine_groups":true'
	{
		aggr 1 cus_a m 100 '{"tx":"t1"}'
		aggr 2 cus_a m 5 '{"tx":"t2"}'
		aggr 3 cus_a m 10 '{"tx":"t3"}'
	} | rate >"$T/out"
	# 3.20 + 0.50 + 0.59
	has '.line_type == "usage"' '.amount == "4.29" and .breakdown.transactions == 3 and .breakdown.transactions_at_min_or_max == 1 and (.aggregates | length) == 3' "$T/out"
	[ "$(jq -s 'map(select(.line_type == "usage")) | length' "$T/out")" -eq 1 ]
}

@test "rounding follows the currency's minor unit and the catalog's mode" {
	printf '{"rounding":"half-even","plans":[{"id":"p","version":1,"currency":"JPY","charges":[{"id":"c","meter":"m","model":"unit","unit_amount":"0.5"}]}],"contracts":[{"customer":"cus_a","plan":"p","start":"2026-01-01T00:00:00Z"}]}\n' >"$T/c"
	# 5 x 0.5 = 2.5 and 3 x 0.5 = 1.5: half-even gives 2 and 2
	[ "$(aggr 1 cus_a m 5 | rate | jq -r .amount)" = 2 ]
	[ "$(aggr 1 cus_a m 3 | rate | jq -r .amount)" = 2 ]
	aggr 1 cus_a m 3 | rate | jq -e '.rounding == "half-even" and .currency == "JPY"'
	sed -i 's/"half-even"/"half-up"/' "$T/c"
	[ "$(aggr 1 cus_a m 5 | rate | jq -r .amount)" = 3 ]
	sed -i 's/"JPY"/"BHD"/; s/"0.5"/"0.0005"/' "$T/c"
	[ "$(aggr 1 cus_a m 3 | rate | jq -r .amount)" = 0.002 ]
}
