#!/usr/bin/env bats
# erp-send against a real Tryton (Debian's tryton-server 6.0, a throwaway
# SQLite database per test, tests/tryton/): the sample month through
# erp-post | erp-send | erp-post --confirm, the ERP's own balances per
# account against our journal to the cent; re-runs and runs killed
# between the ERP's answer and our acknowledgement post nothing twice; a
# closed period comes back failed with Tryton's message; an ERP that
# does not answer stops the run (75) with nothing lost.

load lib
load tryton/lib

D=testdata/erp/documents.ndjson

# our_balances ENTITY JOURNAL: per ERP code of the entity, the debits and
# credits of our journal's entries (functional amounts), as rpc.py
# balances prints the ERP's: "1100 97.99 0"
our_balances() {
	python3 - "$1" "$2" <<-'EOF'
	import json, sys
	from decimal import Decimal as D
	ent = sys.argv[1]
	books = {b["entity"]: b for b in json.load(open("testdata/accounts.json"))["entities"]}
	codes = books[ent]["erp"]["tryton"]["accounts"]
	tot = {c: [D(0), D(0)] for c in codes.values()}
	for l in open(sys.argv[2]):
	    e = json.loads(l)
	    if e["entity"] != ent:
	        continue
	    for x in e["lines"]:
	        t = tot[codes[x["account"]]]
	        t[0] += D(x["functional_debit"])
	        t[1] += D(x["functional_credit"])
	f = lambda d: format(d.normalize(), "f") if d else "0"
	for c in sorted(tot):
	    print(c, f(tot[c][0]), f(tot[c][1]))
	EOF
}

