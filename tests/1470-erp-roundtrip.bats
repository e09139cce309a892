#!/usr/bin/env bats
# The month's round trip through a real Tryton (Debian's tryton-server,
# a throwaway SQLite database per test, tests/tryton/): a generated month
# (scripts/gen-month) ingested, aggregated, rated, invoiced and posted,
# erp-post | erp-send --erp tryton | erp-post --confirm; the ERP's own
# trial balance, account by account and company by company, is our
# journal's to the cent; the ERP's export (scripts/erp-export-tryton)
# read back by reconcile --confirmations agrees, and a move deleted,
# altered or added in the ERP is the exception it should be.

load lib
load tryton/lib

# the month and its books mapped to Tryton, once for the file: the
# template database of these books too (about 40 s the first time),
# instead of tryton/lib's template of testdata's books
setup_file() {
	M=$BATS_FILE_TMPDIR/m
	export M
	"$REPO/scripts/gen-month" --events 3000 --customers 8 --hours 48 "$M" >/dev/null
	"$REPO/tests/tryton/map-accounts" "$M/accounts.json" "$M/entities.json" >"$M/acc.json"
	export TRYTON_ENTITIES=$M/entities.json TRYTON_ACCOUNTS=$M/acc.json
	"$REPO/$TRYTON" template >/dev/null 2>&1 || true
}

# month: the month through every stage to the journal ($T/j), in the
# ledger $T/l, as the month-end runs it
month() {
	cut -f1 "$M/batches.txt" | sed "s|^|$M/|" | xargs cat >"$T/ev"
	"$BIN/meter-ingest" --customers "$M/customers.ndjson" --ledger "$T/l" \
	    --as-of 2026-11-02T00:00:00Z --rejects "$T/r" "$T/ev" >/dev/null 2>&1 || true
	"$BIN/meter-aggregate" --meters "$M/meters.json" --customers "$M/customers.ndjson" \
	    --ledger "$T/l" --from 2026-10-01T00:00:00Z --to 2026-11-02T00:00:00Z \
	    --rejects "$T/r" >"$T/a" 2>/dev/null
	"$BIN/rate" --catalog "$M/catalog.json" --customers "$M/customers.ndjson" \
	    --ledger "$T/l" --as-of 2026-11-02T01:00:00Z --rejects "$T/r" <"$T/a" >"$T/rt" 2>/dev/null
	"$BIN/invoice-gen" --entities "$M/entities.json" --tax "$M/tax.json" \
	    --customers "$M/customers.ndjson" --ledger "$T/l" --issue \
	    --as-of 2026-11-02T02:00:00Z --rejects "$T/r" <"$T/rt" >"$T/inv" 2>/dev/null
	"$BIN/erp-post" --accounts "$M/acc.json" --ledger "$T/l" --rejects "$T/r" \
	    --as-of 2026-11-02T03:00:00Z "$T/inv" >"$T/j" 2>/dev/null
}

# send: the journal to the ERP and the acknowledgements to the ledger
send() {
	"$BIN/erp-send" --erp tryton --url "$URL" --accounts "$M/acc.json" \
	    --credentials "$T/erp/creds" --rejects "$T/r" "$T/j" >"$T/acks" 2>"$T/err"
	"$BIN/erp-post" --accounts "$M/acc.json" --ledger "$T/l" --rejects "$T/r" \
	    --confirm "$T/acks" 2>"$T/err2"
}

# recon EXPORT: reconcile the journal and the ledger with the ERP's export
recon() {
	"$BIN/reconcile" --ledger "$T/l" --journal "$T/j" --invoices "$T/inv" \
	    --accounts "$M/acc.json" --rejects "$T/rj" --as-of 2026-11-03T00:00:00Z \
	    --confirmations "$1"
}

export_erp() {
	scripts/erp-export-tryton --url "$URL" --credentials "$T/erp/creds" "$@"
}

