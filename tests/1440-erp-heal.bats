#!/usr/bin/env bats
# The month-end heals itself (issue 17, defect 1): after a kill -9 that
# lands between invoice-gen's commit and erp-post's reading, the month-end
# run again posts every issued document exactly once, and its documents
# and journal files are complete.  The month-end is run as
# scripts/crontab.example has it, word for word, on a generated month,
# and as the one pipeline of the README and erp-post(1).  On both engines
# (tests/run): on PostgreSQL the crontab's ledger.sqlite is the ledger
# u2c made ($UL).

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

# cron_line PATTERN: the crontab's line after PATTERN, as cron would run
# it (its \% unescaped); on PostgreSQL with $UL for ledger.sqlite
cron_line() {
	sed -n "s/^$1//p" scripts/crontab.example | sed 's/\\%/%/g' |
	    if [ "$(ledger_engine)" = pg ]; then
		sed 's/--ledger ledger\.sqlite /--ledger "$UL" /g'
	    else
		cat
	    fi
}

# month_end: the crontab's month-end line, as cron would run it, with
# $T/shim, then $FIRST when set, then $BIN first on the PATH
month_end() {
	local cmd
	cmd=$(cron_line '0  *2  *2  *\*  *\*  *')
	[ -n "$cmd" ]
	U2C=$U UL=$UL PATH="$T/shim:${FIRST:+$FIRST:}$BIN:$PATH" sh -c "$cmd"
}

# hourly_retry: the crontab's hourly retry of pending entries, as cron
# would run it
hourly_retry() {
	local cmd
	cmd=$(cron_line '35  *\*  *\*  *\*  *\*  *')
	[ -n "$cmd" ]
	U2C=$U UL=$UL PATH="$T/shim:$BIN:$PATH" sh -c "$cmd"
}

# uq SQL: SQL on u2c's ledger (lq's output)
uq() {
	if [ "$(ledger_engine)" = sqlite ]; then
		lq u2c/ledger.sqlite "$1"
	else
		lq u2c "$1"
	fi
}

# pipeline ERP-POST...: the month-end as one pipeline sharing the ledger,
# October's periods, into ERP-POST... (the README's, erp-post(1)'s)
pipeline() {
	"$BIN/meter-aggregate" --meters "$U/meters.json" \
	    --customers "$U/customers.ndjson" --ledger "$UL" \
	    --from 2026-10-15T00:00:00Z --to 2026-11-02T00:00:00Z \
	    --rejects "$T/r" 2>/dev/null |
	    "$BIN/rate" --catalog "$U/catalog.json" \
	    --customers "$U/customers.ndjson" --ledger "$UL" \
	    --as-of 2026-11-02T01:00:00Z --rejects "$T/r" 2>/dev/null |
	    "$BIN/invoice-gen" --issue --entities "$U/entities.json" \
	    --tax "$U/tax.json" --customers "$U/customers.ndjson" \
	    --ledger "$UL" --as-of 2026-11-02T02:00:00Z \
	    --rejects "$T/r" 2>/dev/null |
	    "$@"
}

po() {
	"$BIN/erp-post" --accounts "$U/accounts.json" --ledger "$UL" \
	    --as-of 2026-11-02T03:00:00Z --rejects "$T/r" "$@"
}

# posted_once: every document issued into the ledger has exactly one
# document entry posted, and nothing else is posted twice
posted_once() {
	local n
	n=$(uq 'SELECT count(*) FROM doc')
	[ "$n" -gt 0 ]
	run uq "SELECT d.number FROM doc d WHERE (SELECT count(*) FROM posting p
	    WHERE p.number = d.number AND $(sql_json p.record type) = 'document') <> 1"
	[ -z "$output" ] || { echo "documents not posted once: $output"; false; }
	[ "$(uq 'SELECT count(DISTINCT record) FROM posting')" -eq \
	    "$(uq 'SELECT count(*) FROM posting')" ]
}

# complete JOURNAL [DOCUMENTS]: the journal file holds every posting of
# the ledger exactly once, and the documents file every document
complete() {
	uq 'SELECT id FROM posting ORDER BY id' >"$T/want"
	jq -r .id "$1" | LC_ALL=C sort >"$T/got"
	same "$T/want" "$T/got"
	if [ -n "${2:-}" ]; then
		uq 'SELECT number FROM doc ORDER BY number' >"$T/want"
		jq -r .number "$2" | LC_ALL=C sort >"$T/got"
		same "$T/want" "$T/got"
	fi
}

