#!/usr/bin/env bats
# meter-ingest under kill -9, two writers on one ledger, and a ledger whose
# write lock is held by someone else: whatever happens, every accepted
# event ends in the ledger exactly once, nothing on stdout is missing from
# the ledger, and nothing is emitted twice.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

ASOF=2026-11-01T00:00:00Z

# gen ARGS...: scripts/gen-events with the usual rates and customers
gen() {
	"$REPO/scripts/gen-events" --customers 200 --dup-rate 0.05 \
	    --conflict-rate 0.01 --bad-rate 0.01 "$@"
}

# mi LEDGER ARGS...: meter-ingest on the generated customers.  To run it
# in the background use "${MI[@]}" --ledger LEDGER ... &, so that $! is
# meter-ingest itself, not a subshell running the function (kill -9 on
# that would leave meter-ingest running).
mi() {
	local l=$1
	shift
	mi_cmd
	"${MI[@]}" --ledger "$l" "$@"
}

mi_cmd() {
	MI=("$BIN/meter-ingest" --customers "$T/cust.ndjson" --as-of "$ASOF"
	    --max-age 60d)
}

# oracle KEYS FILE...: what meter-ingest must make of the files, read in
# order, computed without it: writes the sorted "source<TAB>id" of every
# event it must accept to KEYS and prints "lines unique duplicates
# conflicts bad".  A line is bad when it is not JSON or its subject is not
# in the customer master; a valid line whose (source, id) came before is a
# duplicate when byte-identical, a conflict otherwise.
oracle() {
	local keys=$1
	shift
	python3 - "$T/cust.ndjson" "$keys.tmp" "$@" <<-'EOF'
	import json, sys
	subjects = set()
	for line in open(sys.argv[1]):
	    if line.strip():
	        subjects.update(json.loads(line)["subjects"])
	first = {}
	n = dup = conf = bad = 0
	for path in sys.argv[3:]:
	    for raw in open(path, "rb"):
	        n += 1
	        try:
	            o = json.loads(raw)
	        except ValueError:
	            bad += 1
	            continue
	        if o.get("subject") not in subjects:
	            bad += 1
	            continue
	        k = (o["source"], o["id"])
	        if k not in first:
	            first[k] = raw
	        elif first[k] == raw:
	            dup += 1
	        else:
	            conf += 1
	with open(sys.argv[2], "w") as f:
	    for s, i in first:
	        f.write("%s\t%s\n" % (s, i))
	print(n, len(first), dup, conf, bad)
	EOF
	sort "$keys.tmp" >"$keys"
	rm -f "$keys.tmp"
}

# to_file FILE ARGS...: mi with stdout to FILE, so `run` sees stderr only
to_file() {
	local f=$1
	shift
	mi "$@" >"$f"
}

# count LEDGER: the usage records in LEDGER (a path, or on pg a conninfo)
count() {
	if [ "$(ledger_engine)" = pg ]; then
		if [ "$(pgq "$1" "select count(*) from pg_tables
		    where schemaname = current_schema() and tablename = 'usage_block'")" -eq 0 ]; then
			echo 0
		else
			pgq "$1" 'select coalesce(sum(n), 0) from usage_block'
		fi
		return
	fi
	# a run killed before it made the schema leaves no usage table: 0
	if [ "$(sqlite3 "$1" "select count(*) from sqlite_master
	    where name = 'usage_block'")" -eq 0 ]; then
		echo 0
	else
		sqlite3 "$1" 'select coalesce(sum(n), 0) from usage_block'
	fi
}

# pgq CONNINFO SQL: SQL run by psql, printed as sqlite3 does
pgq() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# complete FILE: the lines of FILE that end in a newline (a process killed
# between two write(2) calls of a batch leaves a partial last line)
complete() {
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(d[:d.rfind(b"\n") + 1])' "$1"
}

# check_ledger LEDGER KEYS: the ledger holds exactly the events of KEYS,
# each once, and --replay writes each of them once
check_ledger() {
	local l=$1 keys=$2 n
	n=$(wc -l <"$keys")
	[ "$(count "$l")" -eq "$n" ]
	"$BIN/meter-ingest" --replay --ledger "$l" >"$T/replay"
	[ "$(wc -l <"$T/replay")" -eq "$n" ]
	[ -z "$(jq -r .key "$T/replay" | sort | uniq -d)" ]
	jq -r '[.source, .id] | @tsv' "$T/replay" | sort >"$T/replay.keys"
	same "$keys" "$T/replay.keys"
}

