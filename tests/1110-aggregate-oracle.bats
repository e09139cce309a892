#!/usr/bin/env bats
# meter-aggregate against tests/aggregate_oracle.py, an independent Python
# implementation of the metering rules: seeded usage over two months
# (zones with DST changes and half-hour offsets, billing anchors 15, 30
# and 31) plus hand-made records for the edge cases, every aggregation,
# every period unit, with and without customers and windows; the outputs
# must be the same bytes, and the accounting the same counts.

load lib

# The data is made once for the file (setup_file), in D.
D=${BATS_FILE_TMPDIR:-}

setup_file() {
	local d=$BATS_FILE_TMPDIR

	# 3000 events over 60 days from 2026-09-25: Lord Howe's DST start
	# (Oct 4, a half-hour change), Berlin's end (Oct 25), New York's
	# (Nov 1) and the month ends between, for 12 customers.
	"$REPO/scripts/gen-events" --seed 1110 --customers 12 \
	    --start 2026-09-25T00:00:00Z --span 5184000 \
	    --customers-out "$d/customers0.ndjson" 3000 >"$d/events.ndjson"
	python3 - "$d/customers0.ndjson" "$d/customers.ndjson" <<-'EOF'
	import json, sys
	zones = {1: ("Europe/Berlin", 15), 2: ("America/New_York", 31),
	         3: ("Asia/Kolkata", 30), 4: ("Australia/Lord_Howe", None),
	         5: ("Europe/Berlin", None), 6: ("America/New_York", 15),
	         7: ("Australia/Lord_Howe", 31), 8: ("Asia/Kolkata", None),
	         9: ("UTC", 30)}
	with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
	    for line in f:
	        c = json.loads(line)
	        zone, anchor = zones.get(int(c["id"][4:]), ("UTC", None))
	        c["timezone"] = zone
	        if anchor is not None:
	            c["billing_anchor"] = anchor
	        out.write(json.dumps(c, separators=(",", ":")) + "\n")
	EOF
	"$BIN/meter-ingest" --customers "$d/customers.ndjson" \
	    --ledger "$d/ledger.sqlite" --as-of 2026-11-25T00:00:00Z \
	    --max-age 70d --rejects "$d/ingest-rejects.ndjson" \
	    <"$d/events.ndjson" >"$d/usage.ndjson" 2>/dev/null
	[ "$(wc -l <"$d/usage.ndjson")" -eq 3000 ]

	# Hand-made usage records: numbers as strings, missing, null and bad
	# values, groups by numbers, booleans and escaped strings, ties for
	# latest, levels back to zero and negative, Lord Howe's half-hour
	# DST change for hours (Oct 3 15:30Z) and its 90-minute hour when
	# it ends (2027-04-03 14:00Z..15:30Z), unknown customers, unmetered
	# types, blank and broken lines.
	python3 - >"$d/edge.ndjson" <<-'EOF'
	import json, random
	r = random.Random(1110)
	L = []
	def a(cust, typ, time, data=None, nodata=False, kind="usage"):
	    o = {"kind": kind, "schema": "1.0", "customer": cust,
	         "source": "edge", "id": "edge-%04d" % len(L), "type": typ,
	         "subject": "edge", "time": time}
	    if not nodata:
	        o["data"] = data
	    o["key"] = "%032x" % r.getrandbits(128)
	    L.append(json.dumps(o, separators=(",", ":"), ensure_ascii=False))
	def raw(fmt):
	    L.append(fmt % r.getrandbits(128))
	C = "cus_00001"
	a(C, "api.request", "2026-10-25T00:30:00Z", {"requests": "12.50"})
	a(C, "api.request", "2026-10-25T00:59:59.999999999Z", {"requests": 3})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": "1.5E-3"})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": "-0"})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": "1e2"})
	a(C, "api.request", "2026-10-25T01:00:00Z", {})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": None})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": "abc"})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": True})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": " 1"})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": "+1"})
	a(C, "api.request", "2026-10-25T01:00:00Z", {"requests": [1]})
	a(C, "api.request", "2026-10-25T01:00:00Z", nodata=True)
	a(C, "api.request", "2026-10-25T01:00:00Z", None)
	raw('{"kind":"usage","schema":"1.0","customer":"cus_00001","type":'
	    '"api.request","time":"2026-10-25T01:00:00Z","data":{"requests":1,'
	    '"requests":2},"key":"%032x"}')
	T = "2026-10-26T10:00:00Z"
	a(C, "llm.tokens", T, {"model": "5", "tokens": {"input": 1, "output": "2.25"}})
	raw('{"kind":"usage","schema":"1.0","customer":"cus_00001","type":'
	    '"llm.tokens","time":"2026-10-26T10:00:00Z","data":{"model":5.0,'
	    '"tokens":{"input":1,"output":1.50}},"key":"%032x"}')
	a(C, "llm.tokens", T, {"model": 5, "tokens": {"input": 2, "output": -3}})
	a(C, "llm.tokens", T, {"model": True, "tokens": {"input": 2, "output": 0}})
	a(C, "llm.tokens", T, {"model": "\u00fc\n\"\\\t\u0001", "tokens": {"input": 7, "output": 1}})
	a(C, "llm.tokens", T, {"model": None, "tokens": {"input": 7, "output": 1}})
	a(C, "llm.tokens", T, {"model": {"x": 1}, "tokens": {"input": 7, "output": 1}})
	a(C, "llm.tokens", T, {"model": "small", "region": ["eu"], "tokens": {"input": 7, "output": 1}})
	a(C, "llm.tokens", T, {"model": "small", "region": "eu", "tokens": {"input": 7, "output": 1}})
	a(C, "llm.tokens", T, {"model": "small", "region": 1.0, "tokens": {"input": 7, "output": 1}})
	a(C, "llm.tokens", T, {"model": "small", "tokens": {"input": 7}})
	a(C, "llm.tokens", T, {"model": "small", "tokens": 5})
	a(C, "llm.tokens", "2026-10-26T10:00:00.1Z", {"model": "small", "tokens": {"input": 1, "output": 0.05}})
	a(C, "llm.tokens", "2026-10-26T10:00:00.1Z", {"model": "small", "tokens": {"input": 1, "output": -0.25}})
	for day, outs in ((10, (-0.1, -0.2)), (11, (2, 3)), (12, (3, 4))):
	    for x in outs:      # averages on a tie, below and above zero
	        a("cus_00011", "llm.tokens", "2027-04-%02dT12:00:00Z" % day,
	          {"model": "small", "tokens": {"input": 1, "output": x}})
	for k in range(3):      # latest: the same time, the greatest key wins
	    a("cus_00002", "seats.level", "2026-11-01T05:30:00Z", {"seats": 100 + k})
	    a("cus_00002", "seats.level", "2026-11-01T06:30:00Z", {"seats": -(k + 1)})
	a("cus_00003", "storage.gauge", "2026-10-10T00:00:00Z", {"gb": "0"})
	a("cus_00003", "storage.gauge", "2026-10-10T00:00:00.5Z", {"gb": 0})
	a("cus_00011", "storage.gauge", "2026-11-02T03:00:00Z", {"gb": -0.005})
	a("cus_00011", "storage.gauge", "2026-11-02T04:00:00Z", {"gb": "-12.3456789"})
	a("cus_00004", "storage.gauge", "2026-10-03T15:45:00Z", {"gb": 1000})
	a("cus_00004", "storage.gauge", "2026-10-03T16:15:00Z", {"gb": 0})
	a("cus_00007", "seats.level", "2026-10-03T15:40:00Z", {"seats": "7.5"})
	a("cus_00007", "seats.level", "2026-10-03T16:00:00Z", {"seats": "-7.5"})
	for t in ("14:45", "15:10", "15:40", "16:05"):
	    a("cus_00004", "api.request", "2027-04-03T%s:00Z" % t, {"requests": 1})
	a("cus_nobody", "api.request", "2026-10-05T00:00:00Z", {"requests": 1})
	a("cus_\u00fc\"q", "api.request", "2026-10-05T00:00:00Z", {"requests": 1})
	a("cus_00000", "other.thing", "2026-10-05T00:00:00Z", {"requests": 1})
	a("cus_00000", "api.request", "2026-10-05T00:00:00Z", {"requests": 1}, kind="rated")
	a("cus_00010", "api.request", "2026-09-30T23:59:59.999999999Z", {"requests": 1})
	a("cus_00010", "api.request", "2026-11-30T23:59:59.999999999Z", {"requests": 2})
	a("cus_00010", "api.request", "2026-11-01T00:00:00+01:00", {"requests": 4})
	# Recurring unique_counts (Lago's seats): adds and removes
	# (data.operation_type) over 75 days for four customers, from a
	# pool of values small enough that adds repeat and removes miss,
	# numbers and strings among them; ties at one instant (ordered by
	# key); operations that are refused.
	import datetime
	t0 = datetime.datetime(2026, 9, 20, tzinfo=datetime.timezone.utc)
	pool = ["s1", "s2", "s3", "s4", "7", 7, 7.0, True]
	for k in range(600):
	    cu = "cus_%05d" % r.choice((1, 2, 4, 9))
	    t = t0 + datetime.timedelta(seconds=r.randrange(75 * 86400))
	    d = {"seat_id": r.choice(pool), "team": r.choice(("a", "b"))}
	    op = r.choice((None, "add", "add", "remove", "remove"))
	    if op is not None:
	        d["operation_type"] = op
	    a(cu, "seat.change", t.strftime("%Y-%m-%dT%H:%M:%SZ"), d)
	for k in range(6):
	    a("cus_00003", "seat.change", "2026-10-20T12:00:00Z",
	      {"seat_id": "tie", "operation_type": ("add", "remove")[k % 2]})
	for op in ("delete", "ADD", None, 1, ["add"], {"x": 1}):
	    a(C, "seat.change", "2026-10-21T00:00:00Z",
	      {"seat_id": "s1", "operation_type": op})
	a(C, "seat.change", "2026-10-21T00:00:00Z", {"operation_type": "remove"})
	L.append("")
	L.append('{"kind":"usage","broken')
	print("\n".join(L))
	EOF

	cat >"$d/meters.json" <<-'EOF'
	{"meters":[
	{"name":"api_calls","event_type":["api.request","llm.tokens"],"aggregation":"count","unit":"event"},
	{"name":"requests","event_type":"api.request","aggregation":"sum","field":"requests","unit":"request"},
	{"name":"tokens_in","event_type":"llm.tokens","aggregation":"sum","field":"tokens.input","group_by":["model"],"unit":"token"},
	{"name":"tokens_out_min","event_type":"llm.tokens","aggregation":"min","field":"tokens.output"},
	{"name":"tokens_out_max","event_type":"llm.tokens","aggregation":"max","field":"tokens.output"},
	{"name":"tokens_out_avg","event_type":"llm.tokens","aggregation":"avg","field":"tokens.output"},
	{"name":"tokens_out_avg_0","event_type":"llm.tokens","aggregation":"avg","field":"tokens.output","precision":0},
	{"name":"tokens_out_avg_half_up","event_type":"llm.tokens","aggregation":"avg","field":"tokens.output","precision":1,"rounding":"half-up"},
	{"name":"tokens_out_avg_up","event_type":"llm.tokens","aggregation":"avg","field":"tokens.output","precision":1,"rounding":"up"},
	{"name":"tokens_out_avg_down","event_type":"llm.tokens","aggregation":"avg","field":"tokens.output","precision":1,"rounding":"down"},
	{"name":"tokens_out_avg_ceiling","event_type":"llm.tokens","aggregation":"avg","field":"tokens.output","precision":0,"rounding":"ceiling"},
	{"name":"tokens_out_by_region","event_type":"llm.tokens","aggregation":"sum","field":"tokens.output","group_by":["region","model"]},
	{"name":"models","event_type":"llm.tokens","aggregation":"unique_count","field":"model"},
	{"name":"seats_latest","event_type":"seats.level","aggregation":"latest","field":"seats","unit":"seat"},
	{"name":"storage_gb","event_type":"storage.gauge","aggregation":"weighted_sum","field":"gb","unit":"GB-month"},
	{"name":"storage_gb_half_up","event_type":"storage.gauge","aggregation":"weighted_sum","field":"gb","precision":2,"rounding":"half-up"},
	{"name":"seat_changes","event_type":"seats.level","aggregation":"weighted_sum","field":"seats","values":"increments","precision":4,"rounding":"floor"},
	{"name":"seats_active","event_type":"seat.change","aggregation":"unique_count","field":"seat_id","recurring":true,"unit":"seat"},
	{"name":"seats_active_by_team","event_type":"seat.change","aggregation":"unique_count","field":"seat_id","recurring":true,"group_by":["team"]},
	{"name":"seats_seen","event_type":"seat.change","aggregation":"unique_count","field":"seat_id"}
	]}
	EOF
	cat "$d/usage.ndjson" "$d/edge.ndjson" >"$d/all.ndjson"
	# the same lines in another order
	python3 -c 'import random, sys
