#!/usr/bin/env bats
# meter-ingest's corrections (issue 21): a CloudEvent with `amends` or
# `cancels`, the id of an earlier event of the same source, replaces or
# removes that event; the ledger keeps the original and every correction,
# and what reads it (--replay, meter-aggregate --ledger) sees only the
# effective version.  Exact usage records, rejects and stats.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

# ev ID TIME REQUESTS [ATTRS]: an api.request event of acme-prod from
# source s, ATTRS (',"amends":"e1"') added to its attributes
ev() {
	printf '{"specversion":"1.0","id":"%s","source":"s","type":"api.request","subject":"acme-prod","time":"%s"%s,"data":{"requests":%s}}\n' \
	    "$1" "$2" "${4:-}" "$3"
}

# rec ID TIME REQUESTS KEY DIGEST [TAIL]: the usage record meter-ingest
# writes for ev (as of 2026-10-20), TAIL (',"amends":"..."') last
rec() {
	printf '{"kind":"usage","schema":"1.0","customer":"cus_acme","source":"s","id":"%s","type":"api.request","subject":"acme-prod","time":"%s","data":{"requests":%s},"key":"%s","digest":"%s","correlation_id":"%s","ingested_at":"2026-10-20T00:00:00Z"%s}\n' \
	    "$1" "$2" "$3" "$4" "$5" "$4" "${6:-}"
}

# the keys (BLAKE2b of source s and the id)
K1=439b13cb3f4ce01b9578f12bdca0f962	# e1
K2=dcd9f2c15c471baa37f6127018711a5d	# e2
KA1=28c960d2e2cf27f94fee53593a7c8d08	# a1
KA2=675de4e3b0fa711aaa9e7c8e31d9849c	# a2
KC1=ae0794288a819d05d3232374c89f3fdb	# c1

# sums: "requests events" of meter-aggregate --ledger over October and
# November (acme's months, New York time)
sums() {
	meters '{"name":"req","event_type":"api.request","aggregation":"sum","field":"requests"}'
	agg --customers testdata/customers.ndjson --ledger "$(ledger_new ledger.sqlite)" \
	    --from 2026-10-02T00:00:00Z --to 2026-12-02T00:00:00Z 2>/dev/null |
	    jq -r '"\(.period_start) \(.quantity) \(.events)"'
}

@test "amend: the usage record of the new version with what it replaces; --replay and the ledger's aggregates have only the effective version" {
	ev e1 2026-10-01T09:00:00Z 5 >"$T/a"
	ev e2 2026-10-02T09:00:00Z 7 >>"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	ev a1 2026-10-03T09:00:00Z 50 ',"amends":"e1"' >"$T/b"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/b"
	expect_status 0
	rec a1 2026-10-03T09:00:00Z 50 $KA1 2ebef0cb5512bfc91a39f67b08750d20 ",\"amends\":\"$K1\"" >"$T/want"
	echo "$output" | grep -v '^meter-ingest: ' >"$T/out"
	same "$T/want" "$T/out"
	[ "${lines[-1]}" = "meter-ingest: read 1, emitted 0, duplicates 0, amended 1, cancelled 0, rejected 0" ]
	jq -c 'del(.ledger, .rejects_file)' "$T/s" >"$T/st"
	echo '{"kind":"stats","schema":"1.0","stage":"meter-ingest","read":1,"emitted":0,"duplicates":0,"amended":1,"cancelled":0,"rejected":0,"rejects_by_code":{},"blank_lines":0,"as_of":"2026-10-20T00:00:00Z"}' >"$T/want"
	same "$T/want" "$T/st"
	# replay: e2 and a1, a1 as the plain usage record of the effective version
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" >"$T/re"
	{
		rec e2 2026-10-02T09:00:00Z 7 $K2 b691ae5fc3a1213fb941ab2a7d1a3255
		rec a1 2026-10-03T09:00:00Z 50 $KA1 2ebef0cb5512bfc91a39f67b08750d20
	} >"$T/want"
	same "$T/want" "$T/re"
	[ "$(sums)" = "2026-10-01T04:00:00Z 57 2" ]
	# the ledger keeps the original, marked replaced by a1's record
	[ "$(uq ledger.sqlite "select id || ':' || coalesce(CAST(gone AS TEXT), '-') from usage order by seq" | tr '\n' ' ')" = "e1:3 e2:- a1:- " ]
	[ "$(lq ledger.sqlite "select $(sql_hex orig) || ' ' || n || ' ' || kind || ' ' || id || ' ' || seq || ' ' || prev_seq || ' ' || ingested from usage_fix")" = "$K1 1 amend a1 3 1 1792454400000000000" ]
	[ "$(lq ledger.sqlite "select op || ' ' || subject || ' ' || detail from audit where op like 'usage.%' and op != 'usage.claim'")" = "usage.amend $KA1 {\"key\":\"$KA1\",\"orig\":\"$K1\",\"n\":1,\"replaced\":\"$K1\",\"replaced_seq\":1,\"seq\":3,\"ingested\":\"2026-10-20T00:00:00Z\"}" ]
}