# company ENTITY: the Tryton company of the entity's books
company() {
	jq -r --arg e "$1" '.entities[] | select(.entity == $e) | .erp.tryton.company' "$M/acc.json"
}

@test "a generated month, erp-post | erp-send | erp-post --confirm: the ERP's trial balance is our journal's, per company, to the cent" {
	erp_up
	month
	n=$(wc -l <"$T/j")
	[ "$n" -ge 8 ]
	send
	[ "$(cat "$T/err")" = "erp-send: read $n, confirmed $n (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	[ "$(cat "$T/err2")" = "erp-post: read $n, confirmed $n, failed 0, duplicates 0, rejected 0" ]
	[ "$(sqlite3 "$T/l" "SELECT count(*) FROM posting WHERE state = 'confirmed' AND erp_ref IS NOT NULL")" -eq "$n" ]
	# each entity's books in the ERP, account by account, are ours
	for e in $(jq -r '.entities[].entity' "$M/acc.json"); do
		rpc balances "$(company "$e")" >"$T/theirs.$e"
		tests/tryton/journal-balances "$M/acc.json" "$e" "$T/j" >"$T/ours.$e"
		same "$T/ours.$e" "$T/theirs.$e"
		# not an empty comparison: receivable, revenue and tax moved
		[ "$(awk '$2 != 0 || $3 != 0' "$T/theirs.$e" | wc -l)" -ge 3 ]
	done
	# as many posted moves as entries, each with its own number
	[ "$(rpc moves | grep -c ' posted ')" -eq "$n" ]
	[ "$(rpc moves | awk '{print $(NF-3)}' | sort -u | wc -l)" -eq "$n" ]
}

@test "the ERP's export read back: reconcile --confirmations agrees with the journal and the ledger, exit 0" {
	erp_up
	month
	send
	export_erp >"$T/x"
	[ "$(wc -l <"$T/x")" -eq "$(wc -l <"$T/j")" ]
	# every record an erp_move of one of our entries, posted
	jq -e -s 'all(.kind == "erp_move" and .status == "confirmed" and (.id | test("^JE-")))' "$T/x"
	[ "$(jq -r .id "$T/x" | sort)" = "$(jq -r .id "$T/j" | sort)" ]
	# its references are the acknowledgements'
	[ "$(jq -r '"\(.id) \(.erp_ref)"' "$T/x" | sort)" = "$(jq -r '"\(.id) \(.erp_ref)"' "$T/acks" | sort)" ]
	run recon "$T/x"
	expect_status 0
	[[ "${lines[-1]}" == "reconcile: 0 exceptions; 0 aggregates, 0 rated lines, "* ]]
	# one company, a window of dates
	c=$(company acme-eu)
	export_erp --company "$c" --from 2026-11-01 --to 2026-11-02 >"$T/x2"
	jq -e -s --arg c "$c" 'length > 0 and all(.company == $c and .date <= "2026-11-02")' "$T/x2"
	run export_erp --company "No Such Company Ltd"
	expect_status 78
	[ "$output" = "erp-export-tryton: $URL: the ERP has no company 'No Such Company Ltd'" ]
}

@test "a move deleted, altered or added in the ERP: reconcile --confirmations names each" {
	erp_up
	month
	send
	db=$T/erp/u2c.sqlite
	us=$(company acme-us)
	# Tryton refuses to delete or change a posted move over its API
	first=$(jq -r 'select(.entity == "acme-us" and .type == "document") | .id' "$T/j" | head -1)
	move=$(rpc call model.account.move.search "[[[\"description\",\"like\",\"$first %\"]],0,null,null,{}]" | tr -d '[]')
	run rpc call model.account.move.delete "[[$move],{}]"
	[ "$status" -ne 0 ]
	[[ "$output" == *"You cannot modify posted move"* ]]
	# so an administrator's hand in its database: one move deleted...
	gone=$(jq -r 'select(.entity == "acme-eu" and .type == "document") | .id' "$T/j" | head -1)
	sqlite3 "$db" "DELETE FROM account_move_line WHERE move IN (SELECT id FROM account_move WHERE description LIKE '$gone %');
	    DELETE FROM account_move WHERE description LIKE '$gone %'"
	# ...one altered: a revenue line a unit more, the receivable as much
	rcv=$(jq -r '.entities[] | select(.entity == "acme-us") | .erp.tryton.accounts[.receivable]' "$M/acc.json")
	sqlite3 "$db" "UPDATE account_move_line SET credit = credit + 1 WHERE id = (SELECT min(l.id) FROM account_move_line l JOIN account_account a ON a.id = l.account
	    WHERE l.move = $move AND l.credit > 0 AND a.code LIKE '4%');
	    UPDATE account_move_line SET debit = debit + 1 WHERE move = $move AND account = (SELECT id FROM account_account WHERE code = '$rcv' AND company = (SELECT company FROM account_move WHERE id = $move))"
	# ...and one added over the API, by hand: no entry of ours
	cid=$(rpc call model.company.company.search "[[[\"party.name\",\"=\",\"$us\"]],0,null,null,{}]" | tr -d '[]')
	acct() { rpc call model.account.account.search "[[[\"company\",\"=\",$cid],[\"code\",\"=\",\"$1\"]],0,null,null,{\"company\":$cid}]" | tr -d '[]'; }
	jnl=$(rpc call model.account.journal.search '[[["code","=","BILL"]],0,null,null,{}]' | tr -d '[]')
	d15='{"__class__":"date","year":2026,"month":11,"day":15}'
	per=$(rpc call model.account.period.search "[[[\"company\",\"=\",$cid],[\"type\",\"=\",\"standard\"],[\"start_date\",\"<=\",$d15],[\"end_date\",\">=\",$d15]],0,null,null,{\"company\":$cid}]" | tr -d '[]')
	bank=$(jq -r '.entities[] | select(.entity == "acme-us") | .erp.tryton.accounts[.cash]' "$M/acc.json")
	new=$(rpc call model.account.move.create "[[{\"company\":$cid,\"journal\":$jnl,\"period\":$per,\"date\":{\"__class__\":\"date\",\"year\":2026,\"month\":11,\"day\":15},\"description\":\"manual adjustment\",\"lines\":[[\"create\",[{\"account\":$(acct "$bank"),\"debit\":{\"__class__\":\"Decimal\",\"decimal\":\"5.00\"},\"credit\":{\"__class__\":\"Decimal\",\"decimal\":\"0\"}},{\"account\":$(acct 4030),\"debit\":{\"__class__\":\"Decimal\",\"decimal\":\"0\"},\"credit\":{\"__class__\":\"Decimal\",\"decimal\":\"5.00\"}}]]]}],{\"company\":$cid}]" | tr -d '[]')
	rpc call model.account.move.post "[[$new],{\"company\":$cid}]" >/dev/null
	ref=$(rpc call model.account.move.read "[[$new],[\"post_number\"],{\"company\":$cid}]" | jq -r '.[0].post_number')
	export_erp >"$T/x"
	run recon "$T/x"
	expect_status 1
	echo "$output" | grep -v '^reconcile: ' >"$T/out"
	jq -r '"\(.code) \(.keys | join(",")) \(.difference)"' "$T/out" | sort >"$T/got"
	{
		echo "confirmation_account_mismatch $first,$rcv 1.00"
		echo "confirmation_account_mismatch $first,4030 -1.00"
		echo "confirmation_amount_mismatch $first 1.00"
		echo "confirmation_missing $gone null"
		echo "confirmation_unknown_entry $ref null"
	} | sort >"$T/want"
	same "$T/want" "$T/got"
	[ "$(jq -r 'select(.code == "confirmation_unknown_entry") | .message' "$T/out")" = "the ERP has move $ref of $us, which is none of the entries sent (it names no entry id)" ]
}
