#!/usr/bin/env bats
# Corrections of invoiced usage (issue 21): an amendment and a cancel of
# October's events, ingested after October's invoices, flow to a debit
# and a credit note on the next month-end run, the crontab's run of the
# month before last (scripts/crontab.example, word for word, on a
# generated month); the notes bring each invoice to what the corrected
# usage bills, as a ledger that had the corrections from the start
# invoices; and reconcile agrees after them.  The kill -9 test: a run of
# corrections killed at any write, run again, applies each once.

load lib

# u2c DIR: a generated month (scripts/gen-month, the crontab's names)
# ingested into DIR/ledger.sqlite as of the month-end's day
u2c() {
	scripts/gen-month --events 1500 --customers 20 --hours 24 "$1" >/dev/null
	cut -f1 "$1/batches.txt" | sed "s|^|$1/|" | xargs cat >"$T/ev"
	"$BIN/meter-ingest" --customers "$1/customers.ndjson" \
	    --ledger "$1/ledger.sqlite" --as-of 2026-11-02T00:00:00Z \
	    --rejects "$T/ir" "$T/ev" >/dev/null 2>&1
}

# cron DIR 'M H' NOW: the crontab's line that starts with "0 H D * *" run
# as cron would at NOW (a `date` in $T/shim answers as then), in DIR
cron() {
	local cmd
	mkdir -p "$T/shim"
	cat >"$T/shim/date" <<-EOF
	#!/bin/sh
	# date -u -d 'last month' +F, date -u -d '2 months ago' +F, date -u +F
	[ "\$2" = -d ] && exec $(command -v date) -u -d "$3 UTC \$3" "\$4"
	exec $(command -v date) -u -d "$3 UTC" "\$2"
	EOF
	printf '#!/bin/sh\necho "$*" >>%s\n' "$T/logged" >"$T/shim/logger"
	chmod +x "$T/shim/date" "$T/shim/logger"
	cmd=$(sed -n "s/^0  *$2  *\*  *\*  *//p" scripts/crontab.example | sed 's/\\%/%/g')
	[ -n "$cmd" ]
	U2C=$1 PATH="$T/shim:$BIN:$PATH" sh -c "$cmd"
}

# corrections DIR: $T/fix, an amendment of one of the first customer's
# large-model token events (a million input tokens more) and a cancel of
# another customer's largest one, with the ids of the events in $T/ids
corrections() {
	"$BIN/meter-ingest" --replay --ledger "$1/ledger.sqlite" |
	    jq -c 'select(.type == "llm.tokens" and .data.model == "large")' |
	    jq -sc 'sort_by(-.data.tokens.input, .key) | .[]' >"$T/large"
	A=$(head -n 1 "$T/large" | jq -r .customer)
	B=$(jq -r --arg a "$A" 'select(.customer != $a) | .customer' "$T/large" | head -n 1)
	{
		jq -c --arg a "$A" 'select(.customer == $a) | {specversion: "1.0",
		    id: ("fix-" + .id), source, amends: .id, type, subject, time,
		    data: (.data | .tokens.input += 1000000)}' "$T/large" | head -n 1
		jq -c --arg b "$B" 'select(.customer == $b) | {specversion: "1.0",
		    id: ("cancel-" + .id), source, cancels: .id, type, subject,
		    time}' "$T/large" | head -n 1
	} >"$T/fix"
	[ "$(wc -l <"$T/fix")" -eq 2 ]
}

# total DIR CUSTOMER: what the customer's October documents bill together
total() {
	sqlite3 "$1/ledger.sqlite" "SELECT d.total FROM doc d JOIN invoice i ON i.key = d.key WHERE i.customer = '$2'" |
	    python3 -c 'import sys, decimal; print(sum(decimal.Decimal(l) for l in sys.stdin))'
}

# invoiced: U, $T/u, a month invoiced by the month-end line on November
# 2nd, its n0 documents all invoices
invoiced() {
	U=$T/u
	u2c "$U"
	cron "$U" '2  *2' 2026-11-02T02:00:00
	n0=$(sqlite3 "$U/ledger.sqlite" 'SELECT count(*) FROM doc')
	[ "$n0" -gt 0 ]
	[ "$(sqlite3 "$U/ledger.sqlite" "SELECT count(*) FROM doc WHERE kind <> 'invoice'")" -eq 0 ]
}

# fix DIR AS_OF: the corrections ($T/fix) ingested into DIR as of AS_OF
fix() {
	run "$BIN/meter-ingest" --customers "$1/customers.ndjson" \
	    --ledger "$1/ledger.sqlite" --as-of "$2" --rejects "$T/fr" "$T/fix"
	expect_status 0
	[ "${lines[-1]}" = "meter-ingest: read 2, emitted 0, duplicates 0, amended 1, cancelled 1, rejected 0" ]
}