@test "cancel: a usage_cancel record; the event counts for nothing, the cancel neither" {
	ev e1 2026-10-01T09:00:00Z 5 >"$T/a"
	ev e2 2026-10-02T09:00:00Z 7 >>"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	printf '{"specversion":"1.0","id":"c1","source":"s","cancels":"e2","type":"api.request","subject":"acme-prod","time":"2026-10-04T09:00:00Z"}\n' >"$T/b"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/b"
	expect_status 0
	echo "$output" | grep -v '^meter-ingest: ' >"$T/out"
	echo "{\"kind\":\"usage_cancel\",\"schema\":\"1.0\",\"customer\":\"cus_acme\",\"source\":\"s\",\"id\":\"c1\",\"cancels\":\"$K2\",\"type\":\"api.request\",\"subject\":\"acme-prod\",\"time\":\"2026-10-04T09:00:00Z\",\"key\":\"$KC1\",\"digest\":\"8c798f8555b560f228b30acd9361cc16\",\"correlation_id\":\"$KC1\",\"ingested_at\":\"2026-10-20T00:00:00Z\"}" >"$T/want"
	same "$T/want" "$T/out"
	[ "${lines[-1]}" = "meter-ingest: read 1, emitted 0, duplicates 0, amended 0, cancelled 1, rejected 0" ]
	jq -e '.amended == 0 and .cancelled == 1 and .emitted == 0' "$T/s"
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" >"$T/re"
	rec e1 2026-10-01T09:00:00Z 5 $K1 2e0586f376a6207d2c0dbf714112603e >"$T/want"
	same "$T/want" "$T/re"
	[ "$(sums)" = "2026-10-01T04:00:00Z 5 1" ]
	[ "$(uq ledger.sqlite "select id || ':' || coalesce(CAST(gone AS TEXT), '-') from usage order by seq" | tr '\n' ' ')" = "e1:- e2:3 c1:3 " ]
	[ "$(lq ledger.sqlite "select kind || ' ' || id || ' ' || prev_seq from usage_fix")" = "cancel c1 2" ]
}

@test "an amended event amended again, by the original's id or the amendment's: the latest counts, the chain is kept in order" {
	ev e1 2026-10-01T09:00:00Z 5 >"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	ev a1 2026-10-03T09:00:00Z 50 ',"amends":"e1"' >"$T/b"
	ev a2 2026-10-05T09:00:00Z 51 ',"amends":"a1"' >>"$T/b"
	ev a3 2026-10-06T09:00:00Z 52 ',"amends":"e1"' >>"$T/b"
	run ingest --rejects "$T/r" "$T/b"
	expect_status 0
	[ "$(echo "$output" | grep -v '^meter-ingest: ' | jq -r '"\(.id) \(.amends)"' | tr '\n' ' ')" = "a1 $K1 a2 $KA1 a3 $KA2 " ]
	[ "${lines[-1]}" = "meter-ingest: read 3, emitted 0, duplicates 0, amended 3, cancelled 0, rejected 0" ]
	[ "$(sums)" = "2026-10-01T04:00:00Z 52 1" ]
	[ "$("$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" | jq -r .id)" = a3 ]
	[ "$(lq ledger.sqlite "select n || ':' || id || ':' || prev_seq from usage_fix order by n" | tr '\n' ' ')" = "1:a1:1 2:a2:2 3:a3:3 " ]
}