lines = open(sys.argv[1], "rb").readlines()
random.Random(7).shuffle(lines)
sys.stdout.buffer.write(b"".join(lines))' "$d/all.ndjson" >"$d/shuffled.ndjson"
}

# agg OUT ARGS...: meter-aggregate with the test meters, rejects and stats
# in $T, the aggregates in OUT.
agg() {
	local out=$1
	shift
	"$BIN/meter-aggregate" --meters "$D/meters.json" --rejects "$T/rejects" \
	    --stats "$T/stats.json" "$@" >"$out" 2>"$T/err" || {
		cat "$T/err" >&2
		return 1
	}
}

# agree ARGS...: meter-aggregate and the oracle on the same arguments give
# the same bytes (and at least one aggregate) and the same accounting.
agree() {
	agg "$T/tool" "$@"
	python3 tests/aggregate_oracle.py --meters "$D/meters.json" \
	    --stats "$T/ostats.json" "$@" >"$T/oracle"
	[ -s "$T/oracle" ]
	same "$T/oracle" "$T/tool"
	jq -Sc '{read, aggregated, unmetered, outside_window, rejected,
	    rejects_by_code}' "$T/stats.json" >"$T/stats.tool"
	jq -Sc . "$T/ostats.json" >"$T/stats.oracle"
	same "$T/stats.oracle" "$T/stats.tool"
}

