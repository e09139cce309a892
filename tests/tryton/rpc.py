# tests/tryton/rpc.py: ask a Tryton server what its books say, over its
# JSON-RPC, as the tests of erp-send(1) check them (any python3):
#   rpc.py URL CREDS balances COMPANY   each account's code, debit and
#                                       credit of posted moves: "1100 97.99 0"
#   rpc.py URL CREDS moves [COMPANY]    each move: company, state, post
#                                       number, description, sorted
#   rpc.py URL CREDS close COMPANY YYYY-MM   close that period
#   rpc.py URL CREDS call METHOD JSON-PARAMS   anything else; prints JSON
# COMPANY is the company's name (its party's).
import base64
import json
import sys
import urllib.request
from decimal import Decimal

url, creds_path, cmd = sys.argv[1:4]
args = sys.argv[4:]
creds = json.load(open(creds_path))
auth = None


def hook(d):
    if d.get("__class__") == "Decimal":
        return Decimal(d["decimal"])
    if d.get("__class__") == "date":
        return "%04d-%02d-%02d" % (d["year"], d["month"], d["day"])
    return d


def call(method, params):
    req = urllib.request.Request(url + "/", json.dumps(
        {"id": 1, "method": method, "params": params}).encode(),
        {"Content-Type": "application/json"})
    if auth:
        req.add_header("Authorization", auth)
    r = json.loads(urllib.request.urlopen(req, timeout=60).read(),
        object_hook=hook)
    if "error" in r:
        raise SystemExit("rpc.py: %s: %s" % (method, r["error"]))
    return r["result"]


uid, session = call("common.db.login",
    [creds["user"], {"password": creds["password"]}, "en"])
auth = "Session " + base64.b64encode(
    ("%s:%s:%s" % (creds["user"], uid, session)).encode()).decode()


def fmt(d):
    return format(d.normalize(), "f") if d else "0"


def company(name):
    c = call("model.company.company.search",
        [[("party.name", "=", name)], 0, None, None, {}])
    if len(c) != 1:
        raise SystemExit("rpc.py: no company %r" % name)
    return c[0]


if cmd == "balances":
    c = company(args[0])
    ctx = {"company": c, "posted": True}
    for a in call("model.account.account.search_read",
            [[("company", "=", c), ("code", "!=", None)], 0, None,
             [("code", "ASC")], ["code", "debit", "credit"], ctx]):
        print(a["code"], fmt(a["debit"]), fmt(a["credit"]))
elif cmd == "moves":
    dom = [("company", "=", company(args[0]))] if args else []
    out = []
    for c in call("model.company.company.search_read",
            [[], 0, None, None, ["rec_name"], {}]):
        ctx = {"company": c["id"]}
        for m in call("model.account.move.search_read",
                [[("company", "=", c["id"])] + dom, 0, None, None,
                 ["state", "post_number", "description", "number"], ctx]):
            out.append("%s %s %s %s" % (c["rec_name"], m["state"],
                m["post_number"], m["description"]))
    for l in sorted(out):
        print(l)
elif cmd == "close":
    c = company(args[0])
    y, m = args[1].split("-")
    start = {"__class__": "date", "year": int(y), "month": int(m), "day": 1}
    p = call("model.account.period.search",
        [[("company", "=", c), ("start_date", "=", start),
          ("type", "=", "standard")], 0, None, None, {"company": c}])
    call("model.account.period.close", [p, {"company": c}])
elif cmd == "call":
    print(json.dumps(call(args[0], json.loads(args[1])), default=str))
else:
    raise SystemExit("rpc.py: unknown command %r" % cmd)
