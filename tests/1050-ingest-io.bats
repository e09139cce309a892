#!/usr/bin/env bats
# meter-ingest and the world around it: a reader that goes away (EPIPE), a
# full disk on stdout, a bad customer master, a ledger that is not ours or
# is newer than us, and what a new ledger looks like.

load lib

ASOF=2026-11-01T00:00:00Z

# gen ARGS...: scripts/gen-events with some duplicates, conflicts and bad
# lines, writing the matching customer master to $T/cust.ndjson
gen() {
	"$REPO/scripts/gen-events" --customers 50 --dup-rate 0.05 \
	    --conflict-rate 0.01 --bad-rate 0.01 \
	    --customers-out "$T/cust.ndjson" "$@"
}

# mi ARGS...: meter-ingest on the generated customers, ledger $T/l.sqlite
mi() {
	"$BIN/meter-ingest" --customers "$T/cust.ndjson" \
	    --ledger "$T/l.sqlite" --as-of "$ASOF" "$@"
}

# to FILE CMD ARGS...: CMD with stdout to FILE, so `run` sees stderr only
to() {
	local f=$1
	shift
	"$@" >"$f"
}

count() {
	sqlite3 "$1" 'select coalesce(sum(n), 0) from usage_block'
}

# unique_valid FILE: how many distinct (source, id) of events FILE holds
# with a known subject (what the ledger must end with)
unique_valid() {
	python3 - "$T/cust.ndjson" "$1" <<-'EOF'
	import json, sys
	subjects = set()
	for line in open(sys.argv[1]):
	    subjects.update(json.loads(line)["subjects"])
	keys = set()
	for raw in open(sys.argv[2], "rb"):
	    try:
	        o = json.loads(raw)
	    except ValueError:
	        continue
	    if o.get("subject") in subjects:
	        keys.add((o["source"], o["id"]))
	print(len(keys))
	EOF
}

HINT="the records of committed batches are in the ledger; write them again with --replay"

# ---- stdout errors ----

@test "a reader that goes away (EPIPE): exit 74 after the first batch's commit; a re-run finishes" {
	gen --seed 1050 20000 >"$T/ev.ndjson"
	uniq=$(unique_valid "$T/ev.ndjson")
	mi --batch 1000 --rejects "$T/r1" "$T/ev.ndjson" 2>"$T/err" |
	    head -c 100 >"$T/head"
	st=("${PIPESTATUS[@]}")
	status=${st[0]} output=$(cat "$T/err")
	expect_status 74
	[ "${st[1]}" -eq 0 ]
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: write error on standard output: Broken pipe; $HINT" ]
	# no summary: the run did not finish
	[ "$(grep -c '^meter-ingest: read ' "$T/err")" -eq 0 ]
	[ "$(wc -c <"$T/head")" -eq 100 ]
	# what was committed stays: the first batch, not the whole input
	n=$(count "$T/l.sqlite")
	[ "$n" -gt 0 ] && [ "$n" -lt "$uniq" ]
	# the 100 bytes the reader got are the start of a stored record
	"$BIN/meter-ingest" --replay --ledger "$T/l.sqlite" >"$T/replay1"
	[ "$(wc -l <"$T/replay1")" -eq "$n" ]
	grep -qF "$(cat "$T/head")" "$T/replay1"

	run to "$T/out2" mi --batch 1000 --rejects "$T/r2" "$T/ev.ndjson"
	expect_status 0
	[ "$(wc -l <"$T/out2")" -eq "$((uniq - n))" ]
	[ "$(count "$T/l.sqlite")" -eq "$uniq" ]
	# nothing of the first batch again
	[ -z "$(cat "$T/replay1" "$T/out2" | jq -r .key | sort | uniq -d)" ]
}

@test "--replay into a reader that goes away: exit 74 with the message" {
	gen --seed 1051 5000 >"$T/ev.ndjson"
	mi --rejects "$T/r" "$T/ev.ndjson" >/dev/null 2>&1
	"$BIN/meter-ingest" --replay --ledger "$T/l.sqlite" 2>"$T/err" |
	    head -c 100 >/dev/null
	st=("${PIPESTATUS[@]}")
	status=${st[0]} output=$(cat "$T/err")
	expect_status 74
	[[ "$(tail -n 1 "$T/err")" == "meter-ingest: write error on standard output: Broken pipe"* ]]
}

