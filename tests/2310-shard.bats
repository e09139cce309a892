#!/usr/bin/env bats
# --shard K/N: the month-end split by customer (FNV-1a 64 of the customer
# id, mod N; common/shard.c).  meter-aggregate --ledger reads only its
# shard's customers' usage records, and erp-post --ledger catches up only
# its shard's customers' documents and credit grants; rate and
# invoice-gen take the shard's stream.  N=1 is the unsharded run byte
# for byte; the sorted union of N shards is the single run, with the
# invoice numbers (taken by shards running at once on one ledger)
# gap-free per entity and equal to the single run's once renumbered:
# every document's number replaced by its invoice key and version, and a
# journal entry's id (a digest of the number) dropped, the rest is
# byte-identical.

load lib
load http/lib

FROM=2026-10-15T00:00:00Z
TO=2026-11-02T00:00:00Z
ASOF=2026-11-02T02:00:00Z

# month CUSTOMERS EVENTS: a generated business (scripts/gen-config),
# every fourth customer with a prepaid credit grant, and its October
# (scripts/gen-events), ingested into $T/l0; configuration in $T/c
month() {
	python3 scripts/gen-config --seed 5 --customers "$1" "$T/c"
	jq '.contracts |= (to_entries | map(if .key % 4 == 0 then
	    .value.prepaid_credits = [{"id": "g1", "amount": "100.00",
	    "granted_at": "2026-09-01T00:00:00Z"}] else . end | .value))' \
	    "$T/c/catalog.json" >"$T/c/cat" && mv "$T/c/cat" "$T/c/catalog.json"
	python3 scripts/gen-events --seed 5 --customers "$1" \
	    --start 2026-10-01T08:00:00Z --span 2635200 "$2" >"$T/events"
	"$BIN/meter-ingest" --customers "$T/c/customers.ndjson" \
	    --ledger "$T/l0" --as-of 2026-11-01T12:00:00Z --max-age 70d \
	    --rejects "$T/ir" "$T/events" >/dev/null 2>&1
}

# agg LEDGER OUT ARGS...: meter-aggregate over the month-end's window
agg() {
	local l=$1 o=$2
	shift 2
	"$BIN/meter-aggregate" --meters "$T/c/meters.json" \
	    --customers "$T/c/customers.ndjson" --ledger "$l" --from $FROM \
	    --to $TO --rejects "$o.rej" --stats "$o.stats" "$@" >"$o" 2>"$o.err"
}

# monthend LEDGER DIR ARGS...: the crontab's month-end (aggregate, rate,
# invoice-gen --issue, erp-post) into DIR, ARGS (--shard K/N) given to
# meter-aggregate and erp-post
monthend() {
	local l=$1 o=$2
	shift 2
	mkdir -p "$o"
	agg "$l" "$o/aggregates" "$@" &&
	"$BIN/rate" --catalog "$T/c/catalog.json" \
	    --customers "$T/c/customers.ndjson" --ledger "$l" --as-of $ASOF \
	    --alerts "$o/alerts" --rejects "$o/rej" \
	    <"$o/aggregates" >"$o/rated" 2>"$o/rate.err" &&
	"$BIN/invoice-gen" --issue --entities "$T/c/entities.json" \
	    --tax "$T/c/tax.json" --customers "$T/c/customers.ndjson" \
	    --ledger "$l" --as-of $ASOF --rejects "$o/rej" \
	    <"$o/rated" >"$o/documents" 2>"$o/invoice.err" &&
	"$BIN/erp-post" --accounts "$T/c/accounts.json" --ledger "$l" \
	    --as-of $ASOF --rejects "$o/rej" "$@" "$o/documents" \
	    >"$o/journal" 2>"$o/post.err"
}

# shards N: the month-end of $T/l0 once in $T/one (ledger $T/l1) and as
# N shards run at once in $T/s1 ... $T/sN (ledger $T/ls); the shards'
# files concatenated in $T/u/
shards() {
	local k pids=
	cp "$T/l0" "$T/l1"
	cp "$T/l0" "$T/ls"
	monthend "$T/l1" "$T/one"
	for k in $(seq 1 "$1"); do
		monthend "$T/ls" "$T/s$k" --shard "$k/$1" &
		pids="$pids $!"
	done
	BG=$pids
	for k in $pids; do
		wait "$k"
	done
	BG=
	mkdir -p "$T/u"
	for f in aggregates rated alerts documents journal; do
		cat "$T"/s[0-9]*/$f >"$T/u/$f"
	done
}

