#!/usr/bin/env bats
# rate: percentage charges with Lago's free units (free_units_per_events,
# free_units_per_total_aggregation), fixed_amount and per-transaction
# bounds, on vectors from Lago's own spec and docs, each citing its source:
#
#   SPEC  getlago/lago-api spec/services/charge_models/percentage_service_spec.rb
#   MODEL getlago/lago-api app/services/charge_models/percentage_service.rb
#   SUM   getlago/lago-api app/services/billable_metrics/aggregations/sum_service.rb
#         (running_total: the sums of the first free_units_per_events
#         events, else the sums up to the first past the free amount)
#   DOCS  https://getlago.com/docs/guide/plans/charges/charge-models/percentage
#         (getlago/lago-docs guide/plans/charges/charge-models/percentage.mdx)
#
# The transactions are aggregates of a meter grouped by transaction id, one
# usage line for all of them (combine_groups); Lago takes its events by
# time, rate by first_event_at, then by group.

load lib

# tx N AMOUNT [TIME|null] [EVENTS]: transaction tN of cus_a on meter m in
# September 2026, key and lineage N, its event at TIME (default: N hours
# into the month)
tx() {
	local t=${3:-$(printf '2026-09-01T%02d:00:00Z' "$1")}
	[ "$t" = null ] || t="\"$t\""
	printf '{"kind":"aggregate","schema":"1.0","key":"%032x","customer":"cus_a","meter":"m","aggregation":"sum","group":{"tx":"t%s"},"period":"month","timezone":"UTC","period_start":"2026-09-01T00:00:00Z","period_end":"2026-10-01T00:00:00Z","quantity":"%s","events":%s,"first_event_at":%s,"last_event_at":%s,"lineage":"%032x","correlation_id":"%032x"}\n' \
	    "$1" "$1" "$2" "${4:-1}" "$t" "$t" "$1" "$1"
}

# pct MEMBERS: plan1 with a percentage charge over all transactions
pct() {
	plan1 "\"model\":\"percentage\",\"combine_groups\":true,$1"
}

# usage: "amount amount_unrounded free_transactions free_amount" of the
# usage line rate writes for the aggregates on stdin ("-" when absent)
usage() {
	rate 2>/dev/null | jq -r 'select(.line_type == "usage") | [.amount,
	    .amount_unrounded, .breakdown.free_transactions // "-",
	    .breakdown.free_amount // "-"] | join(" ")'
}

# is WANT: usage of stdin is WANT
is() {
	local got

	got=$(usage)
	[ "$got" = "$1" ] || { echo "want: $1"; echo "got:  $got"; false; }
}

# line MEMBERS WANT: pct MEMBERS, then usage of stdin is WANT
line() {
	pct "$1"
	is "$2"
}

# SPEC's transactions: 50, 100, 250 and 400 (running total 50, 150, 400;
# 4 events; aggregation 800), rate 1.3, fixed_amount 2.0
spec4() {
	tx 1 50; tx 2 100; tx 3 250; tx 4 400
}

@test "SPEC: both free units, 3 events and 250.0: (800 - 250) x 1.3 % + (4 - 2) x 2.0 = 11.15" {
	# the third transaction straddles 250 (150 before it): it pays the
	# fixed fee and the rate on its 150 above; 2 transactions are free
	spec4 | line '"rate":"1.3","fixed_amount":"2.0","free_units_per_events":3,"free_units_per_total_aggregation":"250.0"' "11.15 11.15 2 250.0"
}

@test "SPEC: free_units_per_events nil: the same 11.15" {
	spec4 | line '"rate":"1.3","fixed_amount":"2.0","free_units_per_total_aggregation":"250.0"' "11.15 11.15 2 250.0"
}

@test "SPEC: free_units_per_total_aggregation nil: the first 3 events are free, (800 - 400) x 1.3 % + 1 x 2.0 = 7.20" {
	spec4 | line '"rate":"1.3","fixed_amount":"2.0","free_units_per_events":3' "7.20 7.20 3 400"
}

