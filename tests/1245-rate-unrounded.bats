#!/usr/bin/env bats
# rate: amount_unrounded is the exact value the peer's model returns before
# rounding, line by line, on vectors from the peers' own specs:
#
# - Lago (getlago/lago-api): a fee keeps the charge model's BigDecimal
#   amount before rounding as precise_amount_cents (app/services/fees/
#   charge_service.rb: amount_result.amount x subunit_to_unit; rounded
#   once to the currency's exponent for amount_cents), a numeric(40,15) of
#   the minor unit (db/structure.sql, fees.precise_amount_cents).  The
#   charge-model vectors come from spec/services/charges/charge_models/
#   {standard,graduated,volume,package,percentage}_service_spec.rb, the
#   true-ups from spec/services/fees/create_true_up_service_spec.rb, the
#   discounts from spec/services/credits/applied_coupon_service_spec.rb and
#   the credits from spec/services/credits/applied_prepaid_credit_service_
#   spec.rb.  Lago's amounts are in cents; ours in the currency's unit.
# - Kill Bill (killbill/killbill-docs userguide/tutorials/catalog-
#   examples.adoc, catalogs/consumable-billing-block-size-more-than-one.xml)
#   for tiered blocks; its proration factor for a partial period
#   (killbill/killbill invoice/src/main/java/org/killbill/billing/invoice/
#   generator/InvoiceDateUtils.java, calculateProrationBetweenDates) is
#   days / days_in_period to 9 decimals half-up (util/src/main/java/org/
#   killbill/billing/util/currency/KillBillMoney.java, MAX_SCALE 9), which
#   drops digits of the exact share; rate keeps them as Lago does.
#
# Our strings keep the scale of the arithmetic (5.12345 x 10 is 51.23450,
# the value Lago's BigDecimal 51.2345 is); a prorated quotient is shown to
# 15 fraction digits of the minor unit, as Lago stores it.

load lib

# unr CHARGE_MEMBERS QUANTITY [EVENTS]: "amount_unrounded amount" of the
# usage line for QUANTITY in September 2026
unr() {
	plan1 "$1"
	aggr 1 cus_a m "$2" '{}' 2026-09-01T00:00:00Z 2026-10-01T00:00:00Z \
	    "${3:-1}" | rate 2>/dev/null |
	    jq -r 'select(.line_type == "usage") | "\(.amount_unrounded) \(.amount)"'
}

@test "unit (Lago standard, standard_service_spec: 10 units at 5.12345 -> 51.2345)" {
	run unr '"model":"unit","unit_amount":"5.12345"' 10
	[ "$output" = "51.23450 51.23" ]
}

@test "graduated (Lago graduated_service_spec: 1 -> 12, 10 -> 102, 11 -> 110, 12 -> 115, 21 -> 163)" {
	# Lago's ranges 0-10, 11-20, 21- are our up_to 10, 20 and null
	G='"model":"graduated","tiers":[{"up_to":"10","unit_amount":"10","flat_amount":"2"},{"up_to":"20","unit_amount":"5","flat_amount":"3"},{"up_to":null,"unit_amount":"5","flat_amount":"3"}]'
	for v in '1 12' '10 102' '11 110' '12 115' '21 163'; do
		set -- $v
		run unr "$G" "$1"
		[ "$output" = "$2 $2.00" ] || { echo "$1: $output"; return 1; }
	done
}

@test "volume (Lago volume_service_spec: 1 -> 12, 100 -> 210, 101 -> 101, 200 -> 200, 300 -> 200)" {
	V='"model":"volume","tiers":[{"up_to":"100","unit_amount":"2","flat_amount":"10"},{"up_to":"200","unit_amount":"1","flat_amount":"0"},{"up_to":null,"unit_amount":"0.5","flat_amount":"50"}]'
	for v in '1 12' '100 210' '101 101' '200 200' '300 200.0'; do
		set -- $v
		run unr "$V" "$1"
		[ "$output" = "$2 ${2%.0}.00" ] || { echo "$1: $output"; return 1; }
	done
}

@test "graduated in blocks (Kill Bill's cell-phone minutes: 1200 -> 100 x 1.00 + 20 x 0.50 = 110)" {
	run unr '"model":"graduated","tiers":[{"up_to":"1000","unit_amount":"1.00","block_size":"10"},{"up_to":null,"unit_amount":"0.50","block_size":"10"}]' 1200
	[ "$output" = "110.00 110.00" ]
}

@test "package (Lago package_service_spec: 121 units by 10 at 100 -> 1300; 10 free -> 1200; 200 free -> 0)" {
	P='"model":"package","package_size":"10","amount":"100","round":"up"'
	run unr "$P" 121
	[ "$output" = "1300 1300.00" ]
	run unr "$P,\"free_units\":\"10\"" 121
	[ "$output" = "1200 1200.00" ]
	run unr "$P,\"free_units\":\"200\"" 121
	[ "$output" = "0 0.00" ]
}