# sorted_same A B: the same lines, in any order
sorted_same() {
	diff -u <(sort "$1") <(sort "$2")
}

# renum DOCS: documents with the number replaced by invoice key/version
renum() {
	jq -c '.number = .invoice_key + "/" + (.version | tostring)' "$1"
}

# unid DOCS JOURNAL: entries without their id, the document's number
# replaced by its invoice key/version (by the run's own documents)
unid() {
	jq -c --slurpfile d "$1" '
	    (reduce $d[] as $x ({}; .[$x.number] =
	        $x.invoice_key + "/" + ($x.version | tostring))) as $m |
	    del(.id) | .document.number = ($m[.document.number] //
	        .document.number)' "$2"
}

# partitioned N: each of the N shards' aggregates, documents and journal
# entries are of its own customers, and no customer is in two shards
partitioned() {
	local k
	for k in $(seq 1 "$1"); do
		jq -r .customer "$T/s$k/aggregates" | sort -u >"$T/ac$k"
		[ -s "$T/ac$k" ]
		[ -z "$(jq -r .customer.id "$T/s$k/documents" | sort -u | comm -23 - "$T/ac$k")" ]
		[ -z "$(jq -r .customer "$T/s$k/journal" | sort -u | comm -23 - "$T/ac$k")" ]
	done
	[ -z "$(sort "$T"/ac[0-9]* | uniq -d)" ]
}

# gapfree DOCS: per entity, the numbers' sequences are 1..M, each once
gapfree() {
	jq -s -e 'group_by(.entity.id) | all(
	    map(.number | capture("(?<n>[0-9]+)$").n | tonumber) | sort
	    | . == [range(1; length + 1)])' "$1"
}

@test "--shard: a bad K/N is a usage error (64) saying what is wrong" {
	month 5 50
	for a in 0/3 4/3 1/0 1/1025 x/3 3 1/3x "" -1/3; do
		run agg "$T/l0" "$T/a" --shard "$a"
		expect_status 64
		run "$BIN/erp-post" --accounts "$T/c/accounts.json" \
		    --ledger "$T/l0" --shard "$a" /dev/null
		expect_status 64
	done
	run "$BIN/meter-aggregate" --meters "$T/c/meters.json" --ledger "$T/l0" \
	    --from $FROM --to $TO --shard 0/3
	expect_status 64
	[ "${lines[0]}" = "meter-aggregate: --shard '0/3': K is the shard this run takes: from 1 to N" ]
	run "$BIN/meter-aggregate" --meters "$T/c/meters.json" --ledger "$T/l0" \
	    --from $FROM --to $TO --shard 1/1025
	[ "${lines[0]}" = "meter-aggregate: --shard '1/1025': N is the number of shards: at most 1024" ]
	run "$BIN/erp-post" --accounts "$T/c/accounts.json" --shard 2/x /dev/null
	expect_status 64
	[ "${lines[0]}" = "erp-post: --shard '2/x': expected K/N, two decimal numbers like 2/8: this run takes shard K of N" ]
	# where it would leave input records out, or has nothing to choose
	run "$BIN/meter-aggregate" --meters "$T/c/meters.json" --shard 1/2 /dev/null
	expect_status 64
	[ "${lines[0]}" = "meter-aggregate: --shard goes with --ledger: a record read from files or stdin is aggregated, a duplicate or rejected, never left out for its customer (split the input instead)" ]
	for m in "" --replay; do
		run "$BIN/erp-post" --accounts "$T/c/accounts.json" $m \
		    ${m:+--ledger "$T/l0"} --shard 1/2 /dev/null
		expect_status 64
		[[ "${lines[0]}" == "erp-post: --shard chooses the documents and credit grants of the ledger a posting run catches up: it needs --ledger and goes with none of --replay, "* ]]
	done
}

