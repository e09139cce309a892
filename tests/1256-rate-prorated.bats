#!/usr/bin/env bats
# Prorated charges (Lago's "prorated": true): meter-aggregate's prorated
# steps of a weighted_sum meter with "prorated": true, and rate pricing
# them with a unit, graduated or volume charge.
#
# Sources:
# - getlago/lago-api app/services/events/stores/postgres_store.rb
#   (duration_ratio_sql: a change counts DATE(to) - DATE(event) + 1 days,
#   in the customer's zone, over the days of the period; prorated_sum)
# - getlago/lago-api app/services/billable_metrics/prorated_aggregations/
#   sum_service.rb (the carried level counts for the whole period;
#   compute_event_aggregation.ceil(5) is the prorated quantity;
#   per_event_aggregation: the carried level first, then each event)
# - getlago/lago-api app/services/charge_models/prorated_graduated_service.rb
#   and its spec spec/services/charge_models/prorated_graduated_service_spec.rb
#   (the graduated vectors below), volume_service.rb (a prorated volume
#   charge's tier is the one of full_units_number)
# - getlago/lago-api app/models/charge.rb validate_prorated (in arrears:
#   standard, graduated and volume only)
#
# Lago's spec gives each event as (full units, prorated units); prorated
# is full x days / D, so here each is [units, days]: 3.5 of 5 over 30 days
# is 21 days, 2.66667 of 5 is 16.

load lib

# Lago's spec charge: 0-5 at 10 + flat 100, 6 and up at 5 + flat 50
T2='"tiers":[{"up_to":"5","unit_amount":"10","flat_amount":"100"},{"up_to":null,"unit_amount":"5","flat_amount":"50"}]'
T3='"tiers":[{"up_to":"5","unit_amount":"10","flat_amount":"100"},{"up_to":"15","unit_amount":"5","flat_amount":"50"},{"up_to":null,"unit_amount":"2","flat_amount":"0"}]'

# pagg N STEPS DAYS PRORATED: aggregate N of September 2026 with these
# prorated members (quantity 1: the weighted sum is not what is priced)
pagg() {
	aggr "$1" cus_a m 1 | jq -c --argjson s "$2" --argjson d "$3" \
	    --arg q "$4" '. + {prorated_quantity:$q,period_days:$d,prorated_steps:$s}'
}

# usage AMOUNT of the one usage line in $T/out
usage_amount() {
	jq -r 'select(.line_type == "usage") | .amount' "$T/out"
}

@test "Lago's prorated graduated spec: every vector's amount" {
	plan1 "\"model\":\"graduated\",\"prorated\":true,$T2"
	while read -r steps days q want; do
		pagg 1 "$steps" "$days" "$q" | rate >"$T/out"
		got=$(usage_amount)
		[ "$got" = "$want" ] || {
			echo "$steps over $days days: want $want, got $got" >&2
			return 1
		}
	done <<-'EOF'
	[["5",21],["5",16],["10",6],["-6",11]] 30 5.96667 197.33
	[["2",21],["5",16],["10",6],["-6",11]] 30 3.86667 184.33
	[["1",22],["4",12],["1",7],["-5",5],["-1",2]] 31 1.61291 165.81
	[["5",21],["-2",15]] 30 2.5 125.00
	[["4",21],["2",15],["-3",6]] 30 3.2 180.50
	[["5",21],["2",15],["-4",12],["10",6]] 30 4.9 190.00
	[["5",12],["-100",10]] 30 -31.33333 0.00
	[["4",12],["-100",10]] 30 -31.73333 0.00
	[["1",21]] 30 0.7 107.00
	EOF
	# "with three ranges and one overflow": the spec's 0.667 of 4 units
	# is 5 days, 0.66667; exactly 191.3333..., which the spec rounds up
	plan1 "\"model\":\"graduated\",\"prorated\":true,$T3"
	pagg 1 '[["2",21],["5",15],["10",6],["-6",11],["4",5],["60",1]]' 30 6.36667 | rate >"$T/out"
	[ "$(usage_amount)" = "191.33" ]
	jq -e 'select(.line_type == "usage") | .amount_unrounded == "191.33333333333333333" and .quantity == "6.36667"' "$T/out"
	# "when there are two overflows": 75 units all period
	pagg 1 '[["75",30]]' 30 75 | rate >"$T/out"
	[ "$(usage_amount)" = "370.00" ]
	# "with two ranges where first unit fully covers first range"
	plan1 '"model":"graduated","prorated":true,"tiers":[{"up_to":"1","unit_amount":"10","flat_amount":"100"},{"up_to":null,"unit_amount":"5","flat_amount":"50"}]'
	pagg 1 '[["1",21]]' 30 0.7 | rate >"$T/out"
	[ "$(usage_amount)" = "107.00" ]
}

