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
  percentage quantity x rate / 100 + events x fixed_amount (no fixed
             fee when the quantity is 0, as Lago)
  flat fee   amount x share, the share of a contract that starts
             within the period: its seconds in it / the period's
  usage line quantize(amount, minor unit, mode)
  true-up    quantize(max(commitment x share - usage line, 0))
  discount   quantize(-min(total x percent / 100, cap)): a line's
             amount is rounded as it is, negative (floor is away from 0)

With --percentage N, N more customers (pct_0 ...) each have a
percentage charge with Lago's free units (free_units_per_events,
free_units_per_total_aggregation), fixed_amount and per-transaction
bounds, over 1 to 8 transactions (a meter grouped by transaction id,
combine_groups), their amounts and amount_unrounded checked against
lago_percentage() below, written from lago-api's percentage charge model
(app/services/charge_models/percentage_service.rb) and the running total
of its sum aggregation (app/services/billable_metrics/aggregations/
sum_service.rb), with the transactions in the order rate(1) documents:
first_event_at, then the group.

With --prorated every plan's charge is a prorated one (Lago's
"prorated": true: unit, graduated or volume, whole tier bounds, no blocks
or free units) and every aggregate carries random prorated steps of a
28- to 31-day month: a level carried in, then changes on distinct days,
each counting its days left.  These rules are Lago's, written here from
lago-api's sources, not from rate's:

  share      units x days / D, as a fraction (Lago's prorated units,
             postgres_store.rb duration_ratio_sql)
  quantity   ceil(sum of shares, 5) (prorated_aggregations/sum_service.rb)
  unit       quantity x unit_amount
  volume     the tier of the level at the end (sum of units), its
             unit_amount x quantity + its flat (volume_service.rb,
             full_units_number)
  graduated  charge_models/prorated_graduated_service.rb#compute_amount,
             line by line, with fractions where Ruby has fdiv
  usage line the exact amount rounded once