@test "--shard 1/1 is the run without --shard, byte for byte (one scan and two)" {
	month 40 3000
	agg "$T/l0" "$T/a"
	agg "$T/l0" "$T/b" --shard 1/1
	[ -s "$T/a" ]
	cmp "$T/a" "$T/b"
	cmp <(cat "$T/a.rej" 2>/dev/null) <(cat "$T/b.rej" 2>/dev/null)
	# without gauges the ledger is scanned by two threads
	jq 'del(.meters[] | select(.aggregation == "weighted_sum"))' \
	    "$T/c/meters.json" >"$T/c/m2.json"
	agg "$T/l0" "$T/a2" --meters "$T/c/m2.json"
	agg "$T/l0" "$T/b2" --meters "$T/c/m2.json" --shard 1/1
	jq -e '.scan_threads == 2' "$T/b2.stats"
	[ -s "$T/a2" ]
	cmp "$T/a2" "$T/b2"
	jq -e '.shard == "1/1" and .other_shards == 0' "$T/b2.stats"
	# the month-end, posting included
	cp "$T/l0" "$T/l1"
	cp "$T/l0" "$T/l2"
	monthend "$T/l1" "$T/x"
	monthend "$T/l2" "$T/y" --shard 1/1
	for f in aggregates rated documents journal; do
		[ -s "$T/x/$f" ]
		cmp "$T/x/$f" "$T/y/$f"
	done
}

@test "--shard N=3: each customer in one shard; the sorted union of aggregates and rated lines is the single run's" {
	month 40 3000
	shards 3
	for k in 1 2 3; do
		[ -s "$T/s$k/aggregates" ]
		jq -e --arg s "$k/3" '.shard == $s' "$T/s$k/aggregates.stats"
	done
	sorted_same "$T/one/aggregates" "$T/u/aggregates"
	sorted_same "$T/one/rated" "$T/u/rated"
	sorted_same "$T/one/alerts" "$T/u/alerts"
	# no customer in two shards
	partitioned 3
	# a shard's rows of the other shards' customers are counted apart,
	# and the shards' rows add up to the single run's
	n=0
	for k in 1 2 3; do
		r=$(jq '.read' "$T/s$k/aggregates.stats")
		o=$(jq '.other_shards' "$T/s$k/aggregates.stats")
		[ $((r + o)) -eq "$(jq .read "$T/one/aggregates.stats")" ]
		n=$((n + r))
	done
	[ "$n" -eq "$(jq .read "$T/one/aggregates.stats")" ]
	[[ "$(cat "$T/s2/aggregates.err")" == *"; shard 2 of 3: $(jq .other_shards "$T/s2/aggregates.stats") ledger rows of other shards' customers left to them" ]]
}

@test "--shard N=3: invoice-gen's shards at once number gap-free, no repeat, and are the single run once renumbered" {
	month 40 3000
	shards 3
	partitioned 3
	[ "$(wc -l <"$T/one/documents")" -eq 40 ]
	[ "$(wc -l <"$T/u/documents")" -eq 40 ]
	gapfree "$T/one/documents"
	gapfree "$T/u/documents"
	[ -z "$(jq -r .number "$T/u/documents" | sort | uniq -d)" ]
	# every field but the number is the single run's
	sorted_same <(renum "$T/one/documents") <(renum "$T/u/documents")
	# and the ledger keeps each document once, under the number it wrote
	[ "$(sqlite3 "$T/ls" 'select count(*) from doc')" -eq 40 ]
	diff -u <(jq -r .number "$T/u/documents" | sort) \
	    <(sqlite3 "$T/ls" 'select number from doc order by number')
}

@test "--shard N=3: erp-post's shards post each document once, catch up only their own, and are the single run once renumbered" {
	month 40 3000
	shards 3
	partitioned 3
	ids=$(jq -r .id "$T/u/journal" | sort)
	[ -z "$(uniq -d <<<"$ids")" ]
	[ "$(wc -l <"$T/u/journal")" -eq "$(wc -l <"$T/one/journal")" ]
	sorted_same <(unid "$T/one/documents" "$T/one/journal") \
	    <(unid "$T/u/documents" "$T/u/journal")
	# credit grants among them, booked once
	[ "$(jq -s 'map(select(.type == "grant")) | length' "$T/u/journal")" -eq 10 ]
	# every document and grant of the ledger is posted: an unsharded
	# run after posts nothing
	"$BIN/erp-post" --accounts "$T/c/accounts.json" --ledger "$T/ls" \
	    --as-of $ASOF --rejects "$T/r" --stats "$T/st" /dev/null >"$T/j" 2>/dev/null
	[ ! -s "$T/j" ]
	jq -e '.caught_up == 0 and .grants_booked == 0 and .entries_emitted == 0' "$T/st"
}

