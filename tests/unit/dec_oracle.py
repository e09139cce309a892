#!/usr/bin/env python3
"""dec_oracle.py: check common/dec.c against Python's decimal module.

Usage: dec_oracle.py [--count N] [--seed S] [--dump FILE] PATH/TO/test_dec

Generates random cases (deterministic for a given seed) for every
operation and every rounding mode, runs them all through one
`test_dec --oracle` process, computes the expected answers with the
decimal module and compares line by line.  Prints TAP: one test, with
the first 20 mismatches as diagnostics when it fails.

The expected answers follow dec.h:
  * add, sub, mul: the exact result at its natural scale (max(sa, sb) or
    sa + sb); if that does not fit (more than 38 digits or scale > 38),
    trailing fractional zeros are dropped until it does.  Still too big:
    ERANGE when |x| >= 10^38, else EINEXACT.  parse uses the same rule
    with the written scale (fraction digits minus exponent, at least 0).
  * mulr, div, round: one rounding of the exact result to the requested
    scale; ERANGE when the rounded coefficient has more than 38 digits.
"""

import argparse
import decimal
import random
import re
import subprocess
import sys
from decimal import Decimal

MAXD = 38
LIM = 10 ** MAXD

MODES = {
    "half-up": decimal.ROUND_HALF_UP,
    "half-even": decimal.ROUND_HALF_EVEN,
    "up": decimal.ROUND_UP,
    "down": decimal.ROUND_DOWN,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}

# Wide enough that +, - and * of 38-digit operands are exact (at most 77
# digits) and that quantize never runs out of precision.
EXACT = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_EVEN,
                        Emax=10 ** 6, Emin=-(10 ** 6),
                        traps=[decimal.InvalidOperation,
                               decimal.DivisionByZero, decimal.Overflow])

# For division: ROUND_05UP keeps a sticky last digit, so rounding this
# 400-digit quotient once more to at most 38 decimals gives the same
# answer as rounding the exact (possibly infinite) quotient would.
STICKY = EXACT.copy()
STICKY.rounding = decimal.ROUND_05UP

JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class Err(Exception):
    pass


def fmt(c, s):
    """Plain notation with exactly s decimals, like dec_fmt."""
    digits = str(abs(c)).rjust(s + 1, "0")
    sign = "-" if c < 0 else ""
    if s == 0:
        return sign + digits
    return sign + digits[:-s] + "." + digits[-s:]


def ndigits(m):
    return len(str(m))


def fit(neg, m, s):
    """The exact value (-1)^neg * m * 10^-s as dec would store it."""
    if m == 0:
        return (0, min(max(s, 0), MAXD))
    if s < 0:
        if ndigits(m) - s > MAXD:
            raise Err("ERANGE")
        m *= 10 ** (-s)
        s = 0
    while s > 0 and (s > MAXD or m >= LIM) and m % 10 == 0:
        m //= 10
        s -= 1
    if s <= MAXD and m < LIM:
        return (-m if neg else m, s)
    if ndigits(m) - s > MAXD:    # the integer part alone is 39+ digits
        raise Err("ERANGE")
    raise Err("EINEXACT")


def to_dec(c, s):
    return Decimal("%dE-%d" % (c, s))


def from_decimal(x):
    """Split a finite Decimal into (negative, coefficient, scale)."""
    sign, digits, exp = x.as_tuple()
    return sign == 1, int("".join(map(str, digits))), -exp


def rounded(x, scale, mode):
    """x rounded once to `scale` decimals, checked against 38 digits."""
    q = x.quantize(Decimal(1).scaleb(-scale), rounding=MODES[mode],
                   context=EXACT)
    neg, m, s = from_decimal(q)
    assert s == scale
    if m >= LIM:
        raise Err("ERANGE")
    return fmt(-m if neg else m, s)


def check_scale(scale):
    if scale < 0 or scale > MAXD:
        raise Err("ESCALE")


