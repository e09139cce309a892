#!/usr/bin/env python3
"""aggregate_oracle.py: what meter-aggregate should write, computed
independently in Python (stdlib only).

usage: aggregate_oracle.py --meters FILE [--customers FILE]
                           [--period hour|day|week|month]
                           [--from TIME] [--to TIME] [--stats FILE]
                           [--jobs N] [FILE...]

Reads canonical usage records (meter-ingest's output) from the files or
stdin and prints the aggregates, one compact JSON object a line, in the
byte form meter-aggregate uses, so the two can be compared with diff.
With --stats, also writes the accounting as one JSON object:
{"read","aggregated","unmetered","outside_window","rejected",
"rejects_by_code"}.  --jobs is accepted and ignored, so a test can give
both programs the same arguments.

The rules, as common/tm.h and common/agg.h state them (this file does
not follow the C code: billing periods come from zoneinfo, decimals
from decimal and fractions):

  period     the customer's billing period holding the event's time, in
             the customer's zone (UTC without --customers).  month:
             local midnight of day min(anchor, days in month) to the next
             one; day: local midnight to local midnight; week: Monday
             local midnight; hour: boundaries where the local clock reads
             hh:00:00, plus transitions across which the local hour
             changes without the clock reading hh:00:00.  A local
             midnight in a gap starts at the first instant after the
             gap; an ambiguous one at the earlier instant.
  window     --from/--to select the periods with from < end <= to; the
             events of other periods are "outside_window", except that
             the events of earlier periods that weighted_sum meters count
             are read for the level the window opens at (and, like any
             event read, rejected whole if one of their meters cannot
             read them); so are those of recurring unique_count meters.
             weighted_sum and recurring periods run to --to, or without
             it to the period holding the newest event the run counted
             or read for a carried value (over all customers).
  quantity   count, sum, min, max, avg (sum / count rounded once),
             unique_count (distinct canonical JSON values), latest
             (greatest (time, key bytes)), weighted_sum (time-weighted
             mean level over the period, rounded once), recurring
             unique_count (the values whose operations up to the
             period's end sum to 1, as lago-api's UniqueCountQuery
             sums them: an add counts 1 unless the value's previous
             operation was an add, a remove -1 unless its previous one
             was a remove or it had none; data.operation_type "add"
             or absent adds, "remove" removes, anything else is an
             invalid_value reject).
  key        BLAKE2b-128 over length-prefixed "aggregate", customer,
             meter, group JSON, period start and end (int64 LE ns).
  lineage    sum of the event keys as little-endian 128-bit integers,
             modulo 2^128, written little-endian.
"""

import argparse
import datetime
import hashlib
import json
import re
import struct
import sys
import zoneinfo
from decimal import Decimal, getcontext
from fractions import Fraction

getcontext().prec = 400     # every operation here is exact

NS = 10 ** 9
MISSING = object()
AGGS = ("sum", "count", "min", "max", "avg", "unique_count", "latest",
        "weighted_sum")
NUMERIC = ("sum", "min", "max", "avg", "latest", "weighted_sum")
JSON_NUMBER = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
    r"([Zz]|[+-]\d\d:\d\d)\Z")
EPOCH = datetime.date(1970, 1, 1).toordinal()


