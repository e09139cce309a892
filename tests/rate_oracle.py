#!/usr/bin/env python3
"""rate_oracle.py: check rate(1) against Python's decimal module.

usage: rate_oracle.py RATE_BINARY DIR [--count N] [--seed S]

Makes N customers, each with a plan of its own (a random model: unit,
graduated, volume, package or percentage; random tiers, free units, a
per-charge minimum commitment, a plan-wide percent discount with a cap;
currency USD, JPY or BHD; a random rounding mode) and one aggregate of a
random quantity (0, on and beside tier edges, decimals), runs rate once
over all of them, and compares every line's amount with the rules of
rate(1) written again here:

  billable   max(quantity - free_units, 0)
  graduated  each unit at its tier's unit_amount, plus the flat_amount
             of every tier reached (tier i holds (up_to[i-1], up_to[i]],
             the first also 0)
  volume     every unit at the tier the total falls in, plus its flat
  blocks     a tier with block_size prices ceil(units / block_size)
             blocks, not units (graduated: the units it holds; volume:
             all of them)
  package    ceil or floor(billable / size) x amount
  percentage quantity x rate / 100 + events x fixed_amount
  flat fee   amount x share, the share of a contract that starts
             within the period: its seconds in it / the period's
  usage line quantize(amount, minor unit, mode)
  true-up    quantize(max(commitment x share - usage line, 0))
  discount   quantize(-min(total x percent / 100, cap)): a line's
             amount is rounded as it is, negative (floor is away from 0)

and every line's amount_unrounded: the exact value before that rounding,
or for a prorated one (flat fee, true-up) that value half-even to 15
fraction digits of the minor unit.

Prints TAP; exits 1 on a mismatch.
"""
import argparse
import json
import os
import random
import subprocess
import sys
from decimal import Decimal as D, ROUND_HALF_UP, ROUND_HALF_EVEN, \
    ROUND_UP, ROUND_DOWN, ROUND_CEILING, ROUND_FLOOR, localcontext

MODES = {"half-up": ROUND_HALF_UP, "half-even": ROUND_HALF_EVEN,
         "up": ROUND_UP, "down": ROUND_DOWN, "ceiling": ROUND_CEILING,
         "floor": ROUND_FLOOR}
MINOR = {"USD": 2, "JPY": 0, "BHD": 3}


def dstr(rng, lo, hi, places):
    v = D(rng.randint(lo * 10 ** places, hi * 10 ** places)) / 10 ** places
    return str(v)


def tiers(rng):
    n = rng.randint(1, 5)
    edges = sorted(set(D(rng.choice([1, 5, 10, 100, 1000])) *
                       rng.randint(1, 9) / rng.choice([1, 1, 10])
                       for _ in range(n - 1)))
    out = []
    for e in edges + [None]:
        t = {"up_to": None if e is None else str(e)}
        if rng.random() < 0.8:
            t["unit_amount"] = dstr(rng, 0, 20, rng.choice([0, 2, 4, 6]))
        if rng.random() < 0.4 or "unit_amount" not in t:
            t["flat_amount"] = dstr(rng, 0, 50, 2)
        if rng.random() < 0.3:
            t["block_size"] = rng.choice(["1", "10", "25", "100", "1000",
                                          "0.5", "2.5", "0.001"])
        out.append(t)
    return out


def quantity(rng, charge):
    edges = [D(t["up_to"]) for t in charge.get("tiers", []) if t["up_to"]]
    pick = rng.random()
    if edges and pick < 0.4:
        e = rng.choice(edges)
        return str(e + rng.choice([D(0), D(1), D(-1), D("0.5"),
                                   D("-0.001")]).max(-e))
    if pick < 0.5:
        return "0"
    return dstr(rng, 0, 5000, rng.choice([0, 0, 3]))


def tiered(ts, q, volume):
    ups = [None if t["up_to"] is None else D(t["up_to"]) for t in ts]
    ua = [D(t.get("unit_amount", "0")) for t in ts]
    fa = [D(t.get("flat_amount", "0")) for t in ts]

    def blocks(i, units):
        bs = ts[i].get("block_size")
        return units if bs is None else \
            (units / D(bs)).to_integral_value(ROUND_CEILING)
    if volume:
        i = next(i for i, u in enumerate(ups) if u is None or q <= u)
        return blocks(i, q) * ua[i] + fa[i]
    total, lo = D(0), D(0)
    for i, u in enumerate(ups):
        if i > 0 and q <= lo:
            break
        hi = q if u is None or q < u else u
        total += blocks(i, hi - lo) * ua[i] + fa[i]
        if u is not None:
            lo = u
    return total


def settle(x, unit, mode, prorated):
    """(amount_unrounded, amount) of a line worth x exactly"""
    shown = x.quantize(unit.scaleb(-15), ROUND_HALF_EVEN) if prorated else x
    return shown, x.quantize(unit, mode)