@test "Lago's spec, zero usage: a prorated graduated charge still bills the first tier's flat amount" {
	plan1 "\"model\":\"graduated\",\"prorated\":true,$T2"
	pagg 1 '[]' 30 0 | rate >"$T/out"
	[ "$(usage_amount)" = "100.00" ]
}

@test "a seat added on day 21 of 30 counts 10 days (1/3); on day 20, Lago counts that day too: 11 days" {
	meters '{"name":"m","event_type":"seat","aggregation":"weighted_sum","field":"n","values":"increments","prorated":true}'
	plan1 '"model":"unit","unit_amount":"30.00","prorated":true'
	urec 1 cus_a seat 2026-09-21T09:00:00Z '{"n":1}' | agg >"$T/a"
	jq -e '.prorated_quantity == "0.33334" and .period_days == 30 and .prorated_steps == [["1",10]]' "$T/a"
	rate <"$T/a" >"$T/out"
	# 0.33334 (1/3 rounded up to 5 decimals, Lago's ceil(5)) x 30.00
	jq -e 'select(.line_type == "usage") | .quantity == "0.33334" and .amount_unrounded == "10.0002000" and .amount == "10.00" and .breakdown == {"unit_amount":"30.00","prorated":true,"period_days":30,"full_quantity":"1"}' "$T/out"
	urec 1 cus_a seat 2026-09-20T23:59:59Z '{"n":1}' | agg | rate >"$T/out"
	[ "$(usage_amount)" = "11.00" ]
}

@test "removals count negatively for the days left; the level carried in counts the whole period; a day's changes net out" {
	meters '{"name":"m","event_type":"seat","aggregation":"weighted_sum","field":"n","values":"increments","prorated":true}'
	{
		urec 1 cus_a seat 2026-08-10T10:00:00Z '{"n":3}'
		urec 2 cus_a seat 2026-09-11T08:00:00Z '{"n":-1}'
		urec 3 cus_a seat 2026-09-26T08:00:00Z '{"n":2}'
		urec 4 cus_a seat 2026-09-26T18:00:00Z '{"n":-2}'
	} | agg >"$T/a"
	# August: 3 seats for 22 of 31 days; September: 3 carried, one
	# removed on the 11th (20 days left), +2 -2 on the 26th: no step
	jq -r '"\(.period_start) \(.prorated_quantity) \(.period_days) \(.prorated_steps)"' "$T/a" >"$T/got"
	cat >"$T/want" <<-'EOF'
	2026-08-01T00:00:00Z 2.12904 31 [["3",22]]
	2026-09-01T00:00:00Z 2.33334 30 [["3",30],["-1",20]]
	EOF
	same "$T/want" "$T/got"
	plan1 '"model":"unit","unit_amount":"30.00","prorated":true'
	rate <"$T/a" >"$T/out"
	jq -r 'select(.line_type == "usage") | .amount' "$T/out" >"$T/got"
	printf '63.87\n70.00\n' >"$T/want"
	same "$T/want" "$T/got"
}

@test "the days are the customer's: a seat added at 23:30 UTC on Sept 20 is Sept 21 in Berlin" {
	meters '{"name":"m","event_type":"seat","aggregation":"weighted_sum","field":"n","values":"increments","prorated":true}'
	printf '{"id":"cus_a","subjects":["s"],"entity":"acme-us","currency":"USD","country":"DE","timezone":"Europe/Berlin"}\n' >"$T/cu"
	urec 1 cus_a seat 2026-09-20T23:30:00Z '{"n":1}' |
	    agg --customers "$T/cu" >"$T/a"
	jq -e '.period_start == "2026-08-31T22:00:00Z" and .prorated_steps == [["1",10]]' "$T/a"
}

@test "volume: the tier of the level at the end prices the prorated quantity, plus its flat amount" {
	meters '{"name":"m","event_type":"seat","aggregation":"weighted_sum","field":"n","values":"increments","prorated":true}'
	plan1 "\"model\":\"volume\",\"prorated\":true,$T2"
	{
		urec 1 cus_a seat 2026-09-01T00:00:00Z '{"n":5}'
		urec 2 cus_a seat 2026-09-16T00:00:00Z '{"n":2}'
	} | agg | rate >"$T/out"
	# 7 at the end: the second tier; 5 + 2 x 15/30 = 6 at 5, + 50
	jq -e 'select(.line_type == "usage") | .quantity == "6" and .amount == "80.00" and .breakdown.full_quantity == "7"' "$T/out"
	# one removed on the 16th: 4 at the end, the first tier
	{
		urec 1 cus_a seat 2026-09-01T00:00:00Z '{"n":5}'
		urec 2 cus_a seat 2026-09-16T00:00:00Z '{"n":-1}'
	} | agg | rate >"$T/out"
	[ "$(usage_amount)" = "145.00" ]
}

