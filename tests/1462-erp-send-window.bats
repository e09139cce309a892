#!/usr/bin/env bats
# erp-send's posting windows (--window, on each entity's wall clock from
# the entities file), at fixed instants (--as-of), against the scripted
# receiver of tests/http: outside its windows nothing of an entity is
# sent, its entries stay pending, the exit is 75 and says when the next
# window opens.

load lib
load http/lib

D=testdata/erp/documents.ndjson

# hw AS-OF ARGS...: erp-send to the receiver, the sample entities
hw() {
	local at=$1
	shift
	hs --entities testdata/entities.json --as-of "$at" "$@"
}

sent() {
	jq -r '.entry.entity' "$T/srv/entries.ndjson" | sort | uniq -c | awk '{print $2, $1}' | tr '\n' ' '
}

@test "window: Friday 12:00 UTC is 07:00 in New York and 12:00 in Dublin, 21:00 in Tokyo: acme-jp waits until Monday 06:00 there" {
	BG=
	srv_up
	ep "$D" >"$T/journal" 2>/dev/null
	run hw 2026-11-06T12:00:00Z --window 'Mon-Fri 06:00-20:00' --stats "$T/s" "$T/journal"
	expect_status 75
	[ "${lines[-2]}" = "erp-send: read 7, confirmed 6 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 1, rejected 0" ]
	[ "${lines[-1]}" = "erp-send: entity 'acme-jp': 2026-11-06T21:00:00+09:00 (Asia/Tokyo) is outside the posting windows 'Mon-Fri 06:00-20:00': 1 entries not sent (still pending); the next window opens 2026-11-09T06:00:00+09:00" ]
	[ "$(sent)" = "acme-eu 3 acme-us 3 " ]
	! echo "$output" | grep -q '"JE-9e952abcd876e1205e1aaf2202437e97"'
	jq -e '.outside_window == 1 and .not_sent == 1' "$T/s"
	# Monday 08:00 in Tokyo is still Sunday in New York and Dublin: only
	# acme-jp's entry goes
	run hw 2026-11-08T23:00:00Z --window 'Mon-Fri 06:00-20:00' "$T/journal"
	expect_status 75
	[ "${lines[-3]}" = "erp-send: read 7, confirmed 1 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 6, rejected 0" ]
	[ "${lines[-2]}" = "erp-send: entity 'acme-us': 2026-11-08T18:00:00-05:00 (America/New_York) is outside the posting windows 'Mon-Fri 06:00-20:00': 3 entries not sent (still pending); the next window opens 2026-11-09T06:00:00-05:00" ]
	[ "${lines[-1]}" = "erp-send: entity 'acme-eu': 2026-11-08T23:00:00+00:00 (Europe/Dublin) is outside the posting windows 'Mon-Fri 06:00-20:00': 3 entries not sent (still pending); the next window opens 2026-11-09T06:00:00+00:00" ]
	[ "$(sent)" = "acme-eu 3 acme-jp 1 acme-us 3 " ]
}

@test "window: several windows are their union; inside every one of them the run sends all and exits 0" {
	BG=
	srv_up
	ep "$D" >"$T/journal" 2>/dev/null
	# Sunday 18:00 in New York: its second window
	run hw 2026-11-08T23:00:00Z --window 'Mon-Fri 06:00-20:00' --window 'Sun 17:00-19:00' \
	    --window 'Sun 22:00-02:00' "$T/journal"
	expect_status 0
	[ "${lines[-1]}" = "erp-send: read 7, confirmed 7 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	# Tokyo's Monday 08:00, New York's Sunday 18:00, Dublin's Sunday 23:00
	[ "$(sent)" = "acme-eu 3 acme-jp 1 acme-us 3 " ]
}

@test "window: an entity the entities file does not know is rejected, not held" {
	BG=
	srv_up
	ep "$D" >"$T/journal" 2>/dev/null
	head -1 "$T/journal" | jq -c '.entity = "acme-xx"' >"$T/in"
	run hw 2026-11-06T12:00:00Z --window '* 00:00-24:00' "$T/in"
	expect_status 0
	[ "${lines[-1]}" = "erp-send: read 1, confirmed 0 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 1 (unknown_entity 1; see '$T/r')" ]
	[ "$(jq -r .message "$T/r")" = "entry 'JE-13c0a4c53139ce9bd4431c72facde3ed': entity 'acme-xx' is not in the entities file 'testdata/entities.json'" ]
}