@test "SPEC: free amount 500.0 above the first 3 events' 400: 7.20 on the last running total" {
	spec4 | line '"rate":"1.3","fixed_amount":"2.0","free_units_per_events":3,"free_units_per_total_aggregation":"500.0"' "7.20 7.20 3 400"
}

@test "SPEC: no free units: 800 x 1.3 % + 4 x 2.0 = 18.40, and the breakdown has no free members" {
	spec4 | line '"rate":"1.3","fixed_amount":"2.0"' "18.40 18.40 - -"
	spec4 | rate | has '.line_type == "usage"' '.breakdown == {"rate":"1.3","fixed_amount":"2.0","transactions":4,"transactions_at_min_or_max":0,"transaction_amount":"800"}'
}

@test "SPEC: rate 0: 4 x 2.0 = 8.00" {
	spec4 | line '"rate":"0","fixed_amount":"2.0"' "8.00 8.00 - -"
}

@test "SPEC: free_units_per_events 5 above the 4 events (total 400): nothing" {
	{ tx 1 50; tx 2 100; tx 3 250; tx 4 0; } | line '"rate":"1.3","fixed_amount":"2.0","free_units_per_events":5' "0.00 0.00 4 400"
}

@test "SPEC: aggregation 0: 4 transactions totalling 0 cost nothing, no fixed fee (with or without free units)" {
	{ tx 1 0; tx 2 0; tx 3 0; tx 4 0; } | line '"rate":"1.3","fixed_amount":"2.0"' "0.00 0.00 - -"
	# the same as one aggregate of 4 events
	tx 1 0 null 4 | is "0.00 0.00 - -"
	{ tx 1 0; tx 2 0; tx 3 0; tx 4 0; } | line '"rate":"1.3","fixed_amount":"2.0","free_units_per_events":3,"free_units_per_total_aggregation":"250.0"' "0.00 0.00 3 0"
}

@test "SPEC: small units amount: 4 x 2.9 % = 0.116, billed 0.12" {
	tx 1 4 null 4 | line '"rate":"2.9"' "0.12 0.116 - -"
}

# SPEC's per-transaction min and max: events 10, 80 and 10000, rate 2.99,
# min 1.75, max 12 (Lago applies them with a premium license; rate always)
spec3() {
	tx 1 10; tx 2 80; tx 3 10000
}
B='"rate":"2.99","per_transaction_min_amount":"1.75","per_transaction_max_amount":"12"'

@test "SPEC: min and max per transaction: 1.75 (min) + 2.392 + 12 (max) = 16.142" {
	spec3 | line "$B,\"fixed_amount\":\"0\",\"free_units_per_total_aggregation\":\"0\"" "16.14 16.142 0 0"
	spec3 | rate | has '.line_type == "usage"' '.breakdown.transactions_at_min_or_max == 2'
}

@test "SPEC: min and max with fixed_amount 2.0: 2.299 + 4.392 + 12 = 18.691" {
	spec3 | line "$B,\"fixed_amount\":\"2.0\"" "18.69 18.691 - -"
}

@test "SPEC: min and max with 2 free events: bounds only on the paying transaction, 12" {
	# the free ones pay no minimum
	spec3 | line "$B,\"fixed_amount\":\"0\",\"free_units_per_events\":2" "12.00 12 2 90"
}

@test "SPEC: min and max with a free amount of 30: (80 - 20) x 2.99 % = 1.794, + 12 = 13.794" {
	spec3 | line "$B,\"fixed_amount\":\"0\",\"free_units_per_total_aggregation\":\"30\"" "13.79 13.794 1 30"
}

@test "SPEC: min and max with both, 3 events and 10000: (10 + 80 + 10000 - 10000) x 2.99 % = 2.691" {
	spec3 | line "$B,\"fixed_amount\":\"0\",\"free_units_per_events\":3,\"free_units_per_total_aggregation\":\"10000\"" "2.69 2.691 2 10000"
}

