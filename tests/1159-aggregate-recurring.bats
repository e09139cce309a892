#!/usr/bin/env bats
# meter-aggregate: recurring unique_count (Lago's "recurring": true on a
# unique_count billable metric: active seats, licensed devices) and the
# values a carried meter (recurring, weighted_sum) gives the periods
# without events when the window has no --to.
#
# The vectors are Lago's, each citing its source:
#   [docs]   lago-docs, "Recurring vs metered"
#            (https://getlago.com/docs/guide/billable-metrics/recurring-vs-metered)
#   [spec]   getlago/lago-api,
#            spec/services/billable_metrics/aggregations/unique_count_service_spec.rb
#   [query]  getlago/lago-api, app/services/events/stores/postgres/unique_count_query.rb
#            (operation_value_sql and the example in breakdown_query's comment)
#   [store]  getlago/lago-api, spec/services/events/stores/shared_examples/an_event_store.rb
#            ("#unique_count", "#active_unique_property?")
# Lago bills a non-prorated recurring unique_count at the values active
# when the period ends: a value removed during the period, even on its
# last day, is not billed for it ([spec]); an add of a value already
# counted and a remove of one not counted change nothing ([query]).

load lib

# seat N CUSTOMER TIME SEAT [OPERATION] [TEAM]: a seat.change usage record
seat() {
	local d="{\"seat_id\":\"$4\""
	[ -n "${5:-}" ] && d="$d,\"operation_type\":\"$5\""
	[ -n "${6:-}" ] && d="$d,\"team\":\"$6\""
	urec "$1" "$2" seat.change "$3" "$d}"
}

SEATS='{"name":"seats","event_type":"seat.change","aggregation":"unique_count","field":"seat_id","recurring":true,"unit":"seat"}'

# q: customer, period start, quantity, events, opening and closing counts
q() {
	jq -r '"\(.customer) \(.meter) \(.period_start) \(.quantity) \(.events) \(.opening_level) \(.closing_level)"' "$@"
}

# qis FILE: q of FILE is what the standard input says
qis() {
	q "$1" >"$T/got"
	same /dev/stdin "$T/got"
}

# oracle ARGS...: the Python oracle on the same meters file gives $T/out
oracle() {
	python3 tests/aggregate_oracle.py --meters "$T/m" "$@" >"$T/oracle"
	same "$T/oracle" "$T/out"
}

@test "[docs] five seats added in January carry into February; two more make seven" {
	meters "$SEATS"
	{
		for i in 1 2 3 4 5; do
			seat $i cus_a 2027-01-0${i}T09:00:00Z s$i
		done
		seat 6 cus_a 2027-02-10T09:00:00Z s6
		seat 7 cus_a 2027-02-11T09:00:00Z s7
	} >"$T/in"
	agg "$T/in" >"$T/out"
	qis "$T/out" <<-'EOF'
	cus_a seats 2027-01-01T00:00:00Z 5 5 0 5
	cus_a seats 2027-02-01T00:00:00Z 7 2 5 7
	EOF
	# the record as written, byte for byte (key and lineage computed
	# again by the oracle, which agrees)
	cat >"$T/want" <<-'EOF'
	{"kind":"aggregate","schema":"1.0","key":"767d9c5c522603ca21273883ffc4fc2a","customer":"cus_a","meter":"seats","aggregation":"unique_count","unit":"seat","group":{},"period":"month","timezone":"UTC","period_start":"2027-02-01T00:00:00Z","period_end":"2027-03-01T00:00:00Z","quantity":"7","events":2,"first_event_at":"2027-02-10T09:00:00Z","last_event_at":"2027-02-11T09:00:00Z","opening_level":"5","closing_level":"7","lineage":"0000000000000000000000000000000d","correlation_id":"767d9c5c522603ca21273883ffc4fc2a"}
	EOF
	sed -n 2p "$T/out" >"$T/got"
	same "$T/want" "$T/got"
	oracle "$T/in"
}

