/*
 * stats.c: the stats record from a table of counters.
 */
#include "jw.h"
#include "out.h"
#include "reject.h"
#include "stats.h"
#include "util.h"

void
stats_json(struct buf *b, const char *stage, const struct stats_field *st, size_t n)
{
	struct jw w;
	size_t i;

	rej_stats_begin(&w, b, stage);
	for (i = 0; i < n; i++) {
		if (st[i].type == ST_SKIP)
			continue;
		if (st[i].type == ST_REJECTS) {
			rej_stats(st[i].rej, &w);
			continue;
		}
		jw_key(&w, st[i].key);
		switch (st[i].type) {
		case ST_COUNT:
			jw_int(&w, (int64_t)st[i].n);
			break;
		case ST_INT:
			jw_int(&w, st[i].i);
			break;
		case ST_BOOL:
			jw_bool(&w, (int)st[i].n);
			break;
		case ST_TIME:
			jw_time(&w, st[i].i);
			break;
		case ST_STR:
			jw_str(&w, st[i].s);
			break;
		default:
			jw_null(&w);
			break;
		}
	}
	jw_close(&w, '}');
	buf_addc(b, '\n');
}

void
stats_write(const char *path, const char *stage, const struct stats_field *st,
    size_t n)
{
	struct buf b = { 0 };

	stats_json(&b, stage, st, n);
	out_write_file(path, b.p, b.len);
	buf_free(&b);
}