class Reject(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


# ---- times ----

def parse_time(s):
    m = RFC3339.match(s)
    if not m:
        raise ValueError("bad time %r" % s)
    y, mo, d, hh, mi, ss = (int(x) for x in m.groups()[:6])
    frac = (m.group(7) or "").ljust(9, "0")
    days = datetime.date(y, mo, d).toordinal() - EPOCH
    sec = days * 86400 + hh * 3600 + mi * 60 + ss
    z = m.group(8)
    if z not in ("Z", "z"):
        off = int(z[1:3]) * 3600 + int(z[4:6]) * 60
        sec -= off if z[0] == "+" else -off
    return sec * NS + int(frac)


def fmt_time(ns):
    sec, frac = divmod(ns, NS)
    days, s = divmod(sec, 86400)
    d = datetime.date.fromordinal(days + EPOCH)
    out = "%04d-%02d-%02dT%02d:%02d:%02d" % (d.year, d.month, d.day,
                                           s // 3600, s // 60 % 60, s % 60)
    if frac:
        out += "." + ("%09d" % frac).rstrip("0")
    return out + "Z"


# ---- canonical JSON ----

def jstr(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
                        "\f": "\\f"}.get(ch, "\\u%04x" % o))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dfmt(d):
    """A decimal, normalized, in plain notation: 2.5, 15, 0.001."""
    if d == 0:
        return "0"
    return format(d.normalize(), "f")


def scalar_json(v):
    if v is MISSING or v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Decimal):
        return dfmt(v)
    if isinstance(v, str):
        return jstr(v)
    raise TypeError(v)


# ---- decimals ----

def round_frac(fr, places, mode):
    """The exact rational fr rounded once to places fractional digits."""
    scaled = Fraction(fr) * 10 ** places
    n, d = scaled.numerator, scaled.denominator
    q, r = divmod(n, d)             # q = floor
    if r:
        neg = n < 0
        if mode == "floor":
            pass
        elif mode == "ceiling":
            q += 1
        elif mode == "down":        # toward zero
            q += 1 if neg else 0
        elif mode == "up":          # away from zero
            q += 0 if neg else 1
        else:
            c = 2 * r - d
            if c > 0:
                q += 1
            elif c == 0:
                if mode == "half-up":   # ties away from zero
                    q += 0 if neg else 1
                elif mode == "half-even":
                    q += q % 2
                else:
                    raise ValueError("rounding %r" % mode)
    return Decimal(q).scaleb(-places)


# ---- zones and billing periods ----

class Zone:
    """A customer's zone: offsets (seconds east) at UTC seconds."""

    def __init__(self, name):
        self.name = name
        self.zi = zoneinfo.ZoneInfo(name) if name != "UTC" else None
        self.cache = {}

    def off(self, u):
        if self.zi is None:
            return 0
        o = self.cache.get(u)
        if o is None:
            dt = datetime.datetime.fromtimestamp(u, self.zi)
            o = int(dt.utcoffset().total_seconds())
            self.cache[u] = o
        return o

    def local(self, u):
        """Local wall time at u, as seconds since 1970-01-01 00:00."""
        return u + self.off(u)

    def to_utc(self, lw):
        """The instant the local wall time lw names: the earlier one if
        ambiguous, the first instant after the gap if skipped."""
        if self.zi is None:
            return lw
        offs = {self.off(lw + h * 3600) for h in range(-30, 31, 3)}
        sols = [lw - o for o in offs if self.off(lw - o) == o]
        if sols:
            return min(sols)
        lo, hi = lw - max(offs), lw - min(offs)
        while lo < hi:          # first u whose wall time is past lw
            mid = (lo + hi) // 2
            if self.local(mid) > lw:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def transitions(self, a, b):
        """UTC seconds in (a, b] where the offset changes."""
        out = []
        step = 900
        u = a
        while u < b:
            v = min(u + step, b)
            if self.off(u) != self.off(v):
                lo, hi = u, v   # off(lo) != off(hi); find the first change
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self.off(mid) == self.off(u):
                        lo = mid
                    else:
                        hi = mid
                out.append(hi)
            u = v
        return out


def days_in_month(y, m):
    if m == 12:
        return 31
    return (datetime.date(y, m + 1, 1) - datetime.date(y, m, 1)).days


def day_num(y, m, d):
    return datetime.date(y, m, d).toordinal() - EPOCH


def civil(days):
    d = datetime.date.fromordinal(days + EPOCH)
    return d.year, d.month, d.day