@test "--shard: erp-post's catch-up from the ledger takes the shard's documents and credit grants, no other" {
	month 40 3000
	cp "$T/l0" "$T/lp"
	# every shard's documents issued, none posted (a month-end killed
	# before erp-post)
	for k in 1 2 3; do
		agg "$T/lp" "$T/p$k" --shard "$k/3"
		"$BIN/rate" --catalog "$T/c/catalog.json" \
		    --customers "$T/c/customers.ndjson" --ledger "$T/lp" \
		    --as-of $ASOF --rejects "$T/r" <"$T/p$k" >"$T/p$k.rated" 2>/dev/null
		"$BIN/invoice-gen" --issue --entities "$T/c/entities.json" \
		    --tax "$T/c/tax.json" --customers "$T/c/customers.ndjson" \
		    --ledger "$T/lp" --as-of $ASOF --rejects "$T/r" \
		    <"$T/p$k.rated" >"$T/p$k.docs" 2>/dev/null
	done
	g=$(sqlite3 "$T/lp" 'select count(*) from credit_grant')
	[ "$g" -gt 0 ]
	n2=$(wc -l <"$T/p2.docs")
	n13=$(cat "$T/p1.docs" "$T/p3.docs" | wc -l)
	[ "$n2" -gt 0 ]
	[ "$n13" -gt 0 ]
	# shard 2 of 3 with no input: its documents from the ledger, only
	"$BIN/erp-post" --accounts "$T/c/accounts.json" --ledger "$T/lp" \
	    --as-of $ASOF --rejects "$T/r" --stats "$T/st2" --shard 2/3 \
	    /dev/null >"$T/j2" 2>"$T/e2"
	jq -e --argjson n "$n2" '.caught_up == $n' "$T/st2"
	jq -e --argjson n "$n13" '.unposted_other_shards == $n' "$T/st2"
	jq -r .customer "$T/j2" | sort -u >"$T/jc"
	jq -r .customer.id "$T/p2.docs" | sort -u >"$T/dc"
	[ -s "$T/jc" ]
	diff -u "$T/dc" "$T/jc"
	[[ "$(cat "$T/e2")" == *"; from the ledger: $n2 documents caught up; "*"; shard 2 of 3: $n13 documents and $(jq .grants_other_shards "$T/st2") credit grants of other shards' customers left to them" ]]
	# its credit grants, and the others' left to them
	[ $(($(jq '.grants_booked + .grants_other_shards' "$T/st2"))) -eq "$g" ]
	# then shards 1 and 3: every document and grant posted once
	for k in 1 3; do
		"$BIN/erp-post" --accounts "$T/c/accounts.json" --ledger "$T/lp" \
		    --as-of $ASOF --rejects "$T/r" --stats "$T/st$k" \
		    --shard "$k/3" /dev/null >"$T/j$k" 2>/dev/null
	done
	[ $(($(jq .caught_up "$T/st1") + $(jq .caught_up "$T/st3"))) -eq "$n13" ]
	[ $(($(jq .grants_booked "$T/st1") + $(jq .grants_booked "$T/st2") + $(jq .grants_booked "$T/st3"))) -eq "$g" ]
	[ -z "$(cat "$T"/j[123] | jq -r .id | sort | uniq -d)" ]
}

@test "--shard N=7, a larger month: the union of the aggregates (one scan and two), their rejects and the rated lines is the single run's" {
	month 150 20000
	# customers the aggregation does not know: rejects, in their shard
	grep -v -e '"cus_0001[0-9]"' "$T/c/customers.ndjson" >"$T/c/known.ndjson"
	jq 'del(.meters[] | select(.aggregation == "weighted_sum"))' \
	    "$T/c/meters.json" >"$T/c/m2.json"
	for m in meters m2; do
		agg "$T/l0" "$T/one" --meters "$T/c/$m.json" \
		    --customers "$T/c/known.ndjson"
		[ -s "$T/one" ]
		[ -s "$T/one.rej" ]
		: >"$T/u"
		: >"$T/u.rej"
		for k in 1 2 3 4 5 6 7; do
			agg "$T/l0" "$T/s$k" --meters "$T/c/$m.json" \
			    --customers "$T/c/known.ndjson" --shard "$k/7"
			[ -s "$T/s$k" ]
			cat "$T/s$k" >>"$T/u"
			cat "$T/s$k.rej" >>"$T/u.rej" 2>/dev/null || true
			jq -r .customer "$T/s$k" | sort -u >"$T/c$k"
		done
		[ "$(jq .scan_threads "$T/s1.stats")" -eq "$([ $m = m2 ] && echo 2 || echo 1)" ]
		sorted_same "$T/one" "$T/u"
		sorted_same "$T/one.rej" "$T/u.rej"
		[ -z "$(sort "$T"/c[1-7] | uniq -d)" ]
	done
	# rated: the shards' aggregates rated on one ledger, one after
	# another, against the whole rated on another
	cp "$T/l0" "$T/l1"
	cp "$T/l0" "$T/ls"
	r() {
		"$BIN/rate" --catalog "$T/c/catalog.json" \
		    --customers "$T/c/customers.ndjson" --ledger "$1" \
		    --as-of $ASOF --rejects "$T/rr" 2>/dev/null
	}
	r "$T/l1" <"$T/one" >"$T/one.rated"
	for k in 1 2 3 4 5 6 7; do
		r "$T/ls" <"$T/s$k"
	done >"$T/u.rated"
	[ -s "$T/one.rated" ]
	sorted_same "$T/one.rated" "$T/u.rated"
}

