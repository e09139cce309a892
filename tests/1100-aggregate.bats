#!/usr/bin/env bats
# meter-aggregate: each aggregation on records whose answer is worked out
# by hand, the golden file of the sample data, and the accounting.

load lib

M=testdata/aggregate
C=testdata/aggregate/customers.ndjson

# q METER: "quantity events" of each aggregate of that meter, one a line
q() {
	jq -r --arg m "$1" 'select(.meter == $m) | "\(.quantity) \(.events)"' "$T/out"
}

@test "the sample data: golden aggregates, timezones and DST from the customer master" {
	run "$BIN/meter-aggregate" --meters $M/meters.json \
	    --customers testdata/customers.ndjson --rejects "$T/r" \
	    --stats "$T/s" testdata/ingest/events.expected.ndjson
	expect_status 0
	echo "$output" | grep -v '^meter-aggregate: ' >"$T/out"
	same $M/aggregates.expected.ndjson "$T/out"
	[[ "$output" == *"read 6, aggregated 6, unmetered 0, outside the window 0, rejected 0; 10 aggregates"* ]]
	jq -e '.stage == "meter-aggregate" and .read == 6 and .aggregated == 6 and .aggregates == 10 and .input == "ndjson"' "$T/s"
	[ ! -e "$T/r" ]
}

@test "Lago's example: pageviews 10 and 20 from one user give count 2, sum 30, max 20, unique_count 1" {
	meters '{"name":"c","event_type":"pageview","aggregation":"count"}' \
	    '{"name":"s","event_type":"pageview","aggregation":"sum","field":"pageviews"}' \
	    '{"name":"x","event_type":"pageview","aggregation":"max","field":"pageviews"}' \
	    '{"name":"u","event_type":"pageview","aggregation":"unique_count","field":"user"}'
	{
		urec 1 cus_a pageview 2026-10-01T10:00:00Z '{"pageviews":10,"user":"u1"}'
		urec 2 cus_a pageview 2026-10-02T10:00:00Z '{"pageviews":20,"user":"u1"}'
	} | agg >"$T/out"
	[ "$(q c)" = "2 2" ]
	[ "$(q s)" = "30 2" ]
	[ "$(q x)" = "20 2" ]
	[ "$(q u)" = "1 2" ]
}

@test "sum is exact: 0.1 + 0.2 is 0.3, a 20-digit value keeps every digit, numeric strings count" {
	meters '{"name":"s","event_type":"t","aggregation":"sum","field":"v"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"v":0.1}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"v":"0.2"}'
		urec 3 cus_b t 2026-10-01T00:00:00Z '{"v":12345678901234567890.123}'
		urec 4 cus_b t 2026-10-01T00:00:00Z '{"v":1e-3}'
	} | agg >"$T/out"
	[ "$(q s)" = "0.3 2
12345678901234567890.124 2" ]
}

@test "min, max and avg (rounded half-even to 9 places, or as the meter says)" {
	meters '{"name":"lo","event_type":"t","aggregation":"min","field":"v"}' \
	    '{"name":"hi","event_type":"t","aggregation":"max","field":"v"}' \
	    '{"name":"avg","event_type":"t","aggregation":"avg","field":"v"}' \
	    '{"name":"avg2","event_type":"t","aggregation":"avg","field":"v","precision":2,"rounding":"half-up"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"v":1}'
		urec 2 cus_a t 2026-10-02T00:00:00Z '{"v":-2.5}'
		urec 3 cus_a t 2026-10-03T00:00:00Z '{"v":2}'
		urec 4 cus_a t 2026-10-03T00:00:00Z '{"v":4.5}'
	} | agg >"$T/out"
	[ "$(q lo)" = "-2.5 4" ]
	[ "$(q hi)" = "4.5 4" ]
	[ "$(q avg)" = "1.25 4" ]
	[ "$(q avg2)" = "1.25 4" ]
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"v":1}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"v":2}'
		urec 3 cus_a t 2026-10-01T00:00:00Z '{"v":2}'
	} | agg >"$T/out"
	# 5/3 = 1.6666...: 1.666666667 at 9 places, 1.67 at 2
	[ "$(q avg)" = "1.666666667 3" ]
	[ "$(q avg2)" = "1.67 3" ]
}

