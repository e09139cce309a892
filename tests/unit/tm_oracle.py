#!/usr/bin/env python3
"""tm_oracle.py: cross-check tm.c and tz.c against Python's datetime and
zoneinfo, which read the same tzdata independently of our code.

    python3 tests/unit/tm_oracle.py build/rel/tests/test_tm [seed]

Random queries go to "test_tm --oracle" on stdin; its answers are
compared with the Python model below.  The model is written from the
definitions in tm.h, not from tm.c's algorithms: periods are the
consecutive boundaries around an instant, local midnights resolved by
datetime's fold semantics, hour boundaries found by scanning the offset.
Prints TAP; exit status 1 on any mismatch.
"""

import calendar
import datetime as dt
import functools
import random
import re
import subprocess
import sys
import zoneinfo

NS = 10**9
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
NAIVE_EPOCH = dt.datetime(1970, 1, 1)
# the int64 nanosecond range, in whole seconds, with a margin
LO_SEC = -9223372036 + 3 * 86400 * 40
HI_SEC = 9223372036 - 3 * 86400 * 40


@functools.lru_cache(maxsize=None)
def zone(name):
    return None if name == "-" else zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=1 << 20)
def offset(name, u):
    """UTC offset in seconds of zone name at UTC second u."""
    z = zone(name)
    if z is None:
        return 0
    d = EPOCH + dt.timedelta(seconds=u)
    return int(d.astimezone(z).utcoffset().total_seconds())


def local(name, u):
    return u + offset(name, u)


def resolve(name, lsec):
    """The UTC second at which the local clock reads lsec: the earlier
    one when repeated, the first instant after the gap when skipped.
    Returns (utc, status) with status 0 exact, 1 gap, 2 ambiguous."""
    z = zone(name)
    if z is None:
        return lsec, 0
    naive = NAIVE_EPOCH + dt.timedelta(seconds=lsec)
    us = []
    for fold in (0, 1):
        a = naive.replace(tzinfo=z, fold=fold)
        us.append((a - EPOCH) // dt.timedelta(seconds=1))
    ok = sorted({u for u in us if local(name, u) == lsec})
    if len(ok) == 2:
        return ok[0], 2
    if len(ok) == 1:
        return ok[0], 0
    # a gap: one transition in (lo, hi]; find it by bisection
    lo, hi = min(us), max(us)
    ohi = offset(name, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset(name, mid) == ohi:
            hi = mid
        else:
            lo = mid
    return hi, 1


def changes(name, a, b, step=60):
    """Offset changes in (a, b], found by scanning every step seconds
    (two changes closer than that would be missed)."""
    out = []
    prev = offset(name, a)
    u = a
    while u < b:
        v = min(u + step, b)
        o = offset(name, v)
        if o != prev:
            lo, hi = u, v
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(name, mid) == o:
                    hi = mid
                else:
                    lo = mid
            out.append(hi)
            prev = o
        u = v
    return out


def hour_period(name, ts):
    """Boundaries: instants whose local time is hh:00:00, and transitions
    across which the local hour number changes."""
    a, b = ts - 4 * 3600, ts + 4 * 3600
    tr = changes(name, a, b)
    bounds = set()
    edges = [a] + tr + [b]
    for s, e in zip(edges, edges[1:]):
        o = offset(name, s)
        u = s + (-(s + o)) % 3600
        while u < e:
            bounds.add(u)
            u += 3600
    for t in tr:
        if local(name, t) % 3600 == 0 or \
                local(name, t) // 3600 != local(name, t - 1) // 3600:
            bounds.add(t)
    start = max(x for x in bounds if x <= ts)
    end = min(x for x in bounds if x > ts)
    return start, end


def label_start(unit, anchor, k):
    """Start date of the period labelled k (a date for day/week, a month
    number year*12+month-1 for month)."""
    if unit in ("day", "week"):
        return k
    y, m = divmod(k, 12)
    m += 1
    a = min(anchor or 1, calendar.monthrange(y, m)[1])
    return dt.date(y, m, a)


def period(ns, unit, anchor, name):
    ts = ns // NS
    if unit == "hour":
        s, e = hour_period(name, ts)
        return s * NS, e * NS
    ld = (dt.datetime(1970, 1, 1) +
          dt.timedelta(seconds=local(name, ts))).date()
    if unit == "day":
        k, step = ld, dt.timedelta(days=1)
    elif unit == "week":
        first = (anchor or 1) - 1
        k, step = ld - dt.timedelta(days=(ld.weekday() - first) % 7), \
            dt.timedelta(days=7)
    else:
        a = min(anchor or 1, calendar.monthrange(ld.year, ld.month)[1])
        k = ld.year * 12 + ld.month - 1 - (ld.day < a)
        step = 1

    def bound(k):
        d = label_start(unit, anchor, k)
        lsec = (d - dt.date(1970, 1, 1)).days * 86400
        return resolve(name, lsec)[0] * NS

    ks = [k]
    for i in range(1, 4):
        ks = [k - step * i] + ks + [k + step * i]
    bs = [bound(x) for x in ks]
    for i in range(len(ks) - 1):
        if bs[i] <= ns < bs[i + 1]:
            return bs[i], bs[i + 1]
    raise AssertionError("no period for %d %s %d %s" % (ns, unit, anchor,
                                                          name))


RFC = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})"
                 r"(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")