# finish_waiter: let the lock holder ($holder) go; meter-ingest ($pid),
# which was waiting for the lock, must then finish with status 0
finish_waiter() {
	local st=0

	touch "$T/release"
	wait "$holder"
	wait "$pid" || st=$?
	[ "$st" -eq 0 ] || { cat "$T/err"; return 1; }
}

# bats test_tags=timing
@test "kill -9 at random points: no event lost, none emitted twice, re-runs finish the work" {
	local i pid st ms n prev=0 mid=0 killed=0 snap=0 extra=111
	gen --seed 1040 --customers-out "$T/cust.ndjson" 60000 >"$T/ev.ndjson"
	read -r nlines uniq dups confs bad < <(oracle "$T/keys" "$T/ev.ndjson")
	[ "$nlines" -eq 60000 ]
	[ "$dups" -gt 1000 ] && [ "$confs" -gt 100 ] && [ "$bad" -gt 100 ]

	# the reference: one complete run on a fresh ledger
	mi "$(ledger_new ref.sqlite)" --batch 500 --stats "$T/ref.json" \
	    --rejects "$T/ref.rej" "$T/ev.ndjson" >"$T/ref.out" 2>/dev/null
	jq -e --argjson u "$uniq" --argjson d "$dups" \
	    --argjson r "$((confs + bad))" \
	    '.read == 60000 and .emitted == $u and .duplicates == $d and
	     .rejected == $r' "$T/ref.json"
	[ "$(count "$(ledger_new ref.sqlite)")" -eq "$uniq" ]
	# a re-run emits nothing; its time tells how long a run takes to get
	# past what is committed (the rescan), so the kills below can land
	# in the new work of every run, not only of the first few
	t0=$EPOCHREALTIME
	mi "$(ledger_new ref.sqlite)" --batch 500 --stats "$T/ref2.json" \
	    --rejects "$T/ref.rej" "$T/ev.ndjson" >"$T/ref2.out" 2>/dev/null
	t1=$EPOCHREALTIME
	rescan=$(( (${t1/./} - ${t0/./}) / 1000 ))	# ms
	[ ! -s "$T/ref2.out" ]
	jq -e --argjson n "$((uniq + dups))" \
	    '.emitted == 0 and .duplicates == $n' "$T/ref2.json"

	L=$(ledger_new ledger.sqlite)
	mi_cmd
	RANDOM=1040
	# --hot-keys 4000: the key log is merged into the cold index every
	# few batches, so kills also land around merges
	for ((i = 1; i <= 24; i++)); do
		"${MI[@]}" --ledger "$L" --batch 500 --hot-keys 4000 \
		    --rejects "$T/run.$i.rej" "$T/ev.ndjson" >"$T/run.$i.out" \
		    2>"$T/run.$i.err" 3>&- &
		pid=$!
		BG=$pid
		# about the rescan of what is committed (0.75 .. 1.25 of it),
		# then 0.010 .. 0.120 s: some land in the rescan, most in new
		# work, and the work is spread over all the runs.  On a slow
		# machine the new-work window doubles while no run gets further.
		ms=$((rescan * prev / uniq * (75 + RANDOM % 51) / 100 +
		    10 + RANDOM % extra))
		if ((i % 3 == 0)); then
			# every third run killed once it has committed more
			# than the last one left: mid-run however loaded the
			# machine (the timed kills may all land in one place)
			ms=0
			# (sqlite3 would make the file the run has not made)
			while kill -0 "$pid" 2>/dev/null && {
			    { [ "$(ledger_engine)" = sqlite ] && [ ! -e "$L" ]; } ||
			    [ "$(count "$L")" -le "$prev" ]; }; do
				sleep 0.02
				ms=$((ms + 20))
			done
		else
			sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		fi
		kill -9 "$pid" 2>/dev/null || true
		st=0
		wait "$pid" || st=$?
		n=$(count "$L")
		echo "run $i: slept ${ms} ms, status $st, ledger $n" >>"$T/log"
		# killed (128 + 9) or finished before the kill
		[ "$st" -eq 137 ] || [ "$st" -eq 0 ] || {
			cat "$T/log" "$T/run.$i.err"
			return 1
		}
		# a commit is never lost
		[ "$n" -ge "$prev" ] || { cat "$T/log"; return 1; }
		if [ "$n" -gt "$prev" ] || [ "$n" -eq "$uniq" ] ||
		    [ "$extra" -ge 2000 ]; then
			extra=111
		else
			extra=$((extra * 2))
		fi
		prev=$n
		# what a run wrote is in the ledger (checked at the end)
		complete "$T/run.$i.out" >>"$T/all.out"
		if [ "$st" -eq 137 ] && [ "$n" -gt 0 ] && [ "$n" -lt "$uniq" ]; then
			mid=$((mid + 1))
			# keep the first half-done ledger for a complete run
			if [ "$snap" -eq 0 ]; then
				snap=$n
				if [ "$(ledger_engine)" = sqlite ]; then
					cp "$L" "$T/snap.sqlite"
					[ ! -e "$L-wal" ] || cp "$L-wal" "$T/snap.sqlite-wal"
				else
					ledger_copy ledger.sqlite snap.sqlite
				fi
				cp "$T/all.out" "$T/snap.emitted"
			fi
		fi
		[ "$st" -ne 137 ] || killed=$((killed + 1))
	done 2>>"$T/loop.err"	# bash's notes on the killed jobs
	cat "$T/log"
	# the kills landed mid-run, with part of the input committed
	[ "$killed" -ge 5 ]
	[ "$mid" -ge 3 ]
	[ "$(awk -v u="$uniq" '$7 == "137," && $NF > 0 && $NF < u { print $NF }' \
	    "$T/log" | sort -u | wc -l)" -ge 2 ]

	# a complete run on the half-done ledger emits exactly what was not
	# committed, none of what the killed runs emitted, and ends with the
	# same ledger as the uninterrupted reference run
	run to_file "$T/snap.out" "$(ledger_new snap.sqlite)" --batch 500 \
	    --rejects "$T/snap.rej" "$T/ev.ndjson"
	expect_status 0
	[ "$(wc -l <"$T/snap.out")" -eq "$((uniq - snap))" ]
	[ -z "$(cat "$T/snap.emitted" "$T/snap.out" | jq -r .key | sort | uniq -d)" ]
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ref.sqlite)" >"$T/ref.replay"
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new snap.sqlite)" |
	    cmp - "$T/ref.replay"

	# the final, complete run emits exactly what was not committed
	before=$(count "$L")
	run to_file "$T/final.out" "$L" --batch 500 --stats "$T/final.json" \
	    --rejects "$T/final.rej" "$T/ev.ndjson"
	expect_status 0
	jq -e --argjson e "$((uniq - before))" --argjson u "$uniq" \
	    --argjson d "$dups" --argjson r "$((confs + bad))" \
	    '.read == 60000 and .read == .emitted + .duplicates + .rejected and
	     .emitted == $e and .duplicates == $u - $e + $d and
	     .rejected == $r and ([.rejects_by_code[]] | add) == $r' \
	    "$T/final.json"
	[ "$(wc -l <"$T/final.rej")" -eq "$((confs + bad))" ]
	[[ "${lines[-1]}" == "meter-ingest: read 60000, emitted $((uniq - before)), duplicates "* ]]

	# (a) the ledger holds each unique valid event once; (c) so does replay
	check_ledger "$L" "$T/keys"
	# the same records, byte for byte, as the uninterrupted reference
	cmp "$T/ref.replay" "$T/replay"
	# (b) nothing was emitted twice over all runs, the records of the
	# final run are on its stdout and every line ever written is stored
	[ "$(wc -l <"$T/final.out")" -eq "$((uniq - before))" ]
	cat "$T/final.out" >>"$T/all.out"
	[ -z "$(jq -r .key "$T/all.out" | sort | uniq -d)" ]
	sort "$T/all.out" >"$T/all.sorted"
	sort "$T/replay" >"$T/replay.sorted"
	[ -z "$(comm -23 "$T/all.sorted" "$T/replay.sorted")" ]
}

