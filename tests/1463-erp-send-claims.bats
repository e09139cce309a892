#!/usr/bin/env bats
# erp-send's claims in the ledger (--ledger): one sender at a time per
# entry.  An entry another sender holds is left pending (75); a claim
# that expired, or whose owner is a process of this host that is gone,
# is taken over; each claim and its drop are in the audit log.  Against
# the scripted receiver of tests/http.

load lib
load http/lib

D=testdata/erp/documents.ndjson
E1=JE-13c0a4c53139ce9bd4431c72facde3ed

# hl ARGS...: erp-send to the receiver with the ledger $T/l
hl() {
	hs --ledger "$T/l" "$@"
}

# hold OWNER EXPIRES: a claim of the first entry in the ledger
hold() {
	sqlite3 "$T/l" "INSERT INTO send_claim VALUES ('$E1', '$1', 0, $2)"
}

q() {
	sqlite3 "$T/l" "$@"
}

@test "claims: each entry claimed before its call and dropped after its answer, both in the audit log" {
	BG=
	srv_up
	ep "$D" >"$T/journal" 2>/dev/null
	hl "$T/journal" >"$T/acks" 2>/dev/null
	[ "$(q 'select count(*) from send_claim')" -eq 0 ]
	[ "$(q "select op from audit where subject = '$E1' and op like 'send.%' order by seq" | tr '\n' ' ')" = "send.claim send.drop " ]
	# the owner: this host, the sender's pid and start time
	[[ "$(q "select json_extract(detail, '\$.owner') from audit where op = 'send.claim' limit 1")" == "$(hostname) "[0-9]*" "[0-9]* ]]
	[ "$(q "select count(*) from audit where op = 'send.claim'")" -eq 7 ]
	[ "$(q "select count(*) from audit where op = 'send.drop'")" -eq 7 ]
	run "$BIN/reconcile" --audit --ledger "$T/l"
	[[ "$output" == *"audit log: "*" rows verified, intact"* ]]
}

@test "claims: an entry another sender holds is not sent (75, still pending); once its claim expired it is taken over" {
	BG=
	srv_up
	ep "$D" >"$T/journal" 2>/dev/null
	hold "elsewhere 4242 1" 4102444800000000000
	run hl --stats "$T/s" "$T/journal"
	expect_status 75
	[ "${lines[-2]}" = "erp-send: read 7, confirmed 6 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 1, rejected 0" ]
	[ "${lines[-1]}" = "erp-send: 1 entries not sent: another sender holds them (the first by 'elsewhere 4242 1', until 2100-01-01T00:00:00Z); still pending: run again" ]
	! jq -e --arg e "$E1" 'select(.key == $e)' "$T/srv/entries.ndjson" >/dev/null
	jq -e '.claimed_elsewhere == 1' "$T/s"
	[ "$(q "select owner from send_claim")" = "elsewhere 4242 1" ]
	# expired: taken over, the log says from whom
	q "update send_claim set expires = 1"
	run hl "$T/journal"
	expect_status 0
	jq -e --arg e "$E1" 'select(.key == $e)' "$T/srv/entries.ndjson" >/dev/null
	[ "$(q "select json_extract(detail, '\$.taken_from') from audit where op = 'send.claim' and subject = '$E1' order by seq desc limit 1")" = "elsewhere 4242 1" ]
	[ "$(q 'select count(*) from send_claim')" -eq 0 ]
}

@test "claims: a claim of a process of this host that is gone is taken over at once; a live one's is not" {
	BG=
	srv_up
	ep "$D" >"$T/journal" 2>/dev/null
	# a live process: this shell, with its start time from /proc
	start=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20)
	hold "$(hostname) $$ $start" 4102444800000000000
	run hl "$T/journal"
	expect_status 75
	[[ "${lines[-1]}" == "erp-send: 1 entries not sent: another sender holds them (the first by '$(hostname) $$ $start', until 2100-01-01T00:00:00Z)"* ]]
	# the same pid, started at another time: a process that is gone
	q "update send_claim set owner = '$(hostname) $$ 1'"
	run hl "$T/journal"
	expect_status 0
	[ "$(wc -l <"$T/srv/entries.ndjson")" -eq 7 ]
	# no such process: taken over too (the receiver answers what it
	# answered, storing nothing)
	hold "$(hostname) 2147483646 1" 4102444800000000000
	run hl "$T/journal"
	expect_status 0
	[ "$(wc -l <"$T/srv/entries.ndjson")" -eq 7 ]
	[ "$(q "select json_extract(detail, '\$.taken_from') from audit where op = 'send.claim' and subject = '$E1' order by seq desc limit 1")" = "$(hostname) 2147483646 1" ]
}

@test "claims: a version 8 ledger gets the claims' table, migrated in place, the audit log says so" {
	BG=
	srv_up
	ep "$D" >"$T/journal" 2>/dev/null
	ledger_v9 "$T/l"
	q 'DROP TABLE send_claim; PRAGMA user_version = 8'
	hl "$T/journal" >/dev/null 2>&1
	[ "$(q 'PRAGMA user_version')" = 12 ]
	[ "$(q "select count(*) from audit where op = 'send.drop'")" -eq 7 ]
}
