#!/usr/bin/env bats
# The documentation other people read: every man page formats without a
# warning (groff's -ww: a table too wide to break, a macro misused), and
# each binary's --help and its man page's OPTIONS list name the same
# options, so neither drifts from the other.

load lib

CMDS="meter-ingest meter-aggregate rate invoice-gen erp-post erp-send reconcile ledger-copy"

@test "docs: every man page formats with groff -mandoc -ww without a warning" {
	command -v groff >/dev/null || { echo "groff is missing: scripts/deps installs groff-base" >&2; false; }
	local m bad=0
	for m in man/*.[157]; do
		out=$(LC_ALL=C groff -mandoc -Tutf8 -ww -z "$m" 2>&1)
		if [ -n "$out" ]; then
			echo "$m:" >&2
			echo "$out" | head -5 >&2
			bad=1
		fi
	done
	[ "$bad" -eq 0 ]
}

@test "docs: each binary's --help synopsis and its man page's OPTIONS name the same options" {
	local c h m bad=0
	for c in $CMDS; do
		# the synopsis: --help's text up to its first empty line
		h=$("$BIN/$c" --help 2>&1 | sed '/^$/q' |
		    grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
		m=$(grep -E '^\.It Fl' "man/$c.1" |
		    grep -o 'Fl -[a-z][a-z0-9-]*' | sed 's/Fl -/--/' | sort -u)
		[ "$(echo "$h" | wc -l)" -ge 6 ] || { echo "$c: --help names too few options" >&2; bad=1; }
		if [ "$h" != "$m" ]; then
			echo "$c: --help only: $(comm -23 <(echo "$h") <(echo "$m") | tr '\n' ' ')" >&2
			echo "$c: man page only: $(comm -13 <(echo "$h") <(echo "$m") | tr '\n' ' ')" >&2
			bad=1
		fi
	done
	[ "$bad" -eq 0 ]
}