class Periods:
    """Billing periods of one unit in one zone with one anchor; periods
    are (start, end) in UTC seconds."""

    def __init__(self, unit, zone, anchor):
        self.unit = unit
        self.zone = zone
        self.anchor = anchor or 1
        self.memo = {}

    # labels: hour -> none; day -> day number; week -> Monday's day
    # number; month -> year * 12 + month - 1
    def label_start(self, lab):
        if self.unit in ("day", "week"):
            day = lab
        else:
            y, m = divmod(lab, 12)
            m += 1
            day = day_num(y, m, min(self.anchor, days_in_month(y, m)))
        return self.zone.to_utc(day * 86400)

    def label_of_local(self, lw):
        day = lw // 86400
        if self.unit == "day":
            return day
        if self.unit == "week":
            return day - datetime.date.fromordinal(day + EPOCH).weekday()
        y, m, d = civil(day)
        lab = y * 12 + m - 1
        if d < min(self.anchor, days_in_month(y, m)):
            lab -= 1
        return lab

    def step(self):
        return 7 if self.unit == "week" else 1

    def of_sec(self, u):
        if self.unit == "hour":
            return self.hour_of(u)
        lab = self.label_of_local(self.zone.local(u))
        st = self.step()
        for _ in range(16):
            s = self.label_start(lab)
            if u < s:
                lab -= st
                continue
            e = self.label_start(lab + st)
            if u >= e:
                lab += st
                continue
            return (s, e)
        raise RuntimeError("no period for %d" % u)

    def hour_of(self, u):
        z = self.zone
        if z.zi is None:
            s = u - u % 3600
            return (s, s + 3600)
        lo, hi = u - 4 * 3600, u + 4 * 3600
        bounds = set()
        offs = {z.off(v) for v in range(lo, hi + 1, 900)}
        for o in offs:
            # instants where the clock (at offset o) reads hh:00:00
            v = lo + (-(lo + o)) % 3600
            while v <= hi:
                if z.off(v) == o:
                    bounds.add(v)
                v += 3600
        for tr in z.transitions(lo, hi):
            if z.local(tr) // 3600 != z.local(tr - 1) // 3600:
                bounds.add(tr)
        s = max(b for b in bounds if b <= u)
        e = min(b for b in bounds if b > u)
        return (s, e)

    def of(self, t):
        """The period holding instant t (ns), in ns."""
        u = t // NS
        p = self.memo.get(u)
        if p is None:
            s, e = self.of_sec(u)
            p = self.memo[u] = (s * NS, e * NS)
        return p

    def next(self, p):
        return self.of(p[1])


# ---- inputs ----

def load_meters(path):
    with open(path, "rb") as f:
        doc = json.loads(f.read(), parse_float=Decimal, parse_int=Decimal)
    meters = []
    for i, m in enumerate(doc["meters"]):
        agg = m["aggregation"]
        assert agg in AGGS, agg
        types = m["event_type"]
        if isinstance(types, str):
            types = [types]
        meters.append({
            "idx": i,
            "name": m["name"],
            "types": set(types),
            "agg": agg,
            "field": m.get("field"),
            "group_by": sorted(m.get("group_by") or [],
                               key=lambda s: s.encode()),
            "increments": m.get("values", "levels") == "increments",
            "recurring": m.get("recurring") is True,
            "precision": int(m.get("precision", 9)),
            "rounding": m.get("rounding", "half-even"),
            "unit": m.get("unit"),
        })
    return meters


def load_customers(path):
    cust = {}
    zones = {}
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            c = json.loads(line)
            tz = c["timezone"]
            if tz not in zones:
                zones[tz] = Zone(tz)
            anchor = c.get("billing_anchor")
            anchor = int(anchor) if anchor is not None else 0
            cust[c["id"]] = (zones[tz], anchor)
    return cust