@test "DOCS: 3 events or \$500 free, 1.2 % and \$0.10: the fourth transaction pays 0.10 + 1.2 % of 50 = 0.70 (exact line)" {
	pct '"rate":"1.2","fixed_amount":"0.10","free_units_per_events":3,"free_units_per_total_aggregation":"500"'
	{ tx 1 200; tx 2 100; tx 3 100; tx 4 50; } | rate >"$T/out"
	jq -c 'select(.line_type == "usage") | del(.key, .correlation_id)' "$T/out" >"$T/got"
	cat >"$T/want" <<-'EOF'
	{"kind":"rated","schema":"1.0","customer":"cus_a","contract":null,"plan":"p","plan_version":1,"charge":"c","line_type":"usage","model":"percentage","meter":"m","group":{},"period":"month","period_start":"2026-09-01T00:00:00Z","period_end":"2026-10-01T00:00:00Z","service_start":"2026-09-01T00:00:00Z","service_end":"2026-10-01T00:00:00Z","quantity":"450","breakdown":{"rate":"1.2","fixed_amount":"0.10","free_units_per_events":3,"free_units_per_total_aggregation":"500","transactions":4,"transactions_at_min_or_max":0,"transaction_amount":"450","free_transactions":3,"free_amount":"400"},"amount_unrounded":"0.70","amount":"0.70","currency":"USD","rounding":"half-up","preview":false,"aggregates":["00000000000000000000000000000001","00000000000000000000000000000002","00000000000000000000000000000003","00000000000000000000000000000004"],"lineage":"0000000000000000000000000000000a"}
	EOF
	same "$T/want" "$T/got"
}

@test "DOCS with a per-transaction minimum: Lago's walk keeps the \$500 free past the 3 events, so all 4 are free" {
	# MODEL, compute_amount_with_transaction_min_max: a transaction is free
	# while free events or a free amount remain
	{ tx 1 200; tx 2 100; tx 3 100; tx 4 50; } | line '"rate":"1.2","fixed_amount":"0.10","free_units_per_events":3,"free_units_per_total_aggregation":"500","per_transaction_min_amount":"0.05"' "0.00 0 4 450"
}

@test "MODEL+SUM: a transaction reaching the free amount, exactly or past it, pays the fixed fee, with and without bounds" {
	# running total 60, 100, 130: free amount 100, free count 1 (sums
	# below 100): (130 - 100) x 10 % + 2 x 1 = 5
	{ tx 1 60; tx 2 40; tx 3 30; } | line '"rate":"10","fixed_amount":"1","free_units_per_total_aggregation":"100"' "5.00 5.00 1 100"
	# the walk: 60 free, 40 reaches 100 and pays 0 + 1, 30 pays 3 + 1
	{ tx 1 60; tx 2 40; tx 3 30; } | line '"rate":"10","fixed_amount":"1","free_units_per_total_aggregation":"100","per_transaction_min_amount":"0.50"' "5.00 5.00 1 100"
	# straddling: 60, 60 (20 above), 30: (150 - 100) x 10 % + 2 x 1 = 7
	{ tx 1 60; tx 2 60; tx 3 30; } | is "7.00 7.00 1 100"
	# and the one that straddles ends the free events too: the third
	# pays, though 3 were free
	{ tx 1 60; tx 2 60; tx 3 30; } | line '"rate":"10","fixed_amount":"1","free_units_per_events":3,"free_units_per_total_aggregation":"100","per_transaction_min_amount":"0.50"' "7.00 7.00 1 100"
}

@test "MODEL: with both set and the first transaction above the free amount, free_units_per_events transactions pay no fixed fee" {
	# running total 100, 200 (first 2 events): none below 10, a count
	# of 0 that Lago's free_units_count drops as unset, leaving 2:
	# (300 - 10) x 1 % + (3 - 2) x 1 = 3.90
	{ tx 1 100; tx 2 100; tx 3 100; } | line '"rate":"1","fixed_amount":"1","free_units_per_events":2,"free_units_per_total_aggregation":"10"' "3.90 3.90 2 10"
}

