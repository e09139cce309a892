#!/usr/bin/env bats
# erp-post --format netsuite|xero|qbo: import files laid out as the ERPs'
# templates document them (testdata/erp/import/templates.json, checked by
# tests/impcheck.py): a golden file per ERP per entity, the ERPs' names
# from the accounts file, NetSuite's date formats, the split at an ERP's
# limit of lines, and what is not mapped refused before anything is read.

load lib

D=testdata/erp/documents.ndjson
A=testdata/accounts.json

ep() {
	"$BIN/erp-post" --accounts "${ACC:-$A}" --rejects "$T/r" \
	    --as-of 2026-11-03T00:00:00Z "$@"
}

# impcheck FILE...: the files against the vendors' templates
impcheck() {
	python3 tests/impcheck.py testdata/erp/import/templates.json \
	    "${ACC:-$A}" "$@"
}

@test "a golden file per ERP per entity, each as its ERP's template says" {
	mkdir "$T/out"
	for f in netsuite xero qbo; do
		ep --format $f --out-dir "$T/out" "$D" 2>"$T/err.$f"
		grep -v '^erp-post: read' "$T/err.$f" >"$T/wrote.$f"
		for e in acme-eu acme-jp acme-us; do
			same testdata/erp/import/$f-$e-2026-11-1.csv \
			    "$T/out/$f-$e-2026-11-1.csv"
		done
	done
	[ "$(ls "$T/out" | wc -l)" -eq 9 ]
	same - "$T/wrote.xero" <<-EOF
	erp-post: wrote $T/out/xero-acme-eu-2026-11-1.csv: 3 entries, 14 lines
	erp-post: wrote $T/out/xero-acme-jp-2026-11-1.csv: 1 entries, 4 lines
	erp-post: wrote $T/out/xero-acme-us-2026-11-1.csv: 3 entries, 14 lines
	EOF
	run impcheck "$T"/out/*.csv
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(grep -c ': ok$' <<<"$output")" -eq 9 ]
	# the ERPs' names, never our colon paths; Xero in the books' currency
	grep -q '^"Invoice AJ2611-00001, cus_umbrella \[JE-9e952abcd876e1205e1aaf2202437e97\]",02/11/2026,"receivable","1100","No Tax",148.55,"","","",""$' \
	    "$T/out/xero-acme-jp-2026-11-1.csv"
	grep -q '^"JE-2cdc54d9e3229237a8",11/02/2026,"USD","Accounts Receivable (A/R)",97.99,,"Invoice ACME-US-2026-000001, Acme Corp: receivable","Acme Corp","New York","SaaS"$' \
	    "$T/out/qbo-acme-us-2026-11-1.csv"
	! grep -q 'Assets:\|Income:\|Liabilities:' "$T"/out/netsuite-* "$T"/out/xero-*
}

@test "the template check fails on a file that is not as the template says" {
	mkdir "$T/bad"
	sed '1s/\*Narration/Narration/' testdata/erp/import/xero-acme-eu-2026-11-1.csv \
	    >"$T/bad/xero-acme-eu-2026-11-1.csv"
	run impcheck "$T/bad/xero-acme-eu-2026-11-1.csv"
	expect_status 1
	sed '2s/02\/11\/2026/2026-11-02/' testdata/erp/import/xero-acme-eu-2026-11-1.csv \
	    >"$T/bad/xero-acme-eu-2026-11-1.csv"
	run impcheck "$T/bad/xero-acme-eu-2026-11-1.csv"
	expect_status 1
	[[ "$output" == *"line 2: date 2026-11-02 is not"* ]]
	sed '2s/"411"/"Assets:Receivable:Trade"/' testdata/erp/import/xero-acme-eu-2026-11-1.csv \
	    >"$T/bad/xero-acme-eu-2026-11-1.csv"
	run impcheck "$T/bad/xero-acme-eu-2026-11-1.csv"
	expect_status 1
	[[ "$output" == *"account 'Assets:Receivable:Trade' is not one of the ERP's"* ]]
}

@test "the standard output: NetSuite's rows name their subsidiary; Xero and QuickBooks take one entity" {
	ep --format netsuite "$D" >"$T/ns" 2>/dev/null
	same testdata/erp/journal.expected.netsuite.csv "$T/ns"
	run impcheck "$T/ns"
	expect_status 0
	# one entity: the same file as --out-dir's
	for f in xero qbo; do
		jq -c 'select(.entity.id == "acme-us")' "$D" >"$T/us"
		ep --format $f "$T/us" >"$T/$f" 2>/dev/null
		same testdata/erp/import/$f-acme-us-2026-11-1.csv "$T/$f"
	done
	# two: refused before the second's rows, told what to do
	run ep --format xero "$D"
	expect_status 64
	[[ "$output" == "erp-post: entries of entities 'acme-eu' and 'acme-jp' cannot share one xero import file: use --out-dir DIR (with --ledger, the entries written before stay pending: --retry-pending --out-dir DIR writes them again)" ]]
	ep --format qbo "$D" >"$T/qbo2" 2>/dev/null || [ $? -eq 64 ]
	[ ! -s "$T/qbo2" ]
}

@test "NetSuite's dates in the importing user's format; Xero's and QuickBooks' are theirs" {
	jq -c 'select(.number == "AJ2611-00001")' "$D" >"$T/jp"
	while read -r fmt want; do
		ep --format netsuite --date-format "$fmt" "$T/jp" >"$T/ns" 2>/dev/null
		[ "$(sed -n '2p' "$T/ns" | cut -d, -f5)" = "$want" ] ||
		    { echo "$fmt: $(sed -n 2p "$T/ns")"; false; }
	done <<-EOF
	MM/DD/YYYY 11/02/2026
	DD/MM/YYYY 02/11/2026
	YYYY-MM-DD 2026-11-02
	DD.MM.YYYY 02.11.2026
	YYYY/MM/DD 2026/11/02
	M/D/YYYY 11/2/2026
	D/M/YYYY 2/11/2026
	D.M.YYYY 2.11.2026
	DD-Mon-YYYY 02-Nov-2026
	D-Mon-YYYY 2-Nov-2026
	EOF
	# the posting period is NetSuite's name of the month
	[ "$(sed -n '2p' "$T/ns" | cut -d, -f6)" = '"Nov 2026"' ]
	run ep --format netsuite --date-format YYYY.MM.DD "$T/jp"
	expect_status 64
	[[ "${lines[0]}" == "erp-post: --date-format 'YYYY.MM.DD': NetSuite's are MM/DD/YYYY, DD/MM/YYYY, YYYY-MM-DD, DD.MM.YYYY, YYYY/MM/DD, M/D/YYYY, D/M/YYYY, D.M.YYYY, DD-Mon-YYYY and D-Mon-YYYY (Xero's and QuickBooks' are fixed)" ]]
	run ep --format xero --date-format DD/MM/YYYY "$T/jp"
	expect_status 64
	run ep --format hledger --out-dir "$T" "$T/jp"
	expect_status 64
	[[ "${lines[0]}" == "erp-post: --out-dir and --date-format go with --format netsuite, xero or qbo" ]]
	run ep --format xero --out-dir "$T/none" "$T/jp"
	expect_status 73
	[[ "${lines[0]}" == "erp-post: --out-dir '$T/none': No such file or directory" ]]
}

@test "Xero's 300 lines a file: split between entries, never over a file of before" {
	for i in $(seq 1 60); do
		jq -c --arg n "ACME-EU-2026-1$(printf %05d "$i")" \
		    'select(.number == "ACME-EU-2026-000001") | .number = $n' "$D"
	done >"$T/many"
	mkdir "$T/out"
	ep --format xero --out-dir "$T/out" "$T/many" 2>"$T/err"
	grep -v '^erp-post: read' "$T/err" >"$T/wrote"
	same - "$T/wrote" <<-EOF
	erp-post: wrote $T/out/xero-acme-eu-2026-11-1.csv: 50 entries, 300 lines
	erp-post: wrote $T/out/xero-acme-eu-2026-11-2.csv: 10 entries, 60 lines
	EOF
	run impcheck "$T"/out/*.csv
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# no journal in two files
	python3 - "$T"/out/*-1.csv "$T"/out/*-2.csv <<-'EOF2'
	import csv, sys
	a, b = ({r["*Narration"] for r in csv.DictReader(open(f))} for f in sys.argv[1:])
	assert len(a) == 50 and len(b) == 10 and not a & b, (len(a), len(b))
	EOF2
	# a second run's files come after: those of the first are not imported yet
	cp "$T/out/xero-acme-eu-2026-11-1.csv" "$T/first"
	ep --format xero --out-dir "$T/out" "$T/many" 2>/dev/null
	[ "$(ls "$T/out" | tr '\n' ' ')" = "xero-acme-eu-2026-11-1.csv xero-acme-eu-2026-11-2.csv xero-acme-eu-2026-11-3.csv xero-acme-eu-2026-11-4.csv " ]
	same "$T/first" "$T/out/xero-acme-eu-2026-11-1.csv"
	# on the standard output: refused at the limit
	run ep --format xero "$T/many"
	expect_status 64
	[[ "$output" == "erp-post: more than 300 lines for one xero import file: use --out-dir DIR, where they are split (with --ledger, the entries written before stay pending: --retry-pending --out-dir DIR writes them again)" ]]
	# QuickBooks' 1,000 and NetSuite's 25,000 are not reached
	ep --format qbo --out-dir "$T/out" "$T/many" 2>/dev/null
	[ "$(wc -l <"$T/out/qbo-acme-eu-2026-11-1.csv")" -eq 361 ]
}

@test "an account, tax code, entity or subsidiary not mapped is refused before anything is read" {
	ACC=$T/acc
	jq '.entities[1].erp.xero.accounts |= del(."Liabilities:VAT:FR")' "$A" >"$ACC"
	run ep --format xero "$D"
	expect_status 78
	[[ "$output" == "erp-post: $ACC: entity 'acme-eu': account 'Liabilities:VAT:FR' has no code of a Xero account in erp.xero.accounts" ]]
	jq '.entities[1].erp.xero.tax_rates |= del(.default)' "$A" >"$ACC"
	run ep --format xero "$D"
	expect_status 78
	[[ "$output" == "erp-post: $ACC: entity 'acme-eu': tax code 'S:20' (account 'Liabilities:VAT:FR') has no Xero tax rate in erp.xero.tax_rates, nor is there a \"default\"" ]]
	jq '.entities[0].erp.xero.tax_rates = {}' "$A" >"$ACC"
	run ep --format xero "$D"
	expect_status 78
	[[ "$output" == "erp-post: $ACC: entity 'acme-us': account 'Assets:Receivable:Trade' has no tax code: erp.xero.tax_rates needs a \"default\" rate" ]]
	jq '.entities[2].erp |= del(.qbo)' "$A" >"$ACC"
	run ep --format qbo "$D"
	expect_status 78
	[[ "$output" == "erp-post: $ACC: entity 'acme-jp' has no \"erp\": {\"qbo\": {...}}: the ERP's accounts are not known" ]]
	jq '.entities[0].erp.netsuite |= del(.subsidiary)' "$A" >"$ACC"
	run ep --format netsuite "$D"
	expect_status 78
	[[ "$output" == "erp-post: $ACC: entity 'acme-us': erp.netsuite has no subsidiary" ]]
	jq '.entities[0].erp.netsuite.accounts."Income:Usage" = ""' "$A" >"$ACC"
	run ep --format netsuite "$D"
	expect_status 78
	[[ "$output" == *"entities[0] ('acme-us'): erp: 'netsuite': accounts: 'Income:Usage': must be the ERP's code of the account, a string"* ]]
	jq '.entities[0].erp.xero.tracking = {"a":"1","b":"2","c":"3"}' "$A" >"$ACC"
	run ep --format xero "$D"
	expect_status 78
	[[ "$output" == *"tracking must be an object of at most 2 names to the ERP's names"* ]]
	# the other formats do not need the ERPs' names
	jq '.entities[] |= (.erp |= {tryton})' "$A" >"$ACC"
	run ep --format hledger "$D"
	expect_status 0
}

@test "Xero's tax rate: the one of the line's tax code, else the default" {
	ACC=$T/acc
	jq '.entities[1].erp.xero.tax_rates = {"S:20": "Tax on Sales FR", "default": "No VAT"}' "$A" >"$ACC"
	jq -c 'select(.number == "ACME-EU-2026-000002")' "$D" >"$T/eu"
	ep --format xero "$T/eu" >"$T/x" 2>/dev/null
	[ "$(grep -c '"Tax on Sales FR"' "$T/x")" -eq 1 ]
	grep -q '"tax","44571","Tax on Sales FR",-5.85,"Region","EU","",""$' "$T/x"
	[ "$(grep -c '"No VAT"' "$T/x")" -eq 3 ]
}

@test "a stored entry on an account the books no longer map: refused when written, naming it" {
	jq -c 'select(.number == "ACME-EU-2026-000002")' "$D" >"$T/eu"
	ep --ledger "$T/l.sqlite" "$T/eu" >/dev/null 2>&1
	ACC=$T/acc
	jq '.entities[1].tax_by_category."S:20" = "Liabilities:VAT:Output" |
	    .entities[1].erp |= with_entries(.value.accounts |= del(."Liabilities:VAT:FR"))' \
	    "$A" >"$ACC"
	run ep --ledger "$T/l.sqlite" --replay --format xero "$T/eu"
	expect_status 78
	[[ "$output" == "erp-post: $ACC: entity 'acme-eu': account 'Liabilities:VAT:FR' of entry JE-35fe0bd76f1aeae1f0141bc2e8e6e2bc has no xero account in erp.xero.accounts" ]]
}

@test "an entity's id is made a file name: never a path out of the directory" {
	ACC=$T/acc
	jq '.entities[2].entity = "../jp"' "$A" >"$ACC"
	jq -c 'select(.number == "AJ2611-00001") | .entity.id = "../jp"' "$D" >"$T/jp"
	mkdir "$T/out"
	ep --format xero --out-dir "$T/out" "$T/jp" 2>/dev/null
	[ "$(ls "$T/out")" = "xero-_._jp-2026-11-1.csv" ]
}
