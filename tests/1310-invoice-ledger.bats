#!/usr/bin/env bats
# invoice-gen with the ledger: gap-free numbers across runs, after kill -9
# and under concurrent runs; re-runs that issue nothing; late usage as a
# debit note, less usage as a credit note, carrying only the difference;
# full credits that net to exactly zero, tax included; void and replay.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

# docs: "kind number net tax total references" of each document of $T/out
docs() {
	jq -r '"\(.kind) \(.number) \(.net) \(.tax) \(.total) \(.references)"' "$T/out"
}

@test "numbers: one sequence per entity and series, on from run to run, none issued twice" {
	rline 1 cus_initech 10.00 | ig --issue >"$T/out"
	rline 2 cus_initech 20.00 EUR "" usage 2026-11-01T00:00:00Z 2026-12-01T00:00:00Z |
	    ig --issue >>"$T/out"
	rline 3 cus_globex 30.00 | ig --issue >>"$T/out"
	rline 4 cus_acme 40.00 USD | ig --issue >>"$T/out"
	run jq -r .number "$T/out"
	[ "$output" = $'ACME-EU-2026-000001\nACME-EU-2026-000002\nACME-EU-2026-000003\nACME-US-2026-000001' ]
	# the same lines again: nothing new, every line a duplicate
	run ig --issue --stats "$T/s" <(rline 1 cus_initech 10.00)
	expect_status 0
	[ -z "$(echo "$output" | grep -v '^invoice-gen: ')" ]
	jq -e '.read == 1 and .duplicates == 1 and .invoices == 0' "$T/s"
	[ "$(lq l 'SELECT count(*) FROM doc')" -eq 4 ]
	[ "$(lq l "SELECT next FROM doc_seq WHERE entity = 'acme-eu'")" -eq 4 ]
}

@test "a new year starts a scope's sequence again; formats with {yy}{mm} count per month" {
	rline 1 cus_initech 10.00 | ig --issue >"$T/out"
	rline 2 cus_initech 10.00 EUR "" usage 2026-11-01T00:00:00Z 2026-12-01T00:00:00Z |
	    "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --as-of 2027-01-02T12:00:00Z --issue >>"$T/out"
	run jq -r '"\(.number) \(.issue_date) \(.due_date)"' "$T/out"
	[ "${lines[0]}" = "ACME-EU-2026-000001 2026-11-02 2026-11-17" ]
	[ "${lines[1]}" = "ACME-EU-2027-000001 2027-01-02 2027-01-17" ]
	rline 3 cus_umbrella 100 JPY | ig --issue >"$T/out"
	[ "$(jq -r .number "$T/out")" = AJ2611-00001 ]
}

@test "late usage: a debit note for the difference only, referencing the invoice" {
	{ rline 1 cus_initech 10.00; rline 2 cus_initech 20.00; } >"$T/in"
	ig --issue "$T/in" >"$T/out"
	[ "$(docs)" = "invoice ACME-EU-2026-000001 30.00 6.00 36.00 null" ]
	sed -i '2s/"amount":"20.00"/"amount":"25.55"/' "$T/in"
	ig --issue --stats "$T/s" "$T/in" >"$T/out"
	[ "$(docs)" = "debit_note acme-eu-DN-2026-000001 5.55 1.11 6.66 ACME-EU-2026-000001" ]
	jq -e '.lines | length == 1 and .[0].net == "5.55" and .[0].rated_key == "00000000000000000000000000000002"' "$T/out"
	jq -e '.version == 1 and .kind == "debit_note" and .invoice_key != .key' "$T/out"
	jq -e '.debit_notes == 1 and .invoices == 0' "$T/s"
	# a new line in the period is late usage too
	echo "$(rline 3 cus_initech 1.00)" >>"$T/in"
	ig --issue "$T/in" >"$T/out"
	[ "$(docs)" = "debit_note acme-eu-DN-2026-000002 1.00 0.20 1.20 ACME-EU-2026-000001" ]
}

