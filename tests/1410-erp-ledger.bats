#!/usr/bin/env bats
# erp-post with the ledger: each entry posted once, pending until the
# ERP confirms it; acknowledgements in NDJSON and CSV (known, unknown,
# failed, conflicting); retries that send the same bytes; recovery after
# kill -9 and after a run whose output was lost; three runs at once.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

D=testdata/erp/documents.ndjson

# ack ID REF STATUS [REASON]: an NDJSON acknowledgement
ack() {
	printf '{"id":"%s","erp_ref":"%s","status":"%s","reason":"%s"}\n' "$1" "$2" "$3" "${4:-}"
}

@test "posted once: a re-run emits nothing, every entry pending until confirmed" {
	ep "$D" >"$T/p1" 2>/dev/null
	same testdata/erp/journal.expected.ndjson "$T/p1"
	run ep --stats "$T/s" "$D"
	expect_status 0
	[ -z "$(echo "$output" | grep -v '^erp-post: ')" ]
	jq -e '.read == 6 and .duplicates == 6 and .entries_emitted == 0 and .entries_pending == 7' "$T/s"
	[ "$(lq l "SELECT state, count(*) FROM posting GROUP BY state")" = "pending|7" ]
	# --retry-pending sends the very same bytes
	ep --retry-pending "$D" 2>/dev/null | same "$T/p1" -
}

@test "confirmations: confirmed entries never again, a failed one retried, an unknown one an exception" {
	ep "$D" >"$T/p1" 2>/dev/null
	jq -r .id "$T/p1" >"$T/ids"
	{
		ack "$(sed -n 1p "$T/ids")" NS-1001 confirmed
		ack "$(sed -n 2p "$T/ids")" NS-1002 confirmed
		ack "$(sed -n 3p "$T/ids")" "" failed "currency JPY not enabled"
		ack "$(sed -n 1p "$T/ids")" NS-1001 confirmed
		ack JE-00000000000000000000000000000000 NS-9 confirmed
		ack "$(sed -n 2p "$T/ids")" NS-7777 confirmed
		ack "$(sed -n 4p "$T/ids")" "" confirmed
	} >"$T/acks"
	run ep --confirm "$T/acks" --stats "$T/s"
	expect_status 0
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 2, failed 1, duplicates 1, rejected 3 (unknown_entry 1, confirmation_conflict 1, invalid_acknowledgement 1; see '$T/r')" ]
	run jq -r '"\(.line) \(.class) \(.code)"' "$T/r"
	[ "${lines[0]}" = "5 reconciliation_exception unknown_entry" ]
	[ "${lines[1]}" = "6 reconciliation_exception confirmation_conflict" ]
	[ "${lines[2]}" = "7 data_quality invalid_acknowledgement" ]
	[ "$(lq l "SELECT state, erp_ref FROM posting WHERE id = '$(sed -n 1p "$T/ids")'")" = "confirmed|NS-1001" ]
	[ "$(lq l "SELECT state, reason FROM posting WHERE id = '$(sed -n 3p "$T/ids")'")" = "failed|currency JPY not enabled" ]
	# a retry sends the failed and pending ones, never the confirmed
	ep --retry-pending "$D" >"$T/p2" 2>/dev/null
	[ "$(wc -l <"$T/p2")" -eq 5 ]
	! grep -qF "$(sed -n 1p "$T/ids")" "$T/p2" || false
	! grep -qF "$(sed -n 2p "$T/ids")" "$T/p2" || false
	grep -qF "$(sed -n 3p "$T/ids")" "$T/p2"
	[ "$(lq l "SELECT state FROM posting WHERE id = '$(sed -n 3p "$T/ids")'")" = pending ]
}

@test "confirmations in CSV, as an ERP exports them; a header is required" {
	ep "$D" >"$T/p1" 2>/dev/null
	{
		echo 'status,id,erp_ref,reason'
		jq -r '"confirmed,\(.id),NS-\(input_line_number),"' "$T/p1"
	} >"$T/acks.csv"
	run ep --confirm "$T/acks.csv"
	expect_status 0
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 7, failed 0, duplicates 0, rejected 0" ]
	[ "$(lq l "SELECT count(*) FROM posting WHERE state = 'confirmed'")" -eq 7 ]
	run ep --retry-pending "$D"
	[ -z "$(echo "$output" | grep -v '^erp-post: ')" ]
	printf 'JE-1,NS-1,confirmed\n' >"$T/bad.csv"
	run ep --confirm "$T/bad.csv"
	expect_status 65
	[[ "$output" == *"the first line must name the columns"* ]]
	run ep --confirm "$T/none"
	expect_status 66
}

