#!/usr/bin/env bats
# erp-send against a real Tryton (tests/tryton/), when things break:
# erp-send killed (SIGKILL, by the fault shim tests/fault/fault.c) after
# Tryton answered and before the acknowledgement was written; the Tryton
# server killed in the middle of a run.  Each time the ERP ends with
# every move once, and the re-run confirms with Tryton's own numbers.

load lib
load tryton/lib

D=testdata/erp/documents.ndjson
E1=JE-13c0a4c53139ce9bd4431c72facde3ed

# each_once: the ERP has the 7 entries, each in one move, posted
each_once() {
	rpc moves >"$T/m"
	[ "$(wc -l <"$T/m")" -eq 7 ]
	[ "$(grep -c ' posted ' "$T/m")" -eq 7 ]
	[ "$(awk '{print $(NF-3)}' "$T/m" | sort -u | wc -l)" -eq 7 ]
}

@test "tryton: killed after the ERP's answer, before the acknowledgement: the re-run confirms the move with its number, no move twice" {
	erp_up
	[ -f "$SO" ] || skip "no fault shim at $SO"
	ep "$D" >"$T/journal" 2>/dev/null
	cp "$T/l" "$T/l0"
	# which write is the first acknowledgement's: counted by the shim on
	# a run of the first entry alone, on a copy of the ledger, to a
	# receiver that is not there: its writes are the ledger's (the
	# claim's commit) until its output's, which with an answer would
	# have been the acknowledgement's
	head -1 "$T/journal" >"$T/one"
	cp "$T/l0" "$T/lc"
	env FAULT_AT=0 FAULT_LOG="$T/calls" LD_PRELOAD="$SO" ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$BIN/erp-send" --erp http --url http://127.0.0.1:9/ --attempts 1 \
	    --ledger "$T/lc" --rejects "$T/rc" "$T/one" >"$T/acks0" 2>/dev/null || true
	n=$(awk -v f="$T/acks0" '$3 == f { print $1; exit }' "$T/calls")
	[ "$(sed -n "$((n - 1))p" "$T/calls")" = "$((n - 1)) fdatasync $T/lc-wal" ]
	# kill the run there, after Tryton answered
	rc=0
	env FAULT_AT=$n FAULT_ACTION=kill LD_PRELOAD="$SO" ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$BIN/erp-send" --erp tryton --url "$URL" --accounts testdata/accounts.json \
	    --credentials "$T/erp/creds" --rejects "$T/r" --ledger "$T/l" \
	    "$T/journal" >"$T/acks1" 2>"$T/err1" || rc=$?
	[ $rc -eq 137 ]
	# Tryton has the first move, we have no acknowledgement, the claim stays
	[ ! -s "$T/acks1" ]
	[ "$(rpc moves | wc -l)" -eq 1 ]
	num=$(rpc moves | awk '{print $(NF-4)}')
	[ "$num" = acme-eu/2026/1 ]
	[ "$(sqlite3 "$T/l" "select id from send_claim")" = "$E1" ]
	# the re-run: the dead sender's claim taken over, the move found
	es --ledger "$T/l" "$T/journal" >"$T/acks2" 2>"$T/err2"
	[ "$(cat "$T/err2")" = "erp-send: read 7, confirmed 7 (1 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	head -1 "$T/acks2" | grep -qx "{\"id\":\"$E1\",\"erp_ref\":\"$num\",\"status\":\"confirmed\",\"reason\":\"\"}"
	each_once
	[ "$(sqlite3 "$T/l" "select count(*) from send_claim")" -eq 0 ]
	run ep --confirm "$T/acks2"
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 7, failed 0, duplicates 0, rejected 0" ]
}

@test "tryton: the server killed mid-run: exit 75, the rest pending; restarted, the re-run posts the rest, no move twice" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	mkfifo "$T/in"
	es --ledger "$T/l" --attempts 2 --max-failures 3 --stats "$T/s" <"$T/in" >"$T/acks1" 2>"$T/err1" &
	BG=$!
	exec 5>"$T/in"
	head -3 "$T/journal" >&5
	for i in $(seq 1 300); do
		[ "$(wc -l <"$T/acks1")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$T/acks1")" -eq 3 ]
	# the ERP goes away; the other four entries come
	"$TRYTON" stop "$T/erp"
	tail -n +4 "$T/journal" >&5
	exec 5>&-
	rc=0
	wait "$BG" || rc=$?
	BG=
	[ $rc -eq 75 ]
	[ "$(sed -n 1p "$T/err1")" = "erp-send: read 7, confirmed 3 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 4, rejected 0" ]
	[[ "$(sed -n 2p "$T/err1")" == "erp-send: the ERP failed 3 calls in a row (the last: "*"Couldn't connect to server): stopped (--max-failures 3); 4 entries not sent (still pending): run again" ]]
	[ "$(wc -l <"$T/acks1")" -eq 3 ]
	jq -e '.not_sent == 4 and .confirmed == 3 and (.stopped | test("connect"))' "$T/s"
	ep --confirm "$T/acks1" 2>/dev/null
	[ "$(sqlite3 "$T/l" "select count(*) from posting where state = 'pending'")" -eq 4 ]
	# the server back, on its database: the rest, each once
	URL=$("$TRYTON" restart "$T/erp")
	[ "$(rpc moves | wc -l)" -eq 3 ]
	es --ledger "$T/l" "$T/journal" >"$T/acks2" 2>"$T/err2"
	[ "$(cat "$T/err2")" = "erp-send: read 7, confirmed 4 (0 found in the ERP), failed 0, confirmed before 3, duplicates 0, not sent 0, rejected 0" ]
	each_once
	run ep --confirm "$T/acks2"
	[ "${lines[-1]}" = "erp-post: read 4, confirmed 4, failed 0, duplicates 0, rejected 0" ]
}
