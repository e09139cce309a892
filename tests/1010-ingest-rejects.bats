#!/usr/bin/env bats
# meter-ingest: each reject code, with its record (class, code, field,
# file, line, raw) and the accounting that keeps every input line.

load lib

# rej CODE: the reject records with that code
rej() {
	jq -c --arg c "$1" 'select(.code == $c)' "$T/r"
}

# one_reject CLASS CODE FIELD: the input gave exactly one reject, so
one_reject() {
	[ "$(wc -l <"$T/r")" -eq 1 ] || { cat "$T/r"; return 1; }
	jq -e --arg cl "$1" --arg c "$2" --arg f "$3" \
	    '.kind == "reject" and .schema == "1.0" and .stage == "meter-ingest"
	     and .class == $cl and .code == $c and .field == $f
	     and (.message | length > 0) and .line == 1' "$T/r"
}

@test "line_too_long: quoted by its first bytes, the rest skipped, next line read" {
	{
		python3 -c 'import sys; sys.stdout.write("{\"pad\":\"" + "x"*5000 + "\"}\n")'
		ce ok1 globex 2026-10-10T00:00:00Z
	} >"$T/in"
	run ingest --max-line 1000 --rejects "$T/r" --stats "$T/s" "$T/in"
	expect_status 0
	one_reject data_quality line_too_long ""
	jq -e '.raw_truncated == true and .raw_length == 5010 and (.raw | length) == 1000' "$T/r"
	jq -e '.read == 2 and .emitted == 1 and .rejected == 1' "$T/s"
}

@test "partial_line: a cut last JSON line is refused; a complete one without newline is accepted" {
	printf '{"specversion":"1.0","id":"p1","source":"test","type":"t","subject":"globex","time":"2026-10-10T00:00:00Z"' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	expect_status 0
	one_reject data_quality partial_line ""
	ce p2 globex 2026-10-10T00:00:00Z | tr -d '\n' >"$T/in2"
	run ingest --rejects "$T/r2" --stats "$T/s" "$T/in2"
	expect_status 0
	jq -e '.emitted == 1 and .rejected == 0' "$T/s"
}

@test "invalid_json and the raw line kept exactly, CRLF included" {
	printf '{"specversion":"1.0",}\r\n' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality invalid_json ""
	jq -e '.raw == "{\"specversion\":\"1.0\",}\r"' "$T/r"
	[[ "$output" == *"$T/in:1: invalid_json: "*"column"* ]]
}

@test "CRLF line endings are accepted" {
	ce c1 globex 2026-10-10T00:00:00Z | sed 's/$/\r/' >"$T/in"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/in"
	jq -e '.emitted == 1' "$T/s"
}

@test "invalid_utf8: the raw bytes are kept in raw_base64" {
	printf '{"specversion":"1.0","id":"u\xff","source":"s","type":"t","subject":"globex","time":"2026-10-10T00:00:00Z"}\n' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality invalid_utf8 ""
	jq -e '.raw == null' "$T/r"
	jq -r .raw_base64 "$T/r" | base64 -d | cmp - <(head -c -1 "$T/in")
}

@test "not_object and duplicate_key" {
	echo '[1,2,3]' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality not_object ""
	ce d1 globex 2026-10-10T00:00:00Z '{"a":1,"a":1}' >"$T/in"
	rm "$T/r"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality duplicate_key ""
}

@test "too_deep: data nested past --max-depth" {
	ce deep globex 2026-10-10T00:00:00Z '{"a":{"b":{"c":{"d":1}}}}' >"$T/in"
	run ingest --max-depth 4 --rejects "$T/r" "$T/in"
	one_reject data_quality too_deep "data.a.b.c"
	rm "$T/r"
	run ingest --max-depth 5 --rejects "$T/r" --stats "$T/s" "$T/in"
	jq -e '.emitted == 1' "$T/s"
}

@test "number_inexact and number_out_of_range name the field" {
	ce n1 globex 2026-10-10T00:00:00Z '{"x":[1,{"y":0.1234567890123456789012345678901234567891}]}' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality number_inexact "data.x[1].y"
	rm "$T/r"
	ce n2 globex 2026-10-10T00:00:00Z '{"big":123456789012345678901234567890123456789}' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality number_out_of_range "data.big"
	rm "$T/r"
	ce n3 globex 2026-10-10T00:00:00Z '{"huge":1e999}' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality number_out_of_range ""
}

@test "integers past 2^53 and 38-digit values are kept exactly" {
	ce big globex 2026-10-10T00:00:00Z '{"a":9007199254740993,"b":12345678901234567890123456789012345678,"c":-0.00000000000000000000000000000000000001}' |
	    ingest --rejects "$T/r" >"$T/out" 2>/dev/null
	grep -F '"data":{"a":9007199254740993,"b":12345678901234567890123456789012345678,"c":-0.00000000000000000000000000000000000001}' "$T/out"
}