@test "--shard N=3: erp-send's shards, each its shard's journal at once, send each entry once" {
	month 40 3000
	shards 3
	srv_up
	# one sender a ledger at a time: the others exit 75 having sent
	# nothing, and their next run (cron's next hour) sends theirs
	todo="1 2 3"
	for round in 1 2 3 4 5; do
		pids=
		for k in $todo; do
			hs --ledger "$T/ls" "$T/s$k/journal" >>"$T/acks$k" 2>"$T/send$k.err" &
			pids="$pids $k:$!"
		done
		todo=
		for p in $pids; do
			wait "${p#*:}" || { rc=$?; [ $rc -eq 75 ]; todo="$todo ${p%%:*}"; }
		done
		[ -n "$todo" ] || break
	done
	[ -z "$todo" ]
	partitioned 3
	[ "$(cat "$T"/acks[123] | wc -l)" -eq "$(wc -l <"$T/u/journal")" ]
	jq -e -s 'all(.status == "confirmed")' "$T"/acks[123]
	diff -u <(jq -r .id "$T/u/journal" | sort) \
	    <(jq -r .key "$T/srv/entries.ndjson" | sort)
}

# cron DIR LINE: a crontab line's command, as cron runs it, in DIR
cron() {
	U2C=$1 PATH="$T/shim:$BIN:$PATH" sh -c "$(sed 's/\\%/%/g' <<<"$2")"
}

@test "--shard: the crontab's month-end split in three, word for word, at once: the single month-end once renumbered, and reconcile agrees" {
	u2c
	cp -r "$U" "$T/one"
	one=$(sed -n 's/^0  *2  *2  *\*  *\*  *//p' scripts/crontab.example)
	shard=$(sed -n 's/^#0  *2  *2  *\*  *\*  *\(.*K=1 .*\)$/\1/p' scripts/crontab.example)
	join=$(sed -n 's/^#50  *5  *2  *\*  *\*  *//p' scripts/crontab.example)
	recon=$(sed -n 's/^0  *6  *2  *\*  *\*  *//p' scripts/crontab.example)
	[ -n "$one" ] && [ -n "$shard" ] && [ -n "$join" ] && [ -n "$recon" ]
	cron "$T/one" "$one"
	pids=
	for k in 1 2 3; do
		cron "$U" "${shard/K=1 /K=$k }" &
		pids="$pids $!"
	done
	BG=$pids
	for p in $pids; do
		wait "$p"
	done
	BG=
	[ ! -e "$T/logged" ]
	cron "$U" "$join"
	o=$T/one/run/2026-10
	s=$U/run/2026-10
	for k in 1 2 3; do
		[ -s "$s/shard-$k/documents.ndjson" ]
	done
	sorted_same "$o/aggregates.ndjson" "$s/aggregates.ndjson"
	sorted_same "$o/rated.ndjson" "$s/rated.ndjson"
	gapfree "$s/documents.ndjson"
	sorted_same <(renum "$o/documents.ndjson") <(renum "$s/documents.ndjson")
	sorted_same <(unid "$o/documents.ndjson" "$o/journal.ndjson") \
	    <(unid "$s/documents.ndjson" "$s/journal.ndjson")
	# the outboxes: every entry once
	diff -u <(jq -r .id "$s/journal.ndjson" | sort) \
	    <(cat "$U"/outbox/month-end-2026-10-[123].ndjson | jq -r .id | sort)
	run cron "$U" "$recon"
	expect_status 0
}