@test "less usage: a credit note for the difference; a line gone is taken back whole" {
	{ rline 1 cus_initech 10.00; rline 2 cus_initech 20.00; } >"$T/in"
	ig --issue "$T/in" >/dev/null
	sed -i '2s/"amount":"20.00"/"amount":"12.00"/' "$T/in"
	ig --issue "$T/in" >"$T/out"
	[ "$(docs)" = "credit_note acme-eu-CN-2026-000001 -8.00 -1.60 -9.60 ACME-EU-2026-000001" ]
	sed -i '1d' "$T/in"
	ig --issue "$T/in" >"$T/out"
	[ "$(docs)" = "credit_note acme-eu-CN-2026-000002 -10.00 -2.00 -12.00 ACME-EU-2026-000001" ]
	jq -e '.lines[0].rated_key == "00000000000000000000000000000001" and .lines[0].quantity == "-1"' "$T/out"
}

@test "Lago's case: crediting 68.33, 68.33, 57.50 and 85.00 at 20 % one by one nets the invoice to exactly zero" {
	{
		rline 1 cus_initech 68.33
		rline 2 cus_initech 68.33
		rline 3 cus_initech 57.50
		rline 4 cus_initech 85.00
	} >"$T/in"
	ig --issue "$T/in" >"$T/out"
	[ "$(docs)" = "invoice ACME-EU-2026-000001 279.16 55.83 334.99 null" ]
	for n in 1 2 3 4; do
		sed -i "${n}s/\"amount\":\"[0-9.]*\"/\"amount\":\"0.00\"/" "$T/in"
		ig --issue "$T/in" >>"$T/out"
	done
	# per line, 20 % of 68.33 is 13.67 and the four taxes add up to
	# 55.84: one cent more than the invoice's.  The notes carry the
	# change of the rounded tax instead.
	run jq -r '"\(.kind) \(.tax) \(.total)"' "$T/out"
	[ "${lines[1]}" = "credit_note -13.66 -81.99" ]
	[ "${lines[2]}" = "credit_note -13.67 -82.00" ]
	[ "${lines[3]}" = "credit_note -11.50 -69.00" ]
	[ "${lines[4]}" = "credit_note -17.00 -102.00" ]
	python3 - "$T/out" <<-'EOF2'
	import json, sys
	from decimal import Decimal as D
	docs = [json.loads(l) for l in open(sys.argv[1])]
	for k in ("net", "tax", "total"):
	    assert sum(D(d[k]) for d in docs) == 0, k
	EOF2
}

@test "--void: a credit note for everything billed, the invoice marked void, its period closed" {
	{ rline 1 cus_initech 10.00; rline 2 cus_initech 20.00; } >"$T/in"
	ig --issue "$T/in" >/dev/null
	sed -i '2s/"amount":"20.00"/"amount":"21.00"/' "$T/in"
	ig --issue "$T/in" >/dev/null
	run ig --void ACME-EU-2026-000001 --stats "$T/s"
	expect_status 0
	echo "$output" >"$T/out"
	[ "$(docs)" = "credit_note acme-eu-CN-2026-000001 -31.00 -6.20 -37.20 ACME-EU-2026-000001" ]
	[ "$(lq l "SELECT state FROM invoice")" = void ]
	[ "$(lq l "SELECT total FROM doc" | python3 -c 'import sys, decimal; print(sum(decimal.Decimal(x) for x in sys.stdin))')" = 0.00 ]
	jq -e '.credit_notes == 1 and .mode == "void"' "$T/s"
	run ig --void ACME-EU-2026-000001
	expect_status 65
	[[ "$output" == *"already void"* ]]
	run ig --void acme-eu-DN-2026-000001
	expect_status 65
	[[ "$output" == *"it is a debit_note; only an invoice is voided"* ]]
	run ig --void NOPE-1
	expect_status 65
	# new lines for the voided period are refused
	run ig --issue "$T/in"
	expect_status 0
	[ "$(jq -r .code "$T/r" | sort -u)" = invoice_void ]
}