def expect(op, args):
    """The answer test_dec --oracle should print for one case."""
    try:
        if op == "parse":
            text = args[0]
            g = JSON_NUMBER.fullmatch(text)
            if not g:
                raise Err("ESYNTAX")
            # Decimal() cannot hold exponents past 10^18, so take the
            # string apart; cross-check with Decimal where it can.
            frac = (g.group(2) or ".")[1:]
            e = int((g.group(3) or "e0")[1:])
            m = int(g.group(1) + frac)
            s = len(frac) - e
            neg = text.startswith("-")
            if abs(e) < 10 ** 6:
                assert Decimal(text) == Decimal(-m if neg else m).scaleb(
                    -s, EXACT)
            return fmt(*fit(neg, m, s))
        a = to_dec(*args[0])
        if op in ("add", "sub", "mul"):
            b = to_dec(*args[1])
            if op == "add":
                x = EXACT.add(a, b)
            elif op == "sub":
                x = EXACT.subtract(a, b)
            else:
                x = EXACT.multiply(a, b)
            neg, m, s = from_decimal(x)
            return fmt(*fit(neg, m, s))
        if op == "mulr":
            check_scale(args[2])
            return rounded(EXACT.multiply(a, to_dec(*args[1])), args[2],
                           args[3])
        if op == "div":
            check_scale(args[2])
            b = to_dec(*args[1])
            if b == 0:
                raise Err("EDIVZERO")
            return rounded(STICKY.divide(a, b), args[2], args[3])
        if op == "round":
            check_scale(args[1])
            return rounded(a, args[1], args[2])
        if op == "cmp":
            return str(int(a.compare(to_dec(*args[1]))))
        if op == "norm":
            c, s = args[0]
            while s > 0 and c % 10 == 0:
                c //= 10
                s -= 1
            return fmt(c, s if c else 0)
        if op == "minor":
            check_scale(args[1])
            x = EXACT.multiply(a, Decimal(10) ** args[1])
            if x != x.to_integral_value():
                raise Err("EINEXACT")
            v = int(x)
            if v < -(2 ** 63) or v > 2 ** 63 - 1:
                raise Err("ERANGE")
            return str(v)
    except Err as e:
        return "ERR " + e.args[0]
    raise ValueError(op)


# ---- random cases ---------------------------------------------------------

def rand_scale(r):
    x = r.random()
    if x < 0.7:
        return r.randint(0, 20)
    if x < 0.9:
        return r.randint(0, MAXD)
    return r.choice((0, 2, MAXD - 1, MAXD))