@test "the original and its corrections in one input: only the effective version in the ledger's aggregates and the replay" {
	{
		ev e1 2026-10-01T09:00:00Z 5
		ev e2 2026-10-02T09:00:00Z 7
		ev a1 2026-10-03T09:00:00Z 50 ',"amends":"e1"'
		printf '{"specversion":"1.0","id":"c1","source":"s","cancels":"e2","type":"api.request","subject":"acme-prod","time":"2026-10-04T09:00:00Z"}\n'
		ev e3 2026-10-05T09:00:00Z 1
	} >"$T/a"
	run ingest --rejects "$T/r" --batch 2 "$T/a"
	expect_status 0
	[ "${lines[-1]}" = "meter-ingest: read 5, emitted 3, duplicates 0, amended 1, cancelled 1, rejected 0" ]
	[ "$(sums)" = "2026-10-01T04:00:00Z 51 2" ]
	[ "$("$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" | jq -r .id | tr '\n' ' ')" = "a1 e3 " ]
	# the same window replayed into meter-aggregate: the same sums
	meters '{"name":"req","event_type":"api.request","aggregation":"sum","field":"requests"}'
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" |
	    agg --customers testdata/customers.ndjson >"$T/agg"
	[ "$(jq -r '"\(.quantity) \(.events)"' "$T/agg")" = "51 2" ]
	# the run's own output: meter-aggregate refuses the corrections in it,
	# whose replaced records it cannot take back, and says where to look
	rm -f "$T/r"
	echo "$output" | grep -v '^meter-ingest: ' >"$T/run"
	agg --customers testdata/customers.ndjson "$T/run" >/dev/null 2>&1 || true
	[ "$(jq -r '"\(.line) \(.code) \(.field)"' "$T/r" | tr '\n' ' ')" = "3 usage_correction amends 4 usage_correction cancels " ]
	[ "$(jq -r .message "$T/r" | tail -n 1)" = "a correction from a meter-ingest run (a cancel): the records it replaces are in other runs' output; aggregate the ledger (--ledger) or meter-ingest --replay, which hold the effective versions" ]
}

@test "an amendment into another period: the old period loses the event, the new one gains it" {
	ev e1 2026-10-31T12:00:00Z 5 >"$T/a"
	ev e2 2026-10-02T12:00:00Z 7 >>"$T/a"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$(ledger_new ledger.sqlite)" \
	    --as-of 2026-11-01T00:00:00Z --rejects "$T/r" "$T/a" >/dev/null 2>&1
	[ "$(sums | tr '\n' ' ')" = "2026-10-01T04:00:00Z 12 2 " ]
	ev a1 2026-11-02T12:00:00Z 9 ',"amends":"e1"' >"$T/b"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$(ledger_new ledger.sqlite)" \
	    --as-of 2026-11-03T00:00:00Z --rejects "$T/r" "$T/b" >/dev/null 2>&1
	[ "$(sums | tr '\n' ' ')" = "2026-10-01T04:00:00Z 7 1 2026-11-01T04:00:00Z 9 1 " ]
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" --from 2026-10-01T00:00:00Z \
	    --to 2026-11-01T00:00:00Z >"$T/oct"
	[ "$(jq -r .id "$T/oct")" = e2 ]
}

@test "corrections re-sent are duplicates; the same id with other content, or another target, a conflict" {
	ev e1 2026-10-01T09:00:00Z 5 >"$T/a"
	ev e2 2026-10-02T09:00:00Z 7 >>"$T/a"
	ev a1 2026-10-03T09:00:00Z 50 ',"amends":"e1"' >>"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	{
		ev a1 2026-10-03T09:00:00Z 50 ',"amends":"e1"'
		ev a1 2026-10-03T09:00:00Z 51 ',"amends":"e1"'
		ev a1 2026-10-03T09:00:00Z 50 ',"amends":"e2"'
	} >"$T/b"
	run ingest --rejects "$T/r2" --stats "$T/s" "$T/b"
	expect_status 0
	[ "$(echo "$output" | grep -vc '^meter-ingest: ')" -eq 0 ]
	[ "${lines[-1]}" = "meter-ingest: read 3, emitted 0, duplicates 1, rejected 2 (idempotency_conflict 2; see '$T/r2')" ]
	[ "$(jq -r '"\(.line) \(.class) \(.code) \(.field)"' "$T/r2" | tr '\n' ' ')" = "2 idempotency_conflict idempotency_conflict id 3 idempotency_conflict idempotency_conflict id " ]
	[ "$(jq -r .message "$T/r2" | head -n 1)" = "event source 's' id 'a1' (key $KA1) was already accepted with different content (stored event time 2026-10-03T09:00:00Z); the stored record is kept" ]
	jq -e '(has("amended") | not) and .duplicates == 1' "$T/s"
	[ "$(sums)" = "2026-10-01T04:00:00Z 57 2" ]
	[ "$(lq ledger.sqlite 'select count(*) from usage_fix')" -eq 1 ]
}

