#!/usr/bin/env bats
# Books that are right, 1: strict journals.  Every hledger, ledger and
# beancount journal erp-post writes passes the real tools in their
# strict modes (strict_journal in lib.bash): accounts, commodities and
# the entry tag declared once per file, dates in order; a journal
# appended to run by run (--journal FILE) stays valid; and the checks
# are really strict: a broken journal fails each tool.

load lib

D=testdata/erp/documents.ndjson

# post FORMAT ARGS...: erp-post of the sample documents, no ledger
post() {
	local f=$1
	shift
	"$BIN/erp-post" --accounts testdata/accounts.json --rejects "$T/r" \
	    --as-of 2026-11-03T00:00:00Z --format "$f" "$@"
}

@test "one run: declarations first, entries in date order, strict in all three tools" {
	for f in hledger ledger beancount; do
		post $f "$D" >"$T/j.$f" 2>/dev/null
		strict_journal "$T/j.$f" $f
	done
	# the recognition at the end of November after every entry of the 2nd
	run grep -E '^[0-9]{4}-' "$T/j.hledger"
	[ "${lines[-1]:0:10}" = 2026-11-30 ]
	[ "$(grep -cE '^2026-11-02 ' "$T/j.hledger")" -eq 6 ]
	# each declaration once, before the first entry
	[ "$(sed -n '1p' "$T/j.hledger")" = "tag entry" ]
	[ "$(grep -c '^account Assets:Receivable:Trade$' "$T/j.hledger")" -eq 1 ]
	[ "$(grep -c '^commodity USD$' "$T/j.hledger")" -eq 1 ]
	[ "$(grep -c 'open Assets:Receivable:Trade$' "$T/j.beancount")" -eq 1 ]
}

@test "a line named with a colon: no tag in its memo, which ledger --strict would want declared" {
	jq -c '.lines[0].name = "API: requests" | .lines[0].charge = null' "$D" | head -1 >"$T/d"
	post hledger "$T/d" >"$T/j" 2>/dev/null
	grep -q '  ; API. requests$' "$T/j"
	strict_journal "$T/j"
}

@test "--journal: a journal appended to run by run declares each account once and stays strict" {
	head -2 "$D" >"$T/d1"	# acme-eu: EUR
	sed -n '3,6p' "$D" >"$T/d2"	# acme-jp, acme-us and a credit note
	for f in hledger beancount; do
		j="$T/books.$f"
		post $f --journal "$j" "$T/d1" >>"$j" 2>/dev/null
		post $f --journal "$j" "$T/d2" >>"$j" 2>/dev/null
		strict_journal "$j" $f
		# a run with nothing new adds nothing, declarations included
		post $f --journal "$j" </dev/null >>"$j" 2>/dev/null
		strict_journal "$j" $f
	done
	[ "$(grep -c '^account Assets:Receivable:Trade$' "$T/books.hledger")" -eq 1 ]
	[ "$(grep -c '^tag entry$' "$T/books.hledger")" -eq 1 ]
	[ "$(grep -c 'open Assets:Receivable:Trade$' "$T/books.beancount")" -eq 1 ]
	# the second run declared only what the first had not
	[ "$(grep -c '^commodity EUR$' "$T/books.hledger")" -eq 1 ]
	[ "$(grep -c '^commodity USD$' "$T/books.hledger")" -eq 1 ]
	# the same as one run, entry for entry
	post hledger "$D" 2>/dev/null | grep -E '^( |[0-9])' | sort >"$T/one"
	grep -E '^( |[0-9])' "$T/books.hledger" | sort | same "$T/one" -
	# without --journal the runs' outputs repeat their declarations:
	# beancount refuses an account opened twice
	{ post beancount "$T/d1"; post beancount "$D"; } >"$T/cat.beancount" 2>/dev/null
	run strict_journal "$T/cat.beancount"
	[ "$status" -ne 0 ]
}

@test "--journal: a run whose entries start before the journal's last date is said so" {
	post hledger --journal "$T/j" "$D" >>"$T/j" 2>/dev/null
	sed 's/"issue_date":"2026-11-02"/"issue_date":"2026-11-10"/' "$D" | head -1 |
	    jq -c '.number = "X-1"' >"$T/late"
	run post hledger --journal "$T/j" "$T/late"
	expect_status 0
	[[ "$output" == *"erp-post: $T/j: this run's entries start before the journal's last date, 2026-11-30: hledger's ordereddates check will refuse it"* ]]
	# a journal that cannot be read
	mkdir "$T/dir"
	run post hledger --journal "$T/dir" "$D"
	expect_status 66
	[[ "$output" == *"cannot read the journal '$T/dir': Is a directory"* ]]
}

@test "the checks are strict: an undeclared account or commodity, dates out of order, an unopened account, each fails" {
	post hledger "$D" >"$T/j" 2>/dev/null
	post beancount "$D" >"$T/j.beancount" 2>/dev/null
	strict_journal "$T/j"
	# an account not declared: hledger and ledger
	grep -v '^account Income:EU:Usage$' "$T/j" >"$T/a"
	run hledger -f "$T/a" check --strict ordereddates
	[ "$status" -ne 0 ] && [[ "$output" == *'undeclared account "Income:EU:Usage"'* ]]
	run ledger -f "$T/a" --strict --pedantic bal
	[ "$status" -ne 0 ] && [[ "$output" == *"Unknown account 'Income:EU:Usage'"* ]]
	# a commodity not declared
	grep -v '^commodity JPY$' "$T/j" >"$T/c"
	run hledger -f "$T/c" check --strict ordereddates
	[ "$status" -ne 0 ] && [[ "$output" == *'undeclared commodity "JPY"'* ]]
	run ledger -f "$T/c" --strict bal
	[[ "$output" == *"Warning: "*"Unknown commodity 'JPY'"* ]]
	run strict_journal "$T/c"
	[ "$status" -ne 0 ]
	# the entry tag not declared: ledger --strict warns
	grep -v '^tag entry$' "$T/j" >"$T/t"
	run strict_journal "$T/t"
	[ "$status" -ne 0 ] && [[ "$output" == *"Unknown metadata tag 'entry'"* ]]
	# dates out of order: the recognition moved to the top
	awk 'BEGIN { RS = ""; ORS = "\n\n" } /^2026-11-30/ { print; next } { r[n++] = $0 }
	    END { for (i = 0; i < n; i++) print r[i] }' "$T/j" >"$T/o"
	run hledger -f "$T/o" check --strict ordereddates
	[ "$status" -ne 0 ] && [[ "$output" == *"transaction date is out of order"* ]]
	# beancount: an account never opened; an entry that does not balance
	grep -v 'open Liabilities:VAT:FR$' "$T/j.beancount" >"$T/u.beancount"
	run strict_journal "$T/u.beancount"
	[ "$status" -ne 0 ] && [[ "$output" == *"Liabilities:VAT:FR"* ]]
	sed '0,/-8.62 EUR/s/-8.62 EUR/-8.61 EUR/' "$T/j.beancount" >"$T/b.beancount"
	run strict_journal "$T/b.beancount"
	[ "$status" -ne 0 ]
}
