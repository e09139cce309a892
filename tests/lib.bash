# tests/lib.bash: shared set-up for the bats files.
#   BIN     the binaries under test (set by tests/run; defaults to bin/)
#   T       a fresh temporary directory per test, removed afterwards
#   REPO    the repository root; tests run from there so file names in
#           rejects are the relative names the golden files hold
#   BG      pids of background processes a test started, killed by
#           teardown if the test fails before it waits for them

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${BIN:=$REPO/bin}"
export LC_ALL=C TZ=UTC

setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/u2c-test.XXXXXX")
	cd "$REPO" || return 1
	unset METER_LEDGER
}

# Kill what a failed test left running in the background (the pids a
# test lists in BG), then remove its directory.
teardown() {
	local p
	for p in ${BG:-}; do
		{ kill -9 "$p" && wait "$p"; } 2>/dev/null || true
	done
	[ -n "${T:-}" ] && rm -rf "$T"
}

# ingest ARGS...: meter-ingest with the sample customers, a ledger in $T
# and a fixed as-of, so output is deterministic.
ingest() {
	"$BIN/meter-ingest" --customers testdata/customers.ndjson \
	    --ledger "$T/ledger.sqlite" --as-of 2026-10-20T00:00:00Z "$@"
}

# expect_status N: the last `run` exited with exactly N.
expect_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status" >&2
		echo "output: $output" >&2
		return 1
	fi
}

# same EXPECTED ACTUAL: diff -u, failing with the difference.
same() {
	diff -u "$1" "$2"
}

# ce ID SUBJECT TIME [DATA]: one CloudEvent line
ce() {
	printf '{"specversion":"1.0","id":"%s","source":"test","type":"api.request","subject":"%s","time":"%s","data":%s}\n' \
	    "$1" "$2" "$3" "${4:-{\}}"
}

# urec N CUSTOMER TYPE TIME DATA: a usage record (meter-ingest's form)
# whose key is N in hex, for meter-aggregate
urec() {
	printf '{"kind":"usage","schema":"1.0","customer":"%s","source":"t","id":"e%s","type":"%s","subject":"s","time":"%s","data":%s,"key":"%032x"}\n' \
	    "$2" "$1" "$3" "$4" "$5" "$1"
}

# meters JSON...: a meters file in $T/m made of these meter objects
meters() {
	local IFS=,
	printf '{"meters":[%s]}\n' "$*" >"$T/m"
}