@test "graduated end to end: meter-aggregate | rate over the gauge's levels" {
	meters '{"name":"m","event_type":"seat","aggregation":"weighted_sum","field":"n","prorated":true}'
	plan1 "\"model\":\"graduated\",\"prorated\":true,$T2"
	# levels, not increments: 5 on the 10th (21 days left), 10 on the
	# 15th (+5, 16 days), 4 on the 20th (-6, 11 days), 14 on the 25th
	# (+10, 6 days)
	{
		urec 1 cus_a seat 2026-09-10T12:00:00Z '{"n":5}'
		urec 2 cus_a seat 2026-09-15T12:00:00Z '{"n":10}'
		urec 3 cus_a seat 2026-09-20T12:00:00Z '{"n":4}'
		urec 4 cus_a seat 2026-09-25T12:00:00Z '{"n":14}'
	} | agg >"$T/a"
	jq -e '.prorated_steps == [["5",21],["5",16],["-6",11],["10",6]]' "$T/a"
	rate <"$T/a" >"$T/out"
	# Lago's walk, in units x days: 5 fill tier 1 (105 at 10); +5 in
	# tier 2 (80); -6 drops below it: 4 units, 1 under its start, so
	# tier 2 keeps 80 - 66 + 11 = 25 (at 5); tier 1 takes back -11, the
	# +10 fills it to 5 and spills 9 (60 - 54 = 6 - 11 = -5 at 10, 54 at
	# 5): (1050 + 125 - 50 + 270) / 30 = 46.5, plus both flats (peak 14)
	[ "$(usage_amount)" = "196.50" ]
}

@test "a weighted_sum meter without prorated writes no prorated members" {
	meters '{"name":"m","event_type":"seat","aggregation":"weighted_sum","field":"n"}'
	urec 1 cus_a seat 2026-09-21T09:00:00Z '{"n":1}' | agg >"$T/a"
	jq -e 'has("prorated_steps") or has("prorated_quantity") or has("period_days") | not' "$T/a"
}

@test "rate: a prorated charge refuses an aggregate without prorated steps, and steps that do not make the prorated quantity" {
	plan1 '"model":"unit","unit_amount":"1","prorated":true'
	run rate < <(aggr 1 cus_a m 3)
	expect_status 0
	jq -e '.code == "not_prorated" and .class == "policy_violation" and .field == "prorated_steps" and (.message | contains("charge '"'c'"' is prorated but the aggregate has no prorated_steps: meter '"'m'"' needs \"prorated\": true"))' "$T/r"
	run rate < <(pagg 2 '[["1",10]]' 30 0.33333)
	expect_status 0
	jq -e 'select(.field == "prorated_quantity") | .code == "invalid_field" and (.message | contains("prorated_quantity 0.33333 is not what prorated_steps make (0.33334"))' "$T/r"
	run rate < <(pagg 3 '[["1",31]]' 30 1.03334)
	jq -e 'select(.field == "prorated_steps") | .message | contains("prorated_steps[0] must be [\"units\", days]")' "$T/r"
	# a charge without prorated prices the quantity, steps or not
	plan1 '"model":"unit","unit_amount":"1"'
	pagg 4 '[["1",10]]' 30 0.33334 | rate >"$T/out"
	[ "$(usage_amount)" = "1.00" ]
}

@test "catalog: prorated only on unit, graduated and volume charges (Lago's validate_prorated), no blocks, whole graduated bounds" {
	local bad
	while IFS='|' read -r members want; do
		plan1 "$members"
		run rate </dev/null
		expect_status 78
		[[ "$output" == *"charges[0] ('c'): $want"* ]] || {
			echo "$members: $output" >&2
			return 1
		}
	done <<-'EOF'
	"model":"package","package_size":"2","amount":"1","prorated":true|prorated applies to unit, graduated and volume charges only (Lago prorates no package or percentage charge), not to a package charge
	"model":"percentage","rate":"1","prorated":true|prorated applies to unit, graduated and volume charges only (Lago prorates no package or percentage charge), not to a percentage charge
	"model":"unit","unit_amount":"1","prorated":"yes"|prorated must be true or false
	"model":"unit","unit_amount":"1","free_units":"2","prorated":true|free_units does not apply to prorated charges
	"model":"unit","unit_amount":"1","combine_groups":true,"prorated":true|combine_groups does not apply to prorated charges
	"model":"volume","prorated":true,"tiers":[{"up_to":"5","unit_amount":"1","block_size":"5"},{"up_to":null,"unit_amount":"1"}]|a prorated charge's tiers take no block_size
	"model":"graduated","prorated":true,"tiers":[{"up_to":"5.5","unit_amount":"1"},{"up_to":null,"unit_amount":"1"}]|a prorated graduated charge's tiers need whole up_to bounds
	EOF
	plan1 '"model":"flat","amount":"1","prorated":true'
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"unknown property 'prorated'"* ]]
}

