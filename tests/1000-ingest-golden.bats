#!/usr/bin/env bats
# meter-ingest on the sample events: golden output, rejects and stats;
# idempotency across runs; replay; CSV customer master.

load lib

@test "golden: usage records, rejects and stats for the sample events" {
	ingest --rejects "$T/rejects.ndjson" --stats "$T/stats.json" \
	    testdata/events.ndjson >"$T/out.ndjson" 2>"$T/err"
	same testdata/ingest/events.expected.ndjson "$T/out.ndjson"
	same testdata/ingest/rejects.expected.ndjson "$T/rejects.ndjson"
	jq -c 'del(.ledger, .rejects_file)' "$T/stats.json" >"$T/stats.cmp"
	same testdata/ingest/stats.expected.json "$T/stats.cmp"
}

@test "accounting: read = emitted + duplicates + rejected, on stderr too" {
	run ingest --rejects "$T/r" --stats "$T/s.json" testdata/events.ndjson
	expect_status 0
	[[ "$output" == *"meter-ingest: read 22, emitted 6, duplicates 1, rejected 15 ("* ]]
	jq -e '.read == .emitted + .duplicates + .rejected' "$T/s.json"
	jq -e '([.rejects_by_code[]] | add) == .rejected' "$T/s.json"
	[ "$(wc -l <"$T/r")" -eq 15 ]
}

@test "re-ingesting the same file emits nothing: every accepted record is a duplicate" {
	ingest --rejects "$T/r1" testdata/events.ndjson >"$T/out1" 2>/dev/null
	run ingest --rejects "$T/r2" --stats "$T/s2.json" testdata/events.ndjson
	expect_status 0
	[ -z "$(ingest --rejects "$T/r3" testdata/events.ndjson 2>/dev/null)" ]
	jq -e '.emitted == 0 and .duplicates == 7 and .rejected == 15' "$T/s2.json"
	# the same rejects again, nothing else
	same "$T/r1" "$T/r2"
}

@test "replay writes the stored records byte for byte" {
	ingest --rejects "$T/r" testdata/events.ndjson >"$T/out" 2>/dev/null
	run "$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite"
	expect_status 0
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" >"$T/replay"
	same "$T/out" "$T/replay"
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" \
	    --from 2026-10-02T00:00:00Z --to 2026-10-05T00:00:00Z >"$T/window"
	[ "$(jq -r .id "$T/window" | tr '\n' ' ')" = "evt-0003 evt-0004 " ]
}

@test "the customer master as CSV maps the same way as NDJSON" {
	ingest --rejects "$T/r1" testdata/events.ndjson >"$T/a" 2>/dev/null
	rm -f "$T/ledger.sqlite"*
	"$BIN/meter-ingest" --customers testdata/customers.csv \
	    --ledger "$T/ledger.sqlite" --as-of 2026-10-20T00:00:00Z \
	    --rejects "$T/r2" testdata/events.ndjson >"$T/b" 2>/dev/null
	same "$T/a" "$T/b"
}

@test "numbers are exact: 0.1 stays 0.1, 20 digits stay 20 digits" {
	ingest --rejects "$T/r" testdata/events.ndjson >"$T/out" 2>/dev/null
	grep -F '"tokens":{"input":0.1,"output":12345678901234567890.123}' "$T/out"
	# keys of data are sorted, numbers normalized: 1.50 -> 1.5, 1e3 -> 1000
	ce n1 globex 2026-10-10T00:00:00Z '{"b":1.50,"a":1e3,"c":-0}' |
	    ingest --rejects "$T/r" >"$T/n" 2>/dev/null
	grep -F '"data":{"a":1000,"b":1.5,"c":0}' "$T/n"
}

@test "times are normalized to UTC with the fraction trimmed" {
	ingest --rejects "$T/r" testdata/events.ndjson >"$T/out" 2>/dev/null
	[ "$(jq -r 'select(.id=="evt-0003").time' "$T/out")" = 2026-10-02T10:00:00Z ]
	[ "$(jq -r 'select(.id=="evt-0002").time' "$T/out")" = 2026-10-01T09:15:01.25Z ]
	[ "$(jq -r 'select(.id=="evt-0006").time' "$T/out")" = 2026-10-05T18:00:00Z ]
}

@test "--help and --version go to stdout with status 0; bad usage is 64" {
	run "$BIN/meter-ingest" --help
	expect_status 0
	[[ "$output" == *"usage: meter-ingest --customers FILE"* ]]
	run "$BIN/meter-ingest" --version
	expect_status 0
	[[ "$output" == "meter-ingest "* ]]
	run "$BIN/meter-ingest" --no-such-option
	expect_status 64
	run "$BIN/meter-ingest" --ledger "$T/l.sqlite"
	expect_status 64
	[[ "$output" == *"--customers FILE is required"* ]]
	run ingest --as-of yesterday
	expect_status 64
	[[ "$output" == *"--as-of 'yesterday'"* ]]
	run ingest --max-age 1y
	expect_status 64
}

@test "a missing input file is reported, the others are read, exit 66" {
	run ingest --rejects "$T/r" --stats "$T/s.json" "$T/nope.ndjson" testdata/events.ndjson
	expect_status 66
	[[ "$output" == *"cannot open '$T/nope.ndjson': No such file or directory"* ]]
	jq -e '.emitted == 6' "$T/s.json"
}

@test "--strict turns rejects into exit 65, after writing everything" {
	run ingest --strict --rejects "$T/r" testdata/events.ndjson
	expect_status 65
	[ "$(wc -l <"$T/r")" -eq 15 ]
	ce s1 globex 2026-10-10T00:00:00Z | ingest --strict --rejects "$T/r2" >/dev/null 2>&1
}

@test "rejects default to a file beside the ledger, appended, never truncated" {
	ingest testdata/events.ndjson >/dev/null 2>&1
	[ "$(wc -l <"$T/ledger.sqlite-rejects.ndjson")" -eq 15 ]
	ingest testdata/events.ndjson >/dev/null 2>&1
	[ "$(wc -l <"$T/ledger.sqlite-rejects.ndjson")" -eq 30 ]
	[ "$(stat -c %a "$T/ledger.sqlite-rejects.ndjson")" = 600 ]
}

@test "METER_LEDGER names the ledger when --ledger is not given" {
	METER_LEDGER="$T/env.sqlite" "$BIN/meter-ingest" \
	    --customers testdata/customers.ndjson --as-of 2026-10-20T00:00:00Z \
	    --rejects "$T/r" testdata/events.ndjson >/dev/null 2>&1
	[ "$(sqlite3 "$T/env.sqlite" 'select coalesce(sum(n), 0) from usage_block')" -eq 6 ]
}

@test "--rejects /dev/null discards rejects; a bad customer master leaves no ledger" {
	run ingest --rejects /dev/null --stats "$T/s.json" testdata/events.ndjson
	expect_status 0
	jq -e '.rejected == 15' "$T/s.json"
	printf '{"id":"x"}\n' >"$T/bad.ndjson"
	run "$BIN/meter-ingest" --customers "$T/bad.ndjson" --ledger "$T/new.sqlite" \
	    testdata/events.ndjson
	expect_status 78
	[ ! -e "$T/new.sqlite" ]
}