# bats test_tags=timing
@test "stdout on a full disk (/dev/full): exit 74 with the message; the records are in the ledger" {
	run to /dev/full ingest --rejects "$T/r" testdata/events.ndjson
	expect_status 74
	[ "${lines[-1]}" = "meter-ingest: write error on standard output: No space left on device; $HINT" ]
	# committed before the write: a re-run finds them all duplicates,
	# --replay writes them
	[ "$(count "$T/ledger.sqlite")" -eq 6 ]
	run to "$T/out2" ingest --rejects "$T/r2" --stats "$T/s2.json" \
	    testdata/events.ndjson
	expect_status 0
	[ ! -s "$T/out2" ]
	jq -e '.emitted == 0 and .duplicates == 7 and .rejected == 15' "$T/s2.json"
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" >"$T/replay"
	same testdata/ingest/events.expected.ndjson "$T/replay"

	# more than stdio's buffer: the error comes from a write, not the flush
	gen --seed 1052 5000 >"$T/ev.ndjson"
	run to /dev/full mi --rejects "$T/r3" "$T/ev.ndjson"
	expect_status 74
	[[ "${lines[-1]}" == "meter-ingest: write error on standard output: No space left on device;"* ]]
	[ "$(count "$T/l.sqlite")" -gt 1000 ]

	run to /dev/full "$BIN/meter-ingest" --replay --ledger "$T/l.sqlite"
	expect_status 74
	[[ "${lines[-1]}" == "meter-ingest: write error on standard output: No space left on device"* ]]
}

@test "rejects on a full disk (/dev/full): exit 74, the way back said; the records are in the ledger" {
	run to "$T/out" ingest --rejects /dev/full testdata/events.ndjson
	expect_status 74
	[ "${lines[-1]}" = "meter-ingest: cannot write rejects to '/dev/full': No space left on device; the records of committed batches are in the ledger; write them again with --replay; the same input run again rejects these records again" ]
	# committed before the rejects, and not written: --replay writes them
	[ ! -s "$T/out" ]
	[ "$(count "$T/ledger.sqlite")" -eq 6 ]
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" >"$T/replay"
	same testdata/ingest/events.expected.ndjson "$T/replay"
	# and a rejects file that cannot be opened says the same
	run to "$T/out" ingest --rejects "$T/none/r" testdata/events.ndjson
	expect_status 73
	[[ "${lines[-1]}" == *"; the records of committed batches are in the ledger; write them again with --replay;"* ]]
}

# ---- the customer master ----

# bad_master FILE: meter-ingest with customer master FILE on the sample
# events; stdout to $T/out
bad_master() {
	"$BIN/meter-ingest" --customers "$1" --ledger "$T/ledger.sqlite" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r" \
	    testdata/events.ndjson >"$T/out"
}

# refused: the last run exited 78, wrote nothing and stored nothing
refused() {
	expect_status 78
	[ ! -s "$T/out" ]
	[ ! -e "$T/r" ]
	[ ! -e "$T/ledger.sqlite" ] || [ "$(count "$T/ledger.sqlite")" -eq 0 ]
}

@test "customer master: a subject listed for two customers is exit 78, FILE:LINE: maps to both" {
	f=$T/c.ndjson
	cat >"$f" <<-'EOF'
	{"id":"cus_a","subjects":["s1","s2"],"entity":"e","currency":"USD","country":"US","timezone":"UTC"}
	{"id":"cus_b","subjects":["s3","s2"],"entity":"e","currency":"EUR","country":"DE","timezone":"Europe/Berlin"}
	EOF
	run bad_master "$f"
	refused
	[ "${lines[0]}" = "meter-ingest: $f:2: subject 's2' maps to both 'cus_a' (line 1) and 'cus_b'" ]
	[ "${lines[-1]}" = "meter-ingest: customer master '$f' has 1 error" ]
	[ "${#lines[@]}" -eq 2 ]

	# the same in CSV: the line is the file's line, header included
	f=$T/c.csv
	printf '%s\n' 'id,subjects,entity,currency,country,timezone' \
	    'cus_a,s1|s2,e,USD,US,UTC' 'cus_b,s2,e,USD,US,UTC' >"$f"
	run bad_master "$f"
	refused
	[ "${lines[0]}" = "meter-ingest: $f:3: subject 's2' maps to both 'cus_a' (line 2) and 'cus_b'" ]
}