@test "--replay writes the issued documents again, byte for byte, in every format" {
	ig --issue testdata/rate/rated.expected.ndjson >"$T/out" 2>/dev/null
	sed 's/"amount":"3.51"/"amount":"4.51"/' testdata/rate/rated.expected.ndjson >"$T/late"
	ig --issue "$T/late" >>"$T/out" 2>/dev/null
	ig --replay "$T/late" >"$T/re" 2>/dev/null
	same "$T/out" "$T/re"
	ig --replay --format text testdata/rate/rated.expected.ndjson >"$T/txt" 2>/dev/null
	head -n "$(wc -l <testdata/invoice/invoices.expected.txt)" "$T/txt" |
	    same testdata/invoice/invoices.expected.txt -
	grep -qx 'DEBIT NOTE ACME-US-DN-2026-000001' "$T/txt"
	grep -q '^   1  output-peak  *0  *1.00  Sales tax (NY) 8.875 %$' "$T/txt"
	mkdir "$T/d"
	run ig --replay --output-dir "$T/d" "$T/late"
	expect_status 0
	[ "$(ls "$T/d" | wc -l)" -eq 5 ]
	[ -e "$T/d/ACME-US-DN-2026-000001.ndjson" ]
	[[ "${lines[0]}" == "$T/d/"*.ndjson ]]
	# a ledger file that does not exist
	if [ "$(ledger_engine)" = sqlite ]; then
		run "$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
		    --customers testdata/customers.ndjson --replay --ledger "$T/none" </dev/null
		expect_status 66
	fi
}

@test "kill -9 before the commit: nothing issued, and the re-run takes the same numbers" {
	mkfifo "$T/in"
	# the binary itself in the background (a function would be a
	# subshell, and kill -9 would leave invoice-gen running)
	"$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --fx testdata/fx.json \
	    --ledger "$(ledger_new l)" --rejects "$T/r" --as-of 2026-11-02T12:00:00Z \
	    --issue "$T/in" >"$T/out" 2>"$T/err" &
	pid=$!
	BG=$pid
	exec 5>"$T/in"
	head -5 testdata/rate/rated.expected.ndjson >&5
	sleep 0.3
	kill -9 "$pid"
	wait "$pid" || true
	exec 5>&-
	[ ! -s "$T/out" ]
	[ "$(lq l 'SELECT count(*) FROM doc')" -eq 0 ]
	ig --issue testdata/rate/rated.expected.ndjson >"$T/out" 2>/dev/null
	same testdata/invoice/invoices.expected.ndjson "$T/out"
}

@test "a run that dies after its commit: the documents are in the ledger and --replay gives them" {
	# stdout closed: the write fails after the commit
	run bash -c "'$BIN/invoice-gen' --entities testdata/entities.json --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --fx testdata/fx.json --ledger '$(ledger_new l)' \
	    --rejects '$T/r' --as-of 2026-11-02T12:00:00Z --issue \
	    testdata/rate/rated.expected.ndjson >&-"
	expect_status 74
	[[ "$output" == *"invoice-gen --replay"* ]]
	[ "$(lq l 'SELECT count(*) FROM doc')" -eq 4 ]
	ig --issue testdata/rate/rated.expected.ndjson >"$T/out" 2>/dev/null
	[ ! -s "$T/out" ]
	ig --replay testdata/rate/rated.expected.ndjson >"$T/out" 2>/dev/null
	same testdata/invoice/invoices.expected.ndjson "$T/out"
}

@test "concurrent runs on one ledger: every number once, none skipped" {
	for i in $(seq 1 40); do rline "$i" cus_initech 1.00 EUR "" usage \
	    "$(date -u -d "2020-01-01 + $i month" +%Y-%m-01T00:00:00Z)" \
	    "$(date -u -d "2020-01-01 + $((i + 1)) month" +%Y-%m-01T00:00:00Z)"; done >"$T/a"
	for i in $(seq 41 80); do rline "$i" cus_globex 1.00 EUR "" usage \
	    "$(date -u -d "2020-01-01 + $i month" +%Y-%m-01T00:00:00Z)" \
	    "$(date -u -d "2020-01-01 + $((i + 1)) month" +%Y-%m-01T00:00:00Z)"; done >"$T/b"
	ig --issue "$T/a" >"$T/o1" 2>"$T/e1" &
	p1=$!
	ig --issue "$T/b" >"$T/o2" 2>"$T/e2" &
	p2=$!
	BG="$p1 $p2"
	wait "$p1"
	wait "$p2"
	cat "$T/o1" "$T/o2" | jq -r .number | sort >"$T/n"
	seq -f 'ACME-EU-2026-%06g' 1 80 | same - "$T/n"
}

