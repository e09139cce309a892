#!/usr/bin/env bats
# meter-aggregate: bad input is refused with its reason and counted, bad
# configuration and usage are refused with the right exit status.

load lib

# one_reject CODE FIELD LINE: exactly one reject, of class data_quality
one_reject() {
	[ "$(wc -l <"$T/r")" -eq 1 ] || { cat "$T/r"; return 1; }
	jq -e --arg c "$1" --arg f "$2" --argjson l "$3" \
	    '.kind == "reject" and .stage == "meter-aggregate"
	     and .class == "data_quality" and .code == $c and .field == $f
	     and .line == $l and (.message | length > 0)' "$T/r"
}

@test "missing_value: a sum meter whose field is absent or null; nothing of the event counts" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}' \
	    '{"name":"s","event_type":"t","aggregation":"sum","field":"usage.n"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"usage":{"n":2}}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{"usage":{}}'
	} >"$T/in"
	run agg --stats "$T/s" "$T/in"
	expect_status 0
	one_reject missing_value data.usage.n 2
	[ "$(jq -r .raw "$T/r")" = "$(sed -n 2p "$T/in")" ]
	jq -e '.read == 2 and .aggregated == 1 and .rejected == 1 and .rejects_by_code.missing_value == 1' "$T/s"
	# the count meter did not count the refused event either
	[[ "$output" == *'"meter":"c"'*'"events":1'* ]]
	urec 3 cus_a t 2026-10-01T00:00:00Z '{"usage":{"n":null}}' >"$T/in"
	rm -f "$T/r"
	run agg "$T/in"
	one_reject missing_value data.usage.n 1
}

@test "invalid_value: a string that is not a number, an object, a boolean" {
	meters '{"name":"s","event_type":"t","aggregation":"max","field":"n"}'
	for v in '"12 GB"' '{"a":1}' 'true' '"0x10"'; do
		rm -f "$T/r"
		urec 1 cus_a t 2026-10-01T00:00:00Z "{\"n\":$v}" >"$T/in"
		run agg "$T/in"
		expect_status 0
		one_reject invalid_value data.n 1
	done
}

@test "unique_count refuses objects and arrays, accepts strings, numbers and booleans" {
	meters '{"name":"u","event_type":"t","aggregation":"unique_count","field":"v"}'
	urec 1 cus_a t 2026-10-01T00:00:00Z '{"v":[1]}' >"$T/in"
	run agg "$T/in"
	one_reject invalid_value data.v 1
}

@test "invalid_group_value: a group_by property that is an object" {
	meters '{"name":"c","event_type":"t","aggregation":"count","group_by":["g"]}'
	urec 1 cus_a t 2026-10-01T00:00:00Z '{"g":{"x":1}}' >"$T/in"
	run agg "$T/in"
	one_reject invalid_group_value data.g 1
}

@test "records that are not usage records: other kinds, bad JSON, bad time, bad key, newer schema" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}'
	{
		echo '{"kind":"aggregate","schema":"1.0"}'
		echo '{"kind":"usage",'
		echo '[1,2]'
		echo '{"kind":"usage","schema":"1.0","customer":"c","type":"t","time":"yesterday","key":"00000000000000000000000000000001"}'
		echo '{"kind":"usage","schema":"1.0","customer":"c","type":"t","time":"2026-10-01T00:00:00Z","key":"xyz"}'
		echo '{"kind":"usage","schema":"2.0","customer":"c","type":"t","time":"2026-10-01T00:00:00Z","key":"00000000000000000000000000000001"}'
		echo '{"kind":"usage","schema":"1.0","type":"t","time":"2026-10-01T00:00:00Z","key":"00000000000000000000000000000001"}'
		echo '{"kind":"usage","kind":"usage"}'
	} >"$T/in"
	run agg --stats "$T/s" "$T/in"
	expect_status 0
	jq -r '"\(.line) \(.code) \(.field)"' "$T/r" >"$T/got"
	cat >"$T/want" <<-EOF
	1 not_usage kind
	2 truncated_json 
	3 not_object 
	4 invalid_field time
	5 invalid_field key
	6 unsupported_schema schema
	7 missing_field customer
	8 duplicate_key 
	EOF
	same "$T/want" "$T/got"
	jq -e '.read == 8 and .rejected == 8 and .aggregates == 0' "$T/s"
}

@test "unknown_customer: with --customers, a customer not in the master is refused" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}'
	{
		urec 1 cus_utc t 2026-10-01T00:00:00Z '{}'
		urec 2 cus_nobody t 2026-10-01T00:00:00Z '{}'
	} >"$T/in"
	run agg --customers testdata/aggregate/customers.ndjson "$T/in"
	expect_status 0
	one_reject unknown_customer customer 2
	[[ "$output" == *"$T/in:2: unknown_customer: customer 'cus_nobody' is not in the customer master"* ]]
}

@test "line_too_long is refused by its first bytes and the next line is read" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}'
	{
		python3 -c 'print("{\"pad\":\"" + "x" * 5000 + "\"}")'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{}'
	} >"$T/in"
	run agg --max-line 1000 --stats "$T/s" "$T/in"
	expect_status 0
	one_reject line_too_long "" 1
	jq -e '.raw_truncated == true and .raw_length == 5010' "$T/r"
	jq -e '.aggregated == 1 and .rejected == 1' "$T/s"
}

@test "--strict: rejects make the exit status 65, after all output is written" {
	meters '{"name":"s","event_type":"t","aggregation":"sum","field":"n"}'
	{
		urec 1 cus_a t 2026-10-01T00:00:00Z '{"n":1}'
		urec 2 cus_a t 2026-10-01T00:00:00Z '{}'
	} >"$T/in"
	run agg --strict "$T/in"
	expect_status 65
	[[ "$output" == *'"quantity":"1"'* ]]
}