# bats test_tags=timing
@test "two writers at once on overlapping input: both finish, each event stored and emitted once" {
	gen --seed 1041 --customers-out "$T/cust.ndjson" 30000 >"$T/ev.ndjson"
	# A = shared + A-only, B = shared + B-only, the shared half
	# interleaved with the rest so both claim the same keys all along
	sed -n '1,10000p' "$T/ev.ndjson" >"$T/s"
	sed -n '10001,20000p' "$T/ev.ndjson" >"$T/a1"
	sed -n '20001,30000p' "$T/ev.ndjson" >"$T/b1"
	paste -d '\n' "$T/s" "$T/a1" >"$T/a.ndjson"
	paste -d '\n' "$T/b1" "$T/s" >"$T/b.ndjson"
	read -r nlines uniq dups confs bad < <(oracle "$T/keys" "$T/ev.ndjson")
	[ "$uniq" -gt 25000 ]

	# the ledger exists (two runs creating it at once: the next test)
	L=$(ledger_new ledger.sqlite)
	mi "$L" --rejects "$T/r0" </dev/null >/dev/null 2>&1
	mi_cmd
	# small --hot-keys: each merges the key log into the cold index every
	# few batches, and the other must notice (key_gen) and reload
	"${MI[@]}" --ledger "$L" --batch 500 --hot-keys 1500 --stats "$T/a.json" \
	    --rejects "$T/a.rej" "$T/a.ndjson" >"$T/a.out" 2>"$T/a.err" 3>&- &
	pa=$!
	BG="$BG $pa"
	"${MI[@]}" --ledger "$L" --batch 500 --hot-keys 2500 --stats "$T/b.json" \
	    --rejects "$T/b.rej" "$T/b.ndjson" >"$T/b.out" 2>"$T/b.err" 3>&- &
	pb=$!
	BG="$BG $pb"
	sa=0 sb=0
	wait "$pa" || sa=$?
	wait "$pb" || sb=$?
	[ "$sa" -eq 0 ] || { echo "A: status $sa"; cat "$T/a.err"; return 1; }
	[ "$sb" -eq 0 ] || { echo "B: status $sb"; cat "$T/b.err"; return 1; }
	for x in a b; do
		jq -e '.read == 20000 and .read == .emitted + .duplicates + .rejected' \
		    "$T/$x.json"
		[ "$(jq .emitted "$T/$x.json")" -eq "$(wc -l <"$T/$x.out")" ]
	done
	[ "$(( $(jq .emitted "$T/a.json") + $(jq .emitted "$T/b.json") ))" -eq "$uniq" ]
	# the union of the two outputs: each unique event exactly once
	cat "$T/a.out" "$T/b.out" >"$T/ab.out"
	[ -z "$(jq -r .key "$T/ab.out" | sort | uniq -d)" ]
	jq -r '[.source, .id] | @tsv' "$T/ab.out" | sort >"$T/ab.keys"
	same "$T/keys" "$T/ab.keys"
	check_ledger "$L" "$T/keys"
	# and what they emitted is what the ledger replays
	sort "$T/ab.out" >"$T/ab.sorted"
	sort "$T/replay" >"$T/replay.sorted"
	same "$T/ab.sorted" "$T/replay.sorted"
}