@test "unique_count counts distinct values exactly: \"5\" and 5 differ, 1.0 and 1 do not" {
	meters '{"name":"u","event_type":"t","aggregation":"unique_count","field":"v"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"v":"5"}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"v":5}'
		urec 3 cus_a t 2026-10-01T00:00:00Z '{"v":1.0}'
		urec 4 cus_a t 2026-10-01T00:00:00Z '{"v":1}'
		urec 5 cus_a t 2026-10-01T00:00:00Z '{"v":true}'
		urec 6 cus_a t 2026-10-01T00:00:00Z '{"v":"5"}'
	} | agg >"$T/out"
	[ "$(q u)" = "4 6" ]
}

@test "latest: the value of the latest event; a tie in time goes to the greater key, whatever the order" {
	meters '{"name":"l","event_type":"t","aggregation":"latest","field":"v"}'
	{
		urec 3 cus_a t 2026-10-05T00:00:00Z '{"v":30}'
		urec 9 cus_a t 2026-10-05T00:00:00Z '{"v":90}'
		urec 5 cus_a t 2026-10-01T00:00:00Z '{"v":50}'
	} >"$T/in"
	agg "$T/in" >"$T/out"
	[ "$(q l)" = "90 3" ]
	tac "$T/in" | agg >"$T/out"
	[ "$(q l)" = "90 3" ]
}

@test "weighted_sum: 10 seats for 15 of 30 days, then 20 seats, is 15 seat-months (levels and increments)" {
	meters '{"name":"lv","event_type":"seats","aggregation":"weighted_sum","field":"n"}' \
	    '{"name":"inc","event_type":"delta","aggregation":"weighted_sum","field":"n","values":"increments"}'
	{
		urec 1 cus_a seats 2026-09-01T00:00:00Z '{"n":10}'
		urec 2 cus_a seats 2026-09-16T00:00:00Z '{"n":20}'
		urec 3 cus_a delta 2026-09-01T00:00:00Z '{"n":10}'
		urec 4 cus_a delta 2026-09-16T00:00:00Z '{"n":10}'
	} | agg >"$T/out"
	[ "$(q lv)" = "15 2" ]
	[ "$(q inc)" = "15 2" ]
	jq -e 'select(.meter == "lv") | .opening_level == "0" and .closing_level == "20"' "$T/out"
}

@test "weighted_sum carries the level into later periods, also those without events" {
	meters '{"name":"gb","event_type":"g","aggregation":"weighted_sum","field":"gb"}'
	{
		urec 1 cus_a g 2026-08-17T00:00:00Z '{"gb":31}'
		urec 2 cus_a g 2026-10-16T00:00:00Z '{"gb":0}'
	} | agg >"$T/out"
	# August: 31 GB for 15 of 31 days; September: 31 all month, no
	# events; October: 31 GB for 15 of 31 days, then none
	jq -r '"\(.period_start) \(.quantity) \(.events) \(.opening_level) \(.closing_level)"' "$T/out" >"$T/got"
	cat >"$T/want" <<-EOF
	2026-08-01T00:00:00Z 15 1 0 31
	2026-09-01T00:00:00Z 31 0 31 31
	2026-10-01T00:00:00Z 15 1 31 0
	EOF
	same "$T/want" "$T/got"
	jq -se 'map(select(.events == 0)) | length == 1 and .[0].first_event_at == null and .[0].last_event_at == null' "$T/out"
}