@test "a line that changes tax category is taken back from the old one and billed in the new" {
	rline 1 cus_initech 10.00 >"$T/in"
	ig --issue "$T/in" >/dev/null
	sed 's/"name":"Initech SARL"/"name":"Initech SARL","tax_exempt":true/' testdata/customers.ndjson >"$T/cust"
	"$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers "$T/cust" --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --as-of 2026-11-02T12:00:00Z --issue "$T/in" >"$T/out"
	[ "$(docs)" = "credit_note acme-eu-CN-2026-000001 0.00 -2.00 -2.00 ACME-EU-2026-000001" ]
	jq -e '[.lines[] | [.net, .tax_category]] == [["-10.00","S"],["10.00","E"]]' "$T/out"
	jq -e '[.tax_lines[] | [.category, .base, .tax]] == [["E","10.00","0.00"],["S","-10.00","-2.00"]]' "$T/out"
}

@test "a note whose total is 0 (only the credit applied changed) goes by the amount due" {
	{ rline 1 cus_initech 10.00; rline 2 cus_initech -5.00 EUR "" credit; } >"$T/in"
	ig --issue "$T/in" >/dev/null
	sed -i '2s/"amount":"-5.00"/"amount":"-7.00"/' "$T/in"
	ig --issue "$T/in" >"$T/out"
	[ "$(docs)" = "credit_note acme-eu-CN-2026-000001 0.00 0.00 0.00 ACME-EU-2026-000001" ]
	jq -e '.prepaid_credit == "-2.00" and .amount_due == "-2.00" and .lines == []' "$T/out"
}

@test "a full disk after the commit (--rejects, --output-dir): exit 74, the way back said; --replay writes them" {
	IHINT="the issued documents are written again by 'invoice-gen --replay' on the same input"
	errs() { "$@" 2>&1 >"$T/out"; }	# stderr only, stdout to $T/out
	{ rline 1 cus_initech 10.00; echo '{"kind":"rated"}'; } >"$T/in"
	run errs ig --issue --rejects /dev/full "$T/in"
	expect_status 74
	[ "${lines[-1]}" = "invoice-gen: cannot write rejects to '/dev/full': No space left on device; $IHINT" ]
	[ "$(lq l 'SELECT count(*) FROM doc')" -eq 1 ]
	ig --replay "$T/in" >"$T/out" 2>/dev/null
	[ "$(jq -r .number "$T/out")" = ACME-EU-2026-000001 ]
	# --output-dir on a file system that is full: a tmpfs of our own
	if ! unshare -rm true 2>/dev/null; then
		skip "no mount namespace (unshare -rm) for a full file system"
	fi
	rline 2 cus_globex 20.00 >"$T/in2"
	mkdir "$T/d"
	LDGL=$(ledger_new l)
	export T BIN REPO LDGL
	run unshare -rm bash -c '
		mount -t tmpfs -o size=64k tmpfs "$T/d" || exit 99
		dd if=/dev/zero of="$T/d/fill" bs=4k 2>/dev/null
		cd "$REPO" && "$BIN/invoice-gen" --entities testdata/entities.json \
		    --tax testdata/tax.json --customers testdata/customers.ndjson \
		    --fx testdata/fx.json --ledger "$LDGL" --rejects "$T/r" \
		    --as-of 2026-11-02T12:00:00Z --issue --output-dir "$T/d" "$T/in2"'
	[ "$status" -ne 99 ] || skip "cannot mount a tmpfs in a namespace"
	expect_status 74
	[ "${lines[-1]}" = "invoice-gen: cannot write '$T/d/ACME-EU-2026-000002.ndjson': No space left on device; $IHINT" ]
	[ "$(lq l 'SELECT count(*) FROM doc')" -eq 2 ]
	ig --replay --output-dir "$T/d" "$T/in2" >"$T/out"
	[ "$(cat "$T/out")" = "$T/d/ACME-EU-2026-000002.ndjson" ]
	jq -e '.number == "ACME-EU-2026-000002"' "$T/d/ACME-EU-2026-000002.ndjson"
}

@test "--output-dir: a number with '/' makes a file name with '_'" {
	sed 's/"invoice_number_format": "ACME-EU-{yyyy}-{seq:6}"/"invoice_number_format": "FA\/{yyyy}\/{seq:4}"/' \
	    testdata/entities.json >"$T/ent"
	mkdir "$T/d"
	rline 1 cus_initech 1.00 | "$BIN/invoice-gen" --entities "$T/ent" \
	    --tax testdata/tax.json --customers testdata/customers.ndjson \
	    --ledger "$(ledger_new l)" --rejects "$T/r" --issue --output-dir "$T/d" >"$T/out"
	[ "$(cat "$T/out")" = "$T/d/FA_2026_0001.ndjson" ]
	jq -e '.number == "FA/2026/0001"' "$T/d/FA_2026_0001.ndjson"
}