@test "rejects: an unknown event, a cancelled one, both attributes, another source's id" {
	ev e1 2026-10-01T09:00:00Z 5 >"$T/a"
	printf '{"specversion":"1.0","id":"c1","source":"s","cancels":"e1","type":"api.request","subject":"acme-prod","time":"2026-10-04T09:00:00Z"}\n' >>"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	{
		ev a1 2026-10-03T09:00:00Z 50 ',"amends":"nope"'
		ev a2 2026-10-03T09:00:00Z 50 ',"amends":"e1"'
		printf '{"specversion":"1.0","id":"c2","source":"s","cancels":"e1","type":"api.request","subject":"acme-prod","time":"2026-10-04T09:00:00Z"}\n'
		ev a3 2026-10-03T09:00:00Z 50 ',"amends":"c1"'
		ev a4 2026-10-03T09:00:00Z 50 ',"amends":"e1","cancels":"e1"'
		ev a5 2026-10-03T09:00:00Z 50 ',"amends":""'
		printf '{"specversion":"1.0","id":"a6","source":"other","amends":"e1","type":"api.request","subject":"acme-prod","time":"2026-10-04T09:00:00Z"}\n'
	} >"$T/b"
	run ingest --rejects "$T/r2" --stats "$T/s" "$T/b"
	expect_status 0
	[ "${lines[-1]}" = "meter-ingest: read 7, emitted 0, duplicates 0, rejected 7 (unknown_event 2, event_cancelled 3, invalid_field 2; see '$T/r2')" ]
	jq -c '[.line, .class, .code, .field, .message]' "$T/r2" >"$T/got"
	cat >"$T/want" <<-EOF
	[1,"data_quality","unknown_event","amends","amends 'nope': the ledger holds no event of source 's' with that id (never accepted, or pruned); nothing was corrected"]
	[2,"policy_violation","event_cancelled","amends","amends 'e1': that event of source 's' was cancelled by event 'c1'; a cancelled event cannot be corrected (send it anew, with an id of its own)"]
	[3,"policy_violation","event_cancelled","cancels","cancels 'e1': that event of source 's' was cancelled by event 'c1'; a cancelled event cannot be corrected (send it anew, with an id of its own)"]
	[4,"policy_violation","event_cancelled","amends","amends 'c1': that event of source 's' was cancelled by event 'c1'; a cancelled event cannot be corrected (send it anew, with an id of its own)"]
	[5,"data_quality","invalid_field","cancels","an event amends another or cancels it, not both (amends 'e1', cancels 'e1')"]
	[6,"data_quality","invalid_field","amends","amends must be the id of an event of the same source: a non-empty string of at most 256 bytes without control characters"]
	[7,"data_quality","unknown_event","amends","amends 'e1': the ledger holds no event of source 'other' with that id (never accepted, or pruned); nothing was corrected"]
	EOF
	same "$T/want" "$T/got"
	jq -e '(has("amended") | not) and .rejected == 7' "$T/s"
	# nothing stored: the refused ids are free
	[ "$(lq ledger.sqlite 'select coalesce(sum(n), 0) from usage_block')" -eq 2 ]
}

@test "retention: a correction older than the ledger's horizon is refused; one older than --max-age is not" {
	ev e1 2026-09-01T09:00:00Z 5 >"$T/a"
	ev e2 2026-09-20T09:00:00Z 7 >>"$T/a"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$(ledger_new ledger.sqlite)" \
	    --as-of 2026-09-21T00:00:00Z --rejects "$T/r" "$T/a" >/dev/null 2>&1
	"$BIN/meter-ingest" --ledger "$(ledger_new ledger.sqlite)" --prune-before 2026-09-15T00:00:00Z --force 2>/dev/null
	ev a1 2026-09-10T09:00:00Z 50 ',"amends":"e1"' >"$T/b"
	ev a2 2026-09-20T09:00:00Z 70 ',"amends":"e2"' >>"$T/b"
	ev a3 2026-09-20T09:00:00Z 70 >>"$T/b"
	run "$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$(ledger_new ledger.sqlite)" \
	    --as-of 2026-11-01T00:00:00Z --rejects "$T/r2" "$T/b"
	expect_status 0
	[ "${lines[-1]}" = "meter-ingest: read 3, emitted 0, duplicates 0, amended 1, cancelled 0, rejected 2 (event_before_retention 1, event_too_old 1; see '$T/r2')" ]
	jq -c '[.line, .class, .code, .field, .message]' "$T/r2" >"$T/got"
	cat >"$T/want" <<-EOF
	[1,"policy_violation","event_before_retention","time","correction's event time 2026-09-10T09:00:00Z is before the ledger's retention horizon: the records before it, the event it amends among them, were pruned"]
	[3,"policy_violation","event_too_old","time","event time 2026-09-20T09:00:00Z is older than the acceptance window of 35d before the as-of time (--max-age)"]
	EOF
	same "$T/want" "$T/got"
	[ "$("$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" | jq -r '"\(.id) \(.data.requests)"')" = "a2 70" ]
}

