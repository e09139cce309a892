#!/usr/bin/env bats
# meter-aggregate: meter filters (usage-to-cash(5), "filter"): a meter
# counts only events whose data values are among the listed ones for
# every key; an event no meter of its type lets through is unmetered,
# not rejected.

load lib

q() {
	grep '^{' <<<"$output" |
	    jq -r --arg m "$1" 'select(.meter == $m) | "\(.quantity) \(.events)"'
}

@test "every key must match one of its values; the others are unmetered for that meter" {
	meters '{"name":"all","event_type":"llm","aggregation":"sum","field":"n"}' \
	    '{"name":"eu","event_type":"llm","aggregation":"sum","field":"n","filter":{"model":["gpt-4o","o1"],"region":["eu"]}}'
	{
		urec 1 cus_a llm 2026-10-01T00:00:00Z '{"n":1,"model":"gpt-4o","region":"eu"}'
		urec 2 cus_a llm 2026-10-01T00:00:00Z '{"n":2,"model":"o1","region":"eu"}'
		urec 3 cus_a llm 2026-10-01T00:00:00Z '{"n":4,"model":"o1","region":"us"}'
		urec 4 cus_a llm 2026-10-01T00:00:00Z '{"n":8,"model":"GPT-4o","region":"eu"}'
		urec 5 cus_a llm 2026-10-01T00:00:00Z '{"n":16,"region":"eu"}'
	} >"$T/in"
	run agg --stats "$T/s" "$T/in"
	expect_status 0
	[ "$(q all)" = "31 5" ]
	[ "$(q eu)" = "3 2" ]
	[ ! -s "$T/r" ]
	jq -e '.read == 5 and .aggregated == 5 and .unmetered == 0' "$T/s"
}

@test "an event every meter of its type filters out is unmetered, not rejected, even with bad fields" {
	meters '{"name":"eu","event_type":"t","aggregation":"sum","field":"n","filter":{"region":["eu"]}}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"n":1,"region":"eu"}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"n":"lots","region":"us"}'
		urec 3 cus_a t 2026-10-01T00:00:00Z '{"n":1}'
		urec 4 cus_a t 2026-10-01T00:00:00Z '{"n":1,"region":null}'
	} >"$T/in"
	run agg --stats "$T/s" "$T/in"
	expect_status 0
	[ "$(q eu)" = "1 1" ]
	[ ! -s "$T/r" ]
	jq -e '.read == 4 and .aggregated == 1 and .unmetered == 3 and .rejected == 0' "$T/s"
}

@test "numbers match listed strings by value, booleans \"true\" and \"false\"" {
	meters '{"name":"c","event_type":"t","aggregation":"count","filter":{"cpus":["2","4.5"],"spot":["true"],"tier.id":["7"]}}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"cpus":2,"spot":true,"tier":{"id":"7"}}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"cpus":2.00,"spot":true,"tier":{"id":7}}'
		urec 3 cus_a t 2026-10-01T00:00:00Z '{"cpus":"4.5","spot":true,"tier":{"id":7.0}}'
		urec 4 cus_a t 2026-10-01T00:00:00Z '{"cpus":"4.50","spot":true,"tier":{"id":7}}'
		urec 5 cus_a t 2026-10-01T00:00:00Z '{"cpus":3,"spot":true,"tier":{"id":7}}'
		urec 6 cus_a t 2026-10-01T00:00:00Z '{"cpus":2,"spot":"yes","tier":{"id":7}}'
		urec 7 cus_a t 2026-10-01T00:00:00Z '{"cpus":2,"spot":false,"tier":{"id":7}}'
	} >"$T/in"
	run agg "$T/in"
	expect_status 0
	# 1, 2 and 3; "4.50" is a string, compared as bytes
	[ "$(q c)" = "3 3" ]
}

@test "a bad filter is a configuration error, exit 78" {
	meters '{"name":"a","event_type":"t","aggregation":"count","filter":["eu"]}' \
	    '{"name":"b","event_type":"t","aggregation":"count","filter":{}}' \
	    '{"name":"c","event_type":"t","aggregation":"count","filter":{"region":"eu"}}' \
	    '{"name":"d","event_type":"t","aggregation":"count","filter":{"region":[]}}' \
	    '{"name":"e","event_type":"t","aggregation":"count","filter":{"region":[1]}}' \
	    '{"name":"f","event_type":"t","aggregation":"count","filter":{"a..b":["x"]}}' \
	    '{"name":"g","event_type":"t","aggregation":"count","filter":{"r":["x","x"]}}'
	run "$BIN/meter-aggregate" --meters "$T/m" </dev/null
	expect_status 78
	for want in "meters[0] ('a'): filter must be an object of 1 to 16 properties" \
	    "meters[1] ('b'): filter must be an object" \
	    "meters[2] ('c'): filter.region must be a list of strings" \
	    "meters[3] ('d'): filter.region must be a string or a list of 1 to 1024 strings" \
	    "meters[4] ('e'): filter.region[0] must be a non-empty string" \
	    "meters[5] ('f'): filter's key 'a..b' must be a property of data" \
	    "meters[6] ('g'): filter.r lists 'x' twice" \
	    "has 7 errors"; do
		[[ "$output" == *"$want"* ]] || { echo "missing: $want"; return 1; }
	done
}