@test "--output-dir: two numbers never make one file name ('X/1' and 'X_1'; '_' as %5F, '%' as %25)" {
	jq '.entities |= map(if .id == "acme-eu" then .invoice_number_format = "X/{seq}"
	    | .credit_note_number_format = "X_{seq}" | .debit_note_number_format = "X%{seq}" else . end)' \
	    testdata/entities.json >"$T/ent"
	igx() {
		"$BIN/invoice-gen" --entities "$T/ent" --tax testdata/tax.json \
		    --customers testdata/customers.ndjson --ledger "$(ledger_new l)" \
		    --rejects "$T/r" --as-of 2026-11-02T12:00:00Z "$@"
	}
	rline 1 cus_initech 1.00 >"$T/in"
	igx --issue "$T/in" >/dev/null 2>&1
	rline 1 cus_initech 2.00 >"$T/in2"
	igx --issue "$T/in2" >/dev/null 2>&1
	igx --void X/1 >/dev/null 2>&1
	mkdir "$T/d"
	igx --replay --output-dir "$T/d" "$T/in" >"$T/out" 2>/dev/null
	printf '%s\n' "$T/d/X_1.ndjson" "$T/d/X%251.ndjson" "$T/d/X%5F1.ndjson" >"$T/want"
	same "$T/want" "$T/out"
	[ "$(ls "$T/d" | wc -l)" -eq 3 ]
	jq -e '.number == "X/1" and .kind == "invoice"' "$T/d/X_1.ndjson"
	jq -e '.number == "X%1" and .kind == "debit_note"' "$T/d/X%251.ndjson"
	jq -e '.number == "X_1" and .kind == "credit_note"' "$T/d/X%5F1.ndjson"
}

# bats test_tags=timing
@test "kill -9 between batches: the batches before stay issued, the re-run issues the rest, every number once" {
	# 1600 invoices (a customer's months from 1900 on): four batches
	python3 - >"$T/in" <<-'EOF2'
	for i in range(1600):
	    y, m = 1900 + i // 12, i % 12 + 1
	    y2, m2 = (y, m + 1) if m < 12 else (y + 1, 1)
	    print('{"kind":"rated","schema":"1.0","key":"%032x","customer":"cus_initech","contract":null,"plan":"p","plan_version":1,"charge":"c","line_type":"usage","model":"unit","meter":"m","group":{},"period":"month","period_start":"%04d-%02d-01T00:00:00Z","period_end":"%04d-%02d-01T00:00:00Z","service_start":"%04d-%02d-01T00:00:00Z","service_end":"%04d-%02d-01T00:00:00Z","quantity":"1","amount":"1.00","currency":"EUR","preview":false,"lineage":null}' % (i + 1, y, m, y2, m2, y, m, y2, m2))
	EOF2
	"$BIN/invoice-gen" --entities testdata/entities.json --tax testdata/tax.json \
	    --customers testdata/customers.ndjson --ledger "$(ledger_new l)" --rejects "$T/r" \
	    --as-of 2026-11-02T12:00:00Z --issue "$T/in" >"$T/o1" 2>/dev/null &
	pid=$!
	BG=$pid
	# as soon as a batch is out, kill it
	for ((i = 0; i < 500; i++)); do
		[ -s "$T/o1" ] && break
		sleep 0.01
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || true
	n1=$(lq l 'SELECT count(*) FROM doc')
	[ "$n1" -ge 512 ]
	ig --issue "$T/in" >"$T/o2" 2>/dev/null
	[ "$(lq l 'SELECT count(*) FROM doc')" -eq 1600 ]
	[ "$(wc -l <"$T/o2")" -eq $((1600 - n1)) ]
	ig --replay "$T/in" 2>/dev/null | jq -r .number | sort >"$T/n"
	seq -f 'ACME-EU-2026-%06g' 1 1600 | same - "$T/n"
	# what the killed run wrote is what the ledger says it issued
	head -c "$(stat -c %s "$T/o1")" <(ig --replay "$T/in" 2>/dev/null) | cmp - "$T/o1"
}
