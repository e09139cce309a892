#!/usr/bin/env python3
"""invoice_oracle.py: check common/invoice.c's tax against Python's decimal.

usage: invoice_oracle.py PATH/TO/test_invoice [--count N] [--seed S]

Random amounts, rates, roundings and minor units for the one tax
computation (inv_tax), and random inclusive categories of 1 to 8 lines
(inv_state_tax).  The rules, from invoice.h and dec.h, written again:

  exclusive  tax = base x rate / 100, rounded once to the minor unit
  inclusive  tax = gross x rate / (100 + rate), rounded once
  split      each line's share of the category's tax is
             floor(tax x gross / sum of gross) in minor units, the
             quotient first cut to 18 decimals (floor); the units left
             go one each to the largest remainders, ties to the first;
             no gross at all puts the tax on the first line.  A line's
             net is its gross less its share.

Values are compared as numbers (2.50 == 2.5).  Prints TAP.
"""
import argparse
import decimal
import random
import subprocess
import sys
from decimal import Decimal as D

MODES = {"half-up": decimal.ROUND_HALF_UP, "half-even":
         decimal.ROUND_HALF_EVEN, "up": decimal.ROUND_UP, "down":
         decimal.ROUND_DOWN, "ceiling": decimal.ROUND_CEILING,
         "floor": decimal.ROUND_FLOOR}

# Division to 400 digits with a sticky last digit (ROUND_05UP): rounding
# that once more to at most 38 decimals gives what rounding the exact
# quotient would (as in dec_oracle.py).
STICKY = decimal.Context(prec=400, rounding=decimal.ROUND_05UP,
                         Emax=10 ** 6, Emin=-(10 ** 6))


def q(x, scale, mode):
    return x.quantize(D(1).scaleb(-scale), rounding=mode,
                      context=decimal.Context(prec=400))


def tax(amount, rate, mode, incl, minor):
    if incl:
        return q(STICKY.divide(amount * rate, 100 + rate), minor, mode)
    return q(STICKY.divide(amount * rate, D(100)), minor, mode)


def split(total, w, minor):
    unit = D(1).scaleb(-minor)
    wsum = sum(w, D(0))
    if wsum == 0:
        return [total] + [D(0)] * (len(w) - 1)
    out, rems = [], []
    for x in w:
        x = q(STICKY.divide(total * x, wsum), 18, decimal.ROUND_FLOOR)
        f = q(x, minor, decimal.ROUND_FLOOR)
        out.append(f)
        rems.append(x - f)
    left = int((total - sum(out, D(0))) / unit)
    for _ in range(left):
        best = 0
        for j in range(1, len(w)):
            if rems[j] > rems[best]:
                best = j
        out[best] += unit
        rems[best] = D(-1)
    return out


def amount(r, minor):
    c = r.choice([0, 1, 5, 50, 99, 100, 333, 1000, 12345, 999999,
                  r.randrange(1, 10 ** 9)])
    if r.random() < 0.2:
        c = -c
    return D(c).scaleb(-minor)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    r = random.Random(a.seed)
    lines, want = [], []
    for _ in range(a.count):
        minor = r.choice([0, 2, 2, 2, 3])
        rate = D(r.choice(["0", "5", "7.7", "10", "19", "20", "21", "25",
                           "8.875", "100"]))
        mode = r.choice(sorted(MODES))
        incl = r.random() < 0.5
        x = amount(r, minor)
        lines.append(f"tax {x} {rate} {mode} {'incl' if incl else 'excl'} "
                     f"{minor}")
        want.append([tax(x, rate, MODES[mode], incl, minor)])
        gross = [amount(r, minor) for _ in range(r.randrange(1, 9))]
        t = tax(sum(gross, D(0)), rate, MODES[mode], True, minor)
        lines.append(f"incl {minor} {rate} {mode} " +
                     " ".join(str(g) for g in gross))
        want.append([t] + [g - s for g, s in
                           zip(gross, split(t, gross, minor))])
    out = subprocess.run([a.binary, "--oracle"], input="\n".join(lines) +
                         "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    bad = []
    for line, w, got in zip(lines, want, out):
        try:
            ok = [D(v) for v in got.split()] == w
        except decimal.InvalidOperation:
            ok = False
        if not ok:
            bad.append(f"{line}: want {' '.join(map(str, w))}, got {got}")
    if len(out) != len(lines):
        bad.append(f"{len(lines)} lines in, {len(out)} out")
    print("1..1")
    print(("ok" if not bad else "not ok") +
          f" 1 - {len(lines)} tax and inclusive split cases agree with "
          "decimal")
    for b in bad[:20]:
        print("# " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
