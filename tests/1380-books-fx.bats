#!/usr/bin/env bats
# Books that are right, 3: realized FX differences.  A payment of an
# invoice in another currency than the books', at another rate than the
# invoice's (the --fx table's rate of the payment's day), books the
# realized gain or loss: the receivable relieved at the invoice's rate,
# the cash and any excess at the payment's, the difference to fx_gain or
# fx_loss (else the rounding account).  Amounts checked against Python's
# decimal.

load lib

# The sample month issued into $T/l: AJ2611-00001 is 22500 JPY for
# books in USD, at 0.006602 (2026-11-02).  Rates of the payment days.
setup_ledger() {
	ig --issue testdata/rate/rated.expected.ndjson >/dev/null 2>&1
	cat >"$T/fx.json" <<-'EOF'
	{"rates":[
	 {"date":"2026-11-02","from":"JPY","to":"USD","rate":"0.006602"},
	 {"date":"2026-11-20","from":"JPY","to":"USD","rate":"0.006650"},
	 {"date":"2026-11-25","from":"JPY","to":"USD","rate":"0.0065"}]}
	EOF
	jq '.entities[2] += {"fx_gain":"Income:JP:FXGain","fx_loss":"Expenses:JP:FXLoss"}' \
	    testdata/accounts.json >"$T/acc"
}

# pay FILE ARGS...: erp-post --payments with the FX table and $T/acc
pay() {
	local f=$1
	shift
	"$BIN/erp-post" --accounts "$T/acc" --ledger "$T/l" --rejects "$T/r" \
	    --as-of 2026-11-30T00:00:00Z --fx "$T/fx.json" --payments "$f" "$@"
}

# oracle DUE PAID AMOUNT PAYRATE: the receipt's lines, account and
# functional debit/credit, as an ERP books them (Python's decimal)
oracle() {
	python3 - "$@" <<-'EOF'
	import sys
	from decimal import Decimal as D, ROUND_HALF_UP
	due, paid, amount, rate = (D(x) for x in sys.argv[1:])
	inv = D("0.006602")
	c = lambda x: x.quantize(D("0.01"), ROUND_HALF_UP)
	applied = min(amount, due - paid)
	excess = amount - applied
	cash, relief, credit = c(amount * rate), c(applied * inv), c(excess * rate)
	out = [("Assets:JP:Bank", cash, D("0.00")),
	       ("Assets:JP:Receivable", D("0.00"), relief)]
	if excess:
	    out.append(("Liabilities:JP:CustomerPrepayments", D("0.00"), credit))
	diff = cash - relief - credit
	if diff > 0:
	    out.append(("Income:JP:FXGain", D("0.00"), diff))
	elif diff < 0:
	    out.append(("Expenses:JP:FXLoss", -diff, D("0.00")))
	for a, d, k in out:
	    print(a, d, k)
	EOF
}

lines_of() {
	jq -r '.lines[] | "\(.account) \(.functional_debit) \(.functional_credit)"' "$1"
}