@test "meters: prorated only on a weighted_sum or a recurring unique_count meter" {
	meters '{"name":"m","event_type":"seat","aggregation":"sum","field":"n","prorated":true}'
	run agg </dev/null
	expect_status 78
	[[ "$output" == *"meters[0] ('m'): prorated applies to weighted_sum and recurring unique_count meters only (those carry a level across periods)"* ]]
	meters '{"name":"m","event_type":"seat","aggregation":"unique_count","field":"n","prorated":true}'
	run agg </dev/null
	expect_status 78
	[[ "$output" == *"prorated applies to weighted_sum and recurring unique_count meters only"* ]]
	meters '{"name":"m","event_type":"seat","aggregation":"weighted_sum","field":"n","prorated":1}'
	run agg </dev/null
	expect_status 78
	[[ "$output" == *"prorated must be true or false"* ]]
}

# Recurring unique_count (Lago's recurring: true): each value counts from
# the day it was added (the period's first when carried in) to the day it
# was removed, both included: lago-api app/services/events/stores/
# postgres/unique_count_query.rb period_ratio_sql (the day after the
# next event less the day of the add) and prorated_aggregations/
# unique_count_service.rb (DATE(removed) - DATE(added) + 1).
USERS='{"name":"m","event_type":"seat","aggregation":"unique_count","field":"user","recurring":true,"prorated":true}'

@test "recurring unique_count: a value counts its days from the add to the removal, both included; carried values the whole period" {
	meters "$USERS"
	{
		urec 1 cus_a seat 2026-08-10T10:00:00Z '{"user":"a"}'
		urec 2 cus_a seat 2026-08-20T10:00:00Z '{"user":"b"}'
		# b removed on the 11th: days 1 to 11
		urec 3 cus_a seat 2026-09-11T10:00:00Z '{"user":"b","operation_type":"remove"}'
		# c from the 21st, removed on the last day: 10 days, not at the end
		urec 4 cus_a seat 2026-09-21T10:00:00Z '{"user":"c"}'
		urec 9 cus_a seat 2026-09-30T20:00:00Z '{"user":"c","operation_type":"remove"}'
		# d added and removed on the 25th: 1 day
		urec 5 cus_a seat 2026-09-25T10:00:00Z '{"user":"d"}'
		urec 6 cus_a seat 2026-09-25T18:00:00Z '{"user":"d","operation_type":"remove"}'
		# a removed and added again on the 30th: counted once, all month
		urec 7 cus_a seat 2026-09-30T18:00:00Z '{"user":"a","operation_type":"remove"}'
		urec 8 cus_a seat 2026-09-30T19:00:00Z '{"user":"a"}'
	} | agg >"$T/a"
	jq -r '"\(.period_start) \(.quantity) \(.prorated_quantity) \(.prorated_steps)"' "$T/a" >"$T/got"
	# September: 30 + 11 + 10 + 1 = 52 value-days of 30
	cat >"$T/want" <<-'EOF'
	2026-08-01T00:00:00Z 2 1.09678 [["1",22],["1",12]]
	2026-09-01T00:00:00Z 1 1.73334 [["2",30],["-1",19],["1",10],["1",6],["-1",5],["-1",0]]
	EOF
	same "$T/want" "$T/got"
	plan1 '"model":"unit","unit_amount":"30.00","prorated":true'
	rate <"$T/a" >"$T/out"
	jq -r 'select(.line_type == "usage") | "\(.quantity) \(.amount) \(.breakdown.full_quantity)"' "$T/out" >"$T/got"
	printf '1.09678 32.90 2\n1.73334 52.00 1\n' >"$T/want"
	same "$T/want" "$T/got"
}

@test "recurring unique_count, graduated: a removal on the last day counts no day but lowers the level (Lago's zero prorated removal)" {
	meters "$USERS"
	plan1 '"model":"graduated","prorated":true,"tiers":[{"up_to":"1","unit_amount":"10","flat_amount":"100"},{"up_to":null,"unit_amount":"5","flat_amount":"50"}]'
	{
		urec 1 cus_a seat 2026-09-01T10:00:00Z '{"user":"a"}'
		urec 2 cus_a seat 2026-09-16T10:00:00Z '{"user":"b"}'
		urec 3 cus_a seat 2026-09-30T10:00:00Z '{"user":"b","operation_type":"remove"}'
	} | agg >"$T/a"
	jq -e '.quantity == "1" and .prorated_steps == [["1",30],["1",15],["-1",0]]' "$T/a"
	rate <"$T/a" >"$T/out"
	# a fills tier 1 (30 x 10), b is in tier 2 for 15 days (15 x 5), over
	# 30 days: 12.50; the peak, 2, reached tier 2: both flats, 150
	[ "$(usage_amount)" = "162.50" ]
}
