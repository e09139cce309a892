#!/usr/bin/env bats
# meter-aggregate: billing periods at their edges: month ends and
# anniversary anchors, leap days, time zones, DST days, the window.

load lib

C=testdata/aggregate/customers.ndjson

# ut N CUSTOMER TIME: a usage record of type t without data
ut() {
	urec "$1" "$2" t "$3" '{}'
}

# periods ARGS...: "period_start period_end events" of each aggregate
periods() {
	echo '{"meters":[{"name":"c","event_type":"t","aggregation":"count"}]}' >"$T/m"
	"$BIN/meter-aggregate" --meters "$T/m" --customers $C --rejects "$T/r" \
	    "$@" "$T/in" | jq -r '"\(.period_start) \(.period_end) \(.events)"'
}

@test "anchor 31: Jan 31 .. Feb 29 .. Mar 31 .. Apr 30 in a leap year" {
	{
		ut 1 cus_31st 2028-01-31T00:00:00Z
		ut 2 cus_31st 2028-02-28T23:59:59.999999999Z
		ut 3 cus_31st 2028-02-29T00:00:00Z
		ut 4 cus_31st 2028-03-30T12:00:00Z
		ut 5 cus_31st 2028-03-31T00:00:00Z
		ut 6 cus_31st 2028-01-30T23:00:00Z
	} >"$T/in"
	periods >"$T/got"
	cat >"$T/want" <<-EOF
	2027-12-31T00:00:00Z 2028-01-31T00:00:00Z 1
	2028-01-31T00:00:00Z 2028-02-29T00:00:00Z 2
	2028-02-29T00:00:00Z 2028-03-31T00:00:00Z 2
	2028-03-31T00:00:00Z 2028-04-30T00:00:00Z 1
	EOF
	same "$T/want" "$T/got"
}

@test "anchor 31 in a common year: the period after January's ends on Feb 28" {
	ut 1 cus_31st 2027-02-28T00:00:00Z >"$T/in"
	[ "$(periods)" = "2027-02-28T00:00:00Z 2027-03-31T00:00:00Z 1" ]
	ut 1 cus_31st 2027-02-27T23:00:00Z >"$T/in"
	[ "$(periods)" = "2027-01-31T00:00:00Z 2027-02-28T00:00:00Z 1" ]
}

@test "anniversary billing: anchor 15 runs from the 15th to the 15th" {
	{
		ut 1 cus_15th 2026-10-14T23:59:59Z
		ut 2 cus_15th 2026-10-15T00:00:00Z
		ut 3 cus_15th 2026-11-14T00:00:00Z
	} >"$T/in"
	periods >"$T/got"
	cat >"$T/want" <<-EOF
	2026-09-15T00:00:00Z 2026-10-15T00:00:00Z 1
	2026-10-15T00:00:00Z 2026-11-15T00:00:00Z 2
	EOF
	same "$T/want" "$T/got"
}

@test "leap day: its own day period; the week holding it starts Monday" {
	ut 1 cus_utc 2028-02-29T13:00:00Z >"$T/in"
	[ "$(periods --period day)" = "2028-02-29T00:00:00Z 2028-03-01T00:00:00Z 1" ]
	[ "$(periods --period week)" = "2028-02-28T00:00:00Z 2028-03-06T00:00:00Z 1" ]
}

@test "Europe/Berlin: a month in local time, and the 23- and 25-hour days of DST" {
	{
		ut 1 cus_berlin 2026-03-29T12:00:00Z
		ut 2 cus_berlin 2026-10-25T12:00:00Z
		ut 3 cus_berlin 2026-09-30T22:30:00Z
	} >"$T/in"
	periods --period day >"$T/got"
	cat >"$T/want" <<-EOF
	2026-03-28T23:00:00Z 2026-03-29T22:00:00Z 1
	2026-09-30T22:00:00Z 2026-10-01T22:00:00Z 1
	2026-10-24T22:00:00Z 2026-10-25T23:00:00Z 1
	EOF
	same "$T/want" "$T/got"
	periods --period month >"$T/got"
	cat >"$T/want" <<-EOF
	2026-02-28T23:00:00Z 2026-03-31T22:00:00Z 1
	2026-09-30T22:00:00Z 2026-10-31T23:00:00Z 2
	EOF
	same "$T/want" "$T/got"
	"$BIN/meter-aggregate" --meters "$T/m" --customers $C "$T/in" 2>/dev/null |
	    jq -e -s 'all(.timezone == "Europe/Berlin")'
}

@test "America/New_York, anchor given as a string: the repeated hour of November is two hour periods" {
	{
		ut 1 cus_ny 2026-11-01T05:30:00Z
		ut 2 cus_ny 2026-11-01T06:30:00Z
		ut 3 cus_ny 2026-11-01T03:59:59Z
	} >"$T/in"
	# 01:30 EDT and 01:30 EST: the clock reads 1 o'clock twice
	periods --period hour >"$T/got"
	cat >"$T/want" <<-EOF
	2026-11-01T03:00:00Z 2026-11-01T04:00:00Z 1
	2026-11-01T05:00:00Z 2026-11-01T06:00:00Z 1
	2026-11-01T06:00:00Z 2026-11-01T07:00:00Z 1
	EOF
	same "$T/want" "$T/got"
	periods --period month >"$T/got"
	cat >"$T/want" <<-EOF
	2026-10-01T04:00:00Z 2026-11-01T04:00:00Z 1
	2026-11-01T04:00:00Z 2026-12-01T05:00:00Z 2
	EOF
	same "$T/want" "$T/got"
}

@test "Asia/Kolkata: hours start at half past in UTC" {
	ut 1 cus_kolkata 2026-10-01T10:10:00Z >"$T/in"
	[ "$(periods --period hour)" = "2026-10-01T09:30:00Z 2026-10-01T10:30:00Z 1" ]
}

@test "--from/--to select the periods that end in (from, to]; the others are outside the window" {
	{
		ut 1 cus_utc 2026-09-30T23:59:59Z
		ut 2 cus_utc 2026-10-01T00:00:00Z
		ut 3 cus_utc 2026-10-31T23:59:59Z
		ut 4 cus_utc 2026-11-01T00:00:00Z
		ut 5 cus_ny 2026-10-01T02:00:00Z
		ut 6 cus_ny 2026-10-20T00:00:00Z
		ut 7 cus_15th 2026-09-20T00:00:00Z
		ut 8 cus_15th 2026-10-20T00:00:00Z
	} >"$T/in"
	periods --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z \
	    --stats "$T/s" >"$T/got"
	# cus_utc: October; cus_15th: Sep 15 .. Oct 15; cus_ny: its
	# September, which ends 2026-10-01T04:00Z (its October ends after
	# --to and is billed by the next window)
	cat >"$T/want" <<-EOF
	2026-09-15T00:00:00Z 2026-10-15T00:00:00Z 1
	2026-09-01T04:00:00Z 2026-10-01T04:00:00Z 1
	2026-10-01T00:00:00Z 2026-11-01T00:00:00Z 2
	EOF
	same "$T/want" "$T/got"
	jq -e '.read == 8 and .aggregated == 4 and .outside_window == 4 and .from == "2026-10-01T00:00:00Z"' "$T/s"
	# the next window bills what this one left, and nothing twice
	periods --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z >"$T/got2"
	cat >"$T/want2" <<-EOF
	2026-10-15T00:00:00Z 2026-11-15T00:00:00Z 1
	2026-10-01T04:00:00Z 2026-11-01T04:00:00Z 1
	2026-11-01T00:00:00Z 2026-12-01T00:00:00Z 1
	EOF
	same "$T/want2" "$T/got2"
}