def rand_dec(r, maxdig=MAXD):
    """A valid dec as (coefficient, scale), biased toward edges."""
    s = rand_scale(r)
    x = r.random()
    if x < 0.05:
        c = 0
    elif x < 0.10:
        c = LIM - 1 - r.randint(0, 3)           # at the 38-digit edge
    elif x < 0.15:
        c = 10 ** r.randint(0, MAXD - 1)        # powers of ten
    else:
        n = r.randint(1, maxdig)
        c = r.randint(10 ** (n - 1), 10 ** n - 1)
        y = r.random()
        if y < 0.15:                            # trailing zeros
            t = r.randint(1, n)
            c = max(c // 10 ** t * 10 ** t, 10 ** (n - 1))
        elif y < 0.35:                          # ends in 5: ties
            c = c - c % 10 + 5
            if c >= LIM:
                c -= 10
    if r.random() < 0.5:
        c = -c
    return (c, s)


def dstr(d):
    return fmt(*d)


def rand_tie(r):
    """A value with digits ...d5000 so rounding lands on an exact tie."""
    n = r.randint(2, MAXD)
    c = r.randint(10 ** (n - 1), 10 ** n - 1)
    z = r.randint(1, n - 1)                     # digits after the 5
    c = c // 10 ** z * 10 ** z
    c = c - c % 10 ** z + 5 * 10 ** (z - 1)
    s = r.randint(z, MAXD)
    if r.random() < 0.5:
        c = -c
    return (c, s), s - z                        # the tie is at scale s-z


def rand_target(r, natural):
    """A target scale for rounding ops, mostly near the natural one."""
    x = r.random()
    if x < 0.02:
        return r.choice((-1, MAXD + 1))
    if x < 0.5:
        return max(0, min(MAXD, natural - r.randint(0, 3)))
    return r.randint(0, MAXD)


def rand_json(r):
    """Mostly valid JSON numbers of every shape, some near-misses."""
    sign = r.choice(("", "", "-"))
    x = r.random()
    if x < 0.15:
        ip = "0"
    else:
        ip = str(r.randint(1, 9)) + "".join(
            r.choice("0123456789") for _ in range(r.randint(0, 44)))
        if r.random() < 0.2:
            ip = ip[0] + "0" * (len(ip) - 1)
    frac = ""
    if r.random() < 0.6:
        n = r.randint(1, 45)
        frac = "".join(r.choice("0123456789") for _ in range(n))
        if r.random() < 0.3:
            frac = frac[:r.randint(0, n)].ljust(n, "0")
        if r.random() < 0.2:
            frac = frac[:r.randint(0, n)].rjust(n, "0")
        frac = "." + frac
    exp = ""
    if r.random() < 0.4:
        y = r.random()
        if y < 0.8:
            e = r.randint(0, 45)
        elif y < 0.9:
            e = r.randint(0, 10 ** 15)
        else:
            e = r.randint(0, 10 ** 30)
        exp = r.choice("eE") + r.choice(("", "+", "-", "-")) + str(e)
    t = sign + ip + frac + exp
    if r.random() < 0.1:                        # break it
        how = r.randint(0, 7)
        if how == 0:
            t = "+" + t
        elif how == 1:
            t = t.replace(".", "", 1) + "."
        elif how == 2:
            t = "0" + t.lstrip("-")
        elif how == 3:
            t = t + r.choice("eE")
        elif how == 4:
            t = t.replace("0", "O", 1)
        elif how == 5:
            t = "." + t.lstrip("-")
        elif how == 6:
            t = t + r.choice(("x", "-", "+", "e+", ".5"))
        else:
            t = t.replace(".", ".e", 1)
    return t


def signed(r, c):
    return -c if r.random() < 0.5 else c


# Knuth's division guesses each 32-bit quotient digit from the top limbs
# and, rarely (about 2^-32 on random data), guesses one too many and
# must add the divisor back.  Dividends just below a multiple of the
# divisor hit that path often, so a slice of the cases is built so.

def near_multiple_mul(r):
    """a * b just under (q + 1) * 10^k: mulr divides by 10^k."""
    sa, sb = r.randint(0, MAXD), r.randint(0, MAXD)
    if sa + sb == 0:
        return None
    k = r.randint(max(1, sa + sb - MAXD), sa + sb)
    q = r.randint(1, 10 ** r.randint(1, max(1, min(MAXD, 2 * MAXD - k))))
    a = r.randint(1, LIM - 1)
    b = ((q + 1) * 10 ** k - r.randint(1, 10 ** r.randint(1, 20))) // a
    if b < 1 or b >= LIM:
        return None
    return (signed(r, a), sa), (signed(r, b), sb), sa + sb - k


def near_multiple_div(r, scale):
    """a * 10^x just under (q + 1) * b * 10^y: what dec_div divides."""
    sa, sb = r.randint(0, MAXD), r.randint(0, MAXD)
    x = scale + sb - sa
    b = r.randint(1, 10 ** r.randint(1, MAXD) - 1)
    d = b * 10 ** max(0, -x)
    q = r.randint(1, 10 ** r.randint(1, MAXD))
    a = ((q + 1) * d - r.randint(1, 1000)) // 10 ** max(0, x)
    if a < 1 or a >= LIM:
        return None
    return (signed(r, a), sa), (signed(r, b), sb)


def gen_case(r):
    """One (op, args, line) triple."""
    op = r.choice(("parse", "add", "sub", "mul", "mulr", "mulr", "div",
                   "div", "round", "round", "cmp", "norm", "minor"))
    mode = r.choice(list(MODES))
    if op == "parse":
        t = rand_json(r)
        return op, [t], "parse " + t
    if op in ("add", "sub", "cmp"):
        a, b = rand_dec(r), rand_dec(r)
        if op == "cmp" and r.random() < 0.3:    # equal values, other scale
            k = r.randint(0, MAXD - a[1])
            if ndigits(abs(a[0]) * 10 ** k) <= MAXD:
                b = (a[0] * 10 ** k, a[1] + k)
        return op, [a, b], "%s %s %s" % (op, dstr(a), dstr(b))
    if op in ("mul", "mulr"):
        maxdig = r.choice((MAXD, 19, 10))       # also products that fit
        a, b = rand_dec(r, maxdig), rand_dec(r, maxdig)
        if op == "mul":
            return op, [a, b], "mul %s %s" % (dstr(a), dstr(b))
        scale = rand_target(r, a[1] + b[1] - 1)
        if r.random() < 0.15:
            a, b, scale = near_multiple_mul(r) or (a, b, scale)
        return (op, [a, b, scale, mode],
                "mulr %s %s %d %s" % (dstr(a), dstr(b), scale, mode))
    if op == "div":
        a, b = rand_dec(r), rand_dec(r, r.choice((MAXD, 10, 3)))
        scale = rand_target(r, rand_scale(r))
        if r.random() < 0.15:
            # a = (q + 1/2) * b exactly: a tie at `scale`
            q = r.randint(0, 10 ** r.randint(1, 30))
            bc, bs = b
            ac, as_ = (2 * q + 1) * bc * 5, scale + 1 + bs
            if bc != 0 and ndigits(abs(ac)) <= MAXD and as_ <= MAXD:
                a = (ac if r.random() < 0.5 else -ac, as_)
        elif r.random() < 0.15:
            a, b = near_multiple_div(r, scale) or (a, b)
        if r.random() < 0.03:
            b = (0, b[1])
        return (op, [a, b, scale, mode],
                "div %s %s %d %s" % (dstr(a), dstr(b), scale, mode))
    if op == "round":
        if r.random() < 0.4:
            a, scale = rand_tie(r)
        else:
            a = rand_dec(r)
            scale = rand_target(r, a[1] - 1)
        return (op, [a, scale, mode],
                "round %s %d %s" % (dstr(a), scale, mode))
    if op == "norm":
        a = rand_dec(r)
        return op, [a], "norm " + dstr(a)
    if op == "minor":
        units = r.choice((0, 2, 2, 3, 4, r.randint(0, MAXD), -1))
        if r.random() < 0.5:
            # an amount that fits in int64 at that many decimals
            c = r.randint(-(2 ** 63), 2 ** 63 - 1)
            a = (c, max(0, units) if units >= 0 else 0)
            if units >= 0 and r.random() < 0.3:
                extra = r.randint(1, MAXD - units) if units < MAXD else 0
                if ndigits(abs(c) * 10 ** extra) <= MAXD:
                    a = (c * 10 ** extra, units + extra)
        else:
            a = rand_dec(r, 20)
        return op, [a, units], "minor %s %d" % (dstr(a), units)
    raise ValueError(op)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("driver", help="path to the test_dec binary")
    ap.add_argument("--count", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--dump", help="also write the cases and answers here")
    opt = ap.parse_args()

    r = random.Random(opt.seed)
    cases = [gen_case(r) for _ in range(opt.count)]
    want = [expect(op, args) for op, args, _ in cases]
    lines = [line for _, _, line in cases]

    print("1..1")
    try:
        p = subprocess.run([opt.driver, "--oracle"],
                           input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("# cannot run %s: %s" % (opt.driver, e))
        print("not ok 1 - dec oracle: driver did not run")
        return 1
    got = p.stdout.split("\n")
    if got and got[-1] == "":
        got.pop()

    if opt.dump:
        with open(opt.dump, "w") as f:
            for i, line in enumerate(lines):
                g = got[i] if i < len(got) else "<missing>"
                f.write("%s\t%s\t%s\n" % (line, want[i], g))

    bad = [(line, w, got[i] if i < len(got) else "<missing>")
           for i, (line, w) in enumerate(zip(lines, want))
           if i >= len(got) or got[i] != w]
    if p.returncode != 0 or len(got) != len(lines) or bad:
        if p.returncode != 0:
            print("# driver exited with status %d" % p.returncode)
            for err in p.stderr.splitlines()[:20]:
                print("#   " + err)
        if len(got) != len(lines):
            print("# %d cases, %d answers" % (len(lines), len(got)))
        for line, w, g in bad[:20]:
            print("# %s: expected %s, got %s" % (line, w, g))
        print("not ok 1 - dec oracle: %d of %d cases wrong"
              % (len(bad), len(lines)))
        return 1
    ops = {}
    for op, _, _ in cases:
        ops[op] = ops.get(op, 0) + 1
    print("# " + ", ".join("%s %d" % kv for kv in sorted(ops.items())))
    print("ok 1 - dec oracle: %d cases" % len(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
