#!/usr/bin/env bats
# rate: tiers priced in blocks (block_size on a tier, Kill Bill's tiered
# blocks), on Kill Bill's own documented catalog examples and on hand-worked
# vectors: partial blocks charged whole, graduated (ALL_TIERS) and volume
# (TOP_TIER), the breakdown, amount_unrounded, and a bad block_size.
#
# Source of the Kill Bill vectors: Kill Bill's "Catalog Examples" guide,
# section "Usage Billing" (https://docs.killbill.io/latest/catalog-examples.html,
# killbill/killbill-docs userguide/tutorials/catalog-examples.adoc) and the
# catalogs it links (killbill/killbill-docs catalogs/consumable-billing-*.xml).
# Kill Bill's <max> counts blocks, so a tier of <size>S</size><max>M</max>
# is our up_to = the previous up_to + S x M; <max>-1</max> is up_to null.
# Its ALL_TIERS is our graduated, TOP_TIER our volume (Kill Bill's
# ContiguousIntervalConsumableUsageInArrear.computeToBeBilledConsumable-
# InArrearWith_ALL_TIERS / _TOP_TIER count ceil(units / size) blocks).
# The guide's amounts include the plan's $30 recurring fee; the usage lines
# here are the amounts less 30.  (The block-size example's table records
# "110" minutes but works the amount out for 1200 minutes, 120 blocks: we
# take the worked amount, $140.)

load lib

# consumable-billing-all-tiers.xml / -top-tier.xml: liters, size 1,
# $1.50 up to max 1000, then $2.0 (max -1)
WATER='"tiers":[{"up_to":"1000","unit_amount":"1.50","block_size":"1"},{"up_to":null,"unit_amount":"2.0","block_size":"1"}]'
# consumable-billing-block-size-more-than-one.xml: cell-phone-minutes,
# size 10, $1.00 a block for max 100 blocks (1000 minutes), then $0.50
MINUTES='"tiers":[{"up_to":"1000","unit_amount":"1.00","block_size":"10"},{"up_to":null,"unit_amount":"0.50","block_size":"10"}]'

@test "Kill Bill ALL_TIERS (graduated): 400 liters -> 600 (guide: 630 - 30), 1200 -> 1900 (1930 - 30)" {
	run amounts "\"model\":\"graduated\",$WATER" 400 1200
	[ "$output" = "600.00 1900.00" ]
}

@test "Kill Bill TOP_TIER (volume): 400 liters -> 600 (630 - 30), 1200 -> 2400 (2430 - 30)" {
	run amounts "\"model\":\"volume\",$WATER" 400 1200
	[ "$output" = "600.00 2400.00" ]
}

@test "Kill Bill block size 10 (ALL_TIERS): 400 minutes, 40 blocks -> 40 (70 - 30); 1200 minutes -> 100 + 20 x 0.5 = 110 (140 - 30)" {
	run amounts "\"model\":\"graduated\",$MINUTES" 400 1200
	[ "$output" = "40.00 110.00" ]
}

@test "Kill Bill multiple usage sections: minutes ALL_TIERS 400 -> 250, Mbytes TOP_TIER 1200 -> 600" {
	# consumable-billing-multiple-usage-sections.xml: minutes size 1, $1.00
	# max 100 then $0.50; Mbytes size 1, $1.00 max 1024 then $0.50
	run amounts '"model":"graduated","tiers":[{"up_to":"100","unit_amount":"1.00","block_size":"1"},{"up_to":null,"unit_amount":"0.50","block_size":"1"}]' 400
	[ "$output" = "250.00" ]
	run amounts '"model":"volume","tiers":[{"up_to":"1024","unit_amount":"1.00","block_size":"1"},{"up_to":null,"unit_amount":"0.50","block_size":"1"}]' 1200
	[ "$output" = "600.00" ]
}

@test "a partial block is charged whole, in each tier for graduated and on the total for volume" {
	# tier 1 up to 100 in blocks of 10 at 1.00, then blocks of 25 at 2.00
	G='"tiers":[{"up_to":"100","unit_amount":"1.00","block_size":"10"},{"up_to":null,"unit_amount":"2.00","block_size":"25"}]'
	run amounts "\"model\":\"graduated\",$G" 0 1 10 10.5 100 101 125 126
	# 10.5 -> 2 blocks; 101 -> 10 + 1 block of 25; 126 -> 10 + 2 blocks
	[ "$output" = "0.00 1.00 1.00 2.00 10.00 12.00 12.00 14.00" ]
	run amounts "\"model\":\"volume\",$G" 0 1 100 101 125 126
	# 101 -> ceil(101 / 25) = 5 blocks at 2.00; 126 -> 6 blocks
	[ "$output" = "0.00 1.00 10.00 10.00 10.00 12.00" ]
}

