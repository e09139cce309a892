# tests/tryton/setup.py: fill a fresh Tryton database (trytond-admin made
# it, with the account module) with what erp-send(1) posts into, from our
# entities and accounts files:
#   - the currencies USD, EUR and JPY (Tryton loads none);
#   - a company per entity of the accounts file that maps a Tryton
#     company (erp.tryton.company), named so, in the entity's functional
#     currency (from the entities file), and the admin user in all;
#   - per company, account types and one account per code the accounts
#     file maps (erp.tryton.accounts), of the kind its role in our books
#     says (receivable, revenue, liability, expense, cash);
#   - per company, fiscal years 2025 to 2027 with monthly periods and a
#     post-move sequence each whose prefix is the entity and year
#     ("acme-us/2026/"), and a
#     journal "Billing" (code BILL) with its own sequence;
#   - the admin user sees all the companies (company_filter "all"): a
#     call names its company in its context and its domain.
# Run by the system python, the only one trytond runs under:
#   TRYTOND_CONFIG=CONF /usr/bin/python3 setup.py DBNAME ENTITIES ACCOUNTS
import datetime
import json
import sys
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction
import trytond.config

db, entities_path, accounts_path = sys.argv[1:4]
entities = {e["id"]: e for e in json.load(open(entities_path))["entities"]}
books = json.load(open(accounts_path))["entities"]

Pool.start()
pool = Pool(db)
pool.init()

DIGITS = {"USD": 2, "EUR": 2, "JPY": 0}
NAMES = {"USD": "U.S. Dollar", "EUR": "Euro", "JPY": "Yen"}

with Transaction().start(db, 0, context={}) as tx:
    Currency = pool.get("currency.currency")
    Party = pool.get("party.party")
    Company = pool.get("company.company")
    User = pool.get("res.user")
    Type = pool.get("account.account.type")
    Account = pool.get("account.account")
    FiscalYear = pool.get("account.fiscalyear")
    Sequence = pool.get("ir.sequence")
    Journal = pool.get("account.journal")
    ModelData = pool.get("ir.model.data")

    cur = {}
    for code, digits in DIGITS.items():
        c, = Currency.create([{"name": NAMES[code], "code": code,
            "symbol": code, "digits": digits,
            "rounding": Decimal(1) if digits == 0 else Decimal("0.01")}])
        cur[code] = c

    seq_move = ModelData.get_id("account", "sequence_type_account_move")
    seq_journal = ModelData.get_id("account", "sequence_type_account_journal")
    journal, = Journal.create([{"name": "Billing", "code": "BILL",
        "type": "general"}])
    admin, = User.search([("login", "=", "admin")])
    companies = []
    for b in books:
        t = b.get("erp", {}).get("tryton")
        if t is None:
            continue
        ent = entities[b["entity"]]
        party, = Party.create([{"name": t.get("company", b["entity"])}])
        company, = Company.create([{"party": party.id,
            "currency": cur[ent["functional_currency"]].id,
            "timezone": ent.get("timezone")}])
        companies.append(company)
        with Transaction().set_context(company=company.id):
            def typ(name, **kw):
                v = {"name": name, "company": company.id}
                v.update(kw)
                return Type.create([v])[0]
            root = typ("Chart")
            kinds = {
                "receivable": typ("Receivable", parent=root.id,
                    statement="balance", assets=True, receivable=True),
                "cash": typ("Cash", parent=root.id, statement="balance",
                    assets=True),
                "liability": typ("Liabilities", parent=root.id,
                    statement="balance"),
                "revenue": typ("Revenue", parent=root.id,
                    statement="income", revenue=True),
                "expense": typ("Expense", parent=root.id,
                    statement="income", expense=True),
            }
            role = {}
            for k in ("revenue", "discounts"):
                role[b.get(k)] = "revenue"
            for k in ("revenue_by_charge", "revenue_by_tax_code"):
                for a in b.get(k, {}).values():
                    role[a] = "revenue"
            for k in ("tax", "deferred_revenue", "customer_credit"):
                role[b.get(k)] = "liability"
            for a in b.get("tax_by_category", {}).values():
                role[a] = "liability"
            role[b.get("rounding")] = "expense"
            for k in ("cash", "clearing"):
                role[b.get(k)] = "cash"
            role[b["receivable"]] = "receivable"
            chart, = Account.create([{"name": t.get("company",
                b["entity"]), "company": company.id}])
            for ours, code in sorted(t["accounts"].items(),
                    key=lambda x: x[1]):
                # an account the roles above do not name: by its name
                kind = role.get(ours) or {"Assets": "cash",
                    "Income": "revenue", "Expenses": "expense"}.get(
                    ours.split(":")[0], "liability")
                Account.create([{"name": ours, "code": code,
                    "company": company.id, "parent": chart.id,
                    "type": kinds[kind].id,
                    "reconcile": kind == "receivable",
                    "party_required": kind == "receivable"}])
            for y in (2025, 2026, 2027):
                post, = Sequence.create([{"name": "%s %d" % (b["entity"], y),
                    "sequence_type": seq_move, "company": company.id,
                    "prefix": "%s/%d/" % (b["entity"], y)}])
                fy, = FiscalYear.create([{"name": "%s %d" % (b["entity"], y),
                    "start_date": datetime.date(y, 1, 1),
                    "end_date": datetime.date(y, 12, 31),
                    "company": company.id, "post_move_sequence": post.id}])
                FiscalYear.create_period([fy])
            seq, = Sequence.create([{"name": "%s billing" % b["entity"],
                "sequence_type": seq_journal, "company": company.id}])
            Journal.write([journal], {"sequence": seq.id})
    User.write([admin], {"companies": [("add", [c.id for c in companies])],
        "company": companies[0].id, "company_filter": "all"})
    tx.commit()
print("companies: %s" % ", ".join(str(c.id) for c in companies))