@test "[spec] persisted, added, removed and re-counted seats over Lago's 2022-07-09..2022-08-08 period" {
	meters "$SEATS" '{"name":"seats_metered","event_type":"seat.change","aggregation":"unique_count","field":"seat_id"}'
	# anniversary billing on the 9th, as the spec's subscription
	for c in 1 2 3 4 5 6 7 8; do
		printf '{"id":"cus_l%s","subjects":["l%s"],"entity":"e","currency":"USD","country":"US","timezone":"UTC","billing_anchor":9}\n' $c $c
	done >"$T/c"
	{
		# "when there is persisted event and event added in period": 2
		# (and 1 for a metered metric: "returns only the number of
		# events ingested in the current period")
		seat 1 cus_l1 2022-06-09T00:00:00Z u1
		seat 2 cus_l1 2022-07-19T00:00:00Z u2
		# "with persisted metric on full period": 1
		seat 3 cus_l2 2022-06-09T00:00:00Z u
		# "with persisted metrics added in the period": 1, and "when
		# added on the first day of the period": 1
		seat 4 cus_l3 2022-07-24T00:00:00Z u
		seat 5 cus_l4 2022-07-09T00:00:00Z u
		# "with persisted metrics terminated in the period" (to - 15
		# days): 0, and "when removed on the last day of the period": 0
		seat 6 cus_l5 2022-06-09T00:00:00Z u
		seat 7 cus_l5 2022-07-24T23:59:59Z u remove
		seat 8 cus_l6 2022-06-09T00:00:00Z u
		seat 9 cus_l6 2022-08-08T23:59:59Z u remove
		# "with persisted metrics added and terminated in the period":
		# 0, and "when added and removed the same day": 0
		seat 10 cus_l7 2022-07-10T00:00:00Z u
		seat 11 cus_l7 2022-08-07T23:59:59Z u remove
		seat 12 cus_l8 2022-07-10T00:00:00Z u
		seat 13 cus_l8 2022-07-10T23:59:59Z u remove
	} >"$T/in"
	agg --customers "$T/c" --from 2022-07-09T00:00:00Z \
	    --to 2022-08-09T00:00:00Z --stats "$T/s" "$T/in" >"$T/out"
	qis "$T/out" <<-'EOF'
	cus_l1 seats 2022-07-09T00:00:00Z 2 1 1 2
	cus_l1 seats_metered 2022-07-09T00:00:00Z 1 1 null null
	cus_l2 seats 2022-07-09T00:00:00Z 1 0 1 1
	cus_l3 seats 2022-07-09T00:00:00Z 1 1 0 1
	cus_l3 seats_metered 2022-07-09T00:00:00Z 1 1 null null
	cus_l4 seats 2022-07-09T00:00:00Z 1 1 0 1
	cus_l4 seats_metered 2022-07-09T00:00:00Z 1 1 null null
	cus_l5 seats 2022-07-09T00:00:00Z 0 1 1 0
	cus_l5 seats_metered 2022-07-09T00:00:00Z 1 1 null null
	cus_l6 seats 2022-07-09T00:00:00Z 0 1 1 0
	cus_l6 seats_metered 2022-07-09T00:00:00Z 1 1 null null
	cus_l7 seats 2022-07-09T00:00:00Z 0 2 0 0
	cus_l7 seats_metered 2022-07-09T00:00:00Z 1 2 null null
	cus_l8 seats 2022-07-09T00:00:00Z 0 2 0 0
	cus_l8 seats_metered 2022-07-09T00:00:00Z 1 2 null null
	EOF
	# June's events are read for the values the window opens with
	jq -e '.read == 13 and .aggregated == 9 and .outside_window == 4' "$T/s"
	oracle --customers "$T/c" --from 2022-07-09T00:00:00Z \
	    --to 2022-08-09T00:00:00Z "$T/in"
}

@test "[query] an add of a counted value and a remove of an uncounted one change nothing" {
	meters "$SEATS"
	# breakdown_query's example: 001 add (1), 001 add (0), 002 remove
	# (0), 001 remove (-1), 002 add (1): 1
	{
		seat 1 cus_a 2023-03-16T00:00:00Z 001
		seat 2 cus_a 2023-03-17T00:00:00Z 001 add
		seat 3 cus_a 2023-03-17T10:00:00Z 002 remove
		seat 4 cus_a 2023-03-18T00:00:00Z 001 remove
		seat 5 cus_a 2023-03-19T00:00:00Z 002
	} >"$T/in"
	agg "$T/in" >"$T/out"
	[ "$(q "$T/out")" = "cus_a seats 2023-03-01T00:00:00Z 1 5 0 1" ]
	# day by day: the count at each day's end; without --to the run
	# ends with the newest event's day
	agg --period day "$T/in" >"$T/out"
	qis "$T/out" <<-'EOF'
	cus_a seats 2023-03-16T00:00:00Z 1 1 0 1
	cus_a seats 2023-03-17T00:00:00Z 1 2 1 1
	cus_a seats 2023-03-18T00:00:00Z 0 1 1 0
	cus_a seats 2023-03-19T00:00:00Z 1 1 0 1
	EOF
	oracle --period day "$T/in"
}