@test "weighted_sum with a window: the level comes from events before it; a quiet series still bills" {
	meters '{"name":"gb","event_type":"g","aggregation":"weighted_sum","field":"gb"}'
	{
		urec 1 cus_a g 2026-01-10T00:00:00Z '{"gb":"7.5"}'
		urec 2 cus_b g 2026-09-20T00:00:00Z '{"gb":30}'
		urec 3 cus_b g 2026-10-31T00:00:00Z '{"gb":62}'
	} | agg --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z --stats "$T/s" >"$T/out"
	jq -r '"\(.customer) \(.period_start) \(.quantity) \(.events)"' "$T/out" >"$T/got"
	# cus_b: 30 GB for 30 days then 62 for 1 day: (900 + 62) / 31
	cat >"$T/want" <<-EOF
	cus_a 2026-10-01T00:00:00Z 7.5 0
	cus_b 2026-10-01T00:00:00Z 31.032258065 1
	EOF
	same "$T/want" "$T/got"
	jq -e '.read == 3 and .aggregated == 1 and .outside_window == 2' "$T/s"
}

@test "group_by: one aggregate per group; a missing property groups as null; keys sorted" {
	meters '{"name":"tok","event_type":"llm","aggregation":"sum","field":"tokens.in","group_by":["region","model"]}'
	{
		urec 1 cus_a llm 2026-10-01T00:00:00Z '{"model":"large","region":"eu","tokens":{"in":5}}'
		urec 2 cus_a llm 2026-10-01T00:00:00Z '{"model":"small","region":"eu","tokens":{"in":7}}'
		urec 3 cus_a llm 2026-10-01T00:00:00Z '{"region":"eu","model":"large","tokens":{"in":1}}'
		urec 4 cus_a llm 2026-10-01T00:00:00Z '{"tokens":{"in":2}}'
	} | agg >"$T/out"
	jq -c '[.group, .quantity]' "$T/out" >"$T/got"
	cat >"$T/want" <<-EOF
	[{"model":"large","region":"eu"},"6"]
	[{"model":"small","region":"eu"},"7"]
	[{"model":null,"region":null},"2"]
	EOF
	same "$T/want" "$T/got"
	grep -q '"group":{"model":"large","region":"eu"}' "$T/out"
}

@test "an event counted by several meters and unmetered types are accounted for" {
	meters '{"name":"a","event_type":["x","y"],"aggregation":"count"}' \
	    '{"name":"b","event_type":"x","aggregation":"sum","field":"v"}'
	{
		urec 1 cus_a x 2026-10-01T00:00:00Z '{"v":2}'
		urec 2 cus_a y 2026-10-01T00:00:00Z '{}'
		urec 3 cus_a z 2026-10-01T00:00:00Z '{}'
		echo
	} | agg --stats "$T/s" >"$T/out"
	[ "$(q a)" = "2 2" ]
	[ "$(q b)" = "2 1" ]
	jq -e '.read == 3 and .aggregated == 2 and .unmetered == 1 and .rejected == 0 and .blank_lines == 1' "$T/s"
}

@test "lineage: the sum of the event keys mod 2^128, the same whatever the order; key and correlation_id" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{}'
		urec 2 cus_a t 2026-10-02T00:00:00Z '{}'
		printf '{"kind":"usage","schema":"1.0","customer":"cus_a","type":"t","time":"2026-10-03T00:00:00Z","key":"ffffffffffffffffffffffffffffffff"}\n'
	} >"$T/in"
	agg "$T/in" >"$T/out"
	# keys ...01 and ...02 are 2^120 and 2^121 read little-endian:
	# 2^120 + 2^121 + (2^128 - 1) = 3 * 2^120 - 1 mod 2^128
	jq -e '.lineage == "ffffffffffffffffffffffffffffff02"' "$T/out"
	jq -e '.correlation_id == .key and (.key | test("^[0-9a-f]{32}$"))' "$T/out"
	tac "$T/in" | agg | cmp - "$T/out"
}

