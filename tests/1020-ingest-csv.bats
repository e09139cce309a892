#!/usr/bin/env bats
# meter-ingest on CSV exports: header mapping, --csv-map, typed numbers,
# quoted fields over several lines, and the CSV reject codes.

load lib

@test "CSV by header: fields, data.* paths, :number columns, empty cells absent" {
	run ingest --rejects "$T/r" --stats "$T/s" testdata/events.csv
	expect_status 0
	ingest --rejects "$T/r2" testdata/events.csv >/dev/null 2>&1 || true
	rm -f "$T/ledger.sqlite"*
	ingest --rejects "$T/r" --stats "$T/s" testdata/events.csv >"$T/out" 2>/dev/null
	jq -e '.read == 4 and .emitted == 4' "$T/s"
	sed -n 1p "$T/out" | grep -F '"data":{"endpoint":"/v1/search","requests":1}'
	sed -n 3p "$T/out" | grep -F '"time":"2026-10-04T06:00:00Z","data":{"model":"large, v2","tokens":{"input":1500.5}}'
	sed -n 4p "$T/out" | grep -F '"data":{"model":"multi\nline","tokens":{"input":0.0001}}'
}

@test "the same events as CSV and as CloudEvents are duplicates of each other" {
	head -n 2 testdata/events.ndjson >"$T/two.ndjson"
	ingest --rejects "$T/r" "$T/two.ndjson" >"$T/a" 2>/dev/null
	run ingest --rejects "$T/r" --stats "$T/s" testdata/events.csv
	jq -e '.duplicates == 2 and .emitted == 2' "$T/s"
}

@test "--format csv reads CSV from stdin; a .csv name is CSV without it" {
	run ingest --format csv --rejects "$T/r" --stats "$T/s" <testdata/events.csv
	expect_status 0
	jq -e '.emitted == 4' "$T/s"
	run ingest --format xml
	expect_status 64
}

@test "--csv-map renames columns, --csv-source fills a missing source" {
	cat >"$T/legacy.csv" <<-'CSV'
	event_id,account,ts,kind,qty
	L-1,umbrella,2026-10-09T00:00:00+09:00,seats.level,12
	L-2,umbrella,2026-10-09T01:00:00+09:00,seats.level,15
	CSV
	run ingest --csv-map 'id=event_id,subject=account,time=ts,type=kind,data.seats:number=qty' \
	    --csv-source legacy-export --rejects "$T/r" --stats "$T/s" "$T/legacy.csv"
	expect_status 0
	jq -e '.emitted == 2' "$T/s"
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" >"$T/out"
	sed -n 1p "$T/out" | grep -F '"customer":"cus_umbrella","source":"legacy-export","id":"L-1","type":"seats.level","subject":"umbrella","time":"2026-10-08T15:00:00Z","data":{"seats":12}'
}

@test "--csv-map errors: bad spec is 64, a column the header lacks is 65" {
	run ingest --csv-map 'nonsense' testdata/events.csv
	expect_status 64
	run ingest --csv-map 'colour=x' testdata/events.csv
	expect_status 64
	[[ "$output" == *"unknown field 'colour'"* ]]
	run ingest --csv-map 'id:number=x' testdata/events.csv
	expect_status 64
	run ingest --csv-map 'id=event_id' --rejects "$T/r" testdata/events.csv
	expect_status 65
	[[ "$output" == *"testdata/events.csv:1: --csv-map names column 'event_id', which the header does not have"* ]]
}

@test "without a source column or --csv-source, each row is missing_field source" {
	printf 'id,type,subject,time\nx1,t,globex,2026-10-10T00:00:00Z\n' >"$T/in.csv"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/in.csv"
	jq -e '.rejects_by_code.missing_field == 1' "$T/s"
	jq -e '.field == "source" and .line == 2 and .raw == "x1,t,globex,2026-10-10T00:00:00Z"' "$T/r"
}

@test "csv_syntax, csv_column_count and invalid_number are rejects with the row's line" {
	cat >"$T/bad.csv" <<-'CSV'
	id,source,type,subject,time,data.n:number
	a1,s,t,globex,2026-10-10T00:00:00Z,"1"2
	a2,s,t,globex,2026-10-10T00:00:00Z
	a3,s,t,globex,2026-10-10T00:00:00Z,1.5.1
	a4,s,t,globex,2026-10-10T00:00:00Z,007
	a5,s,t,globex,2026-10-10T00:00:00Z,2.50
	CSV
	run ingest --rejects "$T/r" --stats "$T/s" "$T/bad.csv"
	expect_status 0
	jq -e '.read == 5 and .emitted == 1 and .rejected == 4' "$T/s"
	[ "$(jq -r '"\(.line) \(.code) \(.field)"' "$T/r" | tr '\n' ';')" = \
	    "2 csv_syntax ;3 csv_column_count ;4 invalid_number data.n;5 invalid_number data.n;" ]
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" | grep -F '"data":{"n":2.5}'
}

