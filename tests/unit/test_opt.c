/*
 * test_opt.c: the option table (common/opt.c) and the stats record
 * (common/stats.c), as TAP.  Each binary's own options are checked by
 * the bats files; here the table itself: every kind of value lands
 * where its entry says, in the order given, short and long forms alike,
 * the shared options have their defaults when not given, and a stats
 * table writes its fields in order, nothing for a skipped
 * one, null where asked, the rejects' counts where STAT_REJECTS stands.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "opt.h"
#include "reject.h"
#include "stats.h"
#include "tap.h"
#include "tm.h"
#include "util.h"

static char order[64];

static void
note(void *dst, const char *arg)
{
	(void)dst;
	strncat(order, arg, sizeof(order) - strlen(order) - 1);
}

static void
usage(int code)
{
	printf("# usage(%d)\n", code);
	exit(code);
}

static int
parse(int argc, char **argv, const struct opt *tab)
{
	optind = 1;
	return opt_parse(argc, argv, tab, usage);
}

int
main(void)
{
	const char *ledger = NULL, *stats = NULL, *name = NULL;
	int64_t as_of = 0, dur = 0, from = 0;
	int busy = 0, strict = 0, flag = 0, has_from = 0, n;
	long big = 0;
	size_t max_line = 0;
	const struct opt tab[] = {
		OPT_LEDGER(&ledger),
		OPT_STATS(&stats),
		OPT_ASOF(&as_of),
		OPT_BUSY(&busy),
		OPT_MAXLINE(&max_line),
		OPT_STRICT(&strict),
		OPT_FV("mode", &flag, 3),
		OPT_T("from", &from, &has_from),
		OPT_D("age", &dur),
		OPT_L("big", 'b', &big, 1, 10000000000L),
		OPT_S("name", 'n', &name),
		OPT_C("note", 0, note, NULL),
		OPT_END
	};
	char *argv[] = { "prog", "-l", "L.sqlite", "--stats=S.json",
	    "--as-of", "2026-10-01T00:00:00Z", "--busy-timeout", "250",
	    "--max-line", "4096", "--strict", "--mode", "--age", "1h30m",
	    "-b", "9000000000", "--note", "a", "--na", "N", "--note", "b",
	    "x.ndjson", "y.ndjson", NULL };
	struct rej rej;
	struct buf b = { 0 };
	char *p;

	u_setprogname("test_opt");
	n = parse((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv, tab);
	ok(n == 22, "the operands begin after the options (%d)", n);
	ok(ledger != NULL && strcmp(ledger, "L.sqlite") == 0, "-l FILE");
	ok(stats != NULL && strcmp(stats, "S.json") == 0, "--stats=FILE");
	ok(as_of == 1790812800LL * TM_NS_PER_SEC, "--as-of as an instant");
	ok(busy == 250, "--busy-timeout as an int");
	ok(max_line == 4096, "--max-line as a size");
	ok(strict == 1, "--strict sets its flag");
	ok(flag == 3, "a flag with a value sets that value");
	ok(dur == 5400LL * TM_NS_PER_SEC, "--age 1h30m as a duration");
	ok(big == 9000000000L, "a long beyond int");
	ok(name != NULL && strcmp(name, "N") == 0,
	    "an unambiguous abbreviation (--na) names its option");
	ok(strcmp(order, "ab") == 0, "callbacks run in the order given (%s)",
	    order);
	ok(has_from == 0 && from == 0, "an option not given is left alone");
	{
		char *none[] = { "prog", "x", NULL };
		int depth = 0;
		const struct opt std[] = {
			OPT_ASOF(&as_of),
			OPT_BUSY(&busy),
			OPT_MAXLINE(&max_line),
			OPT_MAXDEPTH(&depth),
			OPT_END
		};

		n = parse(2, none, std);
		ok(n == 1 && as_of == INT64_MIN && busy == LDG_BUSY_MS &&
		    max_line == LR_MAXLEN_DEFAULT &&
		    depth == JREC_MAXDEPTH_DEFAULT,
		    "the shared options' defaults when not given");
	}

	/* a stats table */
	memset(&rej, 0, sizeof(rej));
	rej.ncodes = 2;
	rej.codes[0].code = "missing_field";
	rej.codes[0].n = 2;
	rej.codes[1].code = "bad_time";
	rej.codes[1].n = 1;
	{
		const struct stats_field st[] = {
			STAT_N("read", 5),
			STAT_IF(0, STAT_N("hidden", 1)),
			STAT_IF(1, STAT_N("shown", 2)),
			STAT_REJECTS(&rej),
			STAT_B("preview", 7),
			STAT_T_IF(0, "from", 0),
			STAT_I_IF(1, "threads", -2),
			STAT_T("as_of", 0),
			STAT_S("file", NULL),
			STAT_S("mode", "a\"b"),
		};

		stats_json(&b, "test", st, sizeof(st) / sizeof(st[0]));
	}
	p = (char *)buf_cstr(&b);
	ok(strcmp(p, "{\"kind\":\"stats\",\"schema\":\"1.0\",\"stage\":"
	    "\"test\",\"read\":5,\"shown\":2,\"rejects_by_code\":"
	    "{\"bad_time\":1,\"missing_field\":2},\"preview\":true,"
	    "\"from\":null,\"threads\":-2,\"as_of\":"
	    "\"1970-01-01T00:00:00Z\",\"file\":null,\"mode\":\"a\\\"b\"}\n")
	    == 0, "a stats table in order, skipped and null fields: %s", p);
	buf_free(&b);
	return tap_done();
}
