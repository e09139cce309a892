#!/usr/bin/env bats
# rate against tests/rate_oracle.py: random plans (every metered model,
# free units, commitments, capped discounts, flat fees, contracts that
# start within the period, three currencies, six rounding modes) and
# quantities on and beside tier edges, each line's amount and
# amount_unrounded computed again with Python's decimal module; percentage
# plans with Lago's free units, against lago-api's model written again
# in Python (lago_percentage()); and random prorated plans (Lago's
# prorated unit, graduated and volume charges over random prorated
# steps), computed again from lago-api's rules with fractions.

load lib

@test "1500 random plans and quantities agree with the decimal oracle (seed 1204)" {
	run python3 tests/rate_oracle.py "$BIN/rate" "$T" --count 1500 --seed 1204
	[ "$status" -eq 0 ] || { echo "$output" | grep -v '^ok' | head -20; false; }
	[ "$(echo "$output" | grep -c '^ok ')" -eq 1500 ]
}

@test "another 1500 (seed 42)" {
	run python3 tests/rate_oracle.py "$BIN/rate" "$T" --count 1500 --seed 42
	[ "$status" -eq 0 ] || { echo "$output" | grep -v '^ok' | head -20; false; }
}

@test "2000 random prorated plans agree with Lago's rules in the oracle (seeds 2056 and 9)" {
	run python3 tests/rate_oracle.py "$BIN/rate" "$T" --count 1000 --seed 2056 --prorated
	[ "$status" -eq 0 ] || { echo "$output" | grep -v '^ok' | head -20; false; }
	[ "$(echo "$output" | grep -c '^ok ')" -eq 1000 ]
	run python3 tests/rate_oracle.py "$BIN/rate" "$T" --count 1000 --seed 9 --prorated
	[ "$status" -eq 0 ] || { echo "$output" | grep -v '^ok' | head -20; false; }
}

@test "the oracle notices a wrong amount" {
	python3 tests/rate_oracle.py "$BIN/rate" "$T" --count 50 --seed 3 >/dev/null
	# a rate that gets the first line wrong
	printf '#!/bin/sh\n"%s" "$@" | sed '"'"'1s/\\("amount_unrounded":"[^"]*","amount":"\\)[^"]*"/\\1999.99"/'"'"'\n' "$BIN/rate" >"$T/liar"
	chmod +x "$T/liar"
	run python3 tests/rate_oracle.py "$T/liar" "$T" --count 50 --seed 3
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok"* ]]
}

@test "800 random percentage plans with Lago's free units, fixed fees and bounds agree with lago_percentage() (seed 2026)" {
	run python3 tests/rate_oracle.py "$BIN/rate" "$T" --count 0 --percentage 800 --seed 2026
	[ "$status" -eq 0 ] || { echo "$output" | grep -v '^ok' | head -20; false; }
	[ "$(echo "$output" | grep -c '^ok ')" -eq 800 ]
}

@test "the oracle notices a wrong amount_unrounded, by value (a trailing zero is no error)" {
	# a rate whose first line's amount_unrounded gains a trailing zero: the
	# same value; then one whose last digit moves: another value
	printf '#!/bin/sh\n"%s" "$@" | sed '"'"'1s/\("amount_unrounded":"-*[0-9]*\.[0-9]*\)"/\\10"/'"'"'\n' "$BIN/rate" >"$T/zero"
	chmod +x "$T/zero"
	run python3 tests/rate_oracle.py "$T/zero" "$T" --count 50 --seed 3
	[ "$status" -eq 0 ]
	printf '#!/bin/sh\n"%s" "$@" | sed '"'"'1s/\("amount_unrounded":"[0-9.-]*\)"/\\11"/'"'"'\n' "$BIN/rate" >"$T/liar"
	chmod +x "$T/liar"
	run python3 tests/rate_oracle.py "$T/liar" "$T" --count 50 --seed 3
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok"* ]]
}
