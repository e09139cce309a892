/*
 * usage-rows: a ledger's usage records as the rows of version 11's table
 * usage, for the tests.  Since version 12 the ledger keeps them in blocks
 * of columns (ublk.h) that SQL cannot read; the tests' queries over
 * records (what was stored, which version a correction replaced) and
 * their ledgers of older versions are written against that table, so
 * this prints, for every record (replaced ones too, gone set), an INSERT
 * INTO usage (day, seq, t, key, customer, source, id, type, subject,
 * digest, corr, ingested, data, gone).  Blobs are X'..' for SQLite, or
 * '\x..'::bytea with --pg.
 *
 *	usage-rows [--pg] LEDGER
 */
#include <stdio.h>
#include <string.h>

#include "ledger.h"
#include "util.h"

static int pg;

static void
blob(const unsigned char *p, size_t n)
{
	size_t i;

	fputs(pg ? "'\\x" : "X'", stdout);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	fputs(pg ? "'::bytea" : "'", stdout);
}

static void
text(const char *s)
{
	if (s == NULL) {
		fputs("NULL", stdout);
		return;
	}
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			putchar('\'');
		putchar(*s);
	}
	putchar('\'');
}

static int
row(const struct ldg_usage *u, void *arg)
{
	const int64_t d = 86400LL * 1000000000LL;

	(void)arg;
	printf("INSERT INTO usage (day, seq, t, key, customer, source, id, "
	    "type, subject, digest, corr, ingested, data, gone) VALUES "
	    "(%lld, %lld, %lld, ", (long long)(u->t / d - (u->t % d < 0)),
	    (long long)u->seq, (long long)u->t);
	blob(u->key, LDG_KEYLEN);
	fputs(", ", stdout);
	text(u->customer);
	fputs(", ", stdout);
	text(u->source);
	fputs(", ", stdout);
	text(u->id);
	fputs(", ", stdout);
	text(u->type);
	fputs(", ", stdout);
	text(u->subject);
	fputs(", ", stdout);
	blob(u->digest, LDG_KEYLEN);
	fputs(", ", stdout);
	text(u->corr);
	printf(", %lld, ", (long long)u->ingested);
	blob(u->data, u->datalen);
	if (u->gone != 0)
		printf(", %lld);\n", (long long)u->gone);
	else
		fputs(", NULL);\n", stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ledger *l;
	int64_t state[3];

	u_setprogname("usage-rows");
	if (argc == 3 && strcmp(argv[1], "--pg") == 0) {
		pg = 1;
		argv++;
		argc--;
	}
	if (argc != 2)
		die(EX_USAGE, "usage: usage-rows [--pg] LEDGER");
	l = ldg_open(argv[1], -1, LDG_EXISTING | LDG_READONLY);
	ldg_read_begin(l, state);
	ldg_usage_scan_all(l, row, NULL);
	ldg_read_end(l);
	ldg_close(l);
	if (fflush(stdout) != 0)
		die(EX_IOERR, "usage-rows: write error");
	return 0;
}