@test "customer master: unknown currency, unknown timezone, missing field, duplicate id: all reported, exit 78" {
	f=$T/c.ndjson
	cat >"$f" <<-'EOF'
	{"id":"cus_a","subjects":["s1"],"entity":"e","currency":"USD","country":"US","timezone":"UTC"}
	{"id":"cus_b","subjects":["s2"],"entity":"e","currency":"ZZZ","country":"DE","timezone":"Europe/Berlin"}

	{"id":"cus_c","subjects":["s3"],"entity":"e","currency":"EUR","country":"DE","timezone":"Mars/Olympus_Mons"}
	{"id":"cus_d","subjects":["s4"],"entity":"e","country":"DE","timezone":"Europe/Berlin"}
	{"id":"cus_a","subjects":["s5"],"entity":"e","currency":"EUR","country":"DE","timezone":"Europe/Berlin"}
	{"id":"cus_e","entity":"e","currency":"EUR","country":"DE","timezone":"Europe/Berlin"}
	EOF
	run bad_master "$f"
	refused
	# every error, each with the file's line number (the blank line counts)
	[ "${lines[0]}" = "meter-ingest: $f:2: currency 'ZZZ' is not an ISO 4217 code" ]
	[ "${lines[1]}" = "meter-ingest: $f:4: timezone 'Mars/Olympus_Mons': unknown time zone" ]
	[ "${lines[2]}" = "meter-ingest: $f:5: missing field 'currency'" ]
	[ "${lines[3]}" = "meter-ingest: $f:6: customer 'cus_a' is already defined on line 1" ]
	[ "${lines[4]}" = "meter-ingest: $f:7: missing field 'subjects'" ]
	[ "${lines[5]}" = "meter-ingest: customer master '$f' has 5 errors" ]
	[ "${#lines[@]}" -eq 6 ]

	# each alone is enough
	a='{"id":"cus_a","subjects":["s1"],"entity":"e","currency":"USD","country":"US","timezone":"UTC"}'
	for b in \
	    '{"id":"cus_b","subjects":["s2"],"entity":"e","currency":"usd","country":"US","timezone":"UTC"}' \
	    '{"id":"cus_b","subjects":["s2"],"entity":"e","currency":"USD","country":"US","timezone":"Europe/Nowhere"}' \
	    '{"id":"cus_a","subjects":["s2"],"entity":"e","currency":"USD","country":"US","timezone":"UTC"}'; do
		printf '%s\n' "$a" "$b" >"$f"
		run bad_master "$f"
		refused
		[[ "${lines[0]}" == "meter-ingest: $f:2: "* ]]
		[ "${lines[-1]}" = "meter-ingest: customer master '$f' has 1 error" ]
		[ "${#lines[@]}" -eq 2 ]
	done
	printf '%s\n' '{"id":"cus_a","subjects":["s1"],"currency":"USD","country":"US","timezone":"UTC"}' >"$f"
	run bad_master "$f"
	refused
	[ "${lines[0]}" = "meter-ingest: $f:1: missing field 'entity'" ]
}

@test "customer master: a missing file is exit 66" {
	run bad_master "$T/nope.ndjson"
	expect_status 66
	[ "${lines[0]}" = "meter-ingest: cannot open '$T/nope.ndjson': No such file or directory" ]
	[ "${lines[-1]}" = "meter-ingest: cannot read the customer master '$T/nope.ndjson'" ]
	[ ! -s "$T/out" ]
}

# ---- the ledger ----

# open_ledger LEDGER: meter-ingest on the sample events with LEDGER
open_ledger() {
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$1" --as-of 2026-10-20T00:00:00Z --rejects "$T/r" \
	    testdata/events.ndjson >"$T/out"
}

