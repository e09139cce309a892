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
