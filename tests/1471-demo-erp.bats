#!/usr/bin/env bats
# The demo with a real ERP (scripts/demo, tests/tryton/): the month's
# entries posted to a throwaway Tryton and confirmed in the ledger, the
# ERP's export read back by reconcile, and where to look said; without
# Tryton it says it skipped and why, and the entries stay pending.

load lib

eval "lib_$(declare -f teardown)"
teardown() {
	[ -n "${T:-}" ] && "$REPO/tests/tryton/tryton" stop "$T/demo/erp" 2>/dev/null
	lib_teardown
}

# demo [OUT]: the small demo in $T/demo, or OUT (relative to the repository,
# where the demo runs, as out/demo is)
demo() {
	DEMO_OUT="${1:-$T/demo}" DEMO_EVENTS=3000 DEMO_CUSTOMERS=40 DEMO_HOURS=48 \
	    BIN="$BIN" sh scripts/demo
}

@test "demo with Tryton: every entry posted to the ERP and confirmed; the ERP's export agrees; where to look is said" {
	local why
	why=$(tests/tryton/tryton check) || skip "$why"
	# a relative path, as make demo's out/demo
	run demo "$(realpath --relative-to="$REPO" "$T/demo")"
	expect_status 0
	n=$(wc -l <"$T/demo/journal.ndjson")
	[[ "$output" == *"erp-send: read $n, confirmed $n (0 found in the ERP), failed 0,"* ]]
	[[ "$output" == *"erp-post: read $n, confirmed $n, failed 0, duplicates 0, rejected 0"* ]]
	[[ "$output" == *"the ERP's export: $n moves in "*"/demo/erp-export.ndjson"* ]]
	[[ "$output" == *"reconcile: everything agrees: usage, aggregates, rated lines, documents, journal, the ERP's books"* ]]
	port=$(cat "$T/demo/erp/port")
	[[ "$output" == *"the ERP, a throwaway Tryton left running: http://127.0.0.1:$port/u2c"* ]]
	[[ "$output" == *"database u2c, user admin, password erp-send-test-2026 (in $T/demo/erp/creds)"* ]]
	[[ "$output" == *"or its export: scripts/erp-export-tryton --url http://127.0.0.1:$port/u2c --credentials $T/demo/erp/creds"* ]]
	[[ "$output" == *"stop it (before rm -rf "*"/demo): tests/tryton/tryton stop $T/demo/erp;"* ]]
	# the ledger: every posting confirmed with the ERP's move number
	[ "$(sqlite3 "$T/demo/ledger.sqlite" "SELECT count(*) FROM posting WHERE state = 'confirmed' AND erp_ref LIKE 'acme-%/2026/%'")" -eq "$n" ]
	grep -q 'ERP reference acme-eu/2026/' "$T/demo/explain.txt"
	# the server still answers: the export as the demo says to run it
	scripts/erp-export-tryton --url "http://127.0.0.1:$port/u2c" \
	    --credentials "$T/demo/erp/creds" >"$T/x"
	[ "$(wc -l <"$T/x")" -eq "$n" ]
	# a second run: nothing sent again, the ERP's moves the same
	run demo
	expect_status 0
	[[ "$output" == *"no entry pending: nothing to send"* ]]
	[[ "$output" == *"the ERP's export: $n moves"* ]]
	[[ "$output" == *"documents and journals are as they were"* ]]
	# stopped, then run again: resumed on its database, its moves kept
	tests/tryton/tryton stop "$T/demo/erp"
	run demo
	expect_status 0
	[[ "$output" == *"the ERP's export: $n moves"* ]]
	[[ "$output" == *"the ERP's books"* ]]
}

@test "demo without an ERP: it says it skipped and why; the entries stay pending; the books are summed up all the same" {
	DEMO_ERP=none run demo
	expect_status 0
	[[ "$output" == *"== ERP: skipped (DEMO_ERP=none); the entries stay pending in the ledger"* ]]
	[[ "$output" == *"reconcile: everything agrees: usage, aggregates, rated lines, documents, journal (no ERP: its entries are pending)"* ]]
	[[ "$output" == *"ERP: skipped (DEMO_ERP=none); the month's entries are pending in $T/demo/ledger.sqlite"* ]]
	[ ! -e "$T/demo/erp" ]
	n=$(wc -l <"$T/demo/journal.ndjson")
	[ "$(sqlite3 "$T/demo/ledger.sqlite" "SELECT count(*) FROM posting WHERE state = 'pending'")" -eq "$n" ]
	[[ "$output" == *"receivables (owed by customers)"* ]]
	[[ "$output" == *"scheduled after the run date: "*" revenue recognition entries,"* ]]
}
