#!/usr/bin/env bats
# The ledger as meter-ingest uses it: the two-level key index, pruning
# (retention), :memory: for a pure filter, and the stored typed form.

load lib

setup_file() {
	ledger_setup_file
}

teardown_file() {
	ledger_teardown_file
}

gen() {	# gen N PREFIX: N events for globex on 2026-10-10
	local i
	for i in $(seq 1 "$1"); do
		ce "$2$i" globex 2026-10-10T00:00:00Z "{\"n\":$i}"
	done
}

@test "keys merged from hot into cold still catch duplicates and conflicts" {
	gen 50 a >"$T/a"
	run ingest --hot-keys 7 --batch 10 --rejects "$T/r" --stats "$T/s" "$T/a"
	expect_status 0
	jq -e '.emitted == 50' "$T/s"
	# merges happened: cold holds keys, hot holds fewer than the limit
	# (keys_sql reads the key index's blocks as SQLite stores them)
	if [ "$(ledger_engine)" = sqlite ]; then
		[ "$(keys_sql "$T/ledger.sqlite" 'select count(*) from cold')" -ge 43 ]
		[ "$(keys_sql "$T/ledger.sqlite" 'select count(*) from logged')" -lt 8 ]
		[ "$(keys_sql "$T/ledger.sqlite" 'select (select count(*) from cold) + (select count(*) from logged)')" -eq 50 ]
	fi
	# the same file again: all duplicates, whichever level holds the key
	run ingest --hot-keys 7 --batch 10 --rejects "$T/r" --stats "$T/s" "$T/a"
	jq -e '.emitted == 0 and .duplicates == 50' "$T/s"
	# a conflict for a key in cold and one for a key in hot
	gen 50 a | sed 's/"n":1}/"n":-1}/; s/"n":50}/"n":-50}/' >"$T/c"
	run ingest --hot-keys 7 --batch 10 --rejects "$T/r2" --stats "$T/s" "$T/c"
	jq -e '.duplicates == 48 and .rejects_by_code.idempotency_conflict == 2' "$T/s"
}