@test "a decimal block_size; flat amounts stay once a tier; tiers without block_size keep per-unit prices" {
	run amounts '"model":"graduated","tiers":[{"up_to":"1","unit_amount":"0.30","block_size":"0.25","flat_amount":"1"},{"up_to":null,"unit_amount":"0.10"}]' 0.1 1 2.5
	# 0.1 -> 1 block + 1; 1 -> 4 blocks + 1 = 2.20; 2.5 -> 2.20 + 1.5 x 0.10
	[ "$output" = "1.30 2.20 2.35" ]
}

@test "the breakdown gives block_size and blocks, and amount_unrounded is exact" {
	plan1 '"model":"graduated","tiers":[{"up_to":"100","unit_amount":"0.0125","block_size":"10"},{"up_to":null,"unit_amount":"0.3333","block_size":"1000"}]'
	aggr 1 cus_a m 1001 | rate >"$T/out"
	run jq -c 'select(.line_type == "usage") | .breakdown.tiers[] | [.tier, .units, .block_size, .blocks, .unit_amount, .amount]' "$T/out"
	[ "${lines[0]}" = '[1,"100","10","10","0.0125","0.1250"]' ]
	[ "${lines[1]}" = '[2,"901","1000","1","0.3333","0.3333"]' ]
	has '.line_type == "usage"' '.amount_unrounded == "0.4583" and .amount == "0.46"' "$T/out"
	# without blocks the breakdown is as before: no block members
	plan1 '"model":"graduated","tiers":[{"up_to":null,"unit_amount":"1"}]'
	aggr 1 cus_a m 3 | rate | has '.line_type == "usage"' '(.breakdown.tiers[0] | has("blocks") or has("block_size")) | not'
}

@test "a block_size that is not a positive decimal is a catalog error naming the charge and tier, exit 78" {
	cat >"$T/c" <<-'EOF2'
	{"plans":[{"id":"p","version":1,"currency":"USD","charges":[
	  {"id":"a","meter":"m","model":"graduated","tiers":[{"up_to":10,"unit_amount":"1","block_size":"0"},{"up_to":null,"unit_amount":"1","block_size":"-5"}]},
	  {"id":"b","meter":"m","model":"volume","tiers":[{"up_to":null,"unit_amount":"1","block_size":"ten"}]}]}],
	 "contracts":[{"customer":"cus_a","plan":"p","start":"2026-01-01T00:00:00Z"}]}
	EOF2
	run rate </dev/null
	expect_status 78
	[[ "$output" == *"plans[0] ('p' v1): charges[0] ('a'): tiers[0]: block_size must be greater than 0"* ]]
	[[ "$output" == *"plans[0] ('p' v1): charges[0] ('a'): tiers[1]: block_size must be greater than 0"* ]]
	[[ "$output" == *"plans[0] ('p' v1): charges[1] ('b'): tiers[0]: block_size must be a decimal number, best written as a string like \"12.50\""* ]]
}

@test "invoice-gen: a tier in blocks shows its blocks in the document's tiers and text ('N in B blocks of S x P')" {
	# eu-starter's storage (444.866778523 GB billable) in blocks of 10 GB
	jq '(.plans[] | select(.id == "eu-starter") | .charges[] |
	    select(.id == "storage") | .tiers[0]) += {"block_size": "10"}' \
	    testdata/catalog.json >"$T/cat"
	"$BIN/rate" --catalog "$T/cat" --customers testdata/customers.ndjson \
	    --as-of 2026-11-02T00:00:00Z --rejects "$T/r" \
	    testdata/aggregate/aggregates.expected.ndjson >"$T/rated" 2>/dev/null
	# 45 blocks x 0.023 = 1.035
	has '.customer == "cus_initech" and .charge == "storage"' \
	    '.amount_unrounded == "1.035" and .breakdown.tiers[0].blocks == "45"' "$T/rated"
	ig --format text "$T/rated" >"$T/txt"
	grep -qxF '      0 to 1000: 444.866778523 in 45 blocks of 10 x 0.023 = 1.035 EUR' "$T/txt"
	ig --issue "$T/rated" >"$T/docs"
	has '.customer.id == "cus_initech"' '.lines[] |
	    select(.charge == "storage") | .tiers[0] |
	    .block_size == "10" and .blocks == "45"' "$T/docs"
}
