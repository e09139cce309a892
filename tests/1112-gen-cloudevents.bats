#!/usr/bin/env bats
# scripts/gen-cloudevents, issue 22's second data shape, and the
# benchmarks' use of it: what it generates (exact counts for one seed),
# that meter-ingest stores all of it and meter-aggregate rejects exactly
# the events lacking the summed field, that bench-aggregate's check of
# that shape agrees with an independent count over the raw events (and
# does not when the rejects are counted), and that bench-ingest keeps
# its prefill.  No timing is asserted.

load lib

GEN=scripts/gen-cloudevents

# small: 20000 events of seed 7 over 300 subjects, with its master and
# meters, in $T
small() {
	"$GEN" --seed 7 --subjects 300 --customers-out "$T/customers.ndjson" \
	    --meters-out "$T/meters.json" 20000 >"$T/events.ndjson"
}

@test "gen-cloudevents: the same arguments give the same bytes, a larger N starts with them, another seed differs" {
	"$GEN" --seed 3 5000 >"$T/a"
	"$GEN" --seed 3 5000 >"$T/b"
	cmp "$T/a" "$T/b"
	"$GEN" --seed 3 23456 | head -n 5000 >"$T/c"
	cmp "$T/a" "$T/c"
	"$GEN" --seed 4 5000 >"$T/d"
	! cmp -s "$T/a" "$T/d"
	[ "$(wc -l <"$T/a")" -eq 5000 ]
}

@test "gen-cloudevents: unique ids, both types, 1% lacking the field, October, every subject a UTC customer" {
	small
	run python3 - "$T/events.ndjson" "$T/customers.ndjson" "$T/meters.json" <<-'EOF'
	import json, sys
	ev, cu, me = sys.argv[1:]
	cust = {}
	for line in open(cu):
	    c = json.loads(line)
	    assert c["timezone"] == "UTC", c
	    for s in c["subjects"]:
	        cust[s] = c["id"]
	ids, subs, n, miss, tok, size = set(), set(), 0, 0, 0, 0
	for line in open(ev, "rb"):
	    size += len(line)
	    e = json.loads(line)
	    n += 1
	    assert e["specversion"] == "1.0" and e["time"].startswith("2026-10-")
	    ids.add(e["id"])
	    subs.add(e["subject"])
	    assert e["subject"] in cust, e
	    f = {"tokens": "tokens", "api_call": "units"}[e["type"]]
	    if f in e["data"]:
	        assert isinstance(e["data"][f], int) and e["data"][f] > 0
	    else:
	        miss += 1
	    tok += e["type"] == "tokens"
	m = json.load(open(me))["meters"]
	print(n, len(ids), miss, tok, len(subs), len(cust),
	      160 <= size / n <= 172,
	      sorted((x["name"], x["event_type"], x["aggregation"], x["field"])
	             for x in m))
	EOF
	expect_status 0
	[ "$output" = "20000 20000 172 7933 300 300 True [('api_call', 'api_call', 'sum', 'units'), ('tokens', 'tokens', 'sum', 'tokens')]" ]
}

@test "gen-cloudevents: bad arguments are refused, naming them" {
	run "$GEN" --zipf -1 3
	expect_status 64
	[ "$output" = "gen-cloudevents: --zipf must not be negative" ]
	run "$GEN" --id-prefix 'a"' 3
	expect_status 64
	[ "$output" = "gen-cloudevents: --id-prefix must need no JSON escape" ]
	run "$GEN" --month 2026-13 3
	expect_status 2
	[[ "$output" == *"argument --month: '2026-13' is not a month like 2026-10" ]]
	run "$GEN" --missing-rate 1.5 3
	expect_status 2
	[[ "$output" == *"argument --missing-rate: '1.5' is not in [0, 1]" ]]
	run "$GEN" --customers-out "$T/no/such/dir" 3
	expect_status 73
	[ "$output" = "gen-cloudevents: $T/no/such/dir: No such file or directory" ]
}

