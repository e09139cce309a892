#!/usr/bin/env bats
# meter-aggregate: expression meters (usage-to-cash(5), "expression"):
# exact decimal arithmetic over an event's data, parsed once, a syntax
# error a configuration error, a missing operand or a division by zero a
# reject.

load lib

# q METER: the quantity of METER's only aggregate in $output
q() {
	grep '^{' <<<"$output" |
	    jq -r --arg m "$1" 'select(.meter == $m) | .quantity'
}

@test "sum, max and weighted token counts: precedence, decimals, numeric strings" {
	meters '{"name":"w","event_type":"llm","aggregation":"sum","expression":"input_tokens + 4 * output_tokens"}' \
	    '{"name":"cpu","event_type":"llm","aggregation":"sum","expression":"duration_ms / 1000 * cpus"}' \
	    '{"name":"r","event_type":"llm","aggregation":"max","expression":"round(max(usage.a, usage.b) / 3, 2) - -1"}' \
	    '{"name":"f","event_type":"llm","aggregation":"sum","expression":"ceil(duration_ms / 1000) + floor(-0.5) + min(1, 2)"}'
	{
		urec 1 cus_a llm 2026-10-01T00:00:00Z '{"input_tokens":10,"output_tokens":3,"duration_ms":1500,"cpus":2,"usage":{"a":1,"b":"2.5"}}'
		urec 2 cus_a llm 2026-10-02T00:00:00Z '{"input_tokens":"0.5","output_tokens":0.25,"duration_ms":1,"cpus":"3","usage":{"a":10,"b":0}}'
	} >"$T/in"
	run agg "$T/in"
	expect_status 0
	[ "$(q w)" = "23.5" ]		# 10 + 12, 0.5 + 1
	[ "$(q cpu)" = "3.003" ]	# 1.5 * 2, 0.001 * 3
	[ "$(q r)" = "4.33" ]		# round(10 / 3, 2) + 1 beats 1.83
	[ "$(q f)" = "3" ]		# (2 - 1 + 1) + (1 - 1 + 1)
	[ ! -s "$T/r" ]
}

@test "a missing or non-numeric operand is a reject naming it; so is a division by zero" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}' \
	    '{"name":"e","event_type":"t","aggregation":"sum","expression":"a / b + 1"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"a":1,"b":4}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"a":1}'
		urec 3 cus_a t 2026-10-01T00:00:00Z '{"a":"lots","b":1}'
		urec 4 cus_a t 2026-10-01T00:00:00Z '{"a":1,"b":0.0}'
		urec 5 cus_a t 2026-10-01T00:00:00Z '{"a":null,"b":1}'
	} >"$T/in"
	run agg --stats "$T/s" "$T/in"
	expect_status 0
	[ "$(q e)" = "1.25" ]
	[ "$(q c)" = "1" ]	# nothing of a refused event counts
	jq -c '[.line, .code, .field, .message]' "$T/r" >"$T/got"
	printf '%s\n' '[2,"missing_value","data.b","meter '"'e'"' (sum) needs data.b, which the event does not have"]
[3,"invalid_value","data.a","meter '"'e'"': data.a is the string \"lots\", not a number"]
[4,"division_by_zero","","meter '"'e'"': the expression divides by zero"]
[5,"missing_value","data.a","meter '"'e'"' (sum) needs data.a, which the event has as null"]' >"$T/want"
	same "$T/want" "$T/got"
	jq -e '.read == 5 and .aggregated == 1 and .rejected == 4' "$T/s"
}

@test "a quotient has 12 decimal places, rounded half-even" {
	meters '{"name":"d","event_type":"t","aggregation":"latest","expression":"a / b"}'
	for v in '1 3 0.333333333333' '2 3 0.666666666667' \
	    '0.0000000000025 1 0.000000000002' '0.0000000000035 1 0.000000000004' \
	    '3000 1000 3'; do
		set -- $v
		urec 1 cus_a t 2026-10-01T00:00:00Z "{\"a\":$1,\"b\":$2}" >"$T/in"
		run agg "$T/in"
		expect_status 0
		[ "$(q d)" = "$3" ] || { echo "$1 / $2: $(q d), not $3"; return 1; }
	done
}

@test "a syntax error is a configuration error naming the meter and the column, exit 78" {
	meters '{"name":"x","event_type":"t","aggregation":"sum","expression":"a + * 2"}' \
	    '{"name":"y","event_type":"t","aggregation":"sum","expression":"sqrt(a)"}' \
	    '{"name":"z","event_type":"t","aggregation":"sum","expression":"a","field":"a"}' \
	    '{"name":"u","event_type":"t","aggregation":"unique_count","expression":"a"}' \
	    '{"name":"v","event_type":"t","aggregation":"sum","expression":"round(a, b)"}' \
	    '{"name":"k","event_type":"t","aggregation":"sum","expression":7}'
	run "$BIN/meter-aggregate" --meters "$T/m" </dev/null
	expect_status 78
	for want in "meters[0] ('x'): expression, column 5: expected a number, a name or '(', not '*'" \
	    "meters[1] ('y'): expression, column 1: unknown function 'sqrt'" \
	    "meters[2] ('z'): give field or expression, not both" \
	    "meters[3] ('u'): unique_count reads no expression" \
	    "meters[4] ('v'): expression, column 10: round's digits must be an integer from 0 to 18" \
	    "meters[5] ('k'): expression must be a string" \
	    "has 6 errors"; do
		[[ "$output" == *"$want"* ]] || { echo "missing: $want"; return 1; }
	done
}