# customers: the option that gives the customer master (zones, anchors)
customers() { echo --customers "$D/customers.ndjson"; }

@test "oracle: calendar months in UTC without a customer master" {
	agree --period month "$D/all.ndjson"
}

@test "oracle: monthly periods in the customers' zones with billing anchors 15, 30, 31" {
	agree --period month $(customers) "$D/all.ndjson"
	# the anchors and zones are really in play
	grep -q '"customer":"cus_00002".*"period_start":"2026-10-31T04:00:00Z","period_end":"2026-11-30T05:00:00Z"' "$T/tool"
	grep -q '"customer":"cus_00003".*"period_start":"2026-09-29T18:30:00Z","period_end":"2026-10-29T18:30:00Z"' "$T/tool"
	grep -q '"customer":"cus_00001".*"timezone":"Europe/Berlin","period_start":"2026-10-14T22:00:00Z","period_end":"2026-11-14T23:00:00Z"' "$T/tool"
}

@test "oracle: ISO weeks, Monday local midnight" {
	agree --period week $(customers) "$D/all.ndjson"
}

@test "oracle: UTC days without a customer master" {
	agree --period day "$D/all.ndjson"
}

@test "oracle: local days in the customers' zones, 23 and 25 hours across DST" {
	agree --period day $(customers) "$D/all.ndjson"
	grep -q '"customer":"cus_00001".*"period_start":"2026-10-24T22:00:00Z","period_end":"2026-10-25T23:00:00Z"' "$T/tool"
	grep -q '"customer":"cus_00004".*"period_start":"2026-10-03T13:30:00Z","period_end":"2026-10-04T13:00:00Z"' "$T/tool"
}