@test "percentage (Lago percentage_service_spec: 800 at 1.3% + 4 x 2.0 -> 18.4; rate 0 -> 8)" {
	run unr '"model":"percentage","rate":"1.3","fixed_amount":"2.0"' 800 4
	[ "$output" = "18.40 18.40" ]
	run unr '"model":"percentage","rate":"0","fixed_amount":"2.0"' 800 4
	[ "$output" = "8.00 8.00" ]
}

@test "true-up (Lago create_true_up_service_spec: minimum 10.00 less 7.00 used -> 3.00)" {
	plan1 '"model":"unit","unit_amount":"1.00","minimum_commitment":"10.00"'
	aggr 1 cus_a m 7 | rate >"$T/out"
	# x / den with its trailing zeros dropped, as any quotient: Lago's 300.0
	has '.line_type == "true_up"' '.amount_unrounded == "3" and .amount == "3.00"' "$T/out"
}

@test "a partial period: Lago's prorated true-up, 15 of 31 days of 10.00 less 2.00 -> 2.84, precise 283.8709677419355 cents" {
	# Lago: (1000 / 31.0 * 15) - 200 in binary floating point, 16
	# significant digits; the exact share 88/31 to 17 decimals agrees
	# with each of them.  Kill Bill's factor 15/31 to 9 decimals,
	# 0.483870968, would give 10.00 x 0.483870968 = 4.83870968 for the
	# flat fee.
	plan1 '"model":"unit","unit_amount":"1.00","minimum_commitment":"10.00"},{"id":"fee","model":"flat","amount":"10.00"' \
	    "" '"end":"2026-08-16T00:00:00Z"'
	aggr 1 cus_a m 2 '{}' 2026-08-01T00:00:00Z 2026-09-01T00:00:00Z | rate >"$T/out"
	has '.line_type == "true_up"' '.amount_unrounded == "2.83870967741935484" and .amount == "2.84" and .breakdown.minimum_commitment == "4.83870967741935484"' "$T/out"
	has '.line_type == "flat"' '.amount_unrounded == "4.83870967741935484" and .amount == "4.84"' "$T/out"
	# the digits follow the currency: 15 below the minor unit (JPY 0, BHD 3)
	sed -i 's/"USD"/"JPY"/; s/10\.00/1000/g' "$T/c"
	aggr 1 cus_a m 2 '{}' 2026-08-01T00:00:00Z 2026-09-01T00:00:00Z | rate >"$T/out"
	has '.line_type == "flat"' '.amount_unrounded == "483.870967741935484" and .amount == "484"' "$T/out"
	sed -i 's/"JPY"/"BHD"/' "$T/c"
	aggr 1 cus_a m 2 '{}' 2026-08-01T00:00:00Z 2026-09-01T00:00:00Z | rate >"$T/out"
	has '.line_type == "flat"' '.amount_unrounded == "483.870967741935483871" and .amount == "483.871"' "$T/out"
}

@test "a quotient too long for 38 digits keeps fewer fraction digits, not a failed bill" {
	plan1 '"model":"unit","unit_amount":"1"},{"id":"fee","model":"flat","amount":"9876543210987654321098.65"' \
	    "" '"end":"2026-08-16T00:00:00Z"'
	aggr 1 cus_a m 2 '{}' 2026-08-01T00:00:00Z 2026-09-01T00:00:00Z | rate >"$T/out"
	# 22 digits before the point leave 16 after it
	has '.line_type == "flat"' '.amount_unrounded == "4778972521445639187628.3790322580645161" and .amount == "4778972521445639187628.38"' "$T/out"
}

@test "discounts (Lago applied_coupon_service_spec: 20% of 3.00 -> 0.60; 0.12 off 0.06 -> 0.06)" {
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"overrides":{"discounts":[{"id":"d","percent":"20"}]}'
	aggr 1 cus_a m 3 | rate >"$T/out"
	has '.line_type == "discount"' '.amount_unrounded == "-0.60" and .amount == "-0.60"' "$T/out"
	plan1 '"model":"unit","unit_amount":"0.01"' "" \
	    '"overrides":{"discounts":[{"id":"d","amount":"0.12"}]}'
	aggr 1 cus_a m 6 | rate >"$T/out"
	has '.line_type == "discount"' '.amount_unrounded == "-0.06" and .amount == "-0.06"' "$T/out"
}

@test "prepaid credits (Lago applied_prepaid_credit_service_spec: 10.00 on 1.00 -> 1.00; on 15.00 -> 10.00)" {
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"prepaid_credits":[{"id":"w","amount":"10.00"}]'
	aggr 1 cus_a m 1 | rate --ledger "$T/l" >"$T/out"
	has '.line_type == "credit"' '.amount_unrounded == "-1.00" and .amount == "-1.00"' "$T/out"
	rm -f "$T/l"
	aggr 1 cus_a m 15 | rate --ledger "$T/l" >"$T/out"
	# the balance drawn whole, as the ledger holds it (Lago's 10.0)
	has '.line_type == "credit"' '.amount_unrounded == "-10" and .amount == "-10.00"' "$T/out"
}