def parse_model(s):
    """Expected ns, or None for an error."""
    m = RFC.match(s)
    if not m or not s.isascii():
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    frac, off = m.group(7), m.group(8)
    if frac and len(frac) > 10:
        return None
    if y == 0 or not 1 <= mo <= 12 or \
            not 1 <= d <= calendar.monthrange(y, mo)[1]:
        return None
    if h > 23 or mi > 59 or sec > 59:
        return None
    if off not in "Zz":
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            return None
    # Python's own parser on the RFC 3339 subset it knows
    py = dt.datetime.fromisoformat(s.upper())
    secs = (py.replace(microsecond=0) - EPOCH) // dt.timedelta(seconds=1)
    f = int((frac[1:] + "000000000")[:9]) if frac else 0
    assert py.microsecond == f // 1000
    t = secs * NS + f
    if not -2**63 <= t < 2**63:
        return None
    return t


def fmt_model(t):
    secs, f = divmod(t, NS)
    d = NAIVE_EPOCH + dt.timedelta(seconds=secs)
    s = d.strftime("%Y-%m-%dT%H:%M:%S")
    if d.year < 1000:
        s = "%04d" % d.year + s[s.index("-"):]
    if f:
        s += ("." + "%09d" % f).rstrip("0")
    return s + "Z"


def rand_rfc(rng):
    y = rng.randint(1678, 2261)
    mo = rng.randint(1, 12)
    d = rng.randint(1, calendar.monthrange(y, mo)[1])
    s = "%04d-%02d-%02d%s%02d:%02d:%02d" % (
        y, mo, d, rng.choice("TTTt"), rng.randint(0, 23), rng.randint(0, 59),
        rng.randint(0, 59))
    if rng.random() < 0.5:
        s += "." + "".join(rng.choice("0123456789")
                           for _ in range(rng.randint(1, 9)))
    r = rng.random()
    if r < 0.3:
        s += rng.choice("ZZZz")
    else:
        s += "%s%02d:%02d" % (rng.choice("+-"), rng.randint(0, 23),
                             rng.choice((0, 0, 30, 45, rng.randint(0, 59))))
    return s


