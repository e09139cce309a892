#!/usr/bin/env bats
# erp-post --keygen, --sign and --verify: an Ed25519 (libsodium) detached
# signature over an export file, so finance can show an uploaded journal
# is the one that was made.

load lib

@test "a signed journal verifies; one changed byte, or another key, does not" {
	"$BIN/erp-post" --keygen "$T/k"
	[ "$(stat -c %a "$T/k")" = 600 ]
	[ "$(head -1 "$T/k.pub")" = "untrusted comment: erp-post public key" ]
	cp testdata/erp/journal.expected.netsuite.csv "$T/j.csv"
	"$BIN/erp-post" --sign "$T/j.csv" --key "$T/k"
	[ "$(head -1 "$T/j.csv.sig")" = "untrusted comment: erp-post signature" ]
	run "$BIN/erp-post" --verify "$T/j.csv" --key "$T/k.pub"
	expect_status 0
	[ "$output" = "erp-post: $T/j.csv: signature verified" ]
	# one byte changed: 83.51 -> 83.52
	sed -i '2s/83.51/83.52/' "$T/j.csv"
	run "$BIN/erp-post" --verify "$T/j.csv" --key "$T/k.pub"
	expect_status 1
	[[ "$output" == *"signature mismatch"* ]]
	# another key
	cp testdata/erp/journal.expected.netsuite.csv "$T/j.csv"
	"$BIN/erp-post" --keygen "$T/other"
	run "$BIN/erp-post" --verify "$T/j.csv" --key "$T/other.pub"
	expect_status 1
}

@test "keys are never overwritten; a missing or broken signature is an error, not a pass" {
	"$BIN/erp-post" --keygen "$T/k"
	run "$BIN/erp-post" --keygen "$T/k"
	expect_status 73
	[[ "$output" == *"a key is never overwritten"* ]]
	cp testdata/erp/journal.expected.hledger "$T/j"
	run "$BIN/erp-post" --verify "$T/j" --key "$T/k.pub"
	expect_status 66
	printf 'untrusted comment: x\nnot base64!\n' >"$T/j.sig"
	run "$BIN/erp-post" --verify "$T/j" --key "$T/k.pub"
	expect_status 65
	run "$BIN/erp-post" --sign "$T/j"
	expect_status 64
}