@test "paid at a better rate: a realized gain; then at a worse one, with an overpayment: a loss" {
	setup_ledger
	printf '%s\n' '{"invoice":"AJ2611-00001","amount":"10000","currency":"JPY","date":"2026-11-20","reference":"jp_1"}' >"$T/p1"
	pay "$T/p1" >"$T/e1" 2>/dev/null
	# 10000 x 0.00665 = 66.50 in, 10000 x 0.006602 = 66.02 relieved: 0.48 gained
	oracle 22500 0 10000 0.006650 >"$T/want1"
	[ "$(sed -n 3p "$T/want1")" = "Income:JP:FXGain 0.00 0.48" ]
	lines_of "$T/e1" | same "$T/want1" -
	jq -e '.fx_rate == "0.006650" and .lines[2].debit == "0" and .lines[2].credit == "0" and .lines[2].memo == "realized FX gain" and .total_debit == "10000"' "$T/e1"
	# 13000 at 0.0065: 12500 settles the rest (82.53 at the invoice's
	# rate), 500 is kept as credit (3.25); 84.50 in: 1.28 lost
	printf '%s\n' '{"invoice":"AJ2611-00001","amount":"13000","currency":"JPY","date":"2026-11-25","reference":"jp_2"}' >"$T/p2"
	pay "$T/p2" >"$T/e2" 2>/dev/null
	oracle 22500 10000 13000 0.0065 >"$T/want2"
	[ "$(sed -n 4p "$T/want2")" = "Expenses:JP:FXLoss 1.28 0.00" ]
	lines_of "$T/e2" | same "$T/want2" -
	[ "$(sqlite3 "$T/l" "SELECT amount, paid, status FROM receivable WHERE number = 'AJ2611-00001'")" = "22500|22500|paid" ]
	# each receipt balances in both currencies, and the journals are strict
	for e in "$T/e1" "$T/e2"; do
		jq -e '([.lines[] | .functional_debit | tonumber] | add) == ([.lines[] | .functional_credit | tonumber] | add)' "$e"
	done
	# (the cash receipts' journal: the month's recognitions of November 30
	# come after them, and hledger wants a file's dates in order)
	for f in hledger beancount; do
		pay "$T/p1" --retry-pending --format $f --journal "$T/j.$f" >>"$T/j.$f" 2>/dev/null
		pay "$T/p2" --retry-pending --format $f --journal "$T/j.$f" >>"$T/j.$f" 2>/dev/null
		strict_journal "$T/j.$f" $f
	done
	grep -q '^    Income:JP:FXGain  -0.48 USD  ; realized FX gain$' "$T/j.hledger"
	grep -q '^    Assets:JP:Bank  10000 JPY @@ 66.50 USD  ; cash received$' "$T/j.hledger"
	run hledger -f "$T/j.hledger" bal -N Income:JP:FXGain Expenses:JP:FXLoss
	[[ "$output" == *"-0.48 USD  Income:JP:FXGain"* ]]
	[[ "$output" == *"1.28 USD  Expenses:JP:FXLoss"* ]]
}

@test "at the invoice's rate: no FX line; the rounding account when no fx_gain or fx_loss is named" {
	setup_ledger
	printf '%s\n' '{"invoice":"AJ2611-00001","amount":"22500","currency":"JPY","date":"2026-11-02","reference":"jp_0"}' >"$T/p0"
	pay "$T/p0" >"$T/e0" 2>/dev/null
	jq -e '[.lines[] | [.account, .functional_debit, .functional_credit]] == [["Assets:JP:Bank","148.55","0.00"],["Assets:JP:Receivable","0.00","148.55"]] and .fx_rate == "0.006602"' "$T/e0"
	rm -f "$T/l"*
	setup_ledger
	printf '%s\n' '{"invoice":"AJ2611-00001","amount":"22500","currency":"JPY","date":"2026-11-20","reference":"jp_3"}' >"$T/p3"
	"$BIN/erp-post" --accounts testdata/accounts.json --ledger "$T/l" --rejects "$T/r" \
	    --fx "$T/fx.json" --payments "$T/p3" >"$T/e3" 2>/dev/null
	# 22500 x 0.00665 = 149.625 -> 149.63; 148.55 relieved: 1.08 gained
	oracle 22500 0 22500 0.006650 | sed 's/Income:JP:FXGain/Expenses:JP:FXRounding/' >"$T/want3"
	lines_of "$T/e3" | same "$T/want3" -
}

@test "a payment of a day the FX table has no rate for is rejected, and applied once there is one" {
	setup_ledger
	printf '%s\n' '{"invoice":"AJ2611-00001","amount":"1000","currency":"JPY","date":"2026-10-01","reference":"jp_4"}' >"$T/p4"
	run pay "$T/p4"
	expect_status 0
	jq -r '"\(.line) \(.class) \(.code) \(.message)"' "$T/r" | grep -qx "1 data_quality no_fx_rate invoice AJ2611-00001 is in JPY for books in USD: the FX table has no rate on or before the payment's day, 2026-10-01"
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM payment')" -eq 0 ]
	jq '.rates += [{"date":"2026-09-30","from":"JPY","to":"USD","rate":"0.007"}]' "$T/fx.json" >"$T/fx2" && mv "$T/fx2" "$T/fx.json"
	pay "$T/p4" >"$T/e4" 2>/dev/null
	lines_of "$T/e4" | same <(oracle 22500 0 1000 0.007) -
	[ "$(sqlite3 "$T/l" 'SELECT count(*) FROM payment')" -eq 1 ]
}
