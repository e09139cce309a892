#!/usr/bin/env python3
"""expr_oracle.py: check common/expr.c against Python's decimal module.

Usage: expr_oracle.py [--count N] [--seed S] PATH/TO/test_expr

Builds random expressions (deterministic for a seed) over + - * /,
unary minus, parentheses, round, ceil, floor, min, max and a few named
operands (some keys not identifiers, spelt in backquotes, a backquote
doubled; identifiers backquoted now and then), runs them through one `test_expr --oracle` process and
compares each answer with Python's decimal, following expr.h: sums and
products exact, a quotient quantized half-even to 12 places with
trailing zeros dropped, round(x, n) half away from zero, division by
zero an error.  Prints TAP: one test.
"""

import argparse
import random
import re
import subprocess
import sys
from decimal import Decimal, Context, ROUND_HALF_EVEN, ROUND_HALF_UP, \
    ROUND_CEILING, ROUND_FLOOR

CTX = Context(prec=200)


class DivZero(Exception):
    pass


def lit(rng):
    whole = rng.choice(["0", "1", "2", "3", "7", "10", "1000",
                        str(rng.randrange(1, 10**6))])
    if rng.random() < 0.5:
        return whole + "." + "".join(rng.choice("0123456789")
                                    for _ in range(rng.randrange(1, 5)))
    return whole


def spell(rng, name):
    """a name as the source writes it: a part that is not an identifier
    (or, now and then, one that is) in backquotes, '`' doubled"""
    return ".".join("`%s`" % p.replace("`", "``")
                    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) or
                    rng.random() < 0.2 else p for p in name.split("."))


def gen(rng, names, depth):
    """(source, value-thunk)"""
    if depth <= 0 or rng.random() < 0.25:
        if rng.random() < 0.5:
            n = rng.choice(list(names))
            return spell(rng, n), lambda: names[n]
        s = lit(rng)
        return s, lambda: Decimal(s)
    k = rng.randrange(10)
    if k < 4:
        op = "+-*/"[k]
        a, fa = gen(rng, names, depth - 1)
        b, fb = gen(rng, names, depth - 1)
        return "(%s %s %s)" % (a, op, b), lambda: binop(op, fa(), fb())
    if k == 4:
        a, fa = gen(rng, names, depth - 1)
        return "-(%s)" % a, lambda: -fa()
    if k == 5:
        a, fa = gen(rng, names, depth - 1)
        n = rng.randrange(0, 5)
        return "round(%s, %d)" % (a, n), lambda: fa().quantize(
            Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP, context=CTX)
    if k == 6:
        a, fa = gen(rng, names, depth - 1)
        return "ceil(%s)" % a, lambda: fa().quantize(
            Decimal(1), rounding=ROUND_CEILING, context=CTX)
    if k == 7:
        a, fa = gen(rng, names, depth - 1)
        return "floor(%s)" % a, lambda: fa().quantize(
            Decimal(1), rounding=ROUND_FLOOR, context=CTX)
    f = "min" if k == 8 else "max"
    a, fa = gen(rng, names, depth - 1)
    b, fb = gen(rng, names, depth - 1)
    return "%s(%s, %s)" % (f, a, b), lambda: (min if k == 8 else max)(
        fa(), fb())


def binop(op, a, b):
    if op == "+":
        return CTX.add(a, b)
    if op == "-":
        return CTX.subtract(a, b)
    if op == "*":
        return CTX.multiply(a, b)
    if b == 0:
        raise DivZero()
    q = CTX.divide(a, b).quantize(Decimal("1e-12"), rounding=ROUND_HALF_EVEN,
                                  context=CTX)
    return q.normalize(CTX) if q != 0 else Decimal(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument("bin")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    lines, want = [], []
    for _ in range(a.count):
        names = {"in_tok": Decimal(lit(rng)), "usage.out": Decimal(lit(rng)),
                 "n": Decimal(rng.choice(["0", "1", "-2", "0.5"])),
                 "in-tok": Decimal(lit(rng)), "usage.2nd": Decimal(lit(rng)),
                 "a`b-c": Decimal(lit(rng))}
        src, f = gen(rng, names, rng.randrange(1, 5))
        try:
            v = f()
            exp = None if abs(v) < Decimal(10) ** 38 else "ERR RANGE"
            exp = exp or "%s" % format(v, "f")
        except DivZero:
            exp = "ERR DIVZERO"
        lines.append("%s | %s" % (src, " ".join(
            "%s=%s" % kv for kv in names.items())))
        want.append(exp)
    out = subprocess.run([a.bin, "--oracle"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    got = out.splitlines()
    bad = [(l, w, g) for l, w, g in zip(lines, want, got)
           if not same(w, g)]
    if len(got) != len(want):
        bad.append(("(count)", str(len(want)), str(len(got))))
    print("1..1")
    print("%s 1 - %d random expressions against decimal" %
          ("not ok" if bad else "ok", len(want)))
    for l, w, g in bad[:20]:
        print("# %s\n#   want %s\n#   got  %s" % (l, w, g))
    return 1 if bad else 0


def same(w, g):
    """Equal answers; values compare by value and by scale."""
    if w.startswith("ERR") or g.startswith("ERR"):
        return w == g
    try:
        return Decimal(w) == Decimal(g) and (
            Decimal(w).as_tuple().exponent == Decimal(g).as_tuple().exponent)
    except Exception:
        return False


if __name__ == "__main__":
    sys.exit(main())
