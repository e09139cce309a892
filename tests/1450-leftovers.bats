#!/usr/bin/env bats
# What the hostile test's last session found after issue 17's seven
# defects: a stored document naming a party neither way, two bad amounts in
# one document, a number as a catalog group value, and alerts claimed but
# never written.

load lib
load invfmt


@test "html: a stored document whose parties have neither a name nor an id renders, '?' in their place" {
	issue_notes
	sqlite3 "$T/l.sqlite" "UPDATE doc SET record = json_remove(record,
	    '\$.entity.name', '\$.entity.id', '\$.customer.name', '\$.customer.id')"
	run igen --ledger "$T/l.sqlite" --replay --format html "$T/late.ndjson"
	expect_status 0
	[ "$(echo "$output" | grep -c '<div class="pname">?</div>')" -eq 10 ]
	mkdir "$T/d"
	run igen --ledger "$T/l.sqlite" --replay --format html --output-dir "$T/d" \
	    "$T/late.ndjson"
	expect_status 0
	[ "$(ls "$T/d" | wc -l)" -eq 5 ]
	# the text format says the same; UBL, which must name them, refuses
	run igen --ledger "$T/l.sqlite" --replay --format text "$T/late.ndjson"
	expect_status 0
	[[ "$output" == *"From  ? (?), tax id IE6388047V"* ]]
}

@test "erp-post: a document with two bad line amounts is one reject, exit 0" {
	jq -c 'select(.number == "ACME-EU-2026-000002") | .lines[0].net = "x" |
	    .lines[1].net = "1.2.3"' testdata/erp/documents.ndjson >"$T/in"
	jq -c 'select(.number == "ACME-EU-2026-000001")' testdata/erp/documents.ndjson >>"$T/in"
	run "$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" "$T/in"
	expect_status 0
	[ "$(wc -l <"$T/r")" -eq 1 ]
	jq -e '.code == "invalid_amount" and .field == "net" and .line == 1 and .message == "document'"'"'s net is not an exact decimal number"' "$T/r"
	[[ "$output" == *"read 2, posted 1, duplicates 0, skipped 0, rejected 1;"* ]]
	# --strict: the documented exit for rejects
	run "$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" \
	    --strict "$T/in"
	expect_status 65
}

@test "erp-post: a stored document with two bad amounts, caught up from the ledger, is one reject" {
	ig --issue testdata/rate/rated.expected.ndjson >/dev/null 2>&1
	sqlite3 "$T/l" "UPDATE doc SET record = json_set(record,
	    '\$.lines[0].net', 'x', '\$.lines[1].net', '1.2.3')
	    WHERE number = 'ACME-EU-2026-000002'"
	run ep </dev/null
	expect_status 0
	[ "$(jq -r .code "$T/r" | sort | uniq -c | xargs)" = "1 invalid_amount" ]
	[[ "$output" == *"1 rejected"* ]]
}

@test "a number as a charge's group value is refused when the catalog is loaded, exit 78" {
	plan1 '"model":"unit","unit_amount":"1","group":{"model":7}'
	aggr 1 cus_a m 3 '{"model":"8"}' >"$T/in"
	run rate "$T/in"
	expect_status 78
	[[ "$output" == *"$T/c: plans[0] ('p' v1): charges[0] ('c'): group.model must be a string"* ]]
	[[ "$output" != *"json writer"* ]]
	# in a contract's overrides too
	plan1 '"model":"unit","unit_amount":"1"' "" \
	    '"overrides":{"charges":{"c":{"group":{"model":1.5}}}}'
	run rate "$T/in"
	expect_status 78
	[[ "$output" == *"overrides: charges: 'c': group.model must be a string"* ]]
	# strings pass
	plan1 '"model":"unit","unit_amount":"1","group":{"model":"7"}'
	run rate "$T/in"
	expect_status 0
}

@test "rate: alerts whose output failed after the commit are written by the re-run" {
	plan1 '"model":"unit","unit_amount":"1.00"' "" \
	    '"thresholds":[{"amount":"50.00"}]'
	aggr 1 cus_a m 85 >"$T/in"
	# the output fails after the batch committed (a full disk)
	full() { rate "$@" >/dev/full; }
	run full --ledger "$T/l" "$T/in"
	expect_status 74
	run rate --ledger "$T/l" --alerts /dev/full "$T/in"
	expect_status 74
	# the re-run writes the alert, once
	rate --ledger "$T/l" --alerts "$T/al" "$T/in" >"$T/out" 2>/dev/null
	[ "$(grep -c '"kind":"alert"' "$T/al")" -eq 1 ]
	jq -e '.threshold == "amount:50" and .amount == "85.00"' "$T/al"
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM rate_alert')" -eq 1 ]
	rate --ledger "$T/l" --alerts "$T/al" "$T/in" >"$T/out" 2>/dev/null
	[ "$(grep -c '"kind":"alert"' "$T/al")" -eq 1 ]
}

# killer DIR NAME: DIR, the binaries of $BIN with NAME replaced by one
# that runs the real NAME when it posts or issues, its output thrown away,
# and dies by kill -9 after it: the commit made, nothing written
killer() {
	mkdir -p "$1"
	for b in "$BIN"/*; do ln -sf "$b" "$1/"; done
	rm "$1/$2"
	cat >"$1/$2" <<SH
#!/bin/sh
case " \$* " in
*" --replay "*|*" --retry-pending "*|*" --confirm "*|*" --format "*) ;;
*)	"$BIN/$2" "\$@" >/dev/null 2>&1; kill -9 \$\$ ;;
esac
exec "$BIN/$2" "\$@"
SH
	chmod 755 "$1/$2"
}

# demo_in DIR BIN: the small demo of 1600-demo.bats in DIR with BIN
# (without the ERP, which would be left running: tests/1471 has it)
demo_in() {
	DEMO_OUT="$1" DEMO_EVENTS=3000 DEMO_CUSTOMERS=40 DEMO_HOURS=48 \
	    DEMO_ERP=none BIN="$2" sh scripts/demo
}

@test "demo: the documented month-end; killed after invoice-gen's, then erp-post's commit, the next run completes the month" {
	demo_in "$T/clean" "$BIN" >"$T/clean.out"
	grep -q 'reconcile: everything agrees' "$T/clean.out"
	killer "$T/k1" invoice-gen
	run demo_in "$T/d" "$T/k1"
	expect_status 1
	[[ "$output" == *"demo: invoice failed (exit 137)"* ]]
	killer "$T/k2" erp-post
	run demo_in "$T/d" "$T/k2"
	expect_status 1
	[[ "$output" == *"demo: post failed (exit 137)"* ]]
	run demo_in "$T/d" "$BIN"
	expect_status 0
	[[ "$output" == *"reconcile: everything agrees"* ]]
	[[ "$output" == *"hledger check --strict ordereddates: no error"* ]]
	[[ "$output" == *"ledger --strict --pedantic: no error, no warning"* ]]
	# the same documents, journals and files as a run never killed
	[ "$(cat "$T/d/work/snapshot")" = "$(cat "$T/clean/work/snapshot")" ]
	[ "$(ls "$T/d/invoices" | wc -l)" -eq 120 ]	# text, HTML, UBL
	# and the run after adds nothing
	run demo_in "$T/d" "$BIN"
	expect_status 0
	[[ "$output" == *"this run: 0 new events, 0 new invoices, 0 new postings"* ]]
	[[ "$output" == *"documents and journals are as they were"* ]]
}