@test "oracle: hours in the customers' zones (half-hour offsets, Lord Howe's 30 and 90 minute hours)" {
	agree --period hour $(customers) "$D/all.ndjson"
	grep -q '"customer":"cus_00004".*"period_start":"2026-10-03T15:30:00Z","period_end":"2026-10-03T16:00:00Z"' "$T/tool"
	grep -q '"customer":"cus_00004".*"period_start":"2027-04-03T14:00:00Z","period_end":"2027-04-03T15:30:00Z"' "$T/tool"
	grep -q '"customer":"cus_00003".*"period_start":"2026-10-09T23:30:00Z","period_end":"2026-10-10T00:30:00Z"' "$T/tool"
}

@test "oracle: hours over the EU and US DST ends, windowed, without a customer master" {
	agree --period hour --from 2026-10-24T12:00:00Z --to 2026-11-02T12:00:00Z \
	    "$D/all.ndjson"
}

@test "oracle: window on month boundaries, weighted sums open at the level carried in" {
	agree --period month $(customers) --from 2026-10-15T00:00:00Z \
	    --to 2026-11-15T00:00:00Z "$D/all.ndjson"
	jq -e '.outside_window > 0' "$T/stats.json"
}

@test "oracle: window off the period boundaries (periods that end inside it)" {
	agree --period month $(customers) --from 2026-10-20T05:17:00Z \
	    --to 2026-11-20T05:17:00.5Z "$D/all.ndjson"
}