@test "every stored key has its record and the other way round" {
	sqlite_only "the key index read from its blocks in the SQLite file (keys_sql)"
	gen 30 k >"$T/a"
	ingest --hot-keys 4 --batch 5 --rejects "$T/r" "$T/a" >/dev/null 2>&1
	run ukeys_sql "$T/ledger.sqlite" "select count(*) from usage u where not exists
	    (select 1 from logged h where h.k = u.key and h.d = substr(u.digest, 1, 8)
	    and h.th = printf('%016X', u.t) and h.seq = u.seq)
	    and not exists (select 1 from cold c where c.k = u.key and c.d = substr(u.digest, 1, 8)
	    and c.th = printf('%016X', u.t))"
	[ "$output" = 0 ]
	# and every key once
	[ "$(keys_sql "$T/ledger.sqlite" 'select (select count(distinct k) from cold) + (select count(*) from logged)')" -eq 30 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select coalesce(sum(n), 0) from usage_block')" -eq 30 ]
}

@test "--prune-before deletes old records and their keys, never inside the window" {
	{ gen 3 old; ce new1 globex 2026-10-19T00:00:00Z; } | sed 's/2026-10-10T/2026-09-20T/' >"$T/a"
	# small merges: the old keys are in a cold run, pruned from it
	ingest --hot-keys 2 --batch 2 --rejects "$T/r" "$T/a" >/dev/null 2>&1
	if [ "$(ledger_engine)" = sqlite ]; then
		[ "$(keys_sql "$T/ledger.sqlite" 'select count(*) from cold')" -eq 4 ]
	fi
	[ "$(lq ledger.sqlite 'select coalesce(sum(n), 0) from usage_block')" -eq 4 ]
	# as-of 2026-10-20 minus 35 days is 2026-09-15: 2026-10-01 is inside
	run "$BIN/meter-ingest" --ledger "$(ledger_new ledger.sqlite)" --as-of 2026-10-20T00:00:00Z \
	    --prune-before 2026-10-01T00:00:00Z
	expect_status 64
	[[ "$output" == *"inside the acceptance window"* ]]
	[ "$(lq ledger.sqlite 'select coalesce(sum(n), 0) from usage_block')" -eq 4 ]
	# a month later the old events are outside the window and may go
	run "$BIN/meter-ingest" --ledger "$(ledger_new ledger.sqlite)" --as-of 2026-11-20T00:00:00Z \
	    --prune-before 2026-10-01T00:00:00Z
	expect_status 0
	[[ "$output" == *"pruned 3 usage records"* ]]
	[ "$(lq ledger.sqlite 'select coalesce(sum(n), 0) from usage_block')" -eq 1 ]
	if [ "$(ledger_engine)" = sqlite ]; then
		[ "$(keys_sql "$T/ledger.sqlite" 'select (select count(*) from logged) + (select count(*) from cold)')" -eq 1 ]
		[ "$(ukeys_sql "$T/ledger.sqlite" 'select count(*) from cold c join usage u on u.key = c.k')" -eq 1 ]
		[ "$(lq ledger.sqlite 'select sum(n) from ukey_run')" -eq 1 ]
	fi
	# the pruned period stays closed even to a run with a longer window
	ce old1 globex 2026-09-20T00:00:00Z >"$T/late"
	run ingest --max-age 90d --rejects "$T/r2" --stats "$T/s2" "$T/late"
	expect_status 0
	jq -e '.rejects_by_code.event_before_retention == 1' "$T/s2"
	jq -e '.class == "policy_violation" and .field == "time"' "$T/r2"
	# an earlier horizon never moves it back
	"$BIN/meter-ingest" --ledger "$(ledger_new ledger.sqlite)" --as-of 2026-11-20T00:00:00Z \
	    --prune-before 2026-09-01T00:00:00Z 2>/dev/null
	[ "$(lq ledger.sqlite "select v from meta where k = 'pruned_before'")" = \
	    "$(python3 -c 'import datetime as d; print(int(d.datetime(2026,10,1,tzinfo=d.timezone.utc).timestamp()) * 10**9)')" ]
	# --force prunes inside the window, on purpose
	run "$BIN/meter-ingest" --ledger "$(ledger_new ledger.sqlite)" --as-of 2026-10-20T00:00:00Z \
	    --prune-before 2026-10-20T00:00:00Z --force
	expect_status 0
	[ "$(lq ledger.sqlite 'select coalesce(sum(n), 0) from usage_block')" -eq 0 ]
}

@test "a version 11 ledger (a row a usage record) migrates to version 12's blocks: every record, gone mark and replaced time kept" {
	sqlite_only "a schema 11 SQLite file (ledger_v11); PostgreSQL's in 2300-pg-ledger.bats"
	v12_ledger "$T/ledger.sqlite"
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" >"$T/re1"
	[ "$(wc -l <"$T/re1")" -eq 4101 ]
	"$UNITBIN/tools/usage-rows" "$T/ledger.sqlite" >"$T/rows1"
	[ "$(wc -l <"$T/rows1")" -eq 4104 ]
	sqlite3 "$T/ledger.sqlite" 'select * from usage_fix order by orig, n' >"$T/fix1"
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from usage_fix where prev_t is not null')" -eq 2 ]
	"$BIN/meter-ingest" --ledger "$T/ledger.sqlite" --changed-since 2026-10-21T00:00:00Z >"$T/cs1"
	[ "$(cat "$T/cs1")" = 2026-10-10T00:00:05Z ]
	# version 11: the records a row each, the replaced ones marked gone
	ledger_v11 "$T/ledger.sqlite"
	[ "$(sqlite3 "$T/ledger.sqlite" 'PRAGMA user_version')" = 11 ]
	[ "$(sqlite3 "$T/ledger.sqlite" "select count(*) from sqlite_master where name in ('usage_block', 'usage_gone')")" -eq 0 ]
	[ "$(sqlite3 "$T/ledger.sqlite" "select group_concat(id || ':' || gone) from (select * from usage where gone is not null order by seq)")" = b5:4103,d1:4104,c1:4104 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from usage')" -eq 4104 ]
	# opening migrates: the same records, marks and trail
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" >"$T/re2"
	cmp "$T/re1" "$T/re2"
	[ "$(sqlite3 "$T/ledger.sqlite" 'PRAGMA user_version')" = 12 ]
	[ "$(sqlite3 "$T/ledger.sqlite" "select count(*) from sqlite_master where name = 'usage'")" -eq 0 ]
	"$UNITBIN/tools/usage-rows" "$T/ledger.sqlite" | same "$T/rows1" -
	sqlite3 "$T/ledger.sqlite" 'select * from usage_fix order by orig, n' | same "$T/fix1" -
	"$BIN/meter-ingest" --ledger "$T/ledger.sqlite" --changed-since 2026-10-21T00:00:00Z |
	    same "$T/cs1" -
	# in blocks of at most 4096 records, a day and a run each
	[ "$(sqlite3 "$T/ledger.sqlite" 'select group_concat(n) from (select n from usage_block order by day, seq)')" = 4096,4,1,1,1,1 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from usage_gone')" -eq 3 ]
}

@test "--ledger :memory: makes a pure filter: dedup within the run, nothing on disk" {
	sqlite_only "--ledger :memory: is an SQLite database in memory"
	{ gen 3 m; gen 3 m; } >"$T/a"
	cd "$T"
	run "$BIN/meter-ingest" --customers "$REPO/testdata/customers.ndjson" \
	    --ledger :memory: --as-of 2026-10-20T00:00:00Z --stats s.json a
	expect_status 0
	jq -e '.emitted == 3 and .duplicates == 3' s.json
	[ ! -e :memory: ]
}

@test "the ledger stores data in the packed form and times as UTC nanoseconds" {
	sqlite_only "SQLite's hex() of the stored blob"
	ce p1 globex 2026-10-10T01:02:03.5+01:00 '{"b":[1,"x",true,null],"a":{"c":0.25}}' >"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	[ "$(uq ledger.sqlite 'select t from usage')" = 1791590523500000000 ]
	# o2 {1 "a" o1 {1 "c" n4 "0.25"} 1 "b" a4 [n1 "1" s1 "x" t z]}
	[ "$(uq ledger.sqlite 'select hex(data) from usage')" = \
	    6F0201616F0101636E04302E3235016261046E0131730178747A ]
	"$BIN/meter-ingest" --replay --ledger "$T/ledger.sqlite" |
	    grep -F '"data":{"a":{"c":0.25},"b":[1,"x",true,null]}'
}

@test "--replay of an empty window writes nothing and succeeds" {
	gen 2 e >"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	run "$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" \
	    --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z
	expect_status 0
	[ -z "$output" ]
	run "$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" \
	    --from 2026-12-01T00:00:00Z --to 2026-11-01T00:00:00Z
	expect_status 64
	run "$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" "$T/a"
	expect_status 64
}

@test "--replay and --prune-before need an existing ledger: 66, nothing created" {
	sqlite_only "a ledger file that does not exist"
	run "$BIN/meter-ingest" --replay --ledger "$T/none.sqlite"
	expect_status 66
	[[ "$output" == *"no ledger at '$T/none.sqlite'"* ]]
	[ ! -e "$T/none.sqlite" ]
	run "$BIN/meter-ingest" --prune-before 2026-01-01T00:00:00Z --ledger "$T/none.sqlite"
	expect_status 66
}

@test "--replay reads a ledger its user cannot write (file 0444, directory 0555)" {
	sqlite_only "file modes of the ledger file"
	if [ "$(id -u)" -eq 0 ] && ! command -v setpriv >/dev/null; then
		skip "root without setpriv(1)"
	fi
	mkdir "$T/ro"
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/ro/l" --as-of 2026-10-20T00:00:00Z \
	    --rejects "$T/r" testdata/events.ndjson >/dev/null 2>&1
	"$BIN/meter-ingest" --replay --ledger "$T/ro/l" >"$T/want"
	[ -s "$T/want" ]
	readonly_ledger "$T/ro/l"
	run as_reader "$BIN/meter-ingest" --replay --ledger "$T/ro/l"
	expect_status 0
	[ "$output" = "$(cat "$T/want")" ]
	# read as it was: nothing written beside it
	[ "$(ls "$T/ro")" = l ]
	# the owner still reads it, and a missing ledger is still 66
	"$BIN/meter-ingest" --replay --ledger "$T/ro/l" | cmp - "$T/want"
	run as_reader "$BIN/meter-ingest" --replay --ledger "$T/ro/none"
	expect_status 66
}

@test "replay order: by event day, then in the order events were accepted" {
	{
		ce r1 globex 2026-10-12T10:00:00Z
		ce r2 globex 2026-10-11T23:00:00Z
		ce r3 globex 2026-10-12T09:00:00Z
		ce r4 globex 2026-10-11T01:00:00Z
	} >"$T/a"
	ingest --rejects "$T/r" "$T/a" >/dev/null 2>&1
	[ "$(uq ledger.sqlite 'select id from usage order by seq' | paste -s -d,)" = r1,r2,r3,r4 ]
	"$BIN/meter-ingest" --replay --ledger "$(ledger_new ledger.sqlite)" >"$T/out"
	[ "$(jq -r .id "$T/out" | tr '\n' ,)" = r2,r4,r1,r3, ]
}

@test "cold runs and their filters: duplicates found after merges and compaction, lost filters rebuilt" {
	sqlite_only "the key index read from its blocks in the SQLite file (keys_sql)"
	gen 60 f >"$T/a"
	ingest --hot-keys 3 --batch 4 --rejects "$T/r" "$T/a" >/dev/null 2>&1
	# 15 merges of 4 keys, compacted four runs at a time: a few runs
	# remain, every key in exactly one, every run with its filter
	runs=$(sqlite3 "$T/ledger.sqlite" 'select count(distinct run) from ukey_block')
	[ "$runs" -ge 2 ] && [ "$runs" -le 8 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from ukey_run')" -eq "$runs" ]
	[ "$(keys_sql "$T/ledger.sqlite" 'select count(*) from cold') " -eq 60 ]
	[ "$(keys_sql "$T/ledger.sqlite" 'select count(distinct k) from cold')" -eq 60 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select sum(n) from ukey_run')" -eq 60 ]
	run ingest --hot-keys 1000 --rejects "$T/r" --stats "$T/s" "$T/a"
	jq -e '.duplicates == 60 and .emitted == 0' "$T/s"
	# a missing filter is rebuilt from its run before any claim
	sqlite3 "$T/ledger.sqlite" 'delete from ukey_run'
	run ingest --rejects "$T/r" --stats "$T/s" "$T/a"
	jq -e '.duplicates == 60 and .emitted == 0' "$T/s"
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from ukey_run')" -eq "$runs" ]
	# and conflicts are still found through the filters
	gen 60 f | sed 's/"n":17}/"n":-17}/' >"$T/c"
	run ingest --rejects "$T/r2" --stats "$T/s" "$T/c"
	jq -e '.duplicates == 59 and .rejects_by_code.idempotency_conflict == 1' "$T/s"
}

@test "the key log: a block per batch; cold keys in blocks that fill a page, sorted; a version 5 ledger's key rows become blocks" {
	sqlite_only "the key index read from its blocks in the SQLite file (keys_sql), a schema 5 file"
	gen 10 l >"$T/l"
	ingest --batch 4 --rejects "$T/r" "$T/l" >/dev/null 2>&1
	# three batches, three blocks of the log, each from its first seq
	[ "$(sqlite3 "$T/ledger.sqlite" "select group_concat(seq || ':' || n) from (select * from ukey_batch order by seq)")" = 1:4,5:4,9:2 ]
	run ukeys_sql "$T/ledger.sqlite" "select count(*) from usage u join logged h on h.seq = u.seq
	    and h.k = u.key and h.d = substr(u.digest, 1, 8) and h.th = printf('%016X', u.t)"
	[ "$output" -eq 10 ]
	gen 700 b >"$T/a"
	ingest --hot-keys 600 --batch 700 --rejects "$T/r" "$T/a" >/dev/null 2>&1
	# the log and 700 keys make one run of 710: on pages of 16 KiB,
	# blocks of 509 and 201, each starting with its first key, all in
	# key order
	[ "$(sqlite3 "$T/ledger.sqlite" 'select group_concat(n) from (select n from ukey_block order by run, lo)')" = 509,201 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from ukey_block where lo <> substr(keys, 1, 16)')" -eq 0 ]
	# its filter: 16 bits a key in blocks of 512, 710 * 16 / 512 -> 23
	[ "$(sqlite3 "$T/ledger.sqlite" "select n || ':' || nblocks || ':' || length(bits) from ukey_run")" = 710:23:1472 ]
	# a filter of fewer bits a key, as older versions saved them (12 bits:
	# 17 blocks), is rebuilt at 16 by the first writer that loads it;
	# read as it is, these bits are no filter of that size and the keys,
	# none of them in the log any more, would pass as new
	sqlite3 "$T/ledger.sqlite" "update ukey_run set nblocks = 17, bits = substr(bits, 1, 1088)"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/a"
	expect_status 0
	jq -e '.duplicates == 700 and .emitted == 0' "$T/s"
	[ "$(sqlite3 "$T/ledger.sqlite" "select n || ':' || nblocks || ':' || length(bits) from ukey_run")" = 710:23:1472 ]
	[ "$(keys_sql "$T/ledger.sqlite" "select count(*) from (select k, lag(k) over (order by run, lo, x) p from cold) where p >= k")" -eq 0 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from ukey_batch')" -eq 0 ]
	gen 100 c >"$T/c"
	ingest --rejects "$T/r" "$T/c" >/dev/null 2>&1
	# schema 5 kept a row per key; opening migrates them to blocks
	ledger_v5 "$T/ledger.sqlite"
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from ukey_cold')" -eq 710 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select count(*) from ukey_log')" -eq 100 ]
	cat "$T/l" "$T/a" "$T/c" >"$T/all"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/all"
	expect_status 0
	jq -e '.duplicates == 810 and .emitted == 0' "$T/s"
	[ "$(sqlite3 "$T/ledger.sqlite" 'PRAGMA user_version')" = 12 ]
	[ "$(sqlite3 "$T/ledger.sqlite" "select count(*) from sqlite_master where name in ('ukey_cold', 'ukey_log')")" -eq 0 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select group_concat(n) from (select n from ukey_block order by run, lo)')" = 509,201 ]
	[ "$(sqlite3 "$T/ledger.sqlite" "select group_concat(seq || ':' || n) from ukey_batch")" = 711:100 ]
	run ukeys_sql "$T/ledger.sqlite" "select (select count(*) from usage u join cold c on c.k = u.key
	    and c.d = substr(u.digest, 1, 8) and c.th = printf('%016X', u.t)) + (select count(*) from usage u
	    join logged h on h.seq = u.seq and h.k = u.key and h.d = substr(u.digest, 1, 8) and h.th = printf('%016X', u.t))"
	[ "$output" -eq 810 ]
}

@test "a version 6 ledger on 4 KiB pages: its cold blocks move to a rowid table, every key still found, pages kept" {
	sqlite_only "a schema 6 SQLite file and its page size"
	gen 700 b >"$T/a"
	ingest --hot-keys 600 --batch 700 --rejects "$T/r" "$T/a" >/dev/null 2>&1
	gen 100 c >"$T/c"
	ingest --rejects "$T/r" "$T/c" >/dev/null 2>&1
	ledger_v6 "$T/ledger.sqlite"
	[ "$(sqlite3 "$T/ledger.sqlite" 'PRAGMA page_size')" = 4096 ]
	[[ "$(sqlite3 "$T/ledger.sqlite" "select sql from sqlite_master where name = 'ukey_block'")" == *"WITHOUT ROWID"* ]]
	cat "$T/a" "$T/c" >"$T/all"
	run ingest --rejects "$T/r" --stats "$T/s" "$T/all"
	expect_status 0
	jq -e '.duplicates == 800 and .emitted == 0' "$T/s"
	[ "$(sqlite3 "$T/ledger.sqlite" 'PRAGMA user_version')" = 12 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'PRAGMA page_size')" = 4096 ]
	[[ "$(sqlite3 "$T/ledger.sqlite" "select sql from sqlite_master where name = 'ukey_block'")" != *"WITHOUT ROWID"* ]]
	[ "$(sqlite3 "$T/ledger.sqlite" "select count(*) from sqlite_master where name like 'ukey_block6%'")" -eq 0 ]
	[ "$(sqlite3 "$T/ledger.sqlite" 'select group_concat(n) from (select n from ukey_block order by run, lo)')" = 509,191 ]
	run ukeys_sql "$T/ledger.sqlite" "select (select count(*) from usage u join cold c on c.k = u.key
	    and c.d = substr(u.digest, 1, 8) and c.th = printf('%016X', u.t)) + (select count(*) from usage u
	    join logged h on h.seq = u.seq and h.k = u.key and h.d = substr(u.digest, 1, 8) and h.th = printf('%016X', u.t))"
	[ "$output" -eq 800 ]
	# new keys go on into the migrated table, in blocks that fill a
	# page of 4 KiB: the 100 keys logged and 700 new make a run of 800
	gen 700 e >"$T/e"
	run ingest --hot-keys 600 --batch 700 --rejects "$T/r" --stats "$T/s" "$T/e"
	jq -e '.emitted == 700' "$T/s"
	[ "$(sqlite3 "$T/ledger.sqlite" 'select group_concat(n) from (select n from ukey_block where run = (select max(run) from ukey_block) order by lo)')" = 125,125,125,125,125,125,50 ]
	run ingest --hot-keys 600 --rejects "$T/r" --stats "$T/s" "$T/all" "$T/e"
	jq -e '.duplicates == 1500 and .emitted == 0' "$T/s"
}