@test "a ledger that is not an SQLite database: exit 78, the file is left alone" {
	printf 'usage ledger, version 1\nthis is text, not a database\n' >"$T/l.sqlite"
	cp "$T/l.sqlite" "$T/l.orig"
	run open_ledger "$T/l.sqlite"
	expect_status 78
	[ "${lines[-1]}" = "meter-ingest: ledger '$T/l.sqlite' is not a usable ledger: file is not a database" ]
	[ ! -s "$T/out" ]
	cmp "$T/l.sqlite" "$T/l.orig"
	[ ! -e "$T/l.sqlite-wal" ]
	run "$BIN/meter-ingest" --replay --ledger "$T/l.sqlite"
	expect_status 78
}

@test "an SQLite database of another application: exit 78, its tables untouched" {
	# another application_id
	sqlite3 "$T/a.sqlite" 'PRAGMA application_id = 42;
	    CREATE TABLE t (x); INSERT INTO t VALUES (1)'
	run open_ledger "$T/a.sqlite"
	expect_status 78
	[ "${lines[-1]}" = "meter-ingest: '$T/a.sqlite' is an SQLite database but not a ledger of this toolchain (application_id 42)" ]
	[ ! -s "$T/out" ]
	[ "$(sqlite3 "$T/a.sqlite" 'select group_concat(name) from sqlite_master')" = t ]
	[ "$(sqlite3 "$T/a.sqlite" 'select x from t')" = 1 ]
	run "$BIN/meter-ingest" --replay --ledger "$T/a.sqlite"
	expect_status 78

	# no application_id, user_version 0, but tables: not an empty file
	# to make a ledger of
	sqlite3 "$T/b.sqlite" 'CREATE TABLE usage (x); INSERT INTO usage VALUES (7)'
	run open_ledger "$T/b.sqlite"
	expect_status 78
	[ "${lines[-1]}" = "meter-ingest: '$T/b.sqlite' is an SQLite database but not a ledger of this toolchain (application_id 0)" ]
	[ "$(sqlite3 "$T/b.sqlite" 'select group_concat(name) from sqlite_master')" = usage ]
	[ "$(sqlite3 "$T/b.sqlite" 'select x from usage')" = 7 ]
	[ "$(sqlite3 "$T/b.sqlite" 'PRAGMA application_id')" = 0 ]
	[ "$(sqlite3 "$T/b.sqlite" 'PRAGMA user_version')" = 0 ]
}

@test "an SQLite database with our application_id but user_version 0 and other tables: exit 78" {
	sqlite3 "$T/c.sqlite" 'PRAGMA application_id = 1429357313;
	    CREATE TABLE t (x); INSERT INTO t VALUES (1)'
	run open_ledger "$T/c.sqlite"
	expect_status 78
	[ ! -s "$T/out" ]
	[ "$(sqlite3 "$T/c.sqlite" 'select group_concat(name) from sqlite_master')" = t ]
}

@test "a refused database keeps its journal mode (meter-ingest does not turn it to WAL)" {
	sqlite3 "$T/a.sqlite" 'PRAGMA application_id = 42; CREATE TABLE t (x)'
	[ "$(sqlite3 "$T/a.sqlite" 'PRAGMA journal_mode')" = delete ]
	run open_ledger "$T/a.sqlite"
	expect_status 78
	[ "$(sqlite3 "$T/a.sqlite" 'PRAGMA journal_mode')" = delete ]
}

@test "a ledger of a newer schema (user_version 13): exit 78, 'newer', for ingest and replay" {
	open_ledger "$T/l.sqlite" 2>/dev/null
	[ "$(count "$T/l.sqlite")" -eq 6 ]
	sqlite3 "$T/l.sqlite" 'PRAGMA user_version = 13'
	rm -f "$T/r"
	run open_ledger "$T/l.sqlite"
	expect_status 78
	[ "${lines[-1]}" = "meter-ingest: ledger '$T/l.sqlite' has schema version 13, newer than this program knows (12); upgrade the toolchain" ]
	[ ! -s "$T/out" ]
	[ ! -e "$T/r" ]
	run "$BIN/meter-ingest" --replay --ledger "$T/l.sqlite"
	expect_status 78
	[[ "$output" == *"newer"* ]]
	[ "$(count "$T/l.sqlite")" -eq 6 ]
	[ "$(sqlite3 "$T/l.sqlite" 'PRAGMA user_version')" = 13 ]
}