@test "heal: invoice-gen killed after its commit, before its output: the crontab's month-end run again posts every document once" {
	u2c
	# the state a kill -9 leaves: the documents issued in the ledger,
	# in no file, never read by erp-post
	mkdir "$T/killed"
	printf '#!/bin/sh\n"%s/invoice-gen" "$@" >/dev/null 2>&1\nkill -9 $$\n' \
	    "$BIN" >"$T/killed/invoice-gen"
	chmod +x "$T/killed/invoice-gen"
	FIRST=$T/killed month_end
	grep -q 'month-end 2026-10: exit 137' "$T/logged"
	# on PostgreSQL every stage took $UL for the crontab's ledger.sqlite
	[ "$(ledger_engine)" = sqlite ] || [ ! -e "$U/ledger.sqlite" ]
	[ "$(uq 'SELECT count(*) FROM doc')" -gt 0 ]
	[ "$(uq 'SELECT count(*) FROM posting')" -eq 0 ]
	run month_end
	expect_status 0
	posted_once
	complete "$U/run/2026-10/journal.ndjson" "$U/run/2026-10/documents.ndjson"
	# a third run posts nothing and leaves the files as they were
	uq 'SELECT id, state FROM posting ORDER BY id' >"$T/p2"
	cp "$U/run/2026-10/journal.ndjson" "$U/run/2026-10/documents.ndjson" "$T/"
	run month_end
	expect_status 0
	same "$T/p2" <(uq 'SELECT id, state FROM posting ORDER BY id')
	cmp "$T/journal.ndjson" "$U/run/2026-10/journal.ndjson"
	cmp "$T/documents.ndjson" "$U/run/2026-10/documents.ndjson"
	[ "$(wc -l <"$T/logged")" -eq 1 ]
}

@test "heal: erp-post killed after its commit, before its output: the month-end run again writes the whole journal, the hourly retry sends it" {
	u2c
	mkdir "$T/killed"
	printf '#!/bin/sh\n"%s/erp-post" "$@" >/dev/null 2>&1\nkill -9 $$\n' \
	    "$BIN" >"$T/killed/erp-post"
	chmod +x "$T/killed/erp-post"
	FIRST=$T/killed month_end
	grep -q 'month-end 2026-10: exit 137' "$T/logged"
	[ "$(uq "SELECT count(*) FROM posting WHERE state = 'pending'")" -gt 0 ]
	[ ! -s "$U/outbox/month-end-2026-10.ndjson" ]
	[ ! -s "$U/run/2026-10/journal.ndjson" ]
	run month_end
	expect_status 0
	posted_once
	complete "$U/run/2026-10/journal.ndjson" "$U/run/2026-10/documents.ndjson"
	# nothing new to send: the entries are pending, the hourly retry sends them
	[ ! -s "$U/outbox/month-end-2026-10.ndjson" ]
	hourly_retry
	complete "$U/outbox/retry-20261102T02.ndjson"
	# the journal is the one an unkilled month-end writes
	cp "$U/run/2026-10/journal.ndjson" "$T/j1"
	run month_end
	expect_status 0
	cmp "$T/j1" "$U/run/2026-10/journal.ndjson"
	[ "$(wc -l <"$T/logged")" -eq 1 ]
}

@test "heal: the pipeline's erp-post killed before it read: the pipeline run again posts every document once" {
	u2c
	# the reader is killed before it reads a line: what invoice-gen
	# committed went into a pipe nobody read
	pipeline sh -c 'kill -9 $$' || true
	[ "$(uq 'SELECT count(*) FROM doc')" -gt 0 ]
	[ "$(uq 'SELECT count(*) FROM posting')" -eq 0 ]
	pipeline po --stats "$T/s" >"$T/j" 2>"$T/err"
	posted_once
	complete "$T/j"
	n=$(uq 'SELECT count(*) FROM doc')
	jq -e ".read == 0 and .posted == 0 and .caught_up == $n" "$T/s"
	grep -q "; from the ledger: $n documents caught up$" "$T/err"
	# every entry as a run that had read the documents would have made it
	uq 'SELECT record FROM doc ORDER BY rowid' >"$T/docs"
	"$BIN/erp-post" --accounts "$U/accounts.json" <"$T/docs" 2>/dev/null |
	    LC_ALL=C sort >"$T/want"
	LC_ALL=C sort "$T/j" | same "$T/want" -
	# the documents read again are duplicates; nothing is posted twice
	run po --stats "$T/s2" "$T/docs"
	expect_status 0
	jq -e ".read == $n and .duplicates == $n and .caught_up == 0 and .entries_emitted == 0" "$T/s2"
	[ "$(echo "$output" | grep -vc '^erp-post: ')" -eq 0 ]
	pipeline po >"$T/j3" 2>/dev/null
	[ ! -s "$T/j3" ]
	posted_once
}