@test "rejects go to LEDGER-rejects.ndjson by default, next to the ledger meter-ingest uses" {
	meters '{"name":"s","event_type":"t","aggregation":"sum","field":"n"}'
	urec 1 cus_a t 2026-10-01T00:00:00Z '{}' >"$T/in"
	METER_LEDGER="$T/l.sqlite" run "$BIN/meter-aggregate" --meters "$T/m" "$T/in"
	expect_status 0
	jq -e '.code == "missing_value"' "$T/l.sqlite-rejects.ndjson"
}

@test "the meters file: every problem is named, exit 78" {
	cat >"$T/m" <<-'EOF'
	{"meters":[
	 {"name":"a","event_type":"t","aggregation":"total","field":"n"},
	 {"name":"b","event_type":"t","aggregation":"count","field":"n"},
	 {"name":"c","event_type":"t","aggregation":"sum"},
	 {"name":"d","event_type":[],"aggregation":"sum","field":"n"},
	 {"name":"e","event_type":"t","aggregation":"sum","field":"a..b"},
	 {"name":"f","event_type":"t","aggregation":"sum","field":"n","values":"increments"},
	 {"name":"g","event_type":"t","aggregation":"weighted_sum","field":"n","values":"deltas"},
	 {"name":"h","event_type":"t","aggregation":"avg","field":"n","precision":1.5},
	 {"name":"i","event_type":"t","aggregation":"count"},
	 {"name":"i","event_type":"t","aggregation":"count"},
	 {"name":"j","event_type":"t","aggregation":"count","group_by":["x","x"]},
	 {"event_type":"t","aggregation":"count","colour":"red"}
	]}
	EOF
	run "$BIN/meter-aggregate" --meters "$T/m" </dev/null
	expect_status 78
	for want in "meters[0] ('a'): aggregation must be one of" \
	    "meters[1] ('b'): a count meter reads no field" \
	    "meters[2] ('c'): field is missing" \
	    "meters[3] ('d'): event_type must be a string or a list" \
	    "meters[4] ('e'): field must be a property of data" \
	    "meters[5] ('f'): values applies to weighted_sum" \
	    "meters[6] ('g'): values must be" \
	    "meters[7] ('h'): precision must be an integer" \
	    "meters[11]: unknown property 'colour'" \
	    "meters[9] ('i'): the name is already used by meters[8]" \
	    "meters[10] ('j'): group_by lists 'x' twice" \
	    "meters[11]: name must be a non-empty string" \
	    "has 12 errors"; do
		[[ "$output" == *"$want"* ]] || { echo "missing: $want"; return 1; }
	done
	echo '{"meters":[' >"$T/m"
	run "$BIN/meter-aggregate" --meters "$T/m" </dev/null
	expect_status 78
	echo '{"meters":[]}' >"$T/m"
	run "$BIN/meter-aggregate" --meters "$T/m" </dev/null
	expect_status 78
	[[ "$output" == *'needs a non-empty list "meters"'* ]]
	run "$BIN/meter-aggregate" --meters "$T/nosuch" </dev/null
	expect_status 66
}

@test "usage errors exit 64; a missing input file exits 66 after the others are read" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}'
	run "$BIN/meter-aggregate" </dev/null
	expect_status 64
	[[ "$output" == *"--meters FILE is required"* ]]
	run agg --period fortnight </dev/null
	expect_status 64
	run agg --ledger "$T/l" --from 2026-10-01T00:00:00Z </dev/null
	expect_status 64
	[[ "$output" == *"--ledger needs --from and --to"* ]]
	run agg --ledger "$T/l" --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z "$T/in"
	expect_status 64
	run agg --from 2026-11-01T00:00:00Z --to 2026-10-01T00:00:00Z </dev/null
	expect_status 64
	run agg --jobs 0 </dev/null
	expect_status 64
	urec 1 cus_a t 2026-10-01T00:00:00Z '{}' >"$T/in"
	run agg "$T/nosuch" "$T/in"
	expect_status 66
	[[ "$output" == *'"events":1'* ]]
	run "$BIN/meter-aggregate" --help
	expect_status 0
	[[ "$output" == usage:* ]]
	run "$BIN/meter-aggregate" --version
	expect_status 0
}

@test "a reader that goes away: exit 74, not a silent success" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}'
	python3 -c '
for n in range(20000):
    print("{\"kind\":\"usage\",\"schema\":\"1.0\",\"customer\":\"cus_%d\",\"type\":\"t\",\"time\":\"2026-10-01T00:00:00Z\",\"key\":\"%032x\"}" % (n, n))
' >"$T/in"
	run bash -c '"$0" --meters "$1" --rejects "$2" "$3" | head -c 100 >/dev/null; echo "status ${PIPESTATUS[0]}"' \
	    "$BIN/meter-aggregate" "$T/m" "$T/r" "$T/in"
	[[ "$output" == *"status 74"* ]]
}

@test "partial_line: a cut last line is refused; a complete one without newline counts" {
	meters '{"name":"c","event_type":"t","aggregation":"count"}'
	urec 1 cus_a t 2026-10-01T00:00:00Z '{}' | head -c 60 >"$T/in"
	run agg "$T/in"
	expect_status 0
	one_reject partial_line "" 1
	urec 1 cus_a t 2026-10-01T00:00:00Z '{}' | tr -d '\n' >"$T/in2"
	rm -f "$T/r"
	run agg --stats "$T/s" "$T/in2"
	jq -e '.aggregated == 1 and .rejected == 0' "$T/s"
}