@test "[store] five values, one removed: 4; added again after its removal: 5" {
	meters "$SEATS"
	{
		# values 1 to 5 on days +1 to +5 from 2023-03-15; 2 removed at
		# +2 days 1 hour ("#unique_count": 4)
		for i in 1 2 3 4 5; do
			d=$(printf '2023-03-%02dT00:00:00Z' $((15 + i)))
			seat $i cus_d1 "$d" $i
			seat $((10 + i)) cus_d2 "$d" $i
		done
		seat 6 cus_d1 2023-03-17T01:00:00Z 2 remove
		# "#active_unique_property?" "with a previous removed event":
		# an add after the removal is a new unit
		seat 16 cus_d2 2023-03-17T01:00:00Z 2 remove
		seat 17 cus_d2 2023-03-18T00:00:00Z 2
	} >"$T/in"
	agg "$T/in" >"$T/out"
	qis "$T/out" <<-'EOF'
	cus_d1 seats 2023-03-01T00:00:00Z 4 6 0 4
	cus_d2 seats 2023-03-01T00:00:00Z 5 7 0 5
	EOF
	oracle "$T/in"
}

@test "an add and a remove at the same instant are taken in key order, whatever the input order" {
	meters "$SEATS"
	{
		seat 1 cus_a 2026-10-05T00:00:00Z x add
		seat 2 cus_a 2026-10-05T00:00:00Z x remove
		seat 3 cus_b 2026-10-05T00:00:00Z x remove
		seat 4 cus_b 2026-10-05T00:00:00Z x add
	} >"$T/in"
	agg "$T/in" >"$T/out"
	qis "$T/out" <<-'EOF'
	cus_a seats 2026-10-01T00:00:00Z 0 2 0 0
	cus_b seats 2026-10-01T00:00:00Z 1 2 0 1
	EOF
	tac "$T/in" | agg --jobs 1 >"$T/out2"
	same "$T/out" "$T/out2"
}

@test "group_by: each group counts its own values; a remove in another group removes nothing" {
	meters '{"name":"seats","event_type":"seat.change","aggregation":"unique_count","field":"seat_id","recurring":true,"group_by":["team"]}'
	{
		seat 1 cus_a 2026-10-05T00:00:00Z alice add a
		seat 2 cus_a 2026-10-06T00:00:00Z bob add a
		seat 3 cus_a 2026-10-07T00:00:00Z alice add b
		seat 4 cus_a 2026-11-07T00:00:00Z bob remove b
		seat 5 cus_a 2026-11-08T00:00:00Z alice remove a
	} >"$T/in"
	agg "$T/in" >"$T/out"
	jq -r '"\(.group.team) \(.period_start) \(.quantity) \(.events)"' "$T/out" >"$T/got"
	cat >"$T/want" <<-'EOF'
	a 2026-10-01T00:00:00Z 2 2
	b 2026-10-01T00:00:00Z 1 1
	a 2026-11-01T00:00:00Z 1 1
	b 2026-11-01T00:00:00Z 1 1
	EOF
	same "$T/want" "$T/got"
	oracle "$T/in"
}