@test "heal: in the order issued, as if read; a paid invoice, a void one; closed periods rejected until open; other entities left" {
	ig --issue testdata/rate/rated.expected.ndjson >"$T/inv" 2>/dev/null
	ig --void ACME-EU-2026-000002 >"$T/cn" 2>/dev/null
	# paid before it was ever posted: its cash receipt has its number
	printf '%s\n' 'invoice,amount,currency,date,reference' \
	    'ACME-US-2026-000001,50.00,USD,2026-11-20,ch_1' >"$T/p.csv"
	ep --payments "$T/p.csv" >/dev/null 2>&1
	L=$(ledger_new l)
	[ "$(lq l 'SELECT count(*) FROM posting')" -eq 1 ]
	# acme-eu's November closed (its closed_policy: reject), no acme-jp
	jq '.entities |= map(select(.entity != "acme-jp") | if .entity == "acme-eu"
	    then .closed_months += ["2026-11"] else . end)' testdata/accounts.json >"$T/acc"
	po2() {
		"$BIN/erp-post" --accounts "$T/acc" --ledger "$L" --rejects "$T/r" \
		    --as-of 2026-11-03T00:00:00Z "$@"
	}
	run po2 --stats "$T/s" </dev/null
	expect_status 0
	[ "${lines[-1]}" = "erp-post: read 0, posted 0, duplicates 0, skipped 0, rejected 0; 2 entries emitted, 0 retried, 0 confirmed before, 0 pending; from the ledger: 1 documents caught up, 3 rejected, 1 of entities without books here left unposted (closed_period 3; see '$T/r')" ]
	[ "${lines[0]}" = "erp-post: $L:0: closed_period: document ACME-EU-2026-000001's document entry is dated 2026-11-02, in a closed period of entity 'acme-eu' (closed_policy reject)" ]
	jq -e '.read == 0 and .caught_up == 1 and .caught_up_rejected == 3 and .unposted_other_entities == 1 and .rejected == 0 and .entries_emitted == 2' "$T/s"
	run jq -r '"\(.file) \(.line) \(.code) \(.raw | fromjson | .number)"' "$T/r"
	[ "${lines[0]}" = "$L 0 closed_period ACME-EU-2026-000001" ]
	[ "${lines[1]}" = "$L 0 closed_period ACME-EU-2026-000002" ]
	[ "${lines[2]}" = "$L 0 closed_period acme-eu-CN-2026-000001" ]
	# taken again by every run, and rejected again, until it can be posted
	run po2 </dev/null
	expect_status 0
	[[ "${lines[-1]}" == *"; 0 entries emitted, "*"; from the ledger: 0 documents caught up, 3 rejected, 1 of entities"* ]]
	[ "$(wc -l <"$T/r")" -eq 6 ]
	# the books open: the rest, in the order issued, each as a run reading
	# it without a ledger writes it
	ep </dev/null >"$T/j" 2>"$T/err"
	grep -q '; from the ledger: 4 documents caught up$' "$T/err"
	"$BIN/erp-post" --accounts testdata/accounts.json "$T/inv" "$T/cn" 2>/dev/null |
	    grep -v '"number":"ACME-US-2026-000001"' | same - "$T/j"
	[ "$(jq -r .document.number "$T/j" | uniq | tr '\n' ' ')" = "ACME-EU-2026-000001 ACME-EU-2026-000002 AJ2611-00001 acme-eu-CN-2026-000001 " ]
	# read now, every document is a duplicate; nothing is left to catch up
	run ep --stats "$T/s" "$T/inv" "$T/cn"
	expect_status 0
	jq -e '.read == 5 and .duplicates == 5 and .caught_up == 0 and .caught_up_rejected == 0 and .unposted_other_entities == 0 and .entries_emitted == 0' "$T/s"
	[ "$(echo "$output" | grep -vc '^erp-post: ')" -eq 0 ]
	run lq l "SELECT d.number FROM doc d WHERE (SELECT count(*) FROM posting p
	    WHERE p.number = d.number AND $(sql_json p.record type) = 'document') <> 1"
	[ -z "$output" ]
}

@test "--replay: the posted entries of the documents read, whatever their state, as first written; nothing posted or changed" {
	D=testdata/erp/documents.ndjson
	head -n 4 "$D" >"$T/d4"
	ep "$T/d4" >"$T/p1" 2>/dev/null
	n=$(wc -l <"$T/p1")
	{ echo id,erp_ref,status,reason; jq -r '"\(.id),NS-1,confirmed,"' "$T/p1" | head -n 1; } >"$T/acks"
	ep --confirm "$T/acks" 2>/dev/null
	lq l 'SELECT * FROM posting ORDER BY id' >"$T/before"
	run ep --replay --stats "$T/s" "$D"
	expect_status 0
	[ "${lines[-1]}" = "erp-post: read 6, replayed 4, not posted 2, skipped 0, rejected 0; $n entries written" ]
	echo "$output" | grep -v '^erp-post: ' | same "$T/p1" -
	jq -e ".read == 6 and .replayed == 4 and .not_posted == 2 and .entries_replayed == $n and (has(\"posted\") | not)" "$T/s"
	lq l 'SELECT * FROM posting ORDER BY id' | same "$T/before" -
	# another format renders the stored records
	"$BIN/erp-post" --accounts testdata/accounts.json --format hledger "$T/d4" >"$T/h" 2>/dev/null
	ep --replay --format hledger "$T/d4" 2>/dev/null | same "$T/h" -
	run ep --replay --retry-pending "$T/d4"
	expect_status 64
	run "$BIN/erp-post" --accounts testdata/accounts.json --replay "$T/d4"
	expect_status 64
	[[ "$output" == *"--replay needs --ledger, where postings are"* ]]
	run "$BIN/erp-post" --accounts testdata/accounts.json --replay --ledger "$T/none" "$T/d4"
	expect_status 66
}