@test "the month through erp-post | erp-send | erp-post --confirm: the ERP's balances are our journal's, to the cent" {
	erp_up
	ep "$D" 2>/dev/null | tee "$T/journal" | es --stats "$T/s" >"$T/acks" 2>"$T/err"
	[ "$(cat "$T/err")" = "erp-send: read 7, confirmed 7 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	# one acknowledgement per entry, in erp-post --confirm's form
	[ "$(jq -r .id "$T/acks")" = "$(jq -r .id "$T/journal")" ]
	head -1 "$T/acks" | grep -qx '{"id":"JE-13c0a4c53139ce9bd4431c72facde3ed","erp_ref":"acme-eu/2026/1","status":"confirmed","reason":""}'
	jq -e '.stage == "erp-send" and .read == 7 and .confirmed == 7 and .erp == "tryton"' "$T/s"
	run ep --confirm "$T/acks"
	expect_status 0
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 7, failed 0, duplicates 0, rejected 0" ]
	[ "$(sqlite3 "$T/l" "SELECT erp_ref FROM posting WHERE number = 'AJ2611-00001'")" = acme-jp/2026/1 ]
	# the ERP's books, account by account, are ours
	for e in "acme-us:Acme Cloud Inc." "acme-eu:Acme Cloud Europe Ltd" "acme-jp:Acme Cloud KK"; do
		rpc balances "${e#*:}" >"$T/theirs"
		our_balances "${e%%:*}" "$T/journal" >"$T/ours"
		same "$T/ours" "$T/theirs"
	done
	grep -qx '1100 148.55 0' "$T/theirs"
	# each move: posted, the customer as the receivable's party
	[ "$(rpc moves | grep -c ' posted ')" -eq 7 ]
	party=$(rpc call model.party.party.search '[[["code","=","cus_umbrella"]],0,null,null,{}]' | tr -d '[]')
	[ -n "$party" ]
	[ "$(rpc call model.account.move.line.search_count "[[[\"party\",\"=\",$party],[\"account.code\",\"=\",\"1100\"]],{}]")" = 1 ]
}

@test "run again: nothing posted twice; found in the ERP, confirmed with the same numbers; with --ledger nothing sent" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	es "$T/journal" >"$T/acks1" 2>/dev/null
	rpc moves >"$T/m1"
	run es "$T/journal"
	expect_status 0
	[ "${lines[-1]}" = "erp-send: read 7, confirmed 7 (7 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	echo "$output" | grep -v '^erp-send: ' | same "$T/acks1" -
	rpc moves | same "$T/m1" -
	[ "$(wc -l <"$T/m1")" -eq 7 ]
	# confirmed in the ledger: not sent at all; the same entry twice: once
	ep --confirm "$T/acks1" 2>/dev/null
	cat "$T/journal" "$T/journal" | es --ledger "$T/l" --stats "$T/s" >"$T/acks2" 2>"$T/err"
	[ ! -s "$T/acks2" ]
	[ "$(cat "$T/err")" = "erp-send: read 14, confirmed 0 (0 found in the ERP), failed 0, confirmed before 14, duplicates 0, not sent 0, rejected 0" ]
	jq -e '.calls == 1' "$T/s"
	head -2 "$T/journal" | sed -n 2p | cat - <(head -1 "$T/journal") <(head -1 "$T/journal") | es >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "erp-send: read 3, confirmed 2 (2 found in the ERP), failed 0, confirmed before 0, duplicates 1, not sent 0, rejected 0" ]
}

@test "killed between the ERP's answer and our acknowledgement: the re-run confirms what the ERP has, no move twice" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	# the acknowledgement cannot be written: the move is made, the ack lost
	rc=0
	es "$T/journal" >/dev/full 2>"$T/err" || rc=$?
	[ $rc -eq 74 ]
	grep -q "the ERP has the entries: run the same command again" "$T/err"
	[ "$(rpc moves | wc -l)" -eq 1 ]
	es "$T/journal" >"$T/acks" 2>"$T/err"
	[ "$(cat "$T/err")" = "erp-send: read 7, confirmed 7 (1 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	rpc moves >"$T/m"
	[ "$(wc -l <"$T/m")" -eq 7 ]
	[ "$(awk '{print $(NF-3)}' "$T/m" | sort -u | wc -l)" -eq 7 ]
	head -1 "$T/acks" | grep -qx '{"id":"JE-13c0a4c53139ce9bd4431c72facde3ed","erp_ref":"acme-eu/2026/1","status":"confirmed","reason":""}'
}

@test "kill -9 mid-run, the entries fed one by one: the re-run posts the rest, each once" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	mkfifo "$T/in"
	"$BIN/erp-send" --erp tryton --url "$URL" --accounts testdata/accounts.json \
	    --credentials "$T/erp/creds" --rejects "$T/r" <"$T/in" >"$T/acks1" 2>/dev/null &
	BG=$!
	exec 5>"$T/in"
	head -3 "$T/journal" >&5
	# the ERP has the third move: kill the sender wherever it is
	for i in $(seq 1 300); do
		[ "$(rpc moves | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	kill -9 "$BG"
	wait "$BG" 2>/dev/null || true
	exec 5>&-
	[ "$(rpc moves | wc -l)" -eq 3 ]
	es --ledger "$T/l" "$T/journal" >"$T/acks2" 2>"$T/err"
	[[ "$(cat "$T/err")" == "erp-send: read 7, confirmed 7 (3 found in the ERP), failed 0,"* ]]
	[ "$(rpc moves | wc -l)" -eq 7 ]
	[ "$(rpc moves | awk '{print $(NF-3)}' | sort -u | wc -l)" -eq 7 ]
	cat "$T/acks1" "$T/acks2" >"$T/acks"
	run ep --confirm "$T/acks"
	expect_status 0
	[[ "${lines[-1]}" == "erp-post: read "*", confirmed 7, failed 0, duplicates "*", rejected 0" ]]
}

@test "a period the ERP has closed: failed with Tryton's own message, nothing posted there; erp-post records the failure" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	rpc close "Acme Cloud Europe Ltd" 2026-11
	run es --stats "$T/s" "$T/journal"
	expect_status 0
	[ "${lines[-1]}" = "erp-send: read 7, confirmed 4 (0 found in the ERP), failed 3, confirmed before 0, duplicates 0, not sent 0, rejected 0" ]
	echo "$output" | grep -v '^erp-send: ' >"$T/acks"
	jq -r 'select(.status == "failed") | .reason' "$T/acks" | sort -u >"$T/why"
	[ "$(cat "$T/why")" = 'You cannot create a journal-period in closed period "2026-11".' ]
	[ -z "$(rpc moves "Acme Cloud Europe Ltd")" ]
	run ep --confirm "$T/acks"
	[ "${lines[-1]}" = "erp-post: read 7, confirmed 4, failed 3, duplicates 0, rejected 0" ]
	[ "$(sqlite3 "$T/l" "SELECT count(*) FROM posting WHERE state = 'failed' AND reason LIKE '%in closed period \"2026-11\"%'")" -eq 3 ]
}

@test "the ERP does not answer: exit 75, nothing lost; refused credentials and bad set-ups are configuration errors" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	"$TRYTON" stop "$T/erp"
	run es "$T/journal"
	expect_status 75
	[[ "$output" == *"$URL: the ERP does not answer: common.db.login: "*"; nothing was sent"* ]]
	URL=$("$TRYTON" start "$T/erp")
	# wrong password: 78
	printf '{"user":"admin","password":"wrong-password"}\n' >"$T/bad"
	chmod 600 "$T/bad"
	run "$BIN/erp-send" --erp tryton --url "$URL" --accounts testdata/accounts.json \
	    --credentials "$T/bad" "$T/journal"
	expect_status 78
	[[ "$output" == *"the ERP refused user 'admin'"* ]]
	# a credentials file others may read: 78, before any call
	chmod 644 "$T/bad"
	run "$BIN/erp-send" --erp tryton --url "$URL" --accounts testdata/accounts.json \
	    --credentials "$T/bad" "$T/journal"
	expect_status 78
	[[ "$output" == *"credentials file '$T/bad' may be read by others (mode 644): chmod 600 it"* ]]
	# the environment instead of a file
	ERP_USER=admin ERP_PASSWORD=erp-send-test-2026 run "$BIN/erp-send" --erp tryton \
	    --url "$URL" --accounts testdata/accounts.json --rejects "$T/r" "$T/journal"
	expect_status 0
	# usage
	run "$BIN/erp-send" --url "$URL" --accounts testdata/accounts.json
	expect_status 64
	run "$BIN/erp-send" --erp netsuite --url "$URL" --accounts testdata/accounts.json
	expect_status 64
}

@test "refused records: unmapped accounts, unknown entities, other records, entries the ledger never posted" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	jq '.entities[2].erp.tryton.accounts |= del(."Expenses:JP:FXRounding")' testdata/accounts.json >"$T/acc"
	{
		grep AJ2611 "$T/journal"
		jq -c '.entity = "acme-xx"' "$T/journal" | head -1
		echo '{"kind":"rated","schema":"1.0"}'
		jq -c '.date = "2026-11"' "$T/journal" | head -1
		jq -c '.id = "JE-00000000000000000000000000000000"' "$T/journal" | head -1
	} >"$T/in"
	run "$BIN/erp-send" --erp tryton --url "$URL" --accounts "$T/acc" \
	    --credentials "$T/erp/creds" --rejects "$T/r" --ledger "$T/l" --strict "$T/in"
	expect_status 65
	[ "${lines[-1]}" = "erp-send: read 5, confirmed 0 (0 found in the ERP), failed 0, confirmed before 0, duplicates 0, not sent 0, rejected 5 (not_mapped 1, unknown_entity 1, not_journal_entry 1, invalid_entry 1, unknown_entry 1; see '$T/r')" ]
	run jq -r '"\(.line) \(.class) \(.code) \(.message)"' "$T/r"
	[ "${lines[0]}" = "1 policy_violation not_mapped entry 'JE-9e952abcd876e1205e1aaf2202437e97': account 'Expenses:JP:FXRounding' has no Tryton code in the books of entity 'acme-jp' (erp.tryton.accounts)" ]
	[ "${lines[1]}" = "2 policy_violation unknown_entity entry 'JE-13c0a4c53139ce9bd4431c72facde3ed': entity 'acme-xx' has no books in the accounts file" ]
	[ "${lines[2]}" = "3 data_quality not_journal_entry expected a journal entry (erp-post's NDJSON)" ]
	[ "${lines[3]}" = "4 data_quality invalid_entry journal entry 'JE-13c0a4c53139ce9bd4431c72facde3ed': date must be a day like \"2026-11-02\"" ]
	[ "${lines[4]}" = "5 reconciliation_exception unknown_entry the ledger has never posted entry 'JE-00000000000000000000000000000000'" ]
	[ -z "$(rpc moves)" ]
	# an ERP code for an account the books do not have: the accounts file is refused
	jq '.entities[0].erp.tryton.accounts."Income:Nowhere" = "9999"' testdata/accounts.json >"$T/acc2"
	run "$BIN/erp-send" --erp tryton --url "$URL" --accounts "$T/acc2" \
	    --credentials "$T/erp/creds" </dev/null
	expect_status 78
	[[ "$output" == *"entities[0] ('acme-us'): erp: 'tryton': accounts: 'Income:Nowhere': is not an account of these books"* ]]
}

@test "one sender at a time per ledger: a second erp-send exits 75 before sending anything" {
	erp_up
	ep "$D" >"$T/journal" 2>/dev/null
	run flock "$T/l.erp-send.lock" "$BIN/erp-send" --erp tryton --url "$URL" \
	    --accounts testdata/accounts.json --credentials "$T/erp/creds" \
	    --rejects "$T/r" --ledger "$T/l" "$T/journal"
	expect_status 75
	[ "$output" = "erp-send: another erp-send is sending the entries of ledger '$T/l' (it holds '$T/l.erp-send.lock'): run again when it is done" ]
	[ -z "$(rpc moves)" ]
	# once the other is done
	es --ledger "$T/l" "$T/journal" >/dev/null 2>&1
	[ "$(rpc moves | wc -l)" -eq 7 ]
}
