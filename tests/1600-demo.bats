#!/usr/bin/env bats
# The generated month (scripts/gen-config, scripts/gen-month) and the
# cron-style demo over it (scripts/demo): deterministic data, every line
# in exactly one hourly batch, the whole pipeline agreeing, and a second
# run that adds nothing and changes no document or journal.

load lib

# a digest of every file under a directory, names included
tree_sum() {
	(cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum
}

# (without the ERP: tests/1470 runs the demo with Tryton)
demo() {
	DEMO_OUT="$T/demo" DEMO_EVENTS=3000 DEMO_CUSTOMERS=40 DEMO_HOURS=48 \
	    DEMO_ERP=none BIN="$BIN" sh scripts/demo
}

@test "gen-config: the same seed gives the same bytes; another seed differs" {
	scripts/gen-config --seed 7 --customers 50 "$T/a"
	scripts/gen-config --seed 7 --customers 50 "$T/b"
	scripts/gen-config --seed 8 --customers 50 "$T/c"
	[ "$(tree_sum "$T/a")" = "$(tree_sum "$T/b")" ]
	[ "$(tree_sum "$T/a")" != "$(tree_sum "$T/c")" ]
	for f in customers.ndjson meters.json catalog.json entities.json tax.json accounts.json; do
		[ -s "$T/a/$f" ]
	done
	[ "$(wc -l <"$T/a/customers.ndjson")" -eq 50 ]
	# several tax regions and both entities
	[ "$(jq -r 'select(.entity == "acme-us") | .region // .country' "$T/a/customers.ndjson" | sort -u | wc -l)" -ge 4 ]
	[ "$(jq -r '.entity' "$T/a/customers.ndjson" | sort -u | wc -l)" -eq 2 ]
}

@test "gen-config: the catalog uses every charge model" {
	scripts/gen-config --customers 5 "$T/a"
	run jq -r '[.plans[].charges[].model] | unique | join(" ")' "$T/a/catalog.json"
	[ "$output" = "flat graduated package unit volume" ]
	run jq -r '[.plans[].currency] | unique | join(" ")' "$T/a/catalog.json"
	[ "$output" = "EUR USD" ]
}

@test "gen-config: bad usage exits 64" {
	run scripts/gen-config --customers 0 "$T/a"
	expect_status 64
	run scripts/gen-config
	expect_status 64
}

@test "gen-month: every line in exactly one batch, in order, late events later" {
	scripts/gen-month --events 5000 --customers 30 --hours 72 "$T/m"
	scripts/gen-month --events 5000 --customers 30 --hours 72 "$T/m2"
	[ "$(tree_sum "$T/m")" = "$(tree_sum "$T/m2")" ]
	# the batches hold the generator's lines, each once
	cut -f1 "$T/m/batches.txt" | sed "s|^|$T/m/|" | xargs cat | sort >"$T/got"
	scripts/gen-events --seed 1 --customers 30 --dup-rate 0.005 \
	    --conflict-rate 0.001 --bad-rate 0.002 --start 2026-10-01T08:00:00Z \
	    --span 259200 5000 | sort >"$T/want"
	cmp "$T/got" "$T/want"
	# batches.txt: sorted files, each with the end of its hour
	cut -f1 "$T/m/batches.txt" | LC_ALL=C sort -c
	run awk -F'\t' '{ h = substr($1, 9, 13); e = substr($2, 1, 13)
		if (e <= h) print "bad as-of: " $0 }' "$T/m/batches.txt"
	[ -z "$output" ]
	# no event arrives before its hour; some arrive hours later
	for f in $(cut -f1 "$T/m/batches.txt"); do
		h=${f#batches/}; h=${h%.ndjson}
		sed -n 's/.*"time":"\([0-9-]*T[0-9][0-9]\).*/\1/p' "$T/m/$f" |
		    awk -v h="$h" '$0 > h { print "early: " $0 " in " h } $0 < h { n++ } END { print "late " n + 0 }'
	done >"$T/late"
	! grep -q early "$T/late" || false
	[ "$(awk '{ s += $2 } END { print s }' "$T/late")" -gt 50 ]
}

@test "demo: a month through every stage agrees; a second run adds nothing" {
	run demo
	expect_status 0
	[[ "$output" == *"reconcile: everything agrees"* ]]
	[[ "$output" == *"hledger check --strict ordereddates: no error"* ]]
	[[ "$output" == *"ledger --strict --pedantic: no error, no warning"* ]]
	[[ "$output" =~ "this run: "([0-9]+)" new events, "([0-9]+)" new invoices, "([0-9]+)" new postings" ]]
	[ "${BASH_REMATCH[1]}" -gt 2900 ]
	[ "${BASH_REMATCH[2]}" -eq 40 ]
	[ "${BASH_REMATCH[3]}" -ge 40 ]
	ls "$T/demo/invoices" | grep -q '^ACME-US-2026-000001\.txt$'
	ls "$T/demo/invoices" | grep -q '^ACME-US-2026-000001\.html$'
	ls "$T/demo/invoices" | grep -q '^ACME-US-2026-000001\.xml$'
	[ "$(ls "$T/demo/invoices" | wc -l)" -eq 120 ]
	# each document as UBL, valid Peppol BIS Billing 3.0
	[[ "$output" == *"peppol: validate: 40 documents, 0 not schema-valid, 0 fatal (in 0 documents), 0 warnings"* ]]
	[ -s "$T/demo/journal.csv" ] && [ -s "$T/demo/report.html" ]
	strict_journal "$T/demo/journal.hledger"
	# the CSV journal balances too, entry by entry (exact: python decimal)
	python3 - "$T/demo/journal.csv" <<'PY'
import csv, decimal, sys
bal = {}
for r in csv.DictReader(open(sys.argv[1])):
    d = decimal.Decimal(r["Debit"] or 0) - decimal.Decimal(r["Credit"] or 0)
    bal[r["External ID"]] = bal.get(r["External ID"], 0) + d
assert bal and all(v == 0 for v in bal.values()), bal
PY
	# and is as NetSuite's template says, in NetSuite's account names
	python3 tests/impcheck.py testdata/erp/import/templates.json \
	    "$T/demo/work/month/accounts.json" "$T/demo/journal.csv"
	before=$(tree_sum "$T/demo/invoices")$(sha256sum <"$T/demo/journal.hledger")
	run demo
	expect_status 0
	[[ "$output" == *"this run: 0 new events, 0 new invoices, 0 new postings"* ]]
	[[ "$output" == *"documents and journals are as they were"* ]]
	[[ "$output" == *"reconcile: everything agrees"* ]]
	[ "$before" = "$(tree_sum "$T/demo/invoices")$(sha256sum <"$T/demo/journal.hledger")" ]
}

@test "demo: a document changed after a run stops the next (exit 1)" {
	demo >/dev/null
	echo tampered >>"$T/demo/invoices/ACME-US-2026-000001.txt"
	run demo
	expect_status 1
	[[ "$output" == *"documents or journals CHANGED since the last run"* ]]
	# and nothing ran: no batch was read
	[[ "$output" != *"meter-ingest"* ]]
}

@test "month-end as one pipeline sharing the ledger = the stages one after another" {
	m=$T/m
	scripts/gen-month --events 2000 --customers 30 --hours 24 "$m"
	cut -f1 "$m/batches.txt" | sed "s|^|$m/|" | xargs cat >"$T/ev"
	"$BIN/meter-ingest" --customers "$m/customers.ndjson" --ledger "$T/a" \
	    --as-of 2026-11-02T00:00:00Z --rejects "$T/r" "$T/ev" >/dev/null 2>&1 || true
	sqlite3 "$T/a" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	cp "$T/a" "$T/b"
	agg() { "$BIN/meter-aggregate" --meters "$m/meters.json" --customers "$m/customers.ndjson" \
	    --from 2026-10-15T00:00:00Z --to 2026-11-02T00:00:00Z --rejects "$T/r" --ledger "$1"; }
	rt() { "$BIN/rate" --catalog "$m/catalog.json" --customers "$m/customers.ndjson" \
	    --as-of 2026-11-02T01:00:00Z --rejects "$T/r" --ledger "$1"; }
	iv() { "$BIN/invoice-gen" --entities "$m/entities.json" --tax "$m/tax.json" \
	    --customers "$m/customers.ndjson" --as-of 2026-11-02T02:00:00Z --issue \
	    --rejects "$T/r" --ledger "$1"; }
	po() { "$BIN/erp-post" --accounts "$m/accounts.json" --as-of 2026-11-02T03:00:00Z \
	    --rejects "$T/r" --ledger "$1"; }
	agg "$T/a" 2>/dev/null >"$T/a1"
	rt "$T/a" <"$T/a1" 2>/dev/null >"$T/a2"
	iv "$T/a" <"$T/a2" 2>/dev/null >"$T/a3"
	po "$T/a" <"$T/a3" 2>/dev/null >"$T/a4"
	[ "$(wc -l <"$T/a3")" -eq 30 ]
	set -o pipefail
	agg "$T/b" 2>/dev/null | rt "$T/b" 2>/dev/null | iv "$T/b" 2>/dev/null |
	    tee "$T/b3" | po "$T/b" 2>/dev/null >"$T/b4"
	cmp "$T/a3" "$T/b3"
	cmp "$T/a4" "$T/b4"
}