@test "a CSV file whose last row has no newline: partial_line, the rest kept" {
	printf 'id,source,type,subject,time\nz1,s,t,globex,2026-10-10T00:00:00Z\nz2,s,t,globex,2026-10-10T00:00:0' >"$T/cut.csv"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/cut.csv"
	jq -e '.read == 2 and .emitted == 1 and .rejects_by_code.partial_line == 1' "$T/s"
	jq -e '.line == 3 and .raw == "z2,s,t,globex,2026-10-10T00:00:0"' "$T/r"
}

@test "a quoted field left open at the end of input is partial_line, quoted in full" {
	printf 'id,source,type,subject,time,data.note\nq1,s,t,globex,2026-10-10T00:00:00Z,"open\nstill open\n' >"$T/open.csv"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/open.csv"
	jq -e '.rejects_by_code.partial_line == 1 and .read == 1' "$T/s"
	jq -e '.line == 2 and .raw == "q1,s,t,globex,2026-10-10T00:00:00Z,\"open\nstill open"' "$T/r"
}

@test "invalid UTF-8 in a CSV cell is invalid_utf8" {
	printf 'id,source,type,subject,time\nu\xfe,s,t,globex,2026-10-10T00:00:00Z\n' >"$T/u.csv"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/u.csv"
	jq -e '.rejects_by_code.invalid_utf8 == 1' "$T/s"
	jq -e '.raw == null and (.raw_base64 | length > 0)' "$T/r"
}

@test "each CSV file starts with its own header" {
	printf 'source,id,type,subject,time\ns,h1,t,globex,2026-10-10T00:00:00Z\n' >"$T/a.csv"
	printf 'id,source,type,subject,time\nh2,s,t,globex,2026-10-10T00:00:00Z\n' >"$T/b.csv"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/a.csv" "$T/b.csv"
	jq -e '.read == 2 and .emitted == 2' "$T/s"
}

@test "CRLF CSV: rows read, a bare CR kept as data, rejects quote the CR" {
	printf 'id,source,type,subject,time,data.note\r\nc1,s,t,globex,2026-10-10T00:00:00Z,"a\r\nb"\r\nc2,s,t,nobody,2026-10-10T00:00:00Z,x\r\nc3,s,t,globex,2026-10-10T00:00:00Z,p\rq\r\n' >"$T/crlf.csv"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/crlf.csv"
	jq -e '.read == 3 and .emitted == 2' "$T/s"
	jq -e '.line == 4 and .raw == "c2,s,t,nobody,2026-10-10T00:00:00Z,x\r"' "$T/r"
	# a line break inside a quoted field reads as LF; a bare CR is data
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" >"$T/out"
	grep -F '"data":{"note":"a\nb"}' "$T/out"
	grep -F '"data":{"note":"p\rq"}' "$T/out"
}

@test "a UTF-8 byte order mark before the header (Excel's CSV UTF-8) is skipped: events, the customer master, acknowledgements" {
	bom() { printf '\357\273\277'; cat "$1"; }
	bom testdata/events.csv >"$T/bom.csv"
	bom testdata/customers.csv >"$T/cust.csv"
	mi() {
		"$BIN/meter-ingest" --as-of 2026-10-20T00:00:00Z --ledger "$T/$1" \
		    --rejects "$T/r$1" --customers "$2" "$3"
	}
	mi a testdata/customers.ndjson testdata/events.csv >"$T/want" 2>/dev/null
	mi b testdata/customers.ndjson "$T/bom.csv" >"$T/got" 2>"$T/err"
	same "$T/want" "$T/got"
	[ -s "$T/got" ]
	# nothing rejected, as without the mark
	[ ! -e "$T/ra" ] && [ ! -e "$T/rb" ]
	mi c "$T/cust.csv" "$T/bom.csv" >"$T/got" 2>/dev/null
	mi d testdata/customers.csv testdata/events.csv >"$T/want" 2>/dev/null
	same "$T/want" "$T/got"
	# erp-post --confirm: NDJSON when the first character is '{', else CSV
	ep testdata/erp/documents.ndjson >"$T/p" 2>/dev/null
	{ printf '\357\273\277id,erp_ref,status\r\n'; jq -r '"\(.id),NS-1,confirmed\r"' "$T/p"; } >"$T/acks.csv"
	run ep --confirm "$T/acks.csv"
	expect_status 0
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 7, failed 0, duplicates 0, rejected 0" ]
}

@test "a header's data path deeper than --max-depth stops the run with exit 65, as a missing column does" {
	# found by fuzz_csv: the row's event was nested past the JSON writer's limit, exit 70
	deep=data$(printf '.a%.0s' $(seq 130))
	printf 'id,source,type,subject,time,%s\nx1,s,t,globex,2026-10-10T00:00:00Z,1\n' "$deep" >"$T/deep.csv"
	run ingest --rejects "$T/r" "$T/deep.csv"
	expect_status 65
	[[ "$output" == *"deep.csv:1: column 'data.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a' maps a data path nested 131 levels deep, deeper than 32 (--max-depth)"* ]]
	ok=data$(printf '.a%.0s' $(seq 30))
	printf 'id,source,type,subject,time,%s\nx2,s,t,globex,2026-10-10T00:00:00Z,1\n' "$ok" >"$T/ok.csv"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/ok.csv"
	expect_status 0
	jq -e '.emitted == 1' "$T/s"
}
