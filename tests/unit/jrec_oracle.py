#!/usr/bin/env python3
"""jrec_oracle.py: exact JSON records against Python's json and decimal.

usage: jrec_oracle.py PATH/TO/test_jrec [--count N] [--seed S]

Generates random JSON objects (nested objects and arrays, strings with
escapes and non-ASCII, numbers written in every JSON form: exponents,
trailing zeros, -0, 38 digits and more) and some broken lines; feeds them
to test_jrec --oracle, which prints the canonical form and the form
written back from the ledger's packed encoding.  The expected canonical
form is computed here with json.loads(parse_float=Decimal,
parse_int=Decimal): keys sorted by UTF-8 bytes, numbers normalized and
exact, control characters escaped.  Prints TAP.
"""
import decimal
import json
import random
import subprocess
import sys
from decimal import Decimal

decimal.getcontext().prec = 200


class Refused(Exception):
    pass


def no_dups(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise Refused("duplicate_key")
        d[k] = v
    return d


def check(d):
    """The C rule: at most 38 significant digits, scale at most 38."""
    if d.is_zero():
        return
    num_text(d)


def num_text(d):
    if d.is_zero():
        return "0"
    n = d.normalize()
    sign, digits, exp = n.as_tuple()
    if exp >= 0:
        if len(digits) + exp > 38:
            raise Refused("number_out_of_range")
    else:
        scale = -exp
        intdigits = max(len(digits) - scale, 0)
        if intdigits > 38:
            raise Refused("number_out_of_range")
        if scale > 38 or len(digits) > 38:
            raise Refused("number_inexact")
    return "{:f}".format(n)


SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
         "\b": "\\b", "\f": "\\f"}


def esc(s):
    """The writer's escaping: short forms, \\u00XX for other controls."""
    return '"' + "".join(SHORT.get(ch) or
                         ("\\u%04x" % ord(ch) if ord(ch) < 0x20 else ch)
                         for ch in s) + '"'


def canon(v):
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: kv[0].encode("utf-8"))
        return "{" + ",".join(esc(k) + ":" + canon(x) for k, x in items) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, str):
        return esc(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    return num_text(v)


def expected(line):
    # jansson refuses a duplicate key while parsing; the numbers are
    # checked afterwards, in document order (the order the hooks see)
    nums = []

    def num(text):
        d = Decimal(text)
        nums.append(d)
        return d
    try:
        v = json.loads(line, parse_float=num, parse_int=num,
                       object_pairs_hook=no_dups)
        if not isinstance(v, dict):
            return "ERR not_object"
        for d in nums:
            check(d)
        c = canon(v)
        return c + "\t" + c
    except Refused as e:
        return "ERR " + str(e)
    except json.JSONDecodeError:
        return "ERR invalid_json"


def rnum(r):
    form = r.randrange(9)
    digits = "".join(r.choice("0123456789") for _ in range(r.randrange(1, 25)))
    digits = digits.lstrip("0") or "0"
    sign = "-" if r.random() < 0.3 else ""
    if form == 0:
        return sign + digits
    if form == 1:
        return sign + digits + "." + "".join(
            r.choice("0123456789") for _ in range(r.randrange(1, 20)))
    if form == 2:
        return sign + digits + "e" + str(r.randrange(-30, 30))
    if form == 3:
        return sign + "0." + "0" * r.randrange(0, 40) + digits
    if form == 4:
        return sign + digits + ".5000" + "0" * r.randrange(0, 40)
    if form == 5:
        return sign + "9" * r.randrange(30, 42)
    if form == 6:
        return sign + "1" + "." + "0" * r.randrange(30, 45) + "1"
    if form == 7:
        return sign + "0"
    return sign + digits + "E+" + str(r.randrange(0, 20))


def rstr(r):
    chars = ["a", "Z", "0", " ", "/", '"', "\\", "\n", "\t", "\x01", "\x1f",
             "\u00e9", "\u4e2d", "\U0001f600", "\u2028", "."]
    s = "".join(r.choice(chars) for _ in range(r.randrange(0, 8)))
    return json.dumps(s, ensure_ascii=r.random() < 0.5)


def rval(r, depth):
    k = r.randrange(10 if depth < 4 else 6)
    if k < 3:
        return rnum(r)
    if k < 5:
        return rstr(r)
    if k == 5:
        return r.choice(["true", "false", "null"])
    if k < 8:
        return robj(r, depth + 1)
    return "[" + ",".join(rval(r, depth + 1)
                          for _ in range(r.randrange(0, 4))) + "]"


def robj(r, depth):
    keys = set()
    parts = []
    for _ in range(r.randrange(0, 5)):
        key = rstr(r)
        if key in keys:
            continue
        keys.add(key)
        parts.append(key + ":" + rval(r, depth))
    sp = " " if r.random() < 0.2 else ""
    return "{" + sp + ("," + sp).join(parts) + sp + "}"


def main():
    prog = sys.argv[1]
    count, seed = 4000, 38
    args = sys.argv[2:]
    while args:
        if args[0] == "--count":
            count = int(args[1])
        elif args[0] == "--seed":
            seed = int(args[1])
        args = args[2:]
    r = random.Random(seed)
    lines = []
    for i in range(count):
        x = robj(r, 0)
        if i % 50 == 0:
            x = (x[:-1] + ',"dup":1,"dup":2}') if x.strip("{ }") else \
                '{"dup":1,"dup":2}'
        if i % 97 == 0:
            x = "[" + x + "]"
        lines.append(x)
    out = subprocess.run([prog, "--oracle"], input="\n".join(lines) + "\n",
                         capture_output=True, check=True,
                         encoding="utf-8").stdout.split("\n")[:-1]
    bad = []
    for line, got in zip(lines, out):
        want = expected(line)
        if got != want:
            bad.append((line, got, want))
    print("1..1")
    if len(out) != count or bad:
        for line, got, want in bad[:10]:
            print(f"# in:   {line}\n# got:  {got}\n# want: {want}")
        print(f"not ok 1 - jrec oracle: {len(bad)} of {count} differ")
        return 1
    print(f"ok 1 - jrec oracle: {count} records match json+decimal "
          f"(canonical and packed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
