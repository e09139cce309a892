#!/usr/bin/env bats
# scripts/bench-pg, issue 23's benchmark (ingest and month-end on
# PostgreSQL beside SQLite, W workers at once), run at a tiny size: the
# shape of its tables, its checks (every event in each ledger, the sharded
# month-end's union the single run's, PostgreSQL's month-end SQLite's),
# the cluster tuned and gone afterwards, and that its comparisons do see
# a difference.  Skipped without the PostgreSQL server.  No timing is
# asserted.

load lib

# bench: scripts/bench-pg at 2000 events, 50 customers, W=1,2, into $T/b
bench() {
	chmod 0711 "$T"	# the server's user (as root: postgres) gets through
	U2C_BIN=$BIN run python3 scripts/bench-pg --events 2000 --customers 50 \
	    --workers 1,2 --dir "$T/b" --keep "$@"
}

@test "bench-pg: both engines at W=1,2: the tables' shape, every check ok, PostgreSQL's month-end SQLite's, the cluster gone" {
	pg_available
	pg_engine
	bench
	expect_status 0
	local out
	out=$(grep -v '^#' <<<"$output")
	[[ "$out" == "bench-pg: 2,000 events ("*" MB, "*" B/line), 50 customers, "*" CPUs"* ]]
	grep -q '^PostgreSQL server_version=.*, fsync=on, synchronous_commit=on, .*shared_buffers=1GB, wal_buffers=64MB, max_wal_size=16384MB, checkpoint_timeout=1800s, work_mem=65536kB$' <<<"$out"
	grep -qx 'engine       W   wall s   events/s worker cpu s  RSS MiB server cpu s   WAL MB  x 10k/s  check' <<<"$out"
	# one row an engine and W, each checked: 2000 emitted and held
	[ "$(grep -cE '^postgresql +[12] +[0-9.]+ +[0-9,]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9.]+  ok$' <<<"$out")" -eq 2 ]
	[ "$(grep -cE '^sqlite +[12] +[0-9.]+ +[0-9,]+ +[0-9.]+ +[0-9.]+ +- +- +[0-9.]+  ok$' <<<"$out")" -eq 2 ]
	grep -q '^postgresql W=2: the server.s time by statement (pg_stat_statements; run wall ' <<<"$out"
	# the records went in as blocks, a row each: far fewer than 2000
	grep -qE '^ +[0-9]+ +[0-9.]+ +[0-9]{1,3}  INSERT INTO usage_block ' <<<"$out"
	grep -qx 'engine       W aggregate s  rate s invoice s  post s pipeline s  RSS MiB server cpu s  check' <<<"$out"
	[ "$(grep -cE '^postgresql +1( +[0-9.]+){7}  single run$' <<<"$out")" -eq 1 ]
	[ "$(grep -cE '^postgresql +2( +[0-9.]+){7}  = single$' <<<"$out")" -eq 1 ]
	[ "$(grep -cE '^sqlite +1( +[0-9.]+){6} +-  single run$' <<<"$out")" -eq 1 ]
	[ "$(grep -cE '^sqlite +2( +[0-9.]+){6} +-  = single$' <<<"$out")" -eq 1 ]
	[ "$(tail -n 1 <<<"$out")" = "month-end postgresql vs sqlite (W=1: aggregates, rated, alerts, documents, journal, sorted): equal" ]
	# the report kept, the raw timings beside it
	diff <(printf '%s\n' "$out") "$T/b/bench-pg-2000.txt"
	[ "$(jq '.ingest | length' "$T/b/bench-pg-2000.json")" -eq 4 ]
	[ "$(jq '[.ingest[] | select(.W == 2) | .workers | length] | add' "$T/b/bench-pg-2000.json")" -eq 4 ]
	[ "$(jq '[.monthend[] | select(.W == 2) | .shards[] | length] | add' "$T/b/bench-pg-2000.json")" -eq 16 ]
	# the month-end itself, checked here too: documents for every
	# customer with usage, the same on both engines byte for byte
	local w=$T/b/pgb-work
	[ "$(wc -l <"$w/monthend-postgresql-1/documents")" -eq 50 ]
	for f in aggregates rated documents journal; do
		[ -s "$w/monthend-sqlite-1/$f" ]
		cmp "$w/monthend-postgresql-1/$f" "$w/monthend-sqlite-1/$f"
	done
	# each worker its own rejects and stats
	[ "$(jq -s 'map(.emitted) | add' "$w"/ingest-postgresql-2/w[12].stats)" -eq 2000 ]
	# the cluster stopped and removed
	[ ! -e "$T/b/pgc" ]
}

@test "bench-pg: its comparisons see a difference, and not a renumbering" {
	pg_available
	pg_engine
	bench --engines postgresql
	expect_status 0
	run python3 - "$T/b/pgb-work" <<-'EOF'
	import importlib.machinery, importlib.util, json, shutil, sys
	w = sys.argv[1]
	loader = importlib.machinery.SourceFileLoader("bp", "scripts/bench-pg")
	bp = importlib.util.module_from_spec(
	    importlib.util.spec_from_loader("bp", loader))
	loader.exec_module(bp)
	one, two = w + "/monthend-postgresql-1", w + "/monthend-postgresql-2"
	print("as run:", bp.same_as_single(two, one))
	# two documents' numbers swapped (shards took them in another order),
	# and the journal's ids and numbers with them: still the single run
	x = w + "/x"
	shutil.copytree(two, x)
	docs = [json.loads(l) for l in open(x + "/documents")]
	a, b = docs[0]["number"], docs[1]["number"]
	docs[0]["number"], docs[1]["number"] = b, a
	with open(x + "/documents", "w") as f:
	    f.writelines(json.dumps(d) + "\n" for d in docs)
	jour = [json.loads(l) for l in open(x + "/journal")]
	for e in jour:
	    n = e["document"]["number"]
	    e["document"]["number"] = {a: b, b: a}.get(n, n)
	    e["id"] = "other"
	with open(x + "/journal", "w") as f:
	    f.writelines(json.dumps(e) + "\n" for e in jour)
	print("renumbered:", bp.same_as_single(x, one))
	# a rated line lost, an amount changed
	lines = open(x + "/rated").readlines()
	open(x + "/rated", "w").writelines(lines[1:])
	docs[0]["total"] = "0.01"
	with open(x + "/documents", "w") as f:
	    f.writelines(json.dumps(d) + "\n" for d in docs)
	print("changed:", bp.same_as_single(x, one))
	print("engines:", bp.same_outputs(one, one), bp.same_outputs(x, one))
	EOF
	expect_status 0
	[ "${lines[0]}" = "as run: []" ]
	[ "${lines[1]}" = "renumbered: []" ]
	[ "${lines[2]}" = "changed: ['rated: 402 lines, single 403, 1 lines not in both', 'documents renumbered: 50, single 50']" ]
	[ "${lines[3]}" = "engines: [] ['rated (402 and 403 lines, 1 lines not in both)', 'documents (50 and 50 lines, 100 lines not in both)', 'journal (53 and 53 lines, 106 lines not in both)']" ]
}
