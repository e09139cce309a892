#!/usr/bin/env bats
# Fault injection on the write and sync paths (issue 17): the shim
# tests/fault/fault.c fails the Nth write, pwrite, writev, fsync,
# fdatasync, fwrite or fflush of a run (not on stderr), and
# tests/fault/sweep fails the calls of each stage in turn: each ends with
# exit 74 and a message, the ledger intact, and a run again (with
# --replay where the man page says) that loses nothing.  make check runs
# a seeded sample of the calls; `make faults` every call, EIO and then
# ENOSPC on a disk that stays full.

load lib

setup_file() {
	: "${UNITBIN:=$BATS_TEST_DIRNAME/../build/rel/tests}"
	export SO=$UNITBIN/../fault.so
}

# ingest_under ARGS: meter-ingest of testdata/events.ndjson under the
# shim with the environment ARGS, stdout to $T/out, stderr to $T/err
ingest_under() {
	env "$@" LD_PRELOAD="$SO" ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/l" --as-of 2026-10-20T00:00:00Z --rejects "$T/r" \
	    testdata/events.ndjson >"$T/out" 2>"$T/err"
}

@test "fault shim: counts the calls, fails the Nth with EIO or ENOSPC, or kills there; stderr is left alone" {
	[ -f "$SO" ]
	ingest_under FAULT_LOG="$T/calls"
	cp "$T/out" "$T/clean"
	# each call once, numbered, with its file; none on stderr
	[ "$(cut -d' ' -f1 "$T/calls" | tr '\n' ' ')" = "$(seq -s ' ' 1 "$(wc -l <"$T/calls")") " ]
	grep -q " pwrite64 $T/l-wal$" "$T/calls"
	grep -q " fdatasync $T/r$" "$T/calls"
	[ -s "$T/err" ]
	[ -z "$(grep " $T/err$" "$T/calls")" ]
	# the first write of stdout, failed
	n=$(grep -m1 " fwrite $T/out$" "$T/calls" | cut -d' ' -f1)
	rm -f "$T"/l* "$T/r"
	run ingest_under FAULT_AT="$n" FAULT_LOG="$T/fault"
	expect_status 74
	[ "$(cat "$T/fault")" = "fault $n fwrite $T/out eio" ]
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: write error on standard output: Input/output error; the records of committed batches are in the ledger; write them again with --replay" ]
	[ ! -s "$T/out" ]
	# what it says: the run again emits nothing new, --replay everything
	ingest_under
	[ ! -s "$T/out" ]
	"$BIN/meter-ingest" --replay --ledger "$T/l" | same "$T/clean" -
	# ENOSPC on the rejects file's sync
	n=$(grep -m1 " fdatasync $T/r$" "$T/calls" | cut -d' ' -f1)
	rm -f "$T"/l* "$T/r"
	run ingest_under FAULT_AT="$n" FAULT_ACTION=enospc
	expect_status 74
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: cannot write rejects to '$T/r': No space left on device; the records of committed batches are in the ledger; write them again with --replay; the same input run again rejects these records again" ]
	# SIGKILL just before the first write of the WAL
	n=$(grep -m1 " pwrite64 $T/l-wal$" "$T/calls" | cut -d' ' -f1)
	rm -f "$T"/l* "$T/r"
	run ingest_under FAULT_AT="$n" FAULT_ACTION=kill
	expect_status 137
	[ "$(sqlite3 "$T/l" 'PRAGMA integrity_check')" = ok ]
	# past the last call: nothing happens
	rm -f "$T"/l* "$T/r"
	ingest_under FAULT_AT=100000
	same "$T/clean" "$T/out"
}

# whole FILE: every line of FILE is a JSON object and it ends with a newline
whole() {
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
	jq -e 'type == "object"' "$1" >/dev/null
}

