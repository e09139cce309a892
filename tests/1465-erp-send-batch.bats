#!/usr/bin/env bats
# erp-send --batch N against a real Tryton (tests/tryton/): the entries of
# a company sent together, a look-up of them all before one create of
# those the ERP has not, one post, one read of the numbers.  The books
# are the same as one by one, with fewer calls; entries the ERP has are
# found, not made again; a move the ERP refuses fails alone.

load lib
load tryton/lib

D=testdata/erp/documents.ndjson

@test "batch: the month in batches: the same moves, numbers and acknowledgements as one by one, in fewer calls" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	es --batch 50 --stats "$T/s" "$T/journal" >"$T/acks" 2>"$T/err"
	[ "$(cat "$T/err")" = "erp-send: read 7, confirmed 7 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	rpc moves >"$T/m1"
	# one by one, on a fresh copy of the ERP: the same
	"$TRYTON" stop "$T/erp"
	URL=$("$TRYTON" start "$T/erp")
	es --stats "$T/s1" "$T/journal" >"$T/acks1" 2>/dev/null
	rpc moves | same "$T/m1" -
	same "$T/acks1" "$T/acks"
	# the calls: the same look-ups of names (the login, companies,
	# journals, periods, accounts, parties: 34), then four an entry
	# (look-up, create, post, number: 28) one by one, four a batch in
	# batches: the journal's order makes four (acme-eu 2, acme-jp 1,
	# acme-us 3, acme-eu 1)
	[ "$(jq .calls "$T/s1")" -eq $((34 + 4 * 7)) ]
	[ "$(jq .calls "$T/s")" -eq $((34 + 4 * 4)) ]
	run ep --confirm "$T/acks"
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 7, failed 0, duplicates 0, rejected 0" ]
}

@test "batch: entries the ERP has already are found by the batch's look-up, the others created; nothing twice" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	head -3 "$T/journal" | es >"$T/acks1" 2>/dev/null
	es --batch 4 "$T/journal" >"$T/acks2" 2>"$T/err"
	[ "$(cat "$T/err")" = "erp-send: read 7, confirmed 7 (3 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	head -3 "$T/acks2" | same "$T/acks1" -
	rpc moves >"$T/m"
	[ "$(wc -l <"$T/m")" -eq 7 ]
	[ "$(awk '{print $(NF-3)}' "$T/m" | sort -u | wc -l)" -eq 7 ]
	# again in other batches: every one found, the same numbers
	es --batch 10 "$T/journal" >"$T/acks3" 2>/dev/null
	same "$T/acks2" "$T/acks3"
}

@test "batch: a period the ERP has closed: its entries fail with Tryton's message, the batch's others are confirmed" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	rpc close "Acme Cloud Europe Ltd" 2026-11
	run es --batch 50 "$T/journal"
	expect_status 0
	[ "${lines[-1]}" = "erp-send: read 7, confirmed 4 (0 found in the ERP), failed 3, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	echo "$output" | grep -v '^erp-send: ' | jq -r 'select(.status == "failed") | .reason' | sort -u >"$T/why"
	[ "$(cat "$T/why")" = 'You cannot create a journal-period in closed period "2026-11".' ]
	[ -z "$(rpc moves "Acme Cloud Europe Ltd")" ]
	[ "$(rpc moves | wc -l)" -eq 4 ]
	run es --batch 5 --erp http "$T/journal"
	expect_status 64
}