# crashrun ARGS: meter-ingest of $T/fix onto $T/l, --batch 4, as of
# 2026-10-20, stdout appended to $T/out, with the environment ARGS
crashrun() {
	env "$@" LD_PRELOAD="$SO" ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/l" --as-of 2026-10-20T00:00:00Z --rejects "$T/r" \
	    --batch 4 "$T/fix" >>"$T/out" 2>"$T/err"
}

@test "kill -9 at any write of a run of corrections: the run again applies each correction once" {
	sqlite_only "fault.so kills meter-ingest at its calls writing and syncing the SQLite file"
	SO=${UNITBIN:-$REPO/build/rel/tests}/../fault.so
	[ -f "$SO" ]
	for i in $(seq 1 30); do
		ev "e$i" "2026-10-0$((i % 9 + 1))T09:00:00Z" "$i"
	done >"$T/a"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$T/base" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r" "$T/a" >/dev/null 2>&1
	{
		for i in $(seq 1 12); do
			ev "a$i" 2026-10-15T09:00:00Z "$((i * 100))" ",\"amends\":\"e$i\""
		done
		for i in $(seq 13 20); do
			printf '{"specversion":"1.0","id":"c%s","source":"s","cancels":"e%s","type":"api.request","subject":"acme-prod","time":"2026-10-16T09:00:00Z"}\n' "$i" "$i"
		done
		ev b1 2026-10-17T09:00:00Z 7 ',"amends":"a1"'
		ev n1 2026-10-17T09:00:00Z 1
	} >"$T/fix"
	# the clean run: every call counted
	cp "$T/base" "$T/l"
	crashrun FAULT_LOG="$T/calls"
	"$BIN/meter-ingest" --replay --ledger "$T/l" >"$T/clean"
	sqlite3 "$T/l" 'SELECT lower(hex(orig)), n, kind, id, prev_seq FROM usage_fix ORDER BY orig, n' >"$T/fixes"
	[ "$(wc -l <"$T/fixes")" -eq 21 ]
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: read 22, emitted 1, duplicates 0, amended 13, cancelled 8, rejected 0" ]
	ncalls=$(wc -l <"$T/calls")
	[ "$ncalls" -gt 20 ]
	# killed at every third call, then run again as cron would
	for n in $(seq 1 3 "$ncalls"); do
		rm -f "$T"/l "$T"/l-* "$T/out"
		cp "$T/base" "$T/l"
		st=0
		crashrun FAULT_AT="$n" FAULT_ACTION=kill || st=$?
		[ "$st" -eq 137 ] || { echo "call $n: exit $st"; false; }
		crashrun
		"$BIN/meter-ingest" --replay --ledger "$T/l" | same "$T/clean" - ||
		    { echo "call $n: replay differs"; false; }
		sqlite3 "$T/l" 'SELECT lower(hex(orig)), n, kind, id, prev_seq FROM usage_fix ORDER BY orig, n' |
		    same "$T/fixes" - || { echo "call $n: corrections differ"; false; }
		# nothing written twice across the two runs
		[ -z "$(jq -r .key "$T/out" | sort | uniq -d)" ] ||
		    { echo "call $n: a record written twice"; false; }
	done
}

@test "CSV: amends and cancels columns, an empty cell a plain event" {
	ev e1 2026-10-01T09:00:00Z 5 >"$T/a"
	ev e2 2026-10-02T09:00:00Z 7 >>"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	cat >"$T/b.csv" <<-EOF
	id,source,type,subject,time,data.requests:number,amends,cancels
	a1,s,api.request,acme-prod,2026-10-03T09:00:00Z,50,e1,
	c1,s,api.request,acme-prod,2026-10-04T09:00:00Z,,,e2
	e3,s,api.request,acme-prod,2026-10-05T09:00:00Z,1,,
	EOF
	run ingest --rejects "$T/r" "$T/b.csv"
	expect_status 0
	[ "${lines[-1]}" = "meter-ingest: read 3, emitted 1, duplicates 0, amended 1, cancelled 1, rejected 0" ]
	[ "$(sums)" = "2026-10-01T04:00:00Z 51 2" ]
}