@test "two first runs at once on a new ledger: one creates it, both finish" {
	local i pa pb sa sb l
	for ((i = 1; i <= 30; i++)); do
		l=$(ledger_new "l$i.sqlite")
		"$BIN/meter-ingest" --customers testdata/customers.ndjson \
		    --ledger "$l" --as-of 2026-10-20T00:00:00Z \
		    --rejects "$T/r$i.a" testdata/events.ndjson \
		    >"$T/o$i.a" 2>"$T/e$i.a" 3>&- &
		pa=$!
		"$BIN/meter-ingest" --customers testdata/customers.ndjson \
		    --ledger "$l" --as-of 2026-10-20T00:00:00Z \
		    --rejects "$T/r$i.b" testdata/events.ndjson \
		    >"$T/o$i.b" 2>"$T/e$i.b" 3>&- &
		pb=$!
		BG="$pa $pb"
		sa=0 sb=0
		wait "$pa" || sa=$?
		wait "$pb" || sb=$?
		if [ "$sa" -ne 0 ] || [ "$sb" -ne 0 ]; then
			echo "pair $i: exit $sa and $sb"
			tail -qn 1 "$T/e$i.a" "$T/e$i.b"
			return 1
		fi
		[ "$(count "$l")" -eq 6 ]
		[ "$(cat "$T/o$i.a" "$T/o$i.b" | wc -l)" -eq 6 ]
		[ -z "$(cat "$T/o$i.a" "$T/o$i.b" | jq -r .key | sort | uniq -d)" ]
	done
}

# hold_lock LEDGER: hold a write transaction (BEGIN IMMEDIATE) on LEDGER in
# the background until $T/release exists (at most 60 s); returns once the
# lock is taken, with the holder's pid in $holder
hold_lock() {
	rm -f "$T/locked" "$T/release"
	python3 - "$1" "$T/locked" "$T/release" <<-'EOF' 3>&- &
	import os, sqlite3, sys, time
	db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
	db.execute("BEGIN IMMEDIATE")
	open(sys.argv[2], "w").close()
	deadline = time.monotonic() + 60
	while not os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
	    time.sleep(0.02)
	db.execute("ROLLBACK")
	db.close()
	EOF
	holder=$!
	BG="$BG $holder"
	local i
	for ((i = 0; i < 500; i++)); do
		[ -e "$T/locked" ] && return 0
		kill -0 "$holder" 2>/dev/null || break
		sleep 0.02
	done
	echo "the lock holder did not start" >&2
	return 1
}

