#!/usr/bin/env bats
# reconcile finds what is missing, not only what differs (issue 17): with
# --ledger, every document issued in the ledger is in --invoices and
# posted, every customer and period with usage in the ledger has its
# aggregates, every aggregate is rated; each with its own code.

load lib

# month: a generated month of five customers in $T/m, ingested into $T/l
month() {
	m=$T/m
	scripts/gen-month --events 3000 --customers 5 --hours 48 "$m" >/dev/null
	cut -f1 "$m/batches.txt" | sed "s|^|$m/|" | xargs cat >"$T/ev"
	"$BIN/meter-ingest" --customers "$m/customers.ndjson" --ledger "$T/l" \
	    --as-of 2026-11-02T00:00:00Z --rejects "$T/r" "$T/ev" >/dev/null 2>&1 || true
}

# agg [FROM TO]: the month-end's aggregation of $T/l (by default, October's
# window of the crontab)
agg() {
	"$BIN/meter-aggregate" --meters "$m/meters.json" --customers "$m/customers.ndjson" \
	    --ledger "$T/l" --from "${1:-2026-10-15T00:00:00Z}" --to "${2:-2026-11-02T00:00:00Z}" \
	    --rejects "$T/r" 2>/dev/null
}

# pipeline ERP-POST...: the month-end as one pipeline on $T/l, each stage's
# output kept ($T/a, $T/rt, $T/inv), into ERP-POST...
pipeline() {
	agg | tee "$T/a" |
	    "$BIN/rate" --catalog "$m/catalog.json" --customers "$m/customers.ndjson" \
	    --ledger "$T/l" --as-of 2026-11-02T01:00:00Z --rejects "$T/r" 2>/dev/null |
	    tee "$T/rt" |
	    "$BIN/invoice-gen" --entities "$m/entities.json" --tax "$m/tax.json" \
	    --customers "$m/customers.ndjson" --ledger "$T/l" --issue \
	    --as-of 2026-11-02T02:00:00Z --rejects "$T/r" 2>/dev/null |
	    tee "$T/inv" | "$@"
}

po() {
	"$BIN/erp-post" --accounts "$m/accounts.json" --ledger "$T/l" \
	    --as-of 2026-11-02T03:00:00Z --rejects "$T/r" "$@"
}

# rcm ARGS...: reconcile of $T/l with the month's configuration
rcm() {
	"$BIN/reconcile" --ledger "$T/l" --accounts "$m/accounts.json" \
	    --rejects "$T/rj" --as-of 2026-11-03T00:00:00Z "$@"
}

# codes FILE: the code of each exception, with its document, sorted
codes() {
	jq -r '"\(.code) \(.document)"' "$1" | LC_ALL=C sort
}

@test "defect 1: documents issued, the pipeline killed before erp-post read them: missing from the invoices and unposted, not rated_not_invoiced" {
	month
	# the state a kill -9 leaves: invoice-gen committed and wrote, the
	# month-end was killed before erp-post read a line (and before the
	# invoices file had its last two documents)
	pipeline cat >/dev/null
	n=$(sqlite3 "$T/l" 'SELECT count(*) FROM doc')
	[ "$n" -gt 0 ]
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM posting')" -eq 0 ]
	# the invoices file lost its last two documents (a tee killed too)
	head -n "$((n - 2))" "$T/inv" >"$T/inv2"
	: >"$T/j"
	rcm --invoices "$T/inv2" --journal "$T/j" >"$T/out" 2>"$T/err" && false
	# each document of the ledger missing from the invoices file...
	sqlite3 "$T/l" 'SELECT number FROM doc ORDER BY rowid' | tail -n 2 >"$T/missing"
	jq -r 'select(.code == "document_not_in_invoices") | .document' "$T/out" | same "$T/missing" -
	# ...and every one of them unposted in the ledger
	sqlite3 "$T/l" 'SELECT number FROM doc ORDER BY rowid' >"$T/all"
	jq -r 'select(.code == "document_unposted_in_ledger") | .document' "$T/out" | same "$T/all" -
	# with the rated lines: the lines of the missing documents are theirs,
	# not rated_not_invoiced
	rcm --rated "$T/rt" --invoices "$T/inv2" --journal "$T/j" >"$T/out" 2>/dev/null && false
	! grep -q '"rated_not_invoiced"' "$T/out" || false
	[ "$(jq -r 'select(.code == "document_not_in_invoices") | .document' "$T/out" | wc -l)" -eq 2 ]
	# erp-post's catch-up posts them; the invoices file written again
	# from the ledger has them: everything agrees
	po </dev/null >"$T/j" 2>/dev/null
	"$BIN/invoice-gen" --replay --entities "$m/entities.json" --tax "$m/tax.json" \
	    --customers "$m/customers.ndjson" --ledger "$T/l" --rejects /dev/null \
	    <"$T/rt" >"$T/inv3" 2>/dev/null
	run rcm --meters "$m/meters.json" --customers "$m/customers.ndjson" \
	    --aggregates "$T/a" --rated "$T/rt" --invoices "$T/inv3" --journal "$T/j"
	expect_status 0
}