@test "order: the first transactions by first_event_at, then by group; one without a time after those with one" {
	pct '"rate":"10","free_units_per_events":1'
	# t2 at 09:00 is first and free: 5 x 10 % = 0.50
	{ tx 1 5 2026-09-02T10:00:00Z; tx 2 100 2026-09-02T09:00:00Z; } | is "0.50 0.50 1 100"
	# the same time: t1 before t2 ({"tx":"t1"} < {"tx":"t2"}), whatever
	# the input's order: t1 of 100 free, 0.50; t1 of 5 free, 10.00
	{ tx 1 100 2026-09-02T09:00:00Z; tx 2 5 2026-09-02T09:00:00Z; } | is "0.50 0.50 1 100"
	{ tx 2 100 2026-09-02T09:00:00Z; tx 1 5 2026-09-02T09:00:00Z; } | is "10.00 10.00 1 5"
	# t1 has no time: t2 is first
	{ tx 1 5 null; tx 2 100 2026-09-30T23:00:00Z; } | is "0.50 0.50 1 100"
}

@test "free units count per usage line: per group without combine_groups, as Lago's grouped charges" {
	plan1 '"model":"percentage","rate":"10","fixed_amount":"1","free_units_per_events":1'
	{ tx 1 100; tx 2 100; } | is "0.00 0.00 1 100
0.00 0.00 1 100"
}

@test "an aggregate of several transactions is refused when free units need each one (not_per_transaction)" {
	pct '"rate":"1","free_units_per_events":3'
	tx 1 300 null 3 | rate >"$T/out" 2>/dev/null
	[ ! -s "$T/out" ]
	[ "$(jq -r '[.class, .code, .field, .message] | join("|")' "$T/r")" = "policy_violation|not_per_transaction|events|charge 'c' prices each transaction (Lago's free units) but this aggregate sums 3 transactions: group the meter by the transaction id" ]
	# an amount of 0 free is none: the aggregate is priced as it is
	tx 1 300 null 3 | line '"rate":"1","fixed_amount":"0.10","free_units_per_total_aggregation":"0"' "3.30 3.30 0 0"
}

@test "a first_event_at that is not a time is refused (invalid_time); null or absent is no time" {
	pct '"rate":"1"'
	tx 1 5 yesterday | rate >"$T/out" 2>/dev/null
	[ ! -s "$T/out" ]
	[ "$(jq -r '[.class, .code, .field, .message] | join("|")' "$T/r")" = "data_quality|invalid_time|first_event_at|first_event_at 'yesterday': invalid year" ]
	tx 1 5 | sed 's/"first_event_at":"[^"]*",//' | rate >"$T/out"
	has '.line_type == "usage"' '.amount == "0.05"' "$T/out"
}

@test "catalog: generic free_units on a percentage charge points to Lago's names; bad free units are EX_CONFIG (78)" {
	pct '"rate":"1","free_units":"5"'
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"charges[0] ('c'): free_units does not apply to percentage charges: Lago's free units are free_units_per_events (the first transactions carry no fee) and free_units_per_total_aggregation (the first amount carries no rate)"* ]]
	for v in 0 -1 1.5 '"3"'; do
		pct "\"rate\":\"1\",\"free_units_per_events\":$v"
		run rate </dev/null
		expect_status 78
		[[ "$output" == *"charges[0] ('c'): free_units_per_events must be a whole number from 1, written as a JSON number (the first transactions of the period that carry no fee)"* ]]
	done
	pct '"rate":"1","free_units_per_total_aggregation":"-5"'
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"charges[0] ('c'): free_units_per_total_aggregation must not be negative"* ]]
	plan1 '"model":"unit","unit_amount":"1","free_units_per_events":2'
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"charges[0] ('c'): unknown property 'free_units_per_events'"* ]]
}