@test "a bad operation_type, and a remove without its value, are rejected whole, naming the field" {
	meters "$SEATS" '{"name":"changes","event_type":"seat.change","aggregation":"count"}'
	{
		urec 1 cus_a seat.change 2026-10-05T00:00:00Z '{"seat_id":"x","operation_type":"delete"}'
		urec 2 cus_a seat.change 2026-10-05T00:00:00Z '{"seat_id":"x","operation_type":1}'
		urec 3 cus_a seat.change 2026-10-05T00:00:00Z '{"seat_id":"x","operation_type":null}'
		urec 4 cus_a seat.change 2026-10-05T00:00:00Z '{"operation_type":"remove"}'
		urec 5 cus_a seat.change 2026-10-05T00:00:00Z '{"seat_id":"x","operation_type":"add"}'
	} >"$T/in"
	agg --strict --stats "$T/s" "$T/in" >"$T/out" 2>/dev/null && rc=0 || rc=$?
	[ "$rc" -eq 65 ]
	jq -c 'del(.file)' "$T/r" >"$T/got"
	cat >"$T/want" <<-'EOF'
	{"kind":"reject","schema":"1.0","stage":"meter-aggregate","class":"data_quality","code":"invalid_value","field":"data.operation_type","message":"meter 'seats' (recurring unique_count): data.operation_type is \"delete\", not \"add\" or \"remove\"","line":1,"raw":"{\"kind\":\"usage\",\"schema\":\"1.0\",\"customer\":\"cus_a\",\"source\":\"t\",\"id\":\"e1\",\"type\":\"seat.change\",\"subject\":\"s\",\"time\":\"2026-10-05T00:00:00Z\",\"data\":{\"seat_id\":\"x\",\"operation_type\":\"delete\"},\"key\":\"00000000000000000000000000000001\"}"}
	{"kind":"reject","schema":"1.0","stage":"meter-aggregate","class":"data_quality","code":"invalid_value","field":"data.operation_type","message":"meter 'seats' (recurring unique_count): data.operation_type must be the string \"add\" or \"remove\"","line":2,"raw":"{\"kind\":\"usage\",\"schema\":\"1.0\",\"customer\":\"cus_a\",\"source\":\"t\",\"id\":\"e2\",\"type\":\"seat.change\",\"subject\":\"s\",\"time\":\"2026-10-05T00:00:00Z\",\"data\":{\"seat_id\":\"x\",\"operation_type\":1},\"key\":\"00000000000000000000000000000002\"}"}
	{"kind":"reject","schema":"1.0","stage":"meter-aggregate","class":"data_quality","code":"invalid_value","field":"data.operation_type","message":"meter 'seats' (recurring unique_count): data.operation_type must be the string \"add\" or \"remove\"","line":3,"raw":"{\"kind\":\"usage\",\"schema\":\"1.0\",\"customer\":\"cus_a\",\"source\":\"t\",\"id\":\"e3\",\"type\":\"seat.change\",\"subject\":\"s\",\"time\":\"2026-10-05T00:00:00Z\",\"data\":{\"seat_id\":\"x\",\"operation_type\":null},\"key\":\"00000000000000000000000000000003\"}"}
	{"kind":"reject","schema":"1.0","stage":"meter-aggregate","class":"data_quality","code":"missing_value","field":"data.seat_id","message":"meter 'seats' (unique_count) needs data.seat_id, which the event does not have","line":4,"raw":"{\"kind\":\"usage\",\"schema\":\"1.0\",\"customer\":\"cus_a\",\"source\":\"t\",\"id\":\"e4\",\"type\":\"seat.change\",\"subject\":\"s\",\"time\":\"2026-10-05T00:00:00Z\",\"data\":{\"operation_type\":\"remove\"},\"key\":\"00000000000000000000000000000004\"}"}
	EOF
	same "$T/want" "$T/got"
	# rejected whole: the count meter did not count them either
	[ "$(jq -r 'select(.meter == "changes") | .quantity' "$T/out")" = 1 ]
	jq -e '.read == 5 and .aggregated == 1 and .rejected == 4' "$T/s"
}

@test "recurring is refused on other aggregations and when not a boolean (exit 78, naming the meter)" {
	meters '{"name":"calls","event_type":"x","aggregation":"sum","field":"n","recurring":true}' \
	    '{"name":"storage","event_type":"x","aggregation":"weighted_sum","field":"n","recurring":true}' \
	    '{"name":"seats","event_type":"x","aggregation":"unique_count","field":"n","recurring":"yes"}' \
	    '{"name":"ok","event_type":"x","aggregation":"sum","field":"n","recurring":false}'
	run agg /dev/null
	expect_status 78
	cat >"$T/want" <<-EOF
	meter-aggregate: $T/m: meters[0] ('calls'): recurring applies to unique_count meters only (a weighted_sum carries its level by nature), not to sum
	meter-aggregate: $T/m: meters[1] ('storage'): recurring applies to unique_count meters only (a weighted_sum carries its level by nature), not to weighted_sum
	meter-aggregate: $T/m: meters[2] ('seats'): recurring must be true or false
	meter-aggregate: meters file '$T/m' has 3 errors
	EOF
	same "$T/want" - <<<"$output"
}