# hold_ledger L: meter-ingest opens the ledger L, then waits for input on
# the fifo $T/in, which fd 5 holds open (read-write: it does not wait for
# the other end); back once L's -shm exists.  release_ledger: one event
# through the fifo, and the run waited for.
hold_ledger() {
	mkfifo "$T/in"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson --ledger "$1" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$T/r" "$T/in" \
	    >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG=$pid
	exec 5<>"$T/in"
	# Until the ledger is open and meter-ingest holds the FIFO: closing
	# our end before it opens would leave it waiting for a writer forever.
	for ((i = 0; i < 3000; i++)); do
		[ -e "$1-shm" ] && fifo_open "$pid" "$T/in" && break
		sleep 0.02
	done
}

# fifo_open PID F: process PID has the file F open
fifo_open() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

release_ledger() {
	ce n1 globex 2026-10-10T00:00:00Z >&5
	exec 5>&-
	wait "$pid"
}

# private L: the ledger L, its -wal and its -shm have mode 0600
private() {
	[ "$(stat -c %a "$1")" = 600 ]
	[ "$(stat -c %a "$1-wal")" = 600 ]
	[ "$(stat -c %a "$1-shm")" = 600 ]
}

# bats test_tags=timing
@test "an empty file made before the first run (touch, umask 022) becomes a private ledger: 0600, -wal and -shm too; a ledger keeps the mode its owner gives it" {
	umask 022
	L=$T/touched.sqlite
	touch "$L"
	[ "$(stat -c %a "$L")" = 644 ]
	hold_ledger "$L"
	private "$L"
	release_ledger
	[ "$(count "$L")" -eq 1 ]
	# the owner lets a group read it: later runs leave that as it is
	chmod 640 "$L"
	run open_ledger "$L"
	expect_status 0
	[ "$(stat -c %a "$L")" = 640 ]
}

# bats test_tags=timing
@test "a new ledger: mode 0600 (also -wal and -shm) whatever the umask, WAL, application_id, user_version, 16 KiB pages" {
	umask 0
	L=$T/new.sqlite
	hold_ledger "$L"
	private "$L"
	release_ledger
	[ "$(wc -l <"$T/out")" -eq 1 ]
	[ "$(stat -c %a "$L")" = 600 ]
	[ "$(sqlite3 "$L" 'PRAGMA journal_mode')" = wal ]
	[ "$(sqlite3 "$L" 'PRAGMA application_id')" = 1429357313 ]
	[ "$(sqlite3 "$L" 'PRAGMA user_version')" = 12 ]
	[ "$(sqlite3 "$L" 'PRAGMA page_size')" = 16384 ]
	[ "$(count "$L")" -eq 1 ]

	# an empty file (from touch or mktemp) becomes a ledger too
	: >"$T/empty.sqlite"
	run open_ledger "$T/empty.sqlite"
	expect_status 0
	[ "$(sqlite3 "$T/empty.sqlite" 'PRAGMA application_id')" = 1429357313 ]
	[ "$(sqlite3 "$T/empty.sqlite" 'PRAGMA user_version')" = 12 ]
	[ "$(sqlite3 "$T/empty.sqlite" 'PRAGMA page_size')" = 16384 ]
	[ "$(count "$T/empty.sqlite")" -eq 6 ]
}

@test "a pipe that never goes quiet for long: the batch still ends about once a second, not after 1024 records" {
	# A moment's empty pipe is not quiet (lines.h: LR_QUIET_MS); a
	# producer writing a line every 10 ms never pauses that long, yet its
	# records are committed and written about once a second
	# (LR_TRICKLE_MS), not first when the 1024th record checks the clock
	mkfifo "$T/in"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/l.sqlite" --as-of 2026-10-20T00:00:00Z \
	    --rejects "$T/r" "$T/in" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG=$pid
	exec 5>"$T/in"
	for ((i = 1; i <= 3000; i++)); do
		ce "t$i" globex 2026-10-10T00:00:00Z >&5
		[ -s "$T/out" ] && break
		sleep 0.01
	done
	exec 5>&-
	wait "$pid"
	BG=
	# out had records while the producer was still at it
	[ "$i" -lt 1000 ]
	[ "$(wc -l <"$T/out")" -eq "$i" ]
	[ "$(sqlite3 "$T/l.sqlite" 'select sum(n) from usage_block')" -eq "$i" ]
}
