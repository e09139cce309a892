# tests/tryton/lib.bash: the helpers of the bats files that run erp-send
# against a real Tryton (load tryton/lib after lib): a server of the
# template per test, erp-send to it, what the ERP says.
#   TRYTON  this directory's tryton script, from the repository root

TRYTON=tests/tryton/tryton

# the template database, once for the file (about 40 s the first time)
setup_file() {
	"$REPO/$TRYTON" template >/dev/null 2>&1 || true
	: "${UNITBIN:=$BATS_TEST_DIRNAME/../build/rel/tests}"
	export SO=$UNITBIN/../fault.so
}

# teardown: the test's server stopped, then lib.bash's
eval "lib_$(declare -f teardown)"
teardown() {
	[ -n "${T:-}" ] && "$REPO/$TRYTON" stop "$T/erp" 2>/dev/null
	lib_teardown
}

# erp_up: a Tryton server of the template for this test, at $URL; skips
# the test, saying why, where Tryton is not installed
erp_up() {
	local why
	why=$("$TRYTON" check) || skip "$why"
	mkdir -p "$T/erp"
	URL=$("$TRYTON" start "$T/erp")
}

# es ARGS...: erp-send to the test's server, rejects in $T/r, retries
# 1ms apart
es() {
	"$BIN/erp-send" --erp tryton --url "$URL" --accounts testdata/accounts.json \
	    --credentials "$T/erp/creds" --rejects "$T/r" --retry-delay 1ms "$@"
}

# rpc CMD ARGS...: what the ERP says (tests/tryton/rpc.py)
rpc() {
	python3 tests/tryton/rpc.py "$URL" "$T/erp/creds" "$@"
}