@test "missing_field and invalid_field for each required attribute" {
	for f in id source type subject time; do
		jq -c "del(.$f)" <<<"$(ce m1 globex 2026-10-10T00:00:00Z)" >"$T/in"
		rm -f "$T/r"
		run ingest --rejects "$T/r" "$T/in"
		one_reject data_quality missing_field "$f"
	done
	for f in id source type subject; do
		jq -c ".$f = \"\"" <<<"$(ce m2 globex 2026-10-10T00:00:00Z)" >"$T/in"
		rm -f "$T/r"
		run ingest --rejects "$T/r" "$T/in"
		one_reject data_quality invalid_field "$f"
	done
	jq -c '.id = "a\u0001b"' <<<"$(ce m3 globex 2026-10-10T00:00:00Z)" >"$T/in"
	rm -f "$T/r"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality invalid_field id
	jq -c '.correlationid = 7' <<<"$(ce m4 globex 2026-10-10T00:00:00Z)" >"$T/in"
	rm -f "$T/r"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality invalid_field correlationid
}

@test "missing specversion, unsupported specversion and content types" {
	jq -c 'del(.specversion)' <<<"$(ce s1 globex 2026-10-10T00:00:00Z)" >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality missing_field specversion
	rm "$T/r"
	jq -c '.data_base64 = "AAAA"' <<<"$(ce s2 globex 2026-10-10T00:00:00Z)" >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality unsupported_content_type data_base64
	rm "$T/r"
	jq -c '.datacontenttype = "application/json-seq"' <<<"$(ce s4 globex 2026-10-10T00:00:00Z)" >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality unsupported_content_type datacontenttype
	rm "$T/r"
	jq -c '.datacontenttype = "application/json; charset=utf-8"' <<<"$(ce s3 globex 2026-10-10T00:00:00Z)" >"$T/in"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/in"
	jq -e '.emitted == 1' "$T/s"
}

@test "invalid_time: each malformed timestamp is refused with its reason" {
	for t in 2026-02-29T00:00:00Z 2026-10-10T24:00:00Z 2026-10-10T00:00:60Z \
	    2026-10-10T00:00:00 2026-10-10T00:00:00.1234567891Z 2026-10-10 \
	    2026-10-10T00:00:00+24:00 20261010T000000Z; do
		ce t1 globex "$t" >"$T/in"
		rm -f "$T/r"
		run ingest --rejects "$T/r" "$T/in"
		one_reject data_quality invalid_time time
	done
}

@test "acceptance window: --max-age and --max-skew, boundaries inclusive" {
	{
		ce w1 globex 2026-09-15T00:00:00Z    # exactly 35 days before as-of
		ce w2 globex 2026-09-14T23:59:59.999Z
		ce w3 globex 2026-10-20T00:05:00Z    # exactly 5 minutes ahead
		ce w4 globex 2026-10-20T00:05:00.000000001Z
	} >"$T/in"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/in"
	jq -e '.emitted == 2 and .rejects_by_code.event_too_old == 1 and .rejects_by_code.event_in_future == 1' "$T/s"
	[ "$(jq -r 'select(.code=="event_too_old").line' "$T/r")" = 2 ]
	[ "$(jq -r 'select(.code=="event_in_future").class' "$T/r")" = policy_violation ]
	rm -f "$T/r" "$T/ledger.sqlite"*
	run ingest --max-age 90d --max-skew 1h --rejects "$T/r" --stats "$T/s" "$T/in"
	jq -e '.emitted == 4' "$T/s"
}

@test "unknown_customer: never a guess, not even the canonical id as subject" {
	ce k1 cus_globex 2026-10-10T00:00:00Z >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality unknown_customer subject
	ce k2 GLOBEX 2026-10-10T00:00:00Z >"$T/in"
	rm "$T/r"
	run ingest --rejects "$T/r" "$T/in"
	one_reject data_quality unknown_customer subject
}

@test "idempotency_conflict: same source and id, other content, across runs; the first stays" {
	ce c1 globex 2026-10-10T00:00:00Z '{"n":1}' | ingest --rejects "$T/r0" >"$T/o1" 2>/dev/null
	ce c1 globex 2026-10-10T00:00:00Z '{"n":2}' >"$T/in"
	run ingest --rejects "$T/r" "$T/in"
	one_reject idempotency_conflict idempotency_conflict id
	jq -e '.message | test("already accepted with different content")' "$T/r"
	# a different time is a conflict too: the key does not depend on time
	ce c1 globex 2026-10-11T00:00:00Z '{"n":1}' >"$T/in"
	rm "$T/r"
	run ingest --rejects "$T/r" "$T/in"
	one_reject idempotency_conflict idempotency_conflict id
	# same content with keys in another order and 1.0 for 1: a duplicate
	ce c1 globex 2026-10-10T00:00:00.000Z '{"n":1.0}' >"$T/in"
	run ingest --rejects "$T/r3" --stats "$T/s" "$T/in"
	jq -e '.duplicates == 1 and .rejected == 0' "$T/s"
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" | grep -F '"data":{"n":1}'
}

@test "same id from another source is another event" {
	{ ce same globex 2026-10-10T00:00:00Z; ce same globex 2026-10-10T00:00:00Z | sed 's/"source":"test"/"source":"other"/'; } >"$T/in"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/in"
	jq -e '.emitted == 2' "$T/s"
}

@test "duplicates within one batch and across batches are both found" {
	for i in 1 2 3 4 5; do ce b$i globex 2026-10-10T00:00:00Z; done >"$T/in"
	cat "$T/in" "$T/in" >"$T/in2"
	run ingest --batch 3 --rejects "$T/r" --stats "$T/s" "$T/in2"
	jq -e '.read == 10 and .emitted == 5 and .duplicates == 5' "$T/s"
}