and every line's amount_unrounded: the exact value before that rounding,
or for a prorated one (flat fee, true-up, a prorated charge's usage line)
that value half-even to 15 fraction digits of the minor unit.

Prints TAP; exits 1 on a mismatch.
"""
import argparse
import json
import os
import random
import subprocess
import sys
from fractions import Fraction as F
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


def fround(x, places, mode):
    """The fraction x rounded to places decimals by a decimal mode."""
    y = x * 10 ** places
    fl = y.numerator // y.denominator
    rem = y - fl
    if rem == 0:
        n = fl
    elif mode == ROUND_FLOOR:
        n = fl
    elif mode == ROUND_CEILING:
        n = fl + 1
    elif mode == ROUND_DOWN:
        n = fl if y > 0 else fl + 1
    elif mode == ROUND_UP:
        n = fl + 1 if y > 0 else fl
    elif rem != F(1, 2):
        n = fl + 1 if rem > F(1, 2) else fl
    elif mode == ROUND_HALF_EVEN:
        n = fl if fl % 2 == 0 else fl + 1
    else:                       # half-up: away from 0
        n = fl + 1 if y > 0 else fl
    return D(n).scaleb(-places)


def lago_graduated(ranges, full_units, prorated_units, units):
    """prorated_graduated_service.rb's compute_amount, as it reads."""
    def rng_of(full, overflow, next_full):
        if full <= 0:
            return ranges[0]
        if overflow == 0:
            u = full
        elif overflow > 0:
            u = full - overflow + 1
        else:
            u = full + overflow
        for i, r in enumerate(ranges):
            if u == r["to"] and next_full is not None and next_full > 0:
                return ranges[i + 1]
            if u == r["to"]:
                return r
            if u >= r["from"] and (r["to"] is None or u < r["to"]):
                return r
        return ranges[0]

    def coef(i):
        return prorated_units[i] / full_units[i]

    def with_flat(result, total_full, max_full):
        if total_full < 0:
            return F(0)
        flat = F(0)
        if result < 0:
            result = F(0)
        for r in ranges:
            flat += r["flat"]
            if r["to"] is None or max_full <= r["to"]:
                return result + flat

    n = len(prorated_units)
    index = overflow = full_sum = max_full = prorated_sum = result = 0
    if units == 0:
        return with_flat(F(0), 0, 0)
    r = None
    while index < n or overflow != 0:
        r = rng_of(full_sum, overflow,
                   full_units[index] if index < n else None)
        if overflow != 0:
            prorated_sum += overflow * coef(index - 1)
            if r["to"] is not None and full_sum >= r["to"]:
                overflow = full_sum - r["to"]
                prorated_sum -= overflow * coef(index - 1)
                result += prorated_sum * r["price"]
                prorated_sum = 0
                continue
            overflow = 0
        if index >= n:
            break
        if prorated_units[index] == 0 and full_units[index] > 0:
            index += 1
            continue
        if prorated_units[index] == 0 and full_units[index] < 0 and \
                full_sum + full_units[index] < 0:
            index += 1
            continue
        full_sum += full_units[index]
        max_full = max(max_full, full_sum)
        prorated_sum += prorated_units[index]
        index += 1
        if r["to"] is None:
            if full_sum >= r["from"] - 1:
                continue
            overflow = full_sum - r["from"] + 1
        elif r["from"] <= full_sum < r["to"]:
            continue
        elif full_sum >= r["to"]:
            overflow = full_sum - r["to"]
        else:
            overflow = full_sum - r["from"] + 1
        prorated_sum -= overflow * coef(index - 1)
        result += prorated_sum * r["price"]
        prorated_sum = 0
    result += prorated_sum * r["price"]
    return with_flat(result, full_sum, max_full)


def prorated_amount(ch, agg):
    """Lago's amount of a prorated charge, a fraction."""
    d = agg["period_days"]
    full = [F(D(u)) for u, _ in agg["prorated_steps"]]
    pro = [F(D(u)) * k / d for u, k in agg["prorated_steps"]]
    units = F(D(agg["prorated_quantity"]))
    m = ch["model"]
    if m == "unit":
        return units * F(D(ch["unit_amount"]))
    ts = ch["tiers"]
    if m == "volume":
        n = sum(full)
        for t in ts:
            if t["up_to"] is None or n <= F(D(t["up_to"])):
                return units * F(D(t.get("unit_amount", "0"))) + \
                    F(D(t.get("flat_amount", "0")))
    ranges, lo = [], 0
    for i, t in enumerate(ts):
        to = None if t["up_to"] is None else F(D(t["up_to"]))
        ranges.append({"from": 0 if i == 0 else lo + 1, "to": to,
                       "price": F(D(t.get("unit_amount", "0"))),
                       "flat": F(D(t.get("flat_amount", "0")))})
        lo = to
    return lago_graduated(ranges, full, pro, units)


def prorated_agg(rng, agg, volume):
    """Random steps: a carried level, then changes on distinct days,
    perhaps a removal of 0 days last."""
    d = rng.choice([28, 29, 30, 31])
    level = rng.choice([0, 0, rng.randint(1, 20)])
    steps = [[str(level), d]] if level else []
    for k in sorted(rng.sample(range(1, d), rng.randint(0, 6)),
                    reverse=True):
        u = rng.randint(-8, 25)
        if volume or rng.random() < 0.8:
            u = max(u, -level)          # mostly no level below 0
        if u == 0:
            continue
        level += u
        steps.append([str(u), k])
    if rng.random() < 0.2:
        # a removal counting no day (a value removed on the last day)
        u = -rng.randint(1, 3)
        if volume:
            u = max(u, -level)
        if u != 0:
            level += u
            steps.append([str(u), 0])
    share = sum((F(int(u)) * k / d for u, k in steps), F(0))
    agg.update(quantity=str(max(level, 0)), period_days=d,
               prorated_steps=steps,
               prorated_quantity=str(fround(share, 5, ROUND_CEILING)
                                     .normalize()))


def prorated_charge(rng, ch):
    m = rng.choice(["unit", "graduated", "volume"])
    ch.clear()
    ch.update(id="c", meter="m", model=m, prorated=True)
    if m == "unit":
        ch["unit_amount"] = dstr(rng, 0, 30, rng.choice([0, 2, 5]))
        return
    ch["tiers"] = tiers(rng)
    lo = 0
    for t in ch["tiers"]:
        t.pop("block_size", None)
        if t["up_to"] is not None:
            lo = max(lo + 1, int(D(t["up_to"])))
            t["up_to"] = str(lo)


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
    if ch.get("prorated"):
        f = prorated_amount(ch, agg)
        out.append((fround(f, MINOR[cur] + 15, ROUND_HALF_EVEN),
                    fround(f, MINOR[cur], mode)))
        return rest(plan, ch, out, total, unit, mode, num, den)
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
        # Lago: no fixed fee at all when the period's total is 0
        x = q * D(ch["rate"]) / 100 + (
            0 if q == 0 else agg["events"] * D(ch["fixed_amount"]))
    out.append(settle(x, unit, mode, False))
    return rest(plan, ch, out, total, unit, mode, num, den)


def rest(plan, ch, out, total, unit, mode, num, den):
    """After the usage line (out[-1]): the true-up and the discount."""
    cut = num != den
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


def lago_running_total(vals, n_free, free_total):
    """sum_service.rb's running_total: the sums of the first n_free
    values; without n_free, the sums up to the first past free_total."""
    if n_free == 0 and free_total == 0:
        return []
    out, total = [], D(0)
    if n_free != 0:
        for v in vals[:n_free]:
            total += v
            out.append(total)
        return out
    for v in vals:
        if free_total < total:
            break
        total += v
        out.append(total)
    return out


def lago_percentage(vals, ch):
    """percentage_service.rb's compute_amount over transaction amounts
    in event order: (amount, free transactions, free amount)."""
    rate = D(ch["rate"])
    fixed = D(ch.get("fixed_amount", "0"))
    n_free = int(ch.get("free_units_per_events", 0))
    free_total = D(ch.get("free_units_per_total_aggregation", "0"))
    lo = ch.get("per_transaction_min_amount")
    hi = ch.get("per_transaction_max_amount")
    units, count = sum(vals, D(0)), len(vals)
    if lo is not None or hi is not None:
        # compute_amount_with_transaction_min_max
        ev, amt, total = n_free, free_total, D(0)
        nfree, famt = 0, D(0)
        for v in vals:
            if ev > 0 or amt > 0:
                ev -= 1
                if not amt > 0:
                    total = D(0)        # Ruby's `next 0` in reduce
                    nfree, famt = nfree + 1, famt + v
                    continue
                if amt > v:
                    amt -= v
                    total = D(0)
                    nfree, famt = nfree + 1, famt + v
                    continue
                famt += amt
                v -= amt
                amt, ev = D(0), 0
            a = v * rate / 100 + fixed
            if lo is not None and a < D(lo):
                a = D(lo)
            elif hi is not None and a > D(hi):
                a = D(hi)
            total += a
        return total, nfree, famt
    rt = lago_running_total(vals, n_free, free_total)
    last = rt[-1] if rt else D(0)
    if last == 0:
        fv = D(0)
    elif 0 < n_free < len(rt):
        fv = rt[n_free - 1]
    elif free_total == 0:
        fv = last
    elif last <= free_total:
        fv = last
    else:
        fv = free_total
    counts = [x for x in (n_free, sum(1 for e in rt if e < free_total))
              if x != 0]
    fc = min(counts) if counts else 0
    pct = D(0) if fv > units else (units - fv) * rate / 100
    fx = D(0) if units == 0 or fc >= count else (count - fc) * fixed
    return pct + fx, (fc if count >= fc else count), fv


def pct_case(rng, i):
    """A plan, a contract and the transactions of customer pct_I."""
    cur = rng.choice(list(MINOR))
    ch = {"id": "c", "meter": "m", "model": "percentage",
          "combine_groups": True,
          "rate": dstr(rng, 0, 5, rng.choice([0, 1, 2, 3]))}
    if rng.random() < 0.7:
        ch["fixed_amount"] = dstr(rng, 0, 1, 2)
    if rng.random() < 0.5:
        ch["free_units_per_events"] = rng.randint(1, 6)
    if rng.random() < 0.5:
        ch["free_units_per_total_aggregation"] = rng.choice(
            ["0", dstr(rng, 0, 500, rng.choice([0, 0, 2]))])
    if rng.random() < 0.4:
        if rng.random() < 0.7:
            ch["per_transaction_min_amount"] = dstr(rng, 0, 2, 2)
        if rng.random() < 0.7:
            ch["per_transaction_max_amount"] = dstr(rng, 2, 20, 2)
    ft = D(ch.get("free_units_per_total_aggregation", "0"))
    k = rng.randint(1, 8)
    vals, total = [], D(0)
    zero = rng.random() < 0.1
    for _ in range(k):
        p = rng.random()
        if zero or p < 0.1:
            v = D(0)
        elif p < 0.3 and ft > total:
            v = ft - total              # reaches the free amount exactly
        elif p < 0.4 and ft > total:
            v = ft - total + D(1)       # straddles it
        else:
            v = D(dstr(rng, 0, 400, rng.choice([0, 2, 3])))
        vals.append(v)
        total += v
    # times in September, some equal (then the group decides); ids
    # shuffled so that the group order is not the time order
    secs = [rng.choice([3600, 7200, rng.randint(0, 29 * 86400)])
            for _ in range(k)]
    ids = list(range(k))
    rng.shuffle(ids)
    txs = []
    for j in range(k):
        t = "2026-09-%02dT%02d:%02d:%02dZ" % (
            1 + secs[j] // 86400, secs[j] // 3600 % 24,
            secs[j] // 60 % 60, secs[j] % 60)
        txs.append((t, '{"tx":"t%d"}' % ids[j], vals[j]))
    plan = {"id": "pp%d" % i, "version": 1, "currency": cur,
            "rounding": rng.choice(list(MODES)), "charges": [ch]}
    c = {"customer": "pct_%d" % i, "plan": plan["id"],
         "start": "2026-01-01T00:00:00Z"}
    return plan, c, txs


def pct_aggs(c, txs, base):
    out = []
    for j, (t, g, v) in enumerate(txs):
        out.append({"kind": "aggregate", "schema": "1.0",
                    "key": "%032x" % (base + j), "customer": c["customer"],
                    "meter": "m", "group": json.loads(g),
                    "period": "month",
                    "period_start": "2026-09-01T00:00:00Z",
                    "period_end": "2026-10-01T00:00:00Z",
                    "quantity": str(v), "events": 1, "first_event_at": t,
                    "last_event_at": t, "lineage": "%032x" % (base + j)})
    return out


def pct_expect(plan, txs):
    """amount, amount_unrounded, free transactions and free amount."""
    ch = plan["charges"][0]
    # Lago's order: by event time; rate(1)'s tie-break, the group's JSON
    order = sorted(txs, key=lambda x: (x[0], x[1]))
    x, nfree, famt = lago_percentage([v for _, _, v in order], ch)
    unit = D(1).scaleb(-MINOR[plan["currency"]])
    free = "free_units_per_events" in ch or \
        "free_units_per_total_aggregation" in ch
    return (x.quantize(unit, MODES[plan["rounding"]]), x,
            (nfree, famt) if free else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rate")
    ap.add_argument("dir")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1204)
    ap.add_argument("--percentage", type=int, default=0)
    ap.add_argument("--prorated", action="store_true")
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
        if a.prorated:
            prorated_charge(rng, ch)
            m = ch["model"]
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
        if a.prorated:
            prorated_agg(rng, agg, m == "volume")
        want[c["customer"]] = expect(plan, agg, num, den)
        plan.pop("discount", None)
        plans.append(plan)
        contracts.append(c)
        aggs.append(agg)
    prng, pwant = random.Random(a.seed + 1), {}
    for i in range(a.percentage):
        plan, c, txs = pct_case(prng, i)
        pwant[c["customer"]] = pct_expect(plan, txs)
        plans.append(plan)
        contracts.append(c)
        aggs.extend(pct_aggs(c, txs, 0x10000000 + 16 * i))
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
        if r["customer"] in pwant:
            b = r["breakdown"]
            got[r["customer"]] = (
                D(r["amount"]), D(r["amount_unrounded"]),
                (b["free_transactions"], D(b["free_amount"]))
                if "free_transactions" in b else None)
            continue
        got.setdefault(r["customer"], []).append(
            (D(r["amount_unrounded"]), D(r["amount"])))
    bad = 0
    print("1..%d" % (len(want) + len(pwant)))
    for n, (cust, w) in enumerate(sorted(want.items()) +
                                  sorted(pwant.items()), 1):
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