@test "oracle: hour window across the EU and US DST ends with customers" {
	agree --period hour $(customers) --from 2026-10-24T12:00:00Z \
	    --to 2026-11-02T12:00:00Z "$D/all.ndjson"
}

@test "oracle: day window from a fraction of a second" {
	agree --period day $(customers) --from 2026-10-24T07:00:00.5Z \
	    --to 2026-11-03T00:00:00Z "$D/all.ndjson"
}

@test "oracle: --to alone: weighted sums run on up to the window's end" {
	agree --period day $(customers) --to 2026-12-31T00:00:00Z "$D/all.ndjson"
	grep -q '"period_end":"2026-12-31T00:00:00Z"' "$T/tool"
}

@test "oracle: a window after the last event holds only the levels carried in" {
	agree --period week $(customers) --from 2026-12-08T00:00:00Z \
	    --to 2027-01-12T00:00:00Z "$D/all.ndjson"
	[ -z "$(grep -v -e '"aggregation":"weighted_sum"' \
	    -e '"meter":"seats_active' "$T/tool")" ]
	[ -z "$(grep -v '"events":0,' "$T/tool")" ]
	grep -q '"meter":"seats_active".*"events":0,' "$T/tool"
}

@test "oracle: a window before the first event" {
	run agg "$T/tool" --period day $(customers) --from 2026-09-01T00:00:00Z \
	    --to 2026-09-20T00:00:00Z "$D/all.ndjson"
	expect_status 0
	[ ! -s "$T/tool" ]
	python3 tests/aggregate_oracle.py --meters "$D/meters.json" \
	    --period day $(customers) --from 2026-09-01T00:00:00Z \
	    --to 2026-09-20T00:00:00Z "$D/all.ndjson" >"$T/oracle"
	[ ! -s "$T/oracle" ]
	jq -e '.aggregated == 0 and .outside_window > 0' "$T/stats.json"
}

@test "oracle: --jobs 1, 2 and 4 write the same bytes" {
	# the input is 1.1 MB: three 512 KiB chunks, so two workers share it
	agree --period day $(customers) --jobs 1 "$D/all.ndjson"
	cp "$T/tool" "$T/j1"
	agree --period day $(customers) --jobs 2 "$D/all.ndjson"
	same "$T/j1" "$T/tool"
	agree --period day $(customers) --jobs 4 "$D/all.ndjson"
	same "$T/j1" "$T/tool"
	agree --period hour $(customers) --jobs 1 --from 2026-10-24T12:00:00Z \
	    --to 2026-11-02T12:00:00Z "$D/all.ndjson"
	cp "$T/tool" "$T/h1"
	agree --period hour $(customers) --jobs 2 --from 2026-10-24T12:00:00Z \
	    --to 2026-11-02T12:00:00Z "$D/all.ndjson"
	same "$T/h1" "$T/tool"
}

@test "oracle: shuffled input lines give the same aggregates" {
	agg "$T/a" --period day $(customers) "$D/all.ndjson"
	agg "$T/b" --period day $(customers) "$D/shuffled.ndjson"
	same "$T/a" "$T/b"
	agg "$T/a" --period month --jobs 1 "$D/all.ndjson"
	agg "$T/b" --period month --jobs 2 "$D/shuffled.ndjson"
	same "$T/a" "$T/b"
	agg "$T/a" --period hour $(customers) --from 2026-10-24T12:00:00Z \
	    --to 2026-11-02T12:00:00Z "$D/all.ndjson"
	agg "$T/b" --period hour $(customers) --from 2026-10-24T12:00:00Z \
	    --to 2026-11-02T12:00:00Z "$D/shuffled.ndjson"
	same "$T/a" "$T/b"
}

@test "accounting: read = aggregated + unmetered + outside_window + rejected, as the oracle counts" {
	agree --period month $(customers) --from 2026-10-15T00:00:00Z \
	    --to 2026-11-15T00:00:00Z "$D/all.ndjson"
	jq -e '.read == .aggregated + .unmetered + .outside_window + .rejected' \
	    "$T/stats.json"
	jq -e '([.rejects_by_code[]] | add) == .rejected' "$T/stats.json"
	# every non-blank line is read (3000 generated ones and the edge cases)
	[ "$(jq .read "$T/stats.json")" -eq "$(grep -c . "$D/all.ndjson")" ]
	jq -e '.read > 3000 and .blank_lines == 1' "$T/stats.json"
	jq -e '.unmetered == 1 and .outside_window > 0 and .rejected > 0' \
	    "$T/stats.json"
	[ "$(wc -l <"$T/rejects")" -eq "$(jq .rejected "$T/stats.json")" ]
	[ "$(wc -l <"$T/tool")" -eq "$(jq .aggregates "$T/stats.json")" ]
	# the summary on stderr says the same
	jq -r '"meter-aggregate: read \(.read), aggregated \(.aggregated), unmetered \(.unmetered), outside the window \(.outside_window), rejected \(.rejected); \(.aggregates) aggregates"' \
	    "$T/stats.json" >"$T/want"
	grep -F -f "$T/want" "$T/err"
	# and without a window: nothing is outside
	agree --period day "$D/all.ndjson"
	jq -e '.read == .aggregated + .unmetered + .rejected and
	    .outside_window == 0' "$T/stats.json"
}

@test "a window gives the same aggregates as a run without one for the periods it selects" {
	agg "$T/all" --period day $(customers) "$D/all.ndjson"
	agg "$T/win" --period day $(customers) --from 2026-10-24T00:00:00Z \
	    --to 2026-11-03T00:00:00Z "$D/all.ndjson"
	# the periods of the full run that end in the window, line for line
	jq -c 'select(.period_end > "2026-10-24T00:00:00Z" and
	    .period_end <= "2026-11-03T00:00:00Z")' "$T/all" | sort >"$T/all.sel"
	sort "$T/win" >"$T/win.sel"
	[ -s "$T/all.sel" ]
	comm -23 "$T/all.sel" "$T/win.sel" >"$T/missing"
	same /dev/null "$T/missing"
	# the window's only extra lines: levels carried past a series'
	# last event, which the full run stops at
	comm -13 "$T/all.sel" "$T/win.sel" >"$T/extra"
	[ -z "$(grep -v '"aggregation":"weighted_sum".*"events":0,' "$T/extra")" ]
}