# bats test_tags=timing
@test "a ledger locked past --busy-timeout: exit 75, nothing written; a re-run completes" {
	sqlite_only "SQLite's write lock, held by python3's sqlite3"
	gen --seed 1042 --customers-out "$T/cust.ndjson" 5000 >"$T/ev.ndjson"
	read -r nlines uniq dups confs bad < <(oracle "$T/keys" "$T/ev.ndjson")
	head -n 2000 "$T/ev.ndjson" >"$T/first"
	L=$T/ledger.sqlite
	mi "$L" --rejects "$T/r0" "$T/first" >/dev/null 2>&1
	n0=$(count "$L")
	[ "$n0" -gt 1000 ] && [ "$n0" -lt "$uniq" ]

	hold_lock "$L"
	t0=$EPOCHREALTIME
	run to_file "$T/busy.out" "$L" --busy-timeout 300 --rejects "$T/r1" \
	    "$T/ev.ndjson"
	t1=$EPOCHREALTIME
	expect_status 75
	[[ "$output" == *"busy"* ]]
	[[ "${lines[-1]}" == "meter-ingest: ledger '$L' is busy"* ]]
	[ ! -s "$T/busy.out" ]
	[ ! -s "$T/r1" ]
	# it waited for the timeout, not for the lock: the holder still holds
	kill -0 "$holder"
	ms=$(( (${t1/./} - ${t0/./}) / 1000 ))
	[ "$ms" -ge 250 ] && [ "$ms" -lt 5000 ] || { echo "took $ms ms"; return 1; }
	[ "$(count "$L")" -eq "$n0" ]
	touch "$T/release"
	wait "$holder"

	run to_file "$T/rerun.out" "$L" --busy-timeout 300 --rejects "$T/r2" \
	    --stats "$T/s2.json" "$T/ev.ndjson"
	expect_status 0
	[ "$(wc -l <"$T/rerun.out")" -eq "$((uniq - n0))" ]
	jq -e --argjson e "$((uniq - n0))" '.emitted == $e and .read == 5000' \
	    "$T/s2.json"
	check_ledger "$L" "$T/keys"
}

@test "a lock released within --busy-timeout is waited for, and the run completes" {
	sqlite_only "SQLite's write lock, held by python3's sqlite3"
	gen --seed 1043 --customers-out "$T/cust.ndjson" 3000 >"$T/ev.ndjson"
	read -r nlines uniq dups confs bad < <(oracle "$T/keys" "$T/ev.ndjson")
	L=$T/ledger.sqlite
	mi "$L" --rejects "$T/r0" </dev/null >/dev/null 2>&1
	[ "$(count "$L")" -eq 0 ]

	hold_lock "$L"
	mi_cmd
	"${MI[@]}" --ledger "$L" --busy-timeout 20000 --rejects "$T/r1" \
	    "$T/ev.ndjson" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG="$BG $pid"
	sleep 1
	# still waiting: nothing committed, nothing written
	kill -0 "$pid"
	[ ! -s "$T/out" ]
	[ "$(count "$L")" -eq 0 ]
	finish_waiter
	[ "$(wc -l <"$T/out")" -eq "$uniq" ]
	check_ledger "$L" "$T/keys"
}

@test "a new, empty ledger whose write lock another process holds (creating it): waited for, then used" {
	sqlite_only "SQLite's write lock, held by python3's sqlite3"
	gen --seed 1044 --customers-out "$T/cust.ndjson" 2000 >"$T/ev.ndjson"
	read -r nlines uniq dups confs bad < <(oracle "$T/keys" "$T/ev.ndjson")
	L=$T/ledger.sqlite
	: >"$L"
	hold_lock "$L"
	mi_cmd
	"${MI[@]}" --ledger "$L" --rejects "$T/r1" "$T/ev.ndjson" \
	    >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG="$BG $pid"
	sleep 1
	# still waiting for the lock (default --busy-timeout: 10 s)
	kill -0 "$pid" 2>/dev/null || {
		st=0
		wait "$pid" || st=$?
		echo "meter-ingest did not wait: exit $st"
		cat "$T/err"
		return 1
	}
	[ ! -s "$T/out" ]
	finish_waiter
	[ "$(wc -l <"$T/out")" -eq "$uniq" ]
	[ "$(sqlite3 "$L" 'PRAGMA application_id')" = 1429357313 ]
	check_ledger "$L" "$T/keys"
}
