#!/usr/bin/env bats
# make install and make uninstall into a DESTDIR: the man pages and
# sql/roles.sql where usage-to-cash(5) and the README say they go.  The
# binaries are left out (CMDS=, and `all` not remade: -o all), so the
# test neither builds nor needs bin/.

load lib

# mk TARGET ARGS...: make TARGET into $T/dest, PREFIX /usr
mk() {
	make -s -C "$REPO" -o all "$@" CMDS= DESTDIR="$T/dest" PREFIX=/usr
}

@test "make install: sql/roles.sql as PREFIX/share/usage-to-cash/roles.sql, the path the man page gives; make uninstall removes it" {
	run mk install
	expect_status 0
	cmp "$REPO/sql/roles.sql" "$T/dest/usr/share/usage-to-cash/roles.sql"
	[ "$(stat -c %a "$T/dest/usr/share/usage-to-cash/roles.sql")" = 644 ]
	cmp "$REPO/man/usage-to-cash.5" "$T/dest/usr/share/man/man5/usage-to-cash.5"
	# usage-to-cash(5) and the README name it where the default PREFIX puts it
	grep -q '^    -f /usr/local/share/usage-to-cash/roles.sql$' \
	    "$T/dest/usr/share/man/man5/usage-to-cash.5"
	grep -q -- '-f /usr/local/share/usage-to-cash/roles.sql' "$REPO/README"
	run mk uninstall
	expect_status 0
	[ ! -e "$T/dest/usr/share/usage-to-cash" ]
	[ ! -e "$T/dest/usr/share/man/man5/usage-to-cash.5" ]
}
