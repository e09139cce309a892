#!/usr/bin/env python3
"""impcheck.py TEMPLATES ACCOUNTS FILE...: check ERP import files against
the vendors' templates (testdata/erp/import/templates.json): the header
holds the template's columns in its order (then only its optional ones),
every required cell has a value, dates have the template's form, a file
holds no more lines than the ERP takes, every journal balances and has
two lines at least, amounts have no more decimals than the ERP takes,
and every account is one the accounts file maps for that ERP (the ERP's
code or name, never ours).  The ERP is the file name's prefix
(xero-ENTITY-...csv); a file of another name is NetSuite's.  Prints one
line a file; exits 1 at the first failure."""
import csv, json, re, sys, os
from decimal import Decimal as D
from collections import defaultdict

tpl = json.load(open(sys.argv[1]))
acc = json.load(open(sys.argv[2]))
mapped = defaultdict(set)
for e in acc["entities"]:
    for erp, sec in e.get("erp", {}).items():
        mapped[erp] |= set(sec.get("accounts", {}).values())

def fail(f, msg):
    print(f"{f}: {msg}")
    sys.exit(1)

for f in sys.argv[3:]:
    erp = os.path.basename(f).split("-")[0]
    if erp not in tpl or erp == "description":
        erp = "netsuite"
    t = tpl[erp]
    rows = list(csv.reader(open(f, newline="", encoding="utf-8")))
    head, body = rows[0], rows[1:]
    n = len(t["columns"])
    if head[:n] != t["columns"]:
        fail(f, f"header {head[:n]} is not the template's {t['columns']}")
    if any(c not in t["optional_columns"] for c in head[n:]):
        fail(f, f"columns {head[n:]} are not the template's")
    if len(body) > t["max_lines"]:
        fail(f, f"{len(body)} lines: {erp} takes {t['max_lines']} a file")
    sums, lines = defaultdict(D), defaultdict(int)
    for i, r in enumerate(body, 2):
        if len(r) != len(head):
            fail(f, f"line {i}: {len(r)} cells, {len(head)} columns")
        c = dict(zip(head, r))
        for k in t["required"]:
            if not c[k]:
                fail(f, f"line {i}: {k} is empty")
        for k, m in t.get("max_length", {}).items():
            if len(c[k]) > m:
                fail(f, f"line {i}: {k} longer than {m}")
        if "date" in t and not re.match(t["date"], c[head[1]] if erp != "netsuite" else c["Date"]):
            fail(f, f"line {i}: date {c[head[1]]} is not {t['date']}")
        if c[t["account"]] not in mapped[erp]:
            fail(f, f"line {i}: account {c[t['account']]!r} is not one of the ERP's")
        if "amount" in t:
            a = D(c[t["amount"]])
        else:
            d, cr = c[t["debit"]], c[t["credit"]]
            if bool(d) == bool(cr):
                fail(f, f"line {i}: one of {t['debit']} and {t['credit']} must have the amount")
            a = D(d or 0) - D(cr or 0)
        if "max_decimals" in t and -a.as_tuple().exponent > t["max_decimals"]:
            fail(f, f"line {i}: {a} has more than {t['max_decimals']} decimals")
        k = tuple(c[j] for j in t["journal"])
        sums[k] += a
        lines[k] += 1
    for k, s in sums.items():
        if s != 0 or lines[k] < 2:
            fail(f, f"journal {k} does not balance ({s}) or has one line")
    print(f"{f}: {erp}, {len(body)} lines, {len(sums)} journals: ok")