@test "keys that are not identifiers in backquotes: hyphen, space, digit first, a backquote doubled" {
	meters '{"name":"w","event_type":"llm","aggregation":"sum","expression":"`input-tokens` + 4 * usage.`output tokens`"}' \
	    '{"name":"s","event_type":"llm","aggregation":"sum","expression":"`5xx` * `a``b`"}'
	{
		urec 1 cus_a llm 2026-10-01T00:00:00Z '{"input-tokens":10,"usage":{"output tokens":3},"5xx":2,"a`b":"1.5"}'
		urec 2 cus_a llm 2026-10-01T00:00:00Z '{"input-tokens":1,"usage":{"output tokens":0.5},"5xx":1,"a`b":1}'
		urec 3 cus_a llm 2026-10-01T00:00:00Z '{"input_tokens":1,"usage":{"output tokens":1},"5xx":1,"a`b":1}'
	} >"$T/in"
	run agg "$T/in"
	expect_status 0
	[ "$(q w)" = "25" ]		# 10 + 12, 1 + 2
	[ "$(q s)" = "4" ]		# 2 * 1.5 + 1 * 1: line 3 is refused
	jq -c '[.line, .code, .field, .message]' "$T/r" >"$T/got"
	printf '%s\n' '[3,"missing_value","data.input-tokens","meter '"'w'"' (sum) needs data.input-tokens, which the event does not have"]' >"$T/want"
	same "$T/want" "$T/got"
}

@test "a bad quoted key is a configuration error naming the column" {
	meters '{"name":"x","event_type":"t","aggregation":"sum","expression":"1 + `in-tok"}' \
	    '{"name":"y","event_type":"t","aggregation":"sum","expression":"`a.b` * 2"}' \
	    '{"name":"z","event_type":"t","aggregation":"sum","expression":"`` + 1"}'
	run "$BIN/meter-aggregate" --meters "$T/m" </dev/null
	expect_status 78
	for want in "meters[0] ('x'): expression, column 5: the key quoted here has no closing '\`'" \
	    "meters[1] ('y'): expression, column 3: a quoted key cannot hold '.' (a '.' between names reads a nested key)" \
	    "meters[2] ('z'): expression, column 1: an empty quoted key" \
	    "has 3 errors"; do
		[[ "$output" == *"$want"* ]] || { echo "missing: $want"; return 1; }
	done
}

@test "quoted keys from the ledger (packed data) as from NDJSON" {
	meters '{"name":"w","event_type":"llm","aggregation":"sum","expression":"`input-tokens` + 4 * usage.`output tokens` + `2x`"}'
	printf '%s\n' '{"specversion":"1.0","id":"e1","source":"s","type":"llm","subject":"acme-prod","time":"2026-10-01T09:00:00Z","data":{"input-tokens":10,"usage":{"output tokens":"0.25"},"2x":1}}' \
	    '{"specversion":"1.0","id":"e2","source":"s","type":"llm","subject":"acme-prod","time":"2026-10-02T09:00:00Z","data":{"input-tokens":2,"usage":{"output tokens":3},"2x":0}}' >"$T/events"
	ingest "$T/events" >"$T/usage" 2>/dev/null
	agg --ledger "$T/ledger.sqlite" --from 2026-10-01T00:00:00Z \
	    --to 2026-11-01T00:00:00Z >"$T/from-ledger" 2>/dev/null
	agg --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z \
	    "$T/usage" >"$T/from-ndjson" 2>/dev/null
	cmp "$T/from-ledger" "$T/from-ndjson"
	jq -e '.quantity == "26"' "$T/from-ledger"	# 10 + 1 + 1, 2 + 12 + 0
}

@test "from the ledger (packed data) as from NDJSON: expression and filter meters" {
	cat >"$T/m" <<-'EOF2'
	{"meters":[
	 {"name":"w","event_type":"llm.tokens","aggregation":"sum",
	  "expression":"tokens.input + 4 * tokens.output / 3","group_by":["model"]},
	 {"name":"f","event_type":"llm.tokens","aggregation":"max",
	  "expression":"round(tokens.output / 7, 2)",
	  "filter":{"model":["large"]}}]}
	EOF2
	python3 scripts/gen-events --seed 5 --customers 20 --start 2026-10-01T00:00:00Z \
	    --span 2592000 --customers-out "$T/cust" 2000 >"$T/events"
	"$BIN/meter-ingest" --customers "$T/cust" --ledger "$T/ledger.sqlite" \
	    --as-of 2026-12-01T00:00:00Z --max-age 70d --rejects "$T/ir" \
	    "$T/events" >"$T/usage" 2>/dev/null
	"$BIN/meter-aggregate" --meters "$T/m" --ledger "$T/ledger.sqlite" \
	    --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z \
	    --rejects "$T/r1" --stats "$T/s1" >"$T/from-ledger" 2>/dev/null
	"$BIN/meter-aggregate" --meters "$T/m" --rejects "$T/r2" --stats "$T/s2" \
	    --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z \
	    "$T/usage" >"$T/from-ndjson" 2>/dev/null
	cmp "$T/from-ledger" "$T/from-ndjson"
	jq -s -e 'map(.meter) | unique == ["f","w"]' "$T/from-ledger"
	jq -s -e 'map(select(.meter == "f")) | length > 0 and all(.group == {})' "$T/from-ledger"
	# the filter left out the other models' events
	jq -s -e '([.[] | select(.meter == "f") | .events] | add) < ([.[] | select(.meter == "w") | .events] | add)' "$T/from-ledger"
	jq -e '.rejected == 0 and .unmetered > 0' "$T/s1"	# other types
}
