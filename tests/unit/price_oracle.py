#!/usr/bin/env python3
"""price_oracle.py: check common/price.c against Python's decimal module.

usage: price_oracle.py PATH/TO/test_price [--count N] [--seed S]

Random tier tables (1 to 6 tiers, integer and decimal edges, flat and
unit amounts, some zero) and quantities (0, on and beside every edge,
decimals, negatives) for graduated and volume pricing; random packages;
random roundings.  The rules, from price.h, written again here:

  graduated  tier i holds (up_to[i-1], up_to[i]], the first also 0; each
             unit at its tier's unit_amount, plus the flat_amount of
             every tier reached; a negative quantity is an error
  volume     all units at the tier the total falls in (the first with
             qty <= up_to), plus its flat_amount
  blocks     a tier with a block_size prices ceil(units / block_size)
             blocks at its unit_amount (graduated: the units it holds;
             volume: the whole quantity)
  package    ceil or floor(qty / size) x amount
  round      quantize to the minor unit with the mode
  pct        amount x rate / 100 + fixed, held in [min, max]
  trueup     max(minimum - amount, 0)
  disc       percent of the amount or a fixed value, at most the amount
             and the cap; 0 off an amount of 0 or less

Values are compared as numbers (2.50 == 2.5).  Prints TAP.
"""
import argparse
import decimal
import random
import subprocess
import sys
from decimal import Decimal as D

decimal.getcontext().prec = 200
MODES = {"half-up": decimal.ROUND_HALF_UP, "half-even":
         decimal.ROUND_HALF_EVEN, "up": decimal.ROUND_UP, "down":
         decimal.ROUND_DOWN, "ceiling": decimal.ROUND_CEILING,
         "floor": decimal.ROUND_FLOOR}


def blocks(units, size):
    return units if size is None else \
        (units / size).to_integral_value(decimal.ROUND_CEILING)


def graduated(tiers, q):
    if q < 0:
        return "ERR 100"
    total, lo = D(0), D(0)
    for i, (up, unit, flat, size) in enumerate(tiers):
        if i > 0 and q <= lo:
            break
        hi = q if up is None or q < up else up
        total += blocks(hi - lo, size) * unit + flat
        if up is not None:
            lo = up
    return total


def volume(tiers, q):
    if q < 0:
        return "ERR 100"
    for up, unit, flat, size in tiers:
        if up is None or q <= up:
            return blocks(q, size) * unit + flat


def num(r):
    return str(r.choice([0, 1, 2, 5, 10, 100, 1000, 12345])) + \
        r.choice(["", "", ".5", ".25", ".001", ".99"])


def make_tiers(r):
    edges = sorted({D(num(r)) for _ in range(r.randrange(0, 6))} - {D(0)})
    tiers = [(e, D(r.choice(["0", "1", "0.5", "0.00002", "7", "6.5",
                             "0.125"])),
              D(r.choice(["0", "0", "10", "2.5"])), block(r)) for e in edges]
    tiers.append((None, D(r.choice(["0", "0.25", "6", "0.00001"])),
                  D(r.choice(["0", "1"])), block(r)))
    return tiers


def block(r):
    return r.choice([None, None, None, D("1"), D("10"), D("0.25"),
                     D("1000"), D("2.5")])


def spec(tiers):
    return ",".join(("inf" if up is None else str(up)) + ":" + str(u) +
                    ":" + str(f) + ("" if b is None else ":" + str(b))
                    for up, u, f, b in tiers)


def quantities(r, tiers):
    qs = [D(0), D(num(r)), D("-1"), D("0.0001")]
    for up, _, _, _ in tiers:
        if up is not None:
            qs += [up, up + D("0.001"), up - D("0.001")]
    return [q for q in qs if abs(q) < D(10) ** 20]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=4)
    a = ap.parse_args()
    r = random.Random(a.seed)
    lines, want = [], []
    for _ in range(a.count):
        t = make_tiers(r)
        for q in quantities(r, t):
            for name, f in (("grad", graduated), ("vol", volume)):
                lines.append(f"{name} {spec(t)} {q}")
                want.append(f(t, q))
        q, size, per = D(num(r)), D(r.choice(["1", "100", "1000", "2.5"])), \
            D(r.choice(["5", "0.5", "12.34"]))
        for up in (True, False):
            lines.append(f"pkg {q} {size} {per} {'up' if up else 'down'}")
            n = (q / size).to_integral_value(
                decimal.ROUND_CEILING if up else decimal.ROUND_FLOOR)
            want.append(n * per)
        x = D(num(r))
        rate, fixed = D(r.choice(["2.9", "0", "1.25", "100"])), \
            D(r.choice(["0", "0.30"]))
        lo = r.choice([None, D("0.50"), D("1")])
        hi = r.choice([None, D("5"), D("20")])
        lines.append(f"pct {x} {rate} {fixed} {lo if lo is not None else '-'}"
                     f" {hi if hi is not None else '-'}")
        fee = x * rate / 100 + fixed
        if lo is not None and fee < lo:
            fee = lo
        if hi is not None and fee > hi:
            fee = hi
        want.append(fee)
        m = D(num(r))
        lines.append(f"trueup {x} {m}")
        want.append(max(m - x, D(0)))
        pct = r.random() < 0.5
        v = D(r.choice(["10", "50", "0.5", "100"]))
        cap = r.choice([None, D("25"), D("0.01")])
        amt0 = x * r.choice([1, -1]) if r.random() < 0.2 else x
        lines.append(f"disc {amt0} {'pct' if pct else 'fixed'} {v} "
                     f"{cap if cap is not None else '-'}")
        d = D(0)
        if amt0 > 0:
            d = min(amt0 * v / 100 if pct else v, amt0)
            if cap is not None:
                d = min(d, cap)
        want.append(d)
        amt = D(r.choice(["0.015", "0.025", "-0.005", "1234.5678",
                          "0.00002", "99.995"]))
        mode = r.choice(sorted(MODES))
        minor = r.choice([0, 2, 3])
        lines.append(f"round {amt} {minor} {mode}")
        want.append(amt.quantize(D(1).scaleb(-minor), MODES[mode]))
    out = subprocess.run([a.binary, "--oracle"], input="\n".join(lines) +
                         "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    bad = []
    for line, w, got in zip(lines, want, out):
        if isinstance(w, str):
            ok = got == w
        else:
            try:
                ok = D(got) == w
            except decimal.InvalidOperation:
                ok = False
        if not ok:
            bad.append(f"{line}: want {w}, got {got}")
    if len(out) != len(lines):
        bad.append(f"{len(lines)} lines in, {len(out)} out")
    print("1..1")
    print(("ok" if not bad else "not ok") +
          f" 1 - {len(lines)} pricing cases agree with decimal")
    for b in bad[:20]:
        print("# " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