@test "defect 1: nothing written at all: the ledger's documents, missing and unposted, whatever the window" {
	month
	pipeline cat >/dev/null
	: >"$T/empty"
	# no file has a period: the window is all of the ledger
	rcm --invoices "$T/empty" --journal "$T/empty" >"$T/out" 2>/dev/null && false
	sqlite3 "$T/l" 'SELECT number FROM doc ORDER BY rowid' >"$T/all"
	jq -r 'select(.code == "document_not_in_invoices") | .document' "$T/out" | same "$T/all" -
	jq -r 'select(.code == "document_unposted_in_ledger") | .document' "$T/out" | same "$T/all" -
	# each names its customer, period and amount due
	first=$(head -n 1 "$T/inv")
	has '.code == "document_not_in_invoices" and .document == "'"$(echo "$first" | jq -r .number)"'"' \
	    '.customer == '"$(echo "$first" | jq .customer.id)"' and .period_start == '"$(echo "$first" | jq .period_start)"' and .period_end == '"$(echo "$first" | jq .period_end)"' and .expected == '"$(echo "$first" | jq .amount_due)"' and .actual == "0.00" and .currency == "USD" and (.message | test("^invoice .* was issued \\(the ledger has it\\) and is not in the invoices"))' "$T/out"
	# the rated lines: the window of their periods, and theirs are billed
	rcm --rated "$T/rt" --invoices "$T/empty" >"$T/out" 2>/dev/null && false
	[ "$(jq -r .code "$T/out" | sort -u)" = document_not_in_invoices ]
}

@test "the documents checked are those of the periods read, or of --from and --to" {
	# September's invoice and October's in one ledger; October's file
	rline 1 cus_initech 10.00 EUR "" usage 2026-09-01T00:00:00Z 2026-10-01T00:00:00Z >"$T/sep"
	rline 2 cus_initech 20.00 >"$T/oct"
	ig --issue "$T/sep" >"$T/isep" 2>/dev/null
	ig --issue "$T/oct" >"$T/ioct" 2>/dev/null
	r() { "$BIN/reconcile" --ledger "$T/l" --rejects "$T/rj" --as-of 2026-11-03T00:00:00Z "$@"; }
	run r --invoices "$T/ioct" --rated "$T/oct"
	expect_status 0
	# the window of both months: September's is missing
	r --invoices "$T/ioct" --from 2026-09-01T00:00:00Z --to 2026-11-02T00:00:00Z >"$T/out" 2>/dev/null && false
	[ "$(jq -r '"\(.code) \(.document) \(.period_end)"' "$T/out")" = "document_not_in_invoices $(jq -r .number "$T/isep") 2026-10-01T00:00:00Z" ]
	# a voided invoice and its credit note are issued documents both
	ig --void "$(jq -r .number "$T/ioct")" >"$T/cn" 2>/dev/null
	r --invoices "$T/ioct" >"$T/out" 2>/dev/null && false
	[ "$(jq -r '"\(.code) \(.document)"' "$T/out")" = "document_not_in_invoices $(jq -r .number "$T/cn")" ]
	run r --invoices <(cat "$T/ioct" "$T/cn")
	expect_status 0
	run r --from 2026-09-01T00:00:00Z --invoices "$T/ioct"
	expect_status 64
	run "$BIN/reconcile" --from 2026-09-01T00:00:00Z --to 2026-11-02T00:00:00Z --invoices "$T/ioct"
	expect_status 64
	run r --from 2026-11-02T00:00:00Z --to 2026-09-01T00:00:00Z --invoices "$T/ioct"
	expect_status 64
}

@test "a document of nothing is never posted: neither document_not_posted nor unposted in the ledger" {
	{ rline 1 cus_initech 0.00; rline 2 cus_acme 10.00 USD; } >"$T/in"
	ig --issue "$T/in" >"$T/inv" 2>/dev/null
	[ "$(wc -l <"$T/inv")" -eq 2 ]
	ep "$T/inv" >"$T/j" 2>/dev/null
	[ "$(jq -r .document.number "$T/j" | sort -u | wc -l)" -eq 1 ]
	run "$BIN/reconcile" --ledger "$T/l" --rejects "$T/rj" --as-of 2026-11-03T00:00:00Z \
	    --invoices "$T/inv" --journal "$T/j"
	expect_status 0
}