@test "gen-cloudevents: meter-ingest stores every event; meter-aggregate rejects the 172 lacking the field; bench-aggregate's check agrees with python3 on the raw events, and differs when the rejects are counted" {
	small
	run "$BIN/meter-ingest" --customers "$T/customers.ndjson" \
	    --ledger "$T/ledger.sqlite" --as-of 2026-11-01T00:00:00Z \
	    --rejects "$T/ingest-rejects" <"$T/events.ndjson"
	expect_status 0
	[ "${lines[${#lines[@]}-1]}" = "meter-ingest: read 20000, emitted 20000, duplicates 0, rejected 0" ]
	for p in hour month; do
		"$BIN/meter-aggregate" --meters "$T/meters.json" --period $p \
		    --ledger "$T/ledger.sqlite" --from 2026-09-01T00:00:00Z \
		    --to 2026-12-01T00:00:00Z --rejects "$T/rej-$p" \
		    >"$T/agg-$p" 2>/dev/null
		[ "$(grep -c '"code":"missing_value"' "$T/rej-$p")" -eq 172 ]
		[ "$(wc -l <"$T/rej-$p")" -eq 172 ]
	done
	run python3 - "$T" <<-'EOF'
	import importlib.machinery, importlib.util, subprocess, sys
	t = sys.argv[1]
	path = "scripts/bench-aggregate"
	loader = importlib.machinery.SourceFileLoader("ba", path)
	ba = importlib.util.module_from_spec(
	    importlib.util.spec_from_loader("ba", loader))
	loader.exec_module(ba)
	ba.SHAPE, ba.CE_CUST = "cloudevents", t + "/customers.ndjson"
	for p in ("hour", "month"):
	    ba.set_period(p)
	    # the bench's own python3 peer, and one that counts the events
	    # lacking the field as DuckDB's count(*) would without the WHERE
	    wrong = ba.CE_PY_PROG.replace("if v is None:\n        continue",
	                                  "if v is None:\n        v = 0")
	    assert wrong != ba.CE_PY_PROG
	    out = {}
	    for name, prog in (("python3", ba.CE_PY_PROG), ("wrong", wrong)):
	        out[name] = (f"{t}/{name}-{p}", "tsv")
	        with open(t + "/events.ndjson", "rb") as fi, \
	                open(out[name][0], "wb") as fo:
	            subprocess.run([sys.executable, "-c", prog], stdin=fi,
	                           stdout=fo, check=True)
	    out["ours ledger"] = (f"{t}/agg-{p}", "ours")
	    r = ba.check(out, "ours ledger")
	    print(p, r["ours ledger"][0], r["ours ledger"][1][0],
	          r["python3"][0], r["wrong"][0])
	EOF
	expect_status 0
	[ "${lines[0]}" = "hour ref $(wc -l <"$T/agg-hour") groups agree DIFFERS" ]
	[ "${lines[1]}" = "month ref $(wc -l <"$T/agg-month") groups agree DIFFERS" ]
}

@test "bench-aggregate --shape cloudevents: builds the shape's ledger once, checks ours, prints the goal line by the hour and by the month" {
	U2C_BIN=$BIN run python3 scripts/bench-aggregate --shape cloudevents --events 3000 \
	    --runs 1 --skip-peers --period hour month --dir "$T/b"
	expect_status 0
	[[ "$output" == *"# generating 3000 events into $T/b/ce-events-3000.ndjson"* ]]
	[ "$(grep -c '^# ingesting ' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^ours ledger  .* ref$' <<<"$output")" -eq 2 ]
	[[ "$output" == *"ours ledger / DuckDB 2 threads, by the hour = n/a (goal <= 0.8)"* ]]
	[[ "$output" == *"ours ledger / DuckDB 2 threads, by the month = n/a (goal <= 0.8)"* ]]
	[ -f "$T/b/ce-ledger-3000.sqlite" ]
	[ -f "$T/b/ce-meters.json" ]
}

@test "bench-ingest --shape cloudevents: the prefill is built once and kept, the goal line per ingest row" {
	U2C_BIN=$BIN run python3 scripts/bench-ingest --shape cloudevents --events 500 \
	    --prefill 2000 --runs 1 --dir "$T/b"
	expect_status 0
	[ "$(grep -c "^# building $T/b/ce-prefill-2000.sqlite" <<<"$output")" -eq 1 ]
	[ -f "$T/b/ce-prefill-2000.sqlite" ]
	[[ "$output" == *"ingest-empty / parse-only = "*" (goal <= 1.6)"* ]]
	[[ "$output" == *"ingest-2k-keys / parse-only = "*" (goal <= 1.6)"* ]]
	[ "$(sqlite3 "$T/b/ce-prefill-2000.sqlite" 'SELECT coalesce(sum(n), 0) FROM usage_block')" -eq 2000 ]
	U2C_BIN=$BIN run python3 scripts/bench-ingest --shape cloudevents --events 500 \
	    --prefill 2000 --runs 1 --dir "$T/b"
	expect_status 0
	[[ "$output" != *"# building"* ]]
	[[ "$output" == *"ingest-2k-keys / parse-only = "* ]]
}