@test "a window does not change a weighted sum: an event before it that another meter refuses sets no level" {
	cat >"$T/m.json" <<-'EOF'
	{"meters":[
	{"name":"storage","event_type":"storage.gauge","aggregation":"weighted_sum","field":"gb"},
	{"name":"storage_peak","event_type":"storage.gauge","aggregation":"max","field":"gb_peak"}
	]}
	EOF
	cat >"$T/in" <<-'EOF'
	{"kind":"usage","schema":"1.0","customer":"c1","type":"storage.gauge","time":"2026-10-10T00:00:00Z","data":{"gb":100},"key":"01000000000000000000000000000000"}
	{"kind":"usage","schema":"1.0","customer":"c1","type":"storage.gauge","time":"2026-11-10T00:00:00Z","data":{"gb":5,"gb_peak":5},"key":"02000000000000000000000000000000"}
	EOF
	"$BIN/meter-aggregate" --meters "$T/m.json" --rejects "$T/r1" \
	    "$T/in" >"$T/all" 2>/dev/null
	"$BIN/meter-aggregate" --meters "$T/m.json" --rejects "$T/r2" \
	    --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z \
	    "$T/in" >"$T/win" 2>/dev/null
	python3 tests/aggregate_oracle.py --meters "$T/m.json" \
	    --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z \
	    "$T/in" >"$T/oracle"
	grep -q '"meter":"storage".*"quantity":"3.5"' "$T/oracle"
	same "$T/all" "$T/win"
	same "$T/oracle" "$T/win"
}

@test "--from alone ends the weighted sums at the last event's period" {
	cat >"$T/m.json" <<-'EOF'
	{"meters":[{"name":"storage","event_type":"storage.gauge","aggregation":"weighted_sum","field":"gb"}]}
	EOF
	echo '{"kind":"usage","schema":"1.0","customer":"c1","type":"storage.gauge","time":"2026-10-05T00:00:00Z","data":{"gb":512.25},"key":"01000000000000000000000000000000"}' >"$T/in"
	timeout 10 "$BIN/meter-aggregate" --meters "$T/m.json" --rejects "$T/r" \
	    --from 2026-10-01T00:00:00Z "$T/in" >"$T/tool" 2>/dev/null
	python3 tests/aggregate_oracle.py --meters "$T/m.json" \
	    --from 2026-10-01T00:00:00Z "$T/in" >"$T/oracle"
	[ "$(wc -l <"$T/oracle")" -eq 1 ]
	[ "$(wc -l <"$T/tool")" -eq 1 ]
	same "$T/oracle" "$T/tool"
}