@test "kill -9 mid-run: what was written is exactly what is pending; the re-run posts the rest once" {
	mkfifo "$T/in"
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$(ledger_new l)" \
	    --rejects "$T/r" --as-of 2026-11-03T00:00:00Z "$T/in" >"$T/out" 2>/dev/null &
	pid=$!
	BG=$pid
	exec 5>"$T/in"
	head -3 "$D" >&5
	# the input pauses: the batch is committed and written (as many whole
	# lines out as entries pending, however loaded the machine); then killed
	for i in $(seq 1200); do
		n=0
		# (sqlite3 would make the file erp-post has not made yet)
		{ [ "$(ledger_engine)" = pg ] || [ -e "$T/l" ]; } &&
		    { n=$(lq l "SELECT count(*) FROM posting" 2>/dev/null) || n=0; }
		[ -s "$T/out" ] && [ "$(wc -l <"$T/out")" -eq "${n:-0}" ] &&
		    [ -z "$(tail -c1 "$T/out")" ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	exec 5>&-
	[ -s "$T/out" ]
	jq -r .id "$T/out" | sort >"$T/written"
	lq l "SELECT id FROM posting WHERE state = 'pending' ORDER BY id" >"$T/pending"
	cmp "$T/written" "$T/pending"
	# the re-run posts the other documents' entries, none twice
	ep "$D" >"$T/out2" 2>/dev/null
	cat "$T/out" "$T/out2" | same testdata/erp/journal.expected.ndjson -
}

@test "three runs at once on the same documents: each entry posted and written once, by one of them" {
	local i p l
	l=$(ledger_new l)
	for i in 1 2 3; do
		"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$l" \
		    --rejects "$T/r$i" --as-of 2026-11-03T00:00:00Z "$D" \
		    >"$T/o$i" 2>"$T/e$i" &
		BG="${BG:-} $!"
	done
	for p in $BG; do
		wait "$p"
	done
	BG=
	sort "$T/o1" "$T/o2" "$T/o3" >"$T/all"
	sort testdata/erp/journal.expected.ndjson | same - "$T/all"
	[ "$(lq l "SELECT count(*) FROM posting")" -eq 7 ]
	[ "$(cat "$T/r1" "$T/r2" "$T/r3" 2>/dev/null | wc -l)" -eq 0 ]
}

@test "the seed's recovery case: entries posted but the output lost, the state says so, a retry completes it" {
	run bash -c "'$BIN/erp-post' --accounts testdata/accounts.json --ledger '$(ledger_new l)' \
	    --rejects '$T/r' --as-of 2026-11-03T00:00:00Z '$D' >&-"
	expect_status 74
	[[ "$output" == *"the entries are pending in the ledger: 'erp-post --retry-pending' on the same input writes them again"* ]]
	[ "$(lq l "SELECT state, count(*) FROM posting GROUP BY state")" = "pending|7" ]
	ep "$D" >"$T/out" 2>/dev/null
	[ ! -s "$T/out" ]
	ep --retry-pending "$D" >"$T/out" 2>/dev/null
	same testdata/erp/journal.expected.ndjson "$T/out"
}

@test "an entry whose accounts changed after it was posted is a conflict, never a second posting" {
	ep "$D" >/dev/null 2>&1
	sed 's/"Income:Usage"/"Income:Metered"/' testdata/accounts.json >"$T/acc"
	run "$BIN/erp-post" --accounts "$T/acc" --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --as-of 2026-11-03T00:00:00Z "$D"
	expect_status 0
	[ -z "$(echo "$output" | grep -v '^erp-post: ')" ]
	[ "$(jq -r .code "$T/r" | sort | uniq -c | xargs)" = "2 idempotency_conflict" ]
	[ "$(lq l 'SELECT count(*) FROM posting')" -eq 7 ]
}

@test "usage: --confirm and --retry-pending need the ledger" {
	run "$BIN/erp-post" --accounts testdata/accounts.json --confirm x
	expect_status 64
	run "$BIN/erp-post" --accounts testdata/accounts.json --retry-pending </dev/null
	expect_status 64
	run "$BIN/erp-post" --accounts testdata/accounts.json --format csv </dev/null
	expect_status 64
	run "$BIN/erp-post" </dev/null
	expect_status 64
}

@test "a period closed after posting: a retry sends the entry as first emitted, not a conflict" {
	ep "$D" >"$T/p1" 2>/dev/null
	sed 's/"closed_through": "2026-09-30"/"closed_through": "2026-11-30"/' testdata/accounts.json >"$T/acc"
	run "$BIN/erp-post" --accounts "$T/acc" --ledger "$(ledger_new l)" --rejects "$T/r2" \
	    --as-of 2026-12-03T00:00:00Z --retry-pending "$D"
	expect_status 0
	[ ! -e "$T/r2" ]
	echo "$output" | grep -v '^erp-post: ' | same "$T/p1" -
}

@test "two lines of one rated key billed in advance get two recognition entries" {
	# a note that moves an advance fee to another tax category has it twice
	jq -c 'select(.number == "ACME-US-2026-000001") | .number = "N-1" | .lines += [.lines[0] | .line = 10]
	    | .lines[9].net = "0.00" | .lines[0].net = "49.00"' testdata/erp/documents.ndjson >"$T/doc"
	ep "$T/doc" >"$T/out" 2>/dev/null
	[ "$(jq -r 'select(.type == "recognition") | .id' "$T/out" | sort -u | wc -l)" -eq 1 ]
	jq -c 'select(.number == "ACME-US-2026-000001") | .number = "N-2" | .lines += [.lines[0] | .line = 10 | .net = "1.00"]
	    | .net = "91.00" | .total = "98.99" | .amount_due = "98.99" | .tax_lines[0].tax = "7.99"' testdata/erp/documents.ndjson >"$T/doc2"
	ep "$T/doc2" >"$T/out2" 2>/dev/null
	[ "$(jq -r 'select(.type == "recognition") | .id' "$T/out2" | sort -u | wc -l)" -eq 2 ]
}

@test "cash receipts whose output was lost come back with --retry-pending" {
	ig --issue testdata/rate/rated.expected.ndjson >/dev/null 2>&1
	printf '%s\n' 'invoice,amount,currency,date,reference' \
	    'ACME-US-2026-000001,50.00,USD,2026-11-20,ch_1' >"$T/p.csv"
	run bash -c "'$BIN/erp-post' --accounts testdata/accounts.json --ledger '$(ledger_new l)' \
	    --rejects '$T/r' --as-of 2026-11-03T00:00:00Z --payments '$T/p.csv' >&-"
	expect_status 74
	ep --payments "$T/p.csv" >"$T/out" 2>/dev/null
	[ ! -s "$T/out" ]
	ep --payments "$T/p.csv" --retry-pending >"$T/out" 2>/dev/null
	jq -e '.type == "payment" and .payment_reference == "ch_1"' "$T/out"
	[ "$(lq l 'SELECT count(*) FROM payment')" -eq 1 ]
}

@test "in a pipeline: no write lock held while the input is quiet; each pause commits and writes what came" {
	mkfifo "$T/f"
	ep "$T/f" >"$T/out" 2>"$T/err" &
	BG=$!
	exec 5>"$T/f"
	head -n 1 "$D" >&5
	# the first document's entries come out while the writer is quiet
	for i in $(seq 200); do
		[ -s "$T/out" ] && break
		sleep 0.05
	done
	[ -s "$T/out" ]
	# and the ledger is free for another stage meanwhile
	run ig --busy-timeout 100 --issue testdata/rate/rated.expected.ndjson
	expect_status 0
	tail -n +2 "$D" >&5
	exec 5>&-
	wait "$BG"
	# the same entries as a run over the whole file at once
	same testdata/erp/journal.expected.ndjson "$T/out"
	[ "$(lq l "SELECT count(*) FROM posting WHERE state = 'pending'")" -eq 7 ]
}
