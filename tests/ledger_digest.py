#!/usr/bin/env python3
"""tests/ledger_digest.py LEDGER.sqlite: each table's rows and digest, as
ledger-copy(1) prints them, computed apart from it (Python's sqlite3 and
hashlib) from the encoding ledger-copy(1) and common/tabdig.h document:
BLAKE2b-256 over "u2c-table-1" and the table's name, each row's columns
in the table's order ('I' and the integer in decimal, 'T' a text, 'B' a
blob, each length-prefixed by 8 bytes little endian, 'N' a NULL, 'R' the
row's end), then the row count; rows in primary key order, doc's (whose
stored order is read) in rowid order with the rowid last; meta without
its rows schema and application_id.  The tables in the order given."""
import hashlib
import sqlite3
import struct
import sys


def field(b):
    return struct.pack('<Q', len(b)) + b


def digest(db, table):
    cols = db.execute('PRAGMA table_info(%s)' % table).fetchall()
    names = [c[1] for c in cols]
    types = [c[2][0] for c in cols]          # INTEGER, TEXT, BLOB
    if table == 'doc':
        names.append('rowid')
        types.append('I')
        order = 'rowid'
    else:
        order = ', '.join(c[1] for c in sorted((c for c in cols if c[5]),
                                               key=lambda c: c[5]))
    where = (" WHERE k NOT IN ('schema', 'application_id')"
             if table == 'meta' else '')
    h = hashlib.blake2b(digest_size=32)
    h.update(field(b'u2c-table-1') + field(table.encode()))
    n = 0
    for row in db.execute('SELECT %s FROM %s%s ORDER BY %s' %
                          (', '.join(names), table, where, order)):
        for t, v in zip(types, row):
            if v is None:
                h.update(b'N')
            elif t == 'I':
                h.update(b'I' + field(str(v).encode()))
            elif t == 'T':
                h.update(b'T' + field(v.encode() if isinstance(v, str) else v))
            else:
                h.update(b'B' + field(v.encode() if isinstance(v, str) else v))
        h.update(b'R')
        n += 1
    h.update(field(struct.pack('<q', n)))
    return n, h.hexdigest()


def main():
    db = sqlite3.connect('file:%s?mode=ro' % sys.argv[1], uri=True)
    for table in sys.argv[2:]:
        n, d = digest(db, table)
        print('%-18s %12d %s' % (table, n, d))


main()