@test "--ledger: a seat added before the window is counted in it, as a run over every event counts it" {
	echo '{"id":"cus_a","subjects":["a"],"entity":"acme-us","currency":"USD","country":"US","timezone":"UTC"}' >"$T/c"
	meters "$SEATS"
	for e in '1 2026-10-05T00:00:00Z {"seat_id":"alice"}' \
	    '2 2026-10-20T00:00:00Z {"seat_id":"bob"}' \
	    '3 2026-11-10T00:00:00Z {"seat_id":"bob","operation_type":"remove"}'; do
		set -- $e
		printf '{"specversion":"1.0","id":"e%s","source":"test","type":"seat.change","subject":"a","time":"%s","data":%s}\n' "$1" "$2" "$3"
	done >"$T/ev"
	"$BIN/meter-ingest" --customers "$T/c" --ledger "$T/l.sqlite" \
	    --as-of 2026-11-20T00:00:00Z --max-age 70d --rejects "$T/ir" \
	    "$T/ev" >"$T/usage" 2>/dev/null
	agg --customers "$T/c" --ledger "$T/l.sqlite" --from 2026-11-01T00:00:00Z \
	    --to 2026-12-01T00:00:00Z >"$T/nov"
	[ "$(q "$T/nov")" = "cus_a seats 2026-11-01T00:00:00Z 1 1 2 1" ]
	# the same bytes as November in a run over every event
	agg --customers "$T/c" "$T/usage" >"$T/all"
	grep '"period_start":"2026-11-01' "$T/all" >"$T/all.nov"
	same "$T/all.nov" "$T/nov"
	# a quiet month: alice still counted, from October's event
	agg --customers "$T/c" --ledger "$T/l.sqlite" --from 2026-12-01T00:00:00Z \
	    --to 2027-01-01T00:00:00Z >"$T/dec"
	[ "$(q "$T/dec")" = "cus_a seats 2026-12-01T00:00:00Z 1 0 1 1" ]
	# November's events alone would say 0: the window needs the ledger
	grep '"time":"2026-11' "$T/usage" | agg --customers "$T/c" \
	    --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z >"$T/nov-only"
	[ "$(q "$T/nov-only")" = "cus_a seats 2026-11-01T00:00:00Z 0 1 0 0" ]
}

@test "without --to, carried values run on to the period of the run's newest event, in any order and split" {
	meters "$SEATS" '{"name":"storage","event_type":"storage.gauge","aggregation":"weighted_sum","field":"gb"}'
	{
		seat 1 cus_a 2026-09-10T00:00:00Z alice
		urec 2 cus_a storage.gauge 2026-09-16T00:00:00Z '{"gb":30}'
		# the run's newest event, of another customer
		seat 3 cus_b 2026-12-02T00:00:00Z zed
	} >"$T/in"
	agg "$T/in" >"$T/out"
	qis "$T/out" <<-'EOF'
	cus_a seats 2026-09-01T00:00:00Z 1 1 0 1
	cus_a seats 2026-10-01T00:00:00Z 1 0 1 1
	cus_a seats 2026-11-01T00:00:00Z 1 0 1 1
	cus_a seats 2026-12-01T00:00:00Z 1 0 1 1
	cus_a storage 2026-09-01T00:00:00Z 15 1 0 30
	cus_a storage 2026-10-01T00:00:00Z 30 0 30 30
	cus_a storage 2026-11-01T00:00:00Z 30 0 30 30
	cus_a storage 2026-12-01T00:00:00Z 30 0 30 30
	cus_b seats 2026-12-01T00:00:00Z 1 1 0 1
	EOF
	oracle "$T/in"
	# the same bytes in reverse order, on one thread and on four
	tac "$T/in" | agg --jobs 1 >"$T/out1"
	same "$T/out" "$T/out1"
	tac "$T/in" | agg --jobs 4 >"$T/out4"
	same "$T/out" "$T/out4"
	# --from alone: the same end
	agg --from 2026-11-01T00:00:00Z "$T/in" >"$T/from"
	grep -E '"period_start":"2026-1[12]-' "$T/out" >"$T/want"
	same "$T/want" "$T/from"
	# a run whose newest event is September's ends there
	head -2 "$T/in" | agg >"$T/sep"
	[ "$(q "$T/sep" | cut -d' ' -f3 | sort -u)" = "2026-09-01T00:00:00Z" ]
	# a rejected event is no newer event
	urec 4 cus_b storage.gauge 2027-03-01T00:00:00Z '{"gb":"x"}' >>"$T/in"
	agg "$T/in" >"$T/out5" || true
	same "$T/out" "$T/out5"
}