# notes DIR N MONTH: after the run of the 01:00 line, nothing logged, a
# credit note of B's and a debit note of A's the ledger's only notes, N
# documents in all, the notes in MONTH's documents and posted once
notes() {
	[ ! -e "$T/logged" ]
	[ "$(sqlite3 "$1/ledger.sqlite" "SELECT d.kind || ' ' || i.customer FROM doc d JOIN invoice i ON i.key = d.key WHERE d.kind <> 'invoice' ORDER BY d.kind")" = "credit_note $B
debit_note $A" ]
	[ "$(sqlite3 "$1/ledger.sqlite" 'SELECT count(*) FROM doc')" -eq "$2" ]
	[ "$(jq -r 'select(.kind != "invoice") | .kind' "$1/run/$3/documents.ndjson" | sort | tr '\n' ' ')" = "credit_note debit_note " ]
	[ "$(sqlite3 "$1/ledger.sqlite" "SELECT count(*) FROM doc d WHERE d.kind <> 'invoice' AND (SELECT count(*) FROM posting p WHERE p.number = d.number AND json_extract(p.record, '$.type') = 'document') = 1")" -eq 2 ]
}

# oracle DIR NOW...: the same events with the corrections from the
# start, the month-end line run at each NOW (each month invoiced once),
# bill A and B what DIR's invoices and notes bill together
oracle() {
	local V=$T/v now
	u2c "$V"
	fix "$V" 2026-11-02T00:00:00Z
	for now in "${@:2}"; do
		cron "$V" '2  *2' "$now"
	done
	[ "$(total "$1" "$A")" = "$(total "$V" "$A")" ]
	[ "$(total "$1" "$B")" = "$(total "$V" "$B")" ]
}

@test "month-end: an amendment and a cancel after October's invoices give a debit and a credit note on the next month-end run, to what the corrected usage bills" {
	invoiced
	corrections "$U"
	fix "$U" 2026-11-10T00:00:00Z
	# December's: the month before last (October) again, then November's;
	# the notes are in October's documents and journal, posted once
	cron "$U" '1  *2' 2026-12-02T01:00:00
	notes "$U" $((n0 + 2)) 2026-10
	# the oracle: the same events with the corrections from the start,
	# invoiced once, bill what the invoices and notes bill together
	oracle "$U" 2026-11-02T02:00:00
	[ "$(total "$U" "$A")" != "$(sqlite3 "$U/ledger.sqlite" "SELECT d.total FROM doc d JOIN invoice i ON i.key = d.key WHERE i.customer = '$A' AND d.kind = 'invoice'")" ]
	# run again: nothing new
	cron "$U" '1  *2' 2026-12-02T01:00:00
	[ "$(sqlite3 "$U/ledger.sqlite" 'SELECT count(*) FROM doc')" -eq $((n0 + 2)) ]
	# reconcile agrees: October's window, its files as the run left them
	run "$BIN/reconcile" --ledger "$U/ledger.sqlite" --meters "$U/meters.json" \
	    --customers "$U/customers.ndjson" --from 2026-10-15T00:00:00Z \
	    --to 2026-11-02T00:00:00Z --aggregates "$U/run/2026-10/aggregates.ndjson" \
	    --rated "$U/run/2026-10/rated.ndjson" --invoices "$U/run/2026-10/documents.ndjson" \
	    --journal "$U/run/2026-10/journal.ndjson" --accounts "$U/accounts.json" --format text
	expect_status 0
}

@test "month-end: corrections of October's events made in December, after the month before last's run, give their notes on January's 01:00 run (meter-ingest --changed-since), and nothing for the other invoices" {
	invoiced
	# December's runs: October again (nothing changed), November's
	# invoices (fees and commitments: no November events)
	cron "$U" '1  *2' 2026-12-02T01:00:00
	[ "$(sqlite3 "$U/ledger.sqlite" 'SELECT count(*) FROM doc')" -eq "$n0" ]
	cron "$U" '2  *2' 2026-12-02T02:00:00
	n1=$(sqlite3 "$U/ledger.sqlite" 'SELECT count(*) FROM doc')
	[ "$n1" -gt "$n0" ]
	[ "$(sqlite3 "$U/ledger.sqlite" "SELECT count(*) FROM doc WHERE kind <> 'invoice'")" -eq 0 ]
	# the corrections, three months back in January, the month before
	# last (November) no longer October
	corrections "$U"
	fix "$U" 2026-12-10T00:00:00Z
	# the notes in the month before last's files, posted once
	cron "$U" '1  *2' 2027-01-02T01:00:00
	notes "$U" $((n1 + 2)) 2026-11
	# the oracle: the corrections from the start, October and November
	# invoiced once (total sums both months' documents)
	oracle "$U" 2026-11-02T02:00:00 2026-12-02T02:00:00
	# run again, and January's month-end: nothing new
	cron "$U" '1  *2' 2027-01-02T01:00:00
	cron "$U" '2  *2' 2027-01-02T02:00:00
	[ ! -e "$T/logged" ]
	[ "$(sqlite3 "$U/ledger.sqlite" 'SELECT count(*) FROM doc')" -eq $((n1 + 2)) ]
}
