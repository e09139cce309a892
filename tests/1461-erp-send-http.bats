#!/usr/bin/env bats
# erp-send --erp http against a real HTTP server (tests/http/server.py, a
# scripted webhook receiver on a free loopback port): the Idempotency-Key,
# confirmations by reference, 4xx failures with their reason, 5xx and
# time-outs retried (one entry on the server), the circuit breaker, the
# pace of --max-rate.

load lib
load http/lib

D=testdata/erp/documents.ndjson

# journal: the sample month's entries in $T/journal
journal() {
	ep "$D" >"$T/journal" 2>/dev/null
}

@test "http: each entry POSTed as JSON with its id as Idempotency-Key; 2xx with a reference confirms" {
	BG=
	srv_up
	journal
	hs --stats "$T/s" "$T/journal" >"$T/acks" 2>"$T/err"
	[ "$(cat "$T/err")" = "erp-send: read 7, confirmed 7 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	# the key of each request is its entry's id; the body, the entry
	[ "$(jq -r '.headers["idempotency-key"]' "$T/srv/requests.ndjson")" = "$(jq -r .id "$T/journal")" ]
	[ "$(jq -r '.body | fromjson | .id' "$T/srv/requests.ndjson")" = "$(jq -r .id "$T/journal")" ]
	jq -e -s 'all(.path == "/hook" and .headers["content-type"] == "application/json")' "$T/srv/requests.ndjson"
	jq -c -s '.[0].body | fromjson' "$T/srv/requests.ndjson" | same <(head -1 "$T/journal" | jq -c .) -
	head -1 "$T/acks" | grep -qx '{"id":"JE-13c0a4c53139ce9bd4431c72facde3ed","erp_ref":"R-1","status":"confirmed","reason":""}'
	jq -e '.erp == "http" and .calls == 7 and .retries == 0' "$T/s"
	# the acknowledgements are erp-post --confirm's
	run ep --confirm "$T/acks"
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 7, failed 0, duplicates 0, rejected 0" ]
	# the reference may be the answer's "id", a string or a number
	: >"$T/srv/requests.ndjson"
	script '200 {"id":"INV-9"}' '201 {"id":42}' '200 {"reference":"","id":"X"}'
	head -3 "$T/journal" | hs >"$T/acks" 2>/dev/null
	[ "$(jq -r .erp_ref "$T/acks" | tr '\n' ' ')" = "INV-9 42 X " ]
}

@test "http: a 4xx fails the entry with the body's message, else the status line; the others go on" {
	BG=
	srv_up
	journal
	script '422 {"message":"period 2026-11 is closed"}' '409 {"error":{"message":"account 4000 is blocked"}}' \
	    '400 {"error":"bad currency"}' '404' '403 not json'
	run hs "$T/journal"
	expect_status 0
	[ "${lines[-1]}" = "erp-send: read 7, confirmed 2 (0 found in the ERP), failed 5, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	echo "$output" | grep -v '^erp-send: ' | jq -r 'select(.status == "failed") | .reason' >"$T/why"
	printf '%s\n' "period 2026-11 is closed" "account 4000 is blocked" "bad currency" \
	    "404 Not Found" "403 Forbidden" | same - "$T/why"
	# one call each: a refusal is an answer, not retried
	[ "$(wc -l <"$T/srv/requests.ndjson")" -eq 7 ]
}

@test "http: a 5xx, a 429, a time-out, a lost answer are retried with the same key: one entry on the server" {
	BG=
	srv_up
	journal
	script 500 '503 {"message":"busy"}' 429 hang lost
	hs --timeout 300ms --attempts 6 --max-failures 10 --stats "$T/s" "$T/journal" >"$T/acks" 2>"$T/err"
	[ "$(cat "$T/err")" = "erp-send: read 7, confirmed 7 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	# the first entry took six calls, all with its key
	[ "$(jq -r '.headers["idempotency-key"]' "$T/srv/requests.ndjson" | head -6 | sort -u)" = JE-13c0a4c53139ce9bd4431c72facde3ed ]
	[ "$(jq -r .action "$T/srv/requests.ndjson" | head -6 | tr '\n' ' ')" = '500 503 {"message":"busy"} 429 hang lost ok ' ]
	jq -e '.calls == 12 and .retries == 5' "$T/s"
	# the lost answer's entry was stored once, and its reference came back
	[ "$(wc -l <"$T/srv/entries.ndjson")" -eq 7 ]
	[ "$(jq -r .key "$T/srv/entries.ndjson" | sort -u | wc -l)" -eq 7 ]
	head -1 "$T/acks" | grep -qx '{"id":"JE-13c0a4c53139ce9bd4431c72facde3ed","erp_ref":"R-1","status":"confirmed","reason":""}'
	# a 2xx without a reference is no answer either
	script '200 {"ok":true}'
	head -1 "$T/journal" | hs --attempts 2 >"$T/acks" 2>/dev/null
	grep -q '"erp_ref":"R-1"' "$T/acks"
}

@test "http: an entry that never gets an answer stays pending (75), the others are sent" {
	BG=
	srv_up
	journal
	script 500 500 500
	run hs --attempts 3 --stats "$T/s" "$T/journal"
	expect_status 75
	[ "${lines[-2]}" = "erp-send: read 7, confirmed 6 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 1, rejected 0" ]
	[ "${lines[-1]}" = "erp-send: 1 entries not sent: the ERP did not answer 3 calls (the last: the receiver answered 500 Internal Server Error); still pending: run again" ]
	! echo "$output" | grep -q JE-13c0a4c53139ce9bd4431c72facde3ed
	jq -e '.given_up == 1 and .not_sent == 1 and .retries == 2' "$T/s"
}

@test "http: the circuit breaker: --max-failures calls in a row without an answer stop the run, the rest pending, no ack for them" {
	BG=
	srv_up
	journal
	script '201 {"reference":"A"}' 500 500 500 500
	run hs --attempts 2 --max-failures 4 --stats "$T/s" "$T/journal"
	expect_status 75
	[ "${lines[-2]}" = "erp-send: read 7, confirmed 1 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 6, rejected 0" ]
	[ "${lines[-1]}" = "erp-send: the ERP failed 4 calls in a row (the last: the receiver answered 500 Internal Server Error): stopped (--max-failures 4); 6 entries not sent (still pending): run again" ]
	# one acknowledgement, the confirmed entry's; 5 calls, none after the breaker opened
	[ "$(echo "$output" | grep -c '^{')" -eq 1 ]
	[ "$(wc -l <"$T/srv/requests.ndjson")" -eq 5 ]
	jq -e '.stopped == "the receiver answered 500 Internal Server Error" and .not_sent == 6' "$T/s"
	# the re-run sends the rest
	run hs "$T/journal"
	expect_status 0
	[ "$(wc -l <"$T/srv/entries.ndjson")" -eq 7 ]
	# nothing listens: connection refused is retried, then the breaker
	kill $BG && wait $BG 2>/dev/null || true
	BG=
	run hs --attempts 3 --max-failures 2 "$T/journal"
	expect_status 75
	[[ "${lines[-1]}" == "erp-send: the ERP failed 2 calls in a row (the last: Couldn't connect to server): stopped (--max-failures 2); 7 entries not sent (still pending): run again" ]]
}

@test "http: --max-rate spaces the calls; bad values of the new options are usage errors" {
	BG=
	srv_up
	journal
	# 4 a second: n calls take at least (n - 1) x 250ms.  A lower bound
	# on the whole run, which a busy machine only lengthens (the gaps the
	# server sees between two requests may shrink when one travels late);
	# without the pacing the calls to a local server take a few ms each
	local t0 t1 n
	t0=$(date +%s%N)
	hs --max-rate 4 "$T/journal" >/dev/null 2>&1
	t1=$(date +%s%N)
	n=$(wc -l <"$T/srv/requests.ndjson")
	[ "$n" -ge 5 ]
	[ $(( (t1 - t0) / 1000000 )) -ge $(( (n - 1) * 250 )) ]
	run hs --max-rate 0 "$T/journal"
	expect_status 64
	[[ "$output" == "erp-send: --max-rate '0': expected calls a second, a number above 0 (such as 10 or 0.5)"* ]]
	run hs --attempts 0 "$T/journal"
	expect_status 64
	run hs --window 'Mon-Fri 06:00-20:00' "$T/journal"
	expect_status 64
	[[ "$output" == "erp-send: --window needs --entities: the windows are on each entity's clock, in its time zone"* ]]
	run hs --entities testdata/entities.json --window 'Mon-Fri 6-20' "$T/journal"
	expect_status 64
	[[ "$output" == "erp-send: --window 'Mon-Fri 6-20': the hours must be like 06:00-20:00 (00:00 to 24:00)"* ]]
	# http needs no accounts file; tryton does
	run "$BIN/erp-send" --erp tryton --url "$URL" "$T/journal"
	expect_status 64
}
