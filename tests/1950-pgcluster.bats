#!/usr/bin/env bats
# tests/pgcluster, the throwaway PostgreSQL cluster the ledger tests run
# on with LEDGER_ENGINE=pg: it starts as an unprivileged user, serves
# psql on its Unix socket only, and stops leaving nothing behind.

load lib

setup_file() {
	pg_start_file
}

teardown_file() {
	pg_stop_file
}

# postmasters DIR: the running processes whose command line names DIR
postmasters() {
	local ps
	ps=$(ps -eo pid=,args=)
	grep -F -- "$1" <<<"$ps" || true
}

@test "pgcluster: start, createdb, psql on the socket, stop: nothing left" {
	pg_available
	local d=$T/p bin uri
	chmod 0711 "$T"
	bin=$(tests/pgcluster bindir)
	run tests/pgcluster start "$d"
	expect_status 0
	[ "$output" = "postgresql:///postgres?host=$d&port=5432&user=postgres" ]
	[ -S "$d/.s.PGSQL.5432" ]
	# as root the server is not root's
	if [ "$(id -u)" -eq 0 ]; then
		[ "$(stat -c %U "$d/data")" = postgres ]
	fi
	uri=$(tests/pgcluster createdb "$d" acme)
	[ "$uri" = "postgresql:///acme?host=$d&port=5432&user=postgres" ]
	run psql -X -A -t -d "$uri" -c 'select 1, current_database(), current_setting($$fsync$$), current_setting($$listen_addresses$$)'
	expect_status 0
	[ "$output" = "1|acme|on|" ]
	[ -n "$(postmasters "$d/data")" ]
	run tests/pgcluster stop "$d"
	expect_status 0
	[ -z "$output" ]
	[ ! -e "$d" ]
	[ -z "$(postmasters "$d/data")" ]
	run "$bin/pg_ctl" status -D "$d/data"
	[ "$status" -ne 0 ]
	# stopping again is nothing to do
	run tests/pgcluster stop "$d"
	expect_status 0
}

@test "pgcluster: a database name outside [a-z0-9_] is refused, saying so" {
	pg_available
	run tests/pgcluster createdb "$PGC/c" 'a;drop'
	expect_status 1
	[ "$output" = "pgcluster: createdb a;drop: a database name here is [a-z0-9_]+" ]
}

@test "pgcluster: createdb of an existing database fails" {
	pg_available
	tests/pgcluster createdb "$PGC/c" twice >/dev/null
	run tests/pgcluster createdb "$PGC/c" twice
	expect_status 1
	[[ "$output" == *'database "twice" already exists'* ]]
	[[ "$output" == *"pgcluster: createdb twice: failed in the cluster of $PGC/c" ]]
}

@test "pgcluster: lib.bash's cluster of the file serves a fresh database per pg_ledger" {
	pg_available
	local a b
	a=$(pg_ledger Ledger.A)
	b=$(pg_ledger l)
	[ "$a" = "postgresql:///t${BATS_TEST_NUMBER}_ledger_a?host=$PGC/c&port=5432&user=postgres" ]
	psql -X -q -d "$a" -c 'create table x (n int); insert into x values (7)'
	run psql -X -A -t -d "$b" -c "select count(*) from pg_tables where tablename = 'x'"
	expect_status 0
	[ "$output" = 0 ]
	run psql -X -A -t -d "$a" -c 'select n from x'
	[ "$output" = 7 ]
}

@test "pgcluster: ledger_new, lq, ledger_copy and ledger_dump on LEDGER_ENGINE=pg" {
	pg_available
	local LEDGER_ENGINE=pg a
	a=$(ledger_new x)
	[ "$a" = "postgresql:///t${BATS_TEST_NUMBER}_x?host=$PGC/c&port=5432&user=postgres" ]
	# the same ledger on every call of the test
	[ "$(ledger_new x)" = "$a" ]
	lq x 'create table t (n int, s text); insert into t values (1, $$a$$), (2, null)'
	run lq x 'select n, s from t order by n'
	[ "$output" = "1|a
2|" ]
	ledger_copy x y
	lq x 'update t set n = n + 10'
	[ "$(lq y 'select sum(n) from t')" = 3 ]
	# and back: the copy replaces the ledger
	ledger_copy y x
	[ "$(lq x 'select sum(n) from t')" = 3 ]
	ledger_dump x >"$T/d"
	grep -q '^CREATE TABLE public.t ' "$T/d"
}

@test "pgcluster: restart puts ALTER SYSTEM's settings in effect; without a server it says so" {
	pg_available
	local d=$T/p uri
	chmod 0711 "$T"
	uri=$(tests/pgcluster start "$d")
	psql -X -q -d "$uri" -c 'ALTER SYSTEM SET shared_buffers = $$48MB$$'
	[ "$(psql -X -A -t -d "$uri" -c 'SHOW shared_buffers')" = 32MB ]
	run tests/pgcluster restart "$d"
	expect_status 0
	[ -z "$output" ]
	[ "$(psql -X -A -t -d "$uri" -c 'SHOW shared_buffers')" = 48MB ]
	tests/pgcluster stop "$d"
	run tests/pgcluster restart "$d"
	expect_status 1
	[ "$output" = "pgcluster: restart $d: no server running there" ]
}
