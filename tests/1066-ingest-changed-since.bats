#!/usr/bin/env bats
# meter-ingest --changed-since (issue 21): the earliest event time that
# the runs with --as-of at or after TIME changed, late events and
# corrections (for a correction the earlier of the replaced version's and
# the new one's), which the crontab's 01:00 line starts its window from.
# Exact output and exit codes.

load lib

# ev ID TIME REQUESTS [ATTRS]: an api.request event of acme-prod from
# source s, ATTRS (',"amends":"e1"') added to its attributes
ev() {
	printf '{"specversion":"1.0","id":"%s","source":"s","type":"api.request","subject":"acme-prod","time":"%s"%s,"data":{"requests":%s}}\n' \
	    "$1" "$2" "${4:-}" "$3"
}

# at AS_OF: meter-ingest of stdin into the ledger in $T as of AS_OF
at() {
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/ledger.sqlite" --as-of "$1" --rejects "$T/r" \
	    >/dev/null 2>"$T/err"
}

# since TIME WANT: meter-ingest --changed-since TIME on the ledger in
# $T exits 0 and writes WANT ('' for nothing)
since() {
	run "$BIN/meter-ingest" --ledger "$T/ledger.sqlite" --changed-since "$1"
	expect_status 0
	[ "$output" = "$2" ]
}

# June's events, ingested in June
june() {
	{
		ev e1 2026-06-10T09:00:00Z 5
		ev e2 2026-06-12T09:00:00Z 7
	} | at 2026-06-20T00:00:00Z
}

@test "changed-since: no run since TIME, nothing and exit 0; at TIME itself counts" {
	june
	since 2026-06-20T00:00:01Z ''
	since 2026-06-20T00:00:00Z "2026-06-10T09:00:00Z"
}

@test "changed-since: a cancel of a four-month-old event reports the original's time, not the cancel's" {
	june
	ev c1 2026-10-19T09:00:00Z 0 ',"cancels":"e2"' | at 2026-10-20T00:00:00Z
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: read 1, emitted 0, duplicates 0, amended 0, cancelled 1, rejected 0" ]
	since 2026-10-01T00:00:00Z "2026-06-12T09:00:00Z"
	since 2026-10-20T00:00:01Z ''
}

@test "changed-since: a late event reports its own time" {
	june
	{
		ev l1 2026-10-19T09:00:00Z 1
		ev l2 2026-09-25T09:00:00Z 1
	} | at 2026-10-20T00:00:00Z
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: read 2, emitted 2, duplicates 0, rejected 0" ]
	since 2026-07-01T00:00:00Z "2026-09-25T09:00:00Z"
}

@test "changed-since: an amendment that moves an event to another month reports the earlier of the two versions' times" {
	june
	# later: June's e1 to October, June (the replaced version) is reported
	ev a1 2026-10-19T09:00:00Z 50 ',"amends":"e1"' | at 2026-10-20T00:00:00Z
	since 2026-10-01T00:00:00Z "2026-06-10T09:00:00Z"
	# earlier: a1 (October) back to May, May (the new version)
	ev a2 2026-05-30T09:00:00Z 50 ',"amends":"a1"' | at 2026-11-20T00:00:00Z
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: read 1, emitted 0, duplicates 0, amended 1, cancelled 0, rejected 0" ]
	since 2026-11-01T00:00:00Z "2026-05-30T09:00:00Z"
	# a third, named by the original's id: it replaces the effective
	# version, a2 (May), not e1 (June)
	ev a3 2026-10-25T09:00:00Z 5 ',"amends":"e1"' | at 2026-12-20T00:00:00Z
	since 2026-12-01T00:00:00Z "2026-05-30T09:00:00Z"
	# and a fourth, from October to November: October (a3, replaced)
	ev a4 2026-11-25T09:00:00Z 5 ',"amends":"a3"' | at 2027-01-20T00:00:00Z
	since 2027-01-01T00:00:00Z "2026-10-25T09:00:00Z"
}

@test "changed-since: a bad TIME is a usage error (64), no ledger is 66 as for --replay, and it reads no input files" {
	june
	run "$BIN/meter-ingest" --ledger "$T/ledger.sqlite" --changed-since 2026-13-01T00:00:00Z
	expect_status 64
	[ "${lines[0]}" = "meter-ingest: --changed-since '2026-13-01T00:00:00Z': invalid month" ]
	run "$BIN/meter-ingest" --ledger "$T/none.sqlite" --changed-since 2026-10-01T00:00:00Z
	expect_status 66
	[ "$output" = "meter-ingest: no ledger at '$T/none.sqlite'" ]
	[ ! -e "$T/none.sqlite" ]
	run "$BIN/meter-ingest" --ledger "$T/ledger.sqlite" --changed-since 2026-10-01T00:00:00Z "$T/r"
	expect_status 64
	[ "${lines[0]}" = "meter-ingest: --replay, --prune-before and --changed-since read no input files" ]
	run "$BIN/meter-ingest" --ledger "$T/ledger.sqlite" --changed-since 2026-10-01T00:00:00Z --replay
	expect_status 64
	[ "${lines[0]}" = "meter-ingest: --replay, --prune-before and --changed-since cannot be combined" ]
}