@test "faults: a disk that fills up in the middle of a write leaves no torn line in the rejects file or an appended stdout" {
	ingest_under FAULT_LOG="$T/calls"
	cp "$T/r" "$T/r.clean"
	cp "$T/out" "$T/clean"
	# half of the rejects written, then ENOSPC
	n=$(grep -m1 " fwrite $T/r$" "$T/calls" | cut -d' ' -f1)
	rm -f "$T"/l* "$T/r"
	run ingest_under FAULT_AT="$n" FAULT_ACTION=short
	expect_status 74
	[ "$(tail -n 1 "$T/err")" = "meter-ingest: cannot write rejects to '$T/r': No space left on device; the records of committed batches are in the ledger; write them again with --replay; the same input run again rejects these records again" ]
	[ -s "$T/r" ]
	whole "$T/r"
	# the run again appends whole records after them: each reject is there
	ingest_under
	whole "$T/r"
	same <(jq -c . "$T/r.clean" | sort -u) <(jq -c . "$T/r" | sort -u)
	# stdout appended to a file (the crontab's >> outbox): half of the
	# first write, then ENOSPC; the file keeps whole lines
	n=$(grep -m1 " fwrite $T/out$" "$T/calls" | cut -d' ' -f1)
	rm -f "$T"/l* "$T/r"
	head -n 1 "$T/clean" >"$T/out"
	sh -c 'FAULT_AT=$1 FAULT_ACTION=short LD_PRELOAD=$2 ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$3/meter-ingest" --customers testdata/customers.ndjson --ledger "$4/l" \
	    --as-of 2026-10-20T00:00:00Z --rejects "$4/r" testdata/events.ndjson \
	    >>"$4/out" 2>"$4/err"; echo $? >"$4/rc"' sh "$n" "$SO" "$BIN" "$T"
	[ "$(cat "$T/rc")" -eq 74 ]
	whole "$T/out"
	[ "$(head -n 1 "$T/out")" = "$(head -n 1 "$T/clean")" ]
	# and what it says gets the rest back
	"$BIN/meter-ingest" --replay --ledger "$T/l" | same "$T/clean" -
}

@test "faults: a seeded sample of each stage's write and sync calls, failed in turn, exit 74 with the ledger intact, and a run again loses nothing" {
	run tests/fault/sweep --bin "$BIN" --so "$SO" --sample 8 --seed 1 --dir "$T/sw"
	expect_status 0
	[ "${lines[-1]}" = "40 failure points injected, 0 failed" ]
	for s in ingest aggregate rate issue post; do
		echo "$output" | grep -q "^sweep: $s: [0-9]* calls, 8 injected; exits: 74 x"
	done
	# and on a disk that stays full from the failing call on
	run tests/fault/sweep --bin "$BIN" --so "$SO" --sample 3 --seed 2 \
	    --action enospc --sticky --dir "$T/sw2"
	expect_status 0
	[ "${lines[-1]}" = "15 failure points injected, 0 failed" ]
	# and on a disk that fills up in the middle of a write
	run tests/fault/sweep --bin "$BIN" --so "$SO" --sample 2 --seed 3 \
	    --action short --dir "$T/sw3"
	expect_status 0
	[ "${lines[-1]}" = "10 failure points injected, 0 failed" ]
}

@test "faults: the sweep fails on a stage that hides a failed write" {
	# an erp-post whose failures exit 0
	mkdir "$T/bin"
	for b in "$BIN"/*; do ln -s "$b" "$T/bin/"; done
	rm "$T/bin/erp-post"
	printf '#!/bin/sh\n"%s/erp-post" "$@"\nexit 0\n' "$BIN" >"$T/bin/erp-post"
	chmod +x "$T/bin/erp-post"
	run tests/fault/sweep --bin "$T/bin" --so "$SO" --stage post --dir "$T/sw"
	expect_status 1
	[[ "${lines[-2]}" =~ ^[0-9]+\ failure\ points\ injected,\ [1-9][0-9]*\ failed$ ]]
	[ "${lines[-1]}" = "sweep: kept in $T/sw" ]
	echo "$output" | grep -q "^  exit 0 but its output is not a clean run's$"
	echo "$output" | grep -q "^sweep: post call [0-9]* (fwrite $T/sw/clean-post/out):$"
}

@test "faults: a bad option is exit 2" {
	run tests/fault/sweep --stage nosuch
	expect_status 2
	[ "$output" = "sweep: unknown stage 'nosuch'" ]
}