@test "the aggregate key is BLAKE2b over customer, meter, group and period" {
	meters '{"name":"c","event_type":"t","aggregation":"count","group_by":["g"]}'
	urec 1 cus_a t 2026-10-01T00:00:00Z '{"g":"x"}' | agg >"$T/out"
	want=$(python3 -c '
import hashlib, struct
f = lambda b: struct.pack("<Q", len(b)) + b
i = lambda n: f(struct.pack("<q", n))
s, e = 1790812800 * 10**9, 1793491200 * 10**9
print(hashlib.blake2b(f(b"aggregate") + f(b"cus_a") + f(b"c") + f(b"{\"g\":\"x\"}") + i(s) + i(e), digest_size=16).hexdigest())')
	[ "$(jq -r .key "$T/out")" = "$want" ]
}

@test "the aggregate key of a long customer, meter and group is the same BLAKE2b" {
	# past the 256 bytes meter-aggregate gathers a key in: hashed another way
	c=$(printf 'cus_%0300d' 7)
	meters '{"name":"c","event_type":"t","aggregation":"count","group_by":["g"]}'
	urec 1 "$c" t 2026-10-01T00:00:00Z '{"g":"x"}' | agg >"$T/out"
	want=$(C="$c" python3 -c '
import hashlib, os, struct
f = lambda b: struct.pack("<Q", len(b)) + b
i = lambda n: f(struct.pack("<q", n))
s, e = 1790812800 * 10**9, 1793491200 * 10**9
print(hashlib.blake2b(f(b"aggregate") + f(os.environ["C"].encode()) + f(b"c") + f(b"{\"g\":\"x\"}") + i(s) + i(e), digest_size=16).hexdigest())')
	[ "$(jq -r .key "$T/out")" = "$want" ]
}

@test "output is sorted by customer, meter, period start and group, the same with 1 or 4 jobs" {
	meters '{"name":"b","event_type":"t","aggregation":"count","group_by":["g"]}' \
	    '{"name":"a","event_type":"t","aggregation":"count"}'
	python3 -c '
import random
r = random.Random(7)
for n in range(3000):
    c = "cus_%d" % r.randrange(20)
    t = "2026-%02d-%02dT%02d:00:00Z" % (r.randrange(8, 12), r.randrange(1, 29), r.randrange(24))
    print("{\"kind\":\"usage\",\"schema\":\"1.0\",\"customer\":\"%s\",\"type\":\"t\",\"time\":\"%s\",\"data\":{\"g\":%d},\"key\":\"%032x\"}" % (c, t, r.randrange(3), n))
' >"$T/in"
	agg --jobs 1 --period day "$T/in" >"$T/one"
	agg --jobs 4 --period day "$T/in" >"$T/four"
	cmp "$T/one" "$T/four"
	jq -r '[.customer, .meter, .period_start, (.group | tojson)] | @tsv' "$T/one" >"$T/keys"
	sort -c "$T/keys"
	[ "$(jq -s 'map(select(.meter == "a") | .events) | add' "$T/one")" -eq 3000 ]
}

@test "--dedupe: a record repeated counts once, another event under its key is a conflict" {
	meters '{"name":"s","event_type":"t","aggregation":"sum","field":"v"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"v":1}' | sed 's/}$/,"digest":"aa000000000000000000000000000000"}/'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"v":2}'
	} >"$T/in"
	urec 1 cus_a t 2026-10-01T00:00:00Z '{"v":9}' | sed 's/}$/,"digest":"bb000000000000000000000000000000"}/' >"$T/conflict"
	# without --dedupe the same file twice is counted twice
	agg "$T/in" "$T/in" >"$T/out"
	[ "$(q s)" = "6 4" ]
	run agg --dedupe --stats "$T/s" "$T/in" "$T/in" "$T/conflict"
	expect_status 0
	echo "$output" | grep -v '^meter-aggregate: ' >"$T/out"
	[ "$(q s)" = "3 2" ]
	[[ "$output" == *"duplicates 2, rejected 1;"* ]]
	jq -e '.read == 5 and .aggregated == 2 and .duplicates == 2 and .rejected == 1' "$T/s"
	jq -e '.class == "idempotency_conflict" and .code == "idempotency_conflict" and .field == "key" and .line == 1' "$T/r"
	# a refused record claims no key: its fix is counted
	rm -f "$T/r"
	{
		urec 7 cus_a t 2026-10-01T00:00:00Z '{"w":1}'
		urec 7 cus_a t 2026-10-01T00:00:00Z '{"v":7}'
	} | agg --dedupe >"$T/out"
	[ "$(q s)" = "7 1" ]
	jq -e '.code == "missing_value"' "$T/r"
}