def expect(plan, agg, num, den):
    ch = plan["charges"][0]
    cur, mode = plan["currency"], MODES[plan["rounding"]]
    unit = D(1).scaleb(-MINOR[cur])
    cut = num != den
    out = []
    total = D(0)
    if len(plan["charges"]) > 1:
        out.append(settle(D(plan["charges"][1]["amount"]) * num / den, unit,
                          mode, cut))
        total += out[-1][1]
    q = D(agg["quantity"])
    b = max(q - D(ch.get("free_units", "0")), D(0))
    m = ch["model"]
    if m == "unit":
        x = b * D(ch["unit_amount"])
    elif m in ("graduated", "volume"):
        x = tiered(ch["tiers"], b, m == "volume")
    elif m == "package":
        p = b / D(ch["package_size"])
        p = p.to_integral_value(ROUND_CEILING if ch["round"] == "up"
                                else ROUND_FLOOR)
        x = p * D(ch["amount"])
    else:
        x = q * D(ch["rate"]) / 100 + agg["events"] * D(ch["fixed_amount"])
    out.append(settle(x, unit, mode, False))
    line = out[-1][1]
    total += line
    if "minimum_commitment" in ch:
        t = D(ch["minimum_commitment"]) * num / den - line
        if t > 0:
            out.append(settle(t, unit, mode, cut))
            total += out[-1][1]
    disc = plan.get("discount")
    if disc and total > 0:
        off = min(total * D(disc["percent"]) / 100, D(disc["cap"]), total)
        if off != 0:
            out.append(settle(-off, unit, mode, False))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rate")
    ap.add_argument("dir")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1204)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    plans, contracts, aggs, want = [], [], [], {}
    for i in range(a.count):
        cur = rng.choice(list(MINOR))
        m = rng.choice(["unit", "graduated", "volume", "package",
                        "percentage"])
        ch = {"id": "c", "meter": "m", "model": m}
        if m == "unit":
            ch["unit_amount"] = dstr(rng, 0, 3, rng.choice([0, 2, 5, 8]))
        elif m in ("graduated", "volume"):
            ch["tiers"] = tiers(rng)
        elif m == "package":
            ch.update(package_size=str(rng.choice([1, 10, 100, 250, 1000])),
                      amount=dstr(rng, 0, 30, 2),
                      round=rng.choice(["up", "down"]))
        else:
            ch.update(rate=dstr(rng, 0, 5, rng.choice([0, 1, 2])),
                      fixed_amount=dstr(rng, 0, 1, 2))
        if m != "percentage" and rng.random() < 0.3:
            ch["free_units"] = dstr(rng, 0, 3000, rng.choice([0, 1]))
        if rng.random() < 0.3:
            ch["minimum_commitment"] = dstr(rng, 0, 200, MINOR[cur])
        plan = {"id": "p%d" % i, "version": 1, "currency": cur,
                "rounding": rng.choice(list(MODES)), "charges": [ch]}
        c = {"customer": "cus_%d" % i, "plan": plan["id"],
             "start": "2026-01-01T00:00:00Z"}
        num = den = 30 * 86400
        if rng.random() < 0.3:
            # a flat fee, and now and then a contract that starts within
            # September: the fee and the commitment prorated by seconds
            plan["charges"].append({"id": "f", "model": "flat",
                                    "amount": dstr(rng, 0, 100, 2)})
            if rng.random() < 0.7:
                s = rng.randrange(1, 30 * 86400)
                c["start"] = "2026-09-%02dT%02d:%02d:%02dZ" % (
                    1 + s // 86400, s // 3600 % 24, s // 60 % 60, s % 60)
                num -= s
        if rng.random() < 0.3:
            plan["discount"] = {"percent": dstr(rng, 1, 50, 1),
                                "cap": dstr(rng, 1, 100, MINOR[cur])}
            c["overrides"] = {"discounts": [dict(id="d",
                                                 **plan["discount"])]}
        agg = {"kind": "aggregate", "schema": "1.0", "key": "%032x" % (i + 1),
               "customer": c["customer"], "meter": "m", "group": {},
               "period": "month", "period_start": "2026-09-01T00:00:00Z",
               "period_end": "2026-10-01T00:00:00Z",
               "quantity": quantity(rng, ch),
               "events": rng.randint(1, 4) if m == "percentage" else 1,
               "lineage": "%032x" % (i + 1)}
        want[c["customer"]] = expect(plan, agg, num, den)
        plan.pop("discount", None)
        plans.append(plan)
        contracts.append(c)
        aggs.append(agg)
    cat = os.path.join(a.dir, "catalog.json")
    with open(cat, "w") as f:
        json.dump({"plans": plans, "contracts": contracts}, f)
    inp = "".join(json.dumps(x) + "\n" for x in aggs)
    p = subprocess.run([a.rate, "--catalog", cat, "--as-of",
                        "2026-11-01T00:00:00Z", "--rejects",
                        os.path.join(a.dir, "rejects")], input=inp,
                       capture_output=True, text=True)
    if p.returncode != 0:
        print("not ok 1 rate exited %d: %s" % (p.returncode, p.stderr))
        return 1
    got = {}
    for l in p.stdout.splitlines():
        r = json.loads(l)
        got.setdefault(r["customer"], []).append(
            (D(r["amount_unrounded"]), D(r["amount"])))
    bad = 0
    print("1..%d" % len(want))
    for n, (cust, w) in enumerate(sorted(want.items()), 1):
        g = got.get(cust)
        if g != w:
            bad += 1
            print("not ok %d %s: want %s got %s" % (n, cust, w, g))
        else:
            print("ok %d %s" % (n, cust))
    return 1 if bad else 0


if __name__ == "__main__":
    with localcontext() as ctx:
        ctx.prec = 60
        sys.exit(main())