def no_duplicates(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise Reject("duplicate_key")
    return obj


def get_path(data, path):
    cur = data
    for seg in path.split("."):
        if not isinstance(cur, dict) or seg not in cur:
            return MISSING
        cur = cur[seg]
    return cur


def read_number(v):
    if isinstance(v, Decimal):
        return v
    if v is MISSING or v is None:
        raise Reject("missing_value")
    if isinstance(v, str) and JSON_NUMBER.match(v):
        return Decimal(v)
    raise Reject("invalid_value")


def read_scalar(v):
    if v is MISSING or v is None:
        raise Reject("missing_value")
    if isinstance(v, (dict, list)):
        raise Reject("invalid_value")
    return scalar_json(v)


def read_group(m, data):
    parts = []
    for path in m["group_by"]:
        v = get_path(data, path)
        if isinstance(v, (dict, list)):
            raise Reject("invalid_group_value")
        parts.append(jstr(path) + ":" + scalar_json(v))
    return "{" + ",".join(parts) + "}"


# ---- the aggregation ----

def field(b):
    return struct.pack("<Q", len(b)) + b


def agg_key(customer, meter, group, ps, pe):
    h = hashlib.blake2b(digest_size=16)
    for b in (b"aggregate", customer.encode(), meter.encode(),
              group.encode(), struct.pack("<q", ps), struct.pack("<q", pe)):
        h.update(field(b))
    return h.hexdigest()


def key_int(hexkey):
    return int.from_bytes(bytes.fromhex(hexkey), "little")


def lineage_hex(total):
    return (total % (1 << 128)).to_bytes(16, "little").hex()


class Oracle:
    def __init__(self, meters, customers, unit, wfrom, wto):
        self.meters = meters
        self.customers = customers
        self.unit = unit
        self.windowed = wfrom is not None or wto is not None
        self.wfrom = wfrom
        self.wto = wto
        self.utc = Zone("UTC")
        self.periods = {}
        self.by_type = {}
        for m in meters:
            for t in m["types"]:
                self.by_type.setdefault(t, []).append(m)
        self.accs = {}      # (cust, meter idx, group, ps) -> acc
        self.series = {}    # (cust, meter idx, group) -> [(t, key, v)]
        self.newest = None  # the newest event counted or read
        self.stats = {"read": 0, "aggregated": 0, "unmetered": 0,
                      "outside_window": 0, "rejected": 0}
        self.by_code = {}

    def selected(self, end):
        if self.wfrom is not None and not self.wfrom < end:
            return False
        if self.wto is not None and not end <= self.wto:
            return False
        return True

    def cust(self, cid):
        """(zone, Periods) of a customer, or None if unknown."""
        if self.customers is None:
            zone, anchor = self.utc, 0
        elif cid in self.customers:
            zone, anchor = self.customers[cid]
        else:
            return None
        if self.unit != "month":
            anchor = 0
        k = (zone.name, anchor)
        if k not in self.periods:
            self.periods[k] = Periods(self.unit, zone, anchor)
        return zone, self.periods[k]

    def reject(self, code):
        self.stats["rejected"] += 1
        self.by_code[code] = self.by_code.get(code, 0) + 1

    def line(self, text):
        if not text.strip(b" \t\r\n"):
            return
        self.stats["read"] += 1
        try:
            rec = json.loads(text, parse_float=Decimal, parse_int=Decimal,
                             object_pairs_hook=no_duplicates)
            if not isinstance(rec, dict) or rec.get("kind") != "usage":
                raise Reject("not_usage")
            res = self.event(rec)
        except Reject as r:
            self.reject(r.code)
            return
        except json.JSONDecodeError as e:
            # a line cut short, or any other syntax error
            end = len(text.rstrip(b" \t\r\n"))
            self.reject("truncated_json" if e.pos >= end else
                        "invalid_json")
            return
        self.stats[res] += 1

    def event(self, rec):
        ms = self.by_type.get(rec["type"])
        if not ms:
            return "unmetered"
        cid = rec["customer"]
        c = self.cust(cid)
        if c is None:
            raise Reject("unknown_customer")
        per = c[1]
        t = parse_time(rec["time"])
        key = rec["key"]
        data = rec.get("data")
        p = per.of(t)
        sel = self.selected(p[1])
        before = self.windowed and self.wfrom is not None and \
            p[1] <= self.wfrom
        # An event before the window still sets the level its
        # weighted_sum meters open the window at, so it is read, and
        # like any event that is read it counts for all of its meters
        # or is rejected whole: the window must not change the
        # quantities of the periods it selects.
        feeds = before and any(m["agg"] == "weighted_sum" or
                               m["recurring"] for m in ms)
        if not sel and not feeds:
            return "outside_window"
        prepared = []
        for m in ms:        # any meter that cannot read it: reject whole
            v = None
            if m["field"] is not None:
                raw = get_path(data, m["field"])
                if m["agg"] in NUMERIC:
                    v = read_number(raw)
                else:
                    v = read_scalar(raw)
            if m["recurring"]:
                op = get_path(data, "operation_type")
                if op is MISSING:
                    op = "add"
                if op not in ("add", "remove"):
                    raise Reject("invalid_value")
                v = (v, op)
            g = read_group(m, data)
            prepared.append((m, v, g))
        if self.newest is None or t > self.newest:
            self.newest = t
        for m, v, g in prepared:
            if m["agg"] == "weighted_sum" or m["recurring"]:
                self.series.setdefault((cid, m["idx"], g), []).append(
                    (t, key, v))
                continue
            if not sel:
                continue
            k = (cid, m["idx"], g, p[0])
            a = self.accs.get(k)
            if a is None:
                a = self.accs[k] = {"pe": p[1], "events": [], "vals": []}
            a["events"].append((t, key))
            a["vals"].append((t, key, v))
        return "aggregated" if sel else "outside_window"

    def quantity(self, m, a):
        agg = m["agg"]
        vals = a["vals"]
        if agg == "count":
            return Decimal(len(vals))
        if agg == "sum":
            return sum((v for _, _, v in vals), Decimal(0))
        if agg == "min":
            return min(v for _, _, v in vals)
        if agg == "max":
            return max(v for _, _, v in vals)
        if agg == "avg":
            s = sum((v for _, _, v in vals), Decimal(0))
            return round_frac(Fraction(s) / len(vals), m["precision"],
                              m["rounding"])
        if agg == "unique_count":
            return Decimal(len({v for _, _, v in vals}))
        if agg == "latest":
            return max(vals, key=lambda x: (x[0], bytes.fromhex(x[1])))[2]
        raise ValueError(agg)

    def gauges(self):
        """Walk each weighted_sum series period by period."""
        for (cid, mi, g), pts in self.series.items():
            m = self.meters[mi]
            per = self.cust(cid)[1]
            pts.sort(key=lambda x: (x[0], bytes.fromhex(x[1])))
            if m["recurring"]:
                self.recurring(cid, mi, g, pts, per)
                continue
            level = Decimal(0)
            i = 0
            for p in self.walk(per, pts[0][0]):
                opening = level
                num = Fraction(0)
                cur = p[0]
                evs = []
                while i < len(pts) and pts[i][0] < p[1]:
                    t, key, v = pts[i]
                    num += Fraction(level) * (t - cur)
                    cur = t
                    level = level + v if m["increments"] else v
                    evs.append((t, key))
                    i += 1
                num += Fraction(level) * (p[1] - cur)
                if self.selected(p[1]) and (evs or level != 0 or
                                            opening != 0):
                    q = round_frac(num / (p[1] - p[0]), m["precision"],
                                   m["rounding"])
                    self.accs[(cid, mi, g, p[0])] = {
                        "pe": p[1], "events": evs, "wsum": q,
                        "opening": opening, "closing": level}

    def walk(self, per, first):
        """The periods a carried series is walked through: from the one
        holding its first event to --to or, with no end given, to the
        period holding the newest event (with only --from, "every
        selected period" would never end)."""
        p = per.of(first)
        while self.wto is None and p[0] <= self.newest or \
                self.wto is not None and p[1] <= self.wto:
            yield p
            p = per.next(p)

    def recurring(self, cid, mi, g, pts, per):
        """A recurring unique_count series, period by period: a value
        counts when the sum of its adjusted operations up to the end of
        the period is 1."""
        prev = {}           # value -> its previous operation
        total = {}          # value -> the sum of its adjusted operations
        i = 0
        for p in self.walk(per, pts[0][0]):
            opening = sum(total.values())
            evs = []
            while i < len(pts) and pts[i][0] < p[1]:
                t, key, (v, op) = pts[i]
                last = prev.get(v)
                if op == "add":
                    adj = 0 if last == "add" else 1
                else:
                    adj = 0 if last in (None, "remove") else -1
                prev[v] = op
                total[v] = total.get(v, 0) + adj
                evs.append((t, key))
                i += 1
            closing = sum(total.values())
            if self.selected(p[1]) and (evs or closing or opening):
                self.accs[(cid, mi, g, p[0])] = {
                    "pe": p[1], "events": evs, "wsum": Decimal(closing),
                    "opening": Decimal(opening),
                    "closing": Decimal(closing)}

    def output(self, out):
        self.gauges()
        rows = []
        for (cid, mi, g, ps), a in self.accs.items():
            m = self.meters[mi]
            rows.append(((cid.encode(), m["name"].encode(), ps, g.encode()),
                         cid, m, g, ps, a))
        rows.sort(key=lambda r: r[0])
        for _, cid, m, g, ps, a in rows:
            pe = a["pe"]
            evs = a["events"]
            q = a["wsum"] if "wsum" in a else self.quantity(m, a)
            zone = self.cust(cid)[0]
            key = agg_key(cid, m["name"], g, ps, pe)
            parts = ['"kind":"aggregate"', '"schema":"1.0"',
                     '"key":"%s"' % key,
                     '"customer":' + jstr(cid),
                     '"meter":' + jstr(m["name"]),
                     '"aggregation":' + jstr(m["agg"])]
            if m["unit"] is not None:
                parts.append('"unit":' + jstr(m["unit"]))
            parts += ['"group":' + g,
                      '"period":' + jstr(self.unit),
                      '"timezone":' + jstr(zone.name),
                      '"period_start":"%s"' % fmt_time(ps),
                      '"period_end":"%s"' % fmt_time(pe),
                      '"quantity":"%s"' % dfmt(q),
                      '"events":%d' % len(evs)]
            if evs:
                parts.append('"first_event_at":"%s"' %
                             fmt_time(min(t for t, _ in evs)))
                parts.append('"last_event_at":"%s"' %
                             fmt_time(max(t for t, _ in evs)))
            else:
                parts += ['"first_event_at":null', '"last_event_at":null']
            if "wsum" in a:
                parts.append('"opening_level":"%s"' % dfmt(a["opening"]))
                parts.append('"closing_level":"%s"' % dfmt(a["closing"]))
            lin = sum(key_int(k) for _, k in evs)
            parts.append('"lineage":"%s"' % lineage_hex(lin))
            parts.append('"correlation_id":"%s"' % key)
            out.write(("{" + ",".join(parts) + "}\n").encode())


def main():
    ap = argparse.ArgumentParser(prog="aggregate_oracle.py")
    ap.add_argument("--meters", required=True)
    ap.add_argument("--customers")
    ap.add_argument("--period", default="month",
                    choices=("hour", "day", "week", "month"))
    ap.add_argument("--from", dest="wfrom")
    ap.add_argument("--to", dest="wto")
    ap.add_argument("--stats")
    ap.add_argument("--jobs", help="accepted and ignored")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    o = Oracle(load_meters(a.meters),
               load_customers(a.customers) if a.customers else None,
               a.period,
               parse_time(a.wfrom) if a.wfrom else None,
               parse_time(a.wto) if a.wto else None)
    for name in a.files or ["-"]:
        f = sys.stdin.buffer if name == "-" else open(name, "rb")
        for line in f:
            o.line(line)
        if f is not sys.stdin.buffer:
            f.close()
    o.output(sys.stdout.buffer)
    if a.stats:
        st = dict(o.stats)
        st["rejects_by_code"] = dict(sorted(o.by_code.items()))
        with open(a.stats, "w") as f:
            f.write(json.dumps(st, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