@test "every customer and period with usage in the ledger has its aggregates: outside the aggregates' span, absent entirely" {
	month
	agg >"$T/a"
	u() { rcm --meters "$m/meters.json" --customers "$m/customers.ndjson" "$@"; }
	run u --aggregates "$T/a"
	expect_status 0
	# cus_00001's October ends at 07:00, after every other customer's:
	# left out, it is outside the span of the aggregates read...
	jq -c 'select(.customer != "cus_00001")' "$T/a" >"$T/a2"
	n=$(jq -c 'select(.customer == "cus_00001")' "$T/a" | wc -l)
	[ "$n" -gt 0 ]
	# ...but not of the month-end's window, nor of the rated lines'
	u --aggregates "$T/a2" --from 2026-10-15T00:00:00Z --to 2026-11-02T00:00:00Z >"$T/out" 2>/dev/null && false
	[ "$(jq -r '"\(.code) \(.customer)"' "$T/out" | sort -u)" = "usage_not_aggregated cus_00001" ]
	[ "$(wc -l <"$T/out")" -eq "$n" ]
	"$BIN/rate" --catalog "$m/catalog.json" --customers "$m/customers.ndjson" \
	    --ledger "$T/l" --as-of 2026-11-02T01:00:00Z --rejects "$T/r" <"$T/a" >"$T/rt" 2>/dev/null
	u --aggregates "$T/a2" --rated "$T/rt" >"$T/out" 2>/dev/null && false
	[ "$(jq -r 'select(.code == "usage_not_aggregated") | .customer' "$T/out" | sort -u)" = cus_00001 ]
	# an empty aggregates file: every period of the ledger over by --as-of
	: >"$T/empty"
	u --aggregates "$T/empty" >"$T/out" 2>/dev/null && false
	[ "$(jq -r .code "$T/out" | sort -u)" = usage_not_aggregated ]
	jq -r .key "$T/a" | sort | same - <(jq -r '.keys[0]' "$T/out" | sort)
	# a period absent: cus_00000's November, from a late event
	printf '%s\n' '{"specversion":"1.0","id":"nov-1","source":"gw/us-east-1","type":"api.request","subject":"sub-00000","time":"2026-11-10T10:00:00Z","data":{"requests":3}}' >"$T/nov"
	"$BIN/meter-ingest" --customers "$m/customers.ndjson" --ledger "$T/l" \
	    --as-of 2026-11-10T11:00:00Z --rejects "$T/r" "$T/nov" >/dev/null 2>&1
	"$BIN/reconcile" --ledger "$T/l" --rejects "$T/rj" --as-of 2026-12-03T00:00:00Z \
	    --meters "$m/meters.json" --customers "$m/customers.ndjson" --aggregates "$T/a" \
	    --from 2026-10-15T00:00:00Z --to 2026-12-02T00:00:00Z >"$T/out" 2>/dev/null && false
	# (and the levels of the gauges carried into every customer's)
	[ "$(jq -r '"\(.code) \(.period_start | .[0:7])"' "$T/out" | sort -u)" = "usage_not_aggregated 2026-11" ]
	has '.customer == "cus_00000" and (.message | test("meter api_requests"))' '.period_start == "2026-11-01T04:00:00Z" and .expected == "3" and .actual == "0"' "$T/out"
}

@test "every aggregate rated: aggregate_not_rated names its customer and period" {
	month
	agg >"$T/a"
	"$BIN/rate" --catalog "$m/catalog.json" --customers "$m/customers.ndjson" \
	    --ledger "$T/l" --as-of 2026-11-02T01:00:00Z --rejects "$T/r" <"$T/a" >"$T/rt" 2>/dev/null
	run rcm --aggregates "$T/a" --rated "$T/rt"
	expect_status 0
	k=$(jq -r 'select(.customer == "cus_00002") | .key' "$T/a" | head -n 1)
	grep -v "\"$k\"" "$T/rt" >"$T/rt2"
	rcm --aggregates "$T/a" --rated "$T/rt2" >"$T/out" 2>/dev/null && false
	has '.code == "aggregate_not_rated"' '.keys[0] == "'"$k"'" and .customer == "cus_00002" and .period_start == "2026-10-01T04:00:00Z" and .period_end == "2026-11-01T04:00:00Z"' "$T/out"
}