def mutate(rng, s):
    i = rng.randrange(len(s))
    r = rng.random()
    if r < 0.4:
        return s[:i] + rng.choice("0123456789:-+.TZz x") + s[i + 1:]
    if r < 0.7:
        return s[:i] + s[i + 1:]
    return s[:i] + rng.choice("0123456789:") + s[i:]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: tm_oracle.py path/to/test_tm [seed]")
    prog = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20260301
    rng = random.Random(seed)

    # every zone the C side accepts
    zones = sorted(zoneinfo.available_timezones())
    probe = subprocess.run([prog, "--oracle"], capture_output=True,
                           text=True, input="".join(
                               "offset 0 %s\n" % z for z in zones))
    if probe.returncode != 0:
        print("Bail out! test_tm --oracle: %s" % probe.stdout[-300:] +
              probe.stderr[-300:])
        sys.exit(1)
    hard = ["America/Santiago", "Asia/Beirut", "America/Havana",
            "Pacific/Apia", "Australia/Lord_Howe", "Europe/Dublin",
            "Africa/Casablanca", "Antarctica/Troll", "Asia/Kathmandu",
            "Asia/Kolkata", "Europe/Berlin", "America/New_York",
            "Pacific/Chatham", "America/St_Johns", "Asia/Gaza", "-"]

    queries, expect, what = [], [], []

    def ask(q, e, w):
        queries.append(q)
        expect.append(e)
        what.append(w)

    def rand_sec(lo=-2208988800, hi=4102444800):
        if rng.random() < 0.1:
            return rng.randint(LO_SEC, HI_SEC)
        return rng.randint(lo, hi)

    # offsets, all zones, around transitions too
    for i in range(6000):
        z = rng.choice(zones)
        u = rand_sec()
        if i % 2:
            tr = changes(z, u, u + 86400 * 200, 6 * 3600)
            if tr:
                u = rng.choice(tr) + rng.choice((-1, 0, 1))
        ask("offset %d %s" % (u, z), "%d" % offset(z, u), "offset")

    # local to UTC, near transitions so that gaps and overlaps occur
    for i in range(4000):
        z = rng.choice(hard[:-1] if i % 2 else zones)
        u = rand_sec()
        tr = changes(z, u, u + 86400 * 200, 6 * 3600)
        if tr:
            u = rng.choice(tr) + rng.randint(-7200, 7200)
        lsec = local(z, u) + rng.randint(-3600, 3600)
        r, st = resolve(z, lsec)
        ask("l2u %d %s" % (lsec, z), "%d %d" % (r, st), "l2u")

    # periods
    units = ["hour", "day", "week", "month"]
    for i in range(6000):
        z = rng.choice(hard if i % 2 else zones + ["-"])
        unit = units[i % 4]
        anchor = 0 if unit in ("hour", "day") else \
            rng.randint(0, 7 if unit == "week" else 31)
        u = rand_sec()
        if i % 3 == 0:
            tr = changes(z, u, u + 86400 * 200, 6 * 3600) if z != "-" else []
            if tr:
                u = rng.choice(tr) + rng.randint(-90000, 90000)
        if i % 5 == 0:
            u = local(z, u) // 86400 * 86400 - offset(z, u) + \
                rng.choice((-1, 0, 1, 3600))
        ns = u * NS + rng.choice((0, 0, 1, NS - 1, rng.randrange(NS)))
        s, e = period(ns, unit, anchor, z)
        ask("period %d %s %d %s" % (ns, unit, anchor, z), "%d %d" % (s, e),
            "period " + unit)

    # RFC 3339 parsing: valid strings, then mutations of them
    for i in range(4000):
        s = rand_rfc(rng)
        if i % 2:
            s = mutate(rng, s)
        t = parse_model(s)
        ask("parse " + s, "%d" % t if t is not None else "error", "parse")

    # formatting
    for i in range(2000):
        t = rng.randint(-2**63, 2**63 - 1)
        if i % 3 == 0:
            t -= t % NS
        if i % 3 == 1:
            t -= t % 1000
        ask("fmt %d" % t, fmt_model(t), "fmt")

    p = subprocess.run([prog, "--oracle"], capture_output=True, text=True,
                       input="".join(q + "\n" for q in queries))
    got = p.stdout.splitlines()
    if p.returncode != 0 or len(got) != len(queries):
        print("Bail out! test_tm --oracle exited %d after %d of %d: %s" %
              (p.returncode, len(got), len(queries), p.stderr[-500:]))
        sys.exit(1)

    fails = {}
    counts = {}
    for q, e, g, w in zip(queries, expect, got, what):
        counts[w] = counts.get(w, 0) + 1
        if e == "error" and g.startswith("error"):
            continue
        if g != e:
            fails.setdefault(w, []).append((q, e, g))
    n = 0
    for w in sorted(counts):
        n += 1
        bad = fails.get(w, [])
        print("%sok %d - %s: %d queries against Python" %
              ("not " if bad else "", n, w, counts[w]))
        for q, e, g in bad[:5]:
            print("#   %s\n#     python %s\n#     test_tm %s" % (q, e, g))
        if len(bad) > 5:
            print("#   ... %d more" % (len(bad) - 5))
    print("1..%d" % n)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
