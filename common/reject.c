/*
 * reject.c: dead-letter records, per-code counts, and a few messages on
 * stderr so an operator watching a terminal sees why input was refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "jw.h"
#include "ledger.h"
#include "out.h"
#include "reject.h"

void
rej_open(struct rej *r, const char *path, const char *stage)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->stage = stage;
}

static void
rej_count(struct rej *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->ncodes; i++)
		if (strcmp(r->codes[i].code, code) == 0) {
			r->codes[i].n++;
			return;
		}
	if (r->ncodes == REJ_MAXCODES)
		die(EX_SOFTWARE, "too many distinct reject codes");
	r->codes[r->ncodes].code = code;
	r->codes[r->ncodes].n = 1;
	r->ncodes++;
}

/*
 * The reject record of src, newline-terminated, appended to out.  Apart
 * from rej_add so that a stage can make records on the threads that
 * find the rejects and hand them to rej_add_record in order
 * (meter-aggregate's scans of the ledger).
 */
void
rej_record(struct buf *out, const char *stage, const struct rej_src *src,
    const char *cls, const char *code, const char *field, const char *msg,
    size_t msglen)
{
	struct jw w;

	jw_init(&w, out);
	jw_open(&w, '{');
	jw_key(&w, "kind");
	jw_str(&w, "reject");
	jw_key(&w, "schema");
	jw_str(&w, "1.0");
	jw_key(&w, "stage");
	jw_str(&w, stage);
	jw_key(&w, "class");
	jw_str(&w, cls);
	jw_key(&w, "code");
	jw_str(&w, code);
	jw_key(&w, "field");
	jw_str(&w, field ? field : "");
	jw_key(&w, "message");
	jw_strn(&w, msg, msglen);
	jw_key(&w, "file");
	jw_str(&w, src->file);
	jw_key(&w, "line");
	jw_int(&w, (int64_t)src->line);
	jw_key(&w, "raw");
	if (jw_utf8_valid(src->raw, src->rawlen) || src->truncated) {
		size_t len = src->rawlen;

		/* a snippet may end inside a UTF-8 sequence: cut it there */
		while (len > 0 && !jw_utf8_valid(src->raw, len))
			len--;
		jw_strn(&w, src->raw, len);
	} else {
		size_t b64len = sodium_base64_ENCODED_LEN(src->rawlen,
		    sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(b64len);

		sodium_bin2base64(b64, b64len, (const unsigned char *)src->raw,
		    src->rawlen, sodium_base64_VARIANT_ORIGINAL);
		jw_null(&w);
		jw_key(&w, "raw_base64");
		jw_str(&w, b64);
		free(b64);
	}
	if (src->truncated) {
		jw_key(&w, "raw_truncated");
		jw_bool(&w, 1);
		jw_key(&w, "raw_length");
		jw_int(&w, (int64_t)src->fulllen);
	}
	jw_close(&w, '}');
	buf_addc(out, '\n');
}

/* A reject written: said on stderr (the first few) and counted. */
static void
rej_note(struct rej *r, const struct rej_src *src, const char *code,
    const char *msg)
{
	if (r->warned < REJ_WARNMAX)
		warnmsg("%s:%llu: %s: %s", src->file,
		    (unsigned long long)src->line, code, msg);
	else if (r->warned == REJ_WARNMAX)
		warnmsg("more rejects follow; all are in '%s'", r->path);
	r->warned++;
	rej_count(r, code);
	r->total++;
}

void
rej_add(struct rej *r, const struct rej_src *src, const char *cls,
    const char *code, const char *field, const char *fmt, ...)
{
	struct buf msg = { 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(&msg, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(msg.p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	msg.len = (size_t)n;
	rej_record(&r->pending, r->stage, src, cls, code, field, msg.p,
	    msg.len);
	rej_note(r, src, code, msg.p);
	buf_free(&msg);
}

void
rej_add_record(struct rej *r, const char *rec, size_t len,
    const struct rej_src *src, const char *code, const char *msg)
{
	buf_add(&r->pending, rec, len);
	rej_note(r, src, code, msg);
}

void
rej_hint(struct rej *r, const char *hint)
{
	r->hint = hint;
}

void
rej_flush(struct rej *r)
{
	const char *h = r->hint != NULL ? "; " : "";
	const char *hint = r->hint != NULL ? r->hint : "";

	if (r->pending.len == 0)
		return;
	if (r->fp == NULL) {
		struct stat sb;
		int fd;

		/* out_open_append, with the hint */
		fd = open(r->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
		if (fd < 0 || (r->fp = fdopen(fd, "a")) == NULL)
			die(EX_CANTCREAT, "cannot open '%s' for appending: "
			    "%s%s%s", r->path, strerror(errno), h, hint);
		/* /dev/null and pipes cannot be synced, and need not be */
		r->regular = fstat(fileno(r->fp), &sb) == 0 &&
		    S_ISREG(sb.st_mode);
	}
	if (fwrite(r->pending.p, 1, r->pending.len, r->fp) != r->pending.len ||
	    fflush(r->fp) != 0 || (r->regular && fdatasync(fileno(r->fp)) != 0)) {
		/* no torn reject for the run again to append after */
		out_torn(r->fp);
		die(EX_IOERR, "cannot write rejects to '%s': %s%s%s", r->path,
		    strerror(errno), h, hint);
	}
	buf_reset(&r->pending);
}

void
rej_close(struct rej *r)
{
	rej_flush(r);
	if (r->fp != NULL && fclose(r->fp) != 0)
		die(EX_IOERR, "cannot close '%s': %s%s%s", r->path,
		    strerror(errno), r->hint != NULL ? "; " : "",
		    r->hint != NULL ? r->hint : "");
	r->fp = NULL;
	buf_free(&r->pending);
}

static int
codecmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
rej_stats(const struct rej *r, struct jw *w)
{
	const char *codes[REJ_MAXCODES];
	size_t i, j;

	for (i = 0; i < r->ncodes; i++)
		codes[i] = r->codes[i].code;
	qsort(codes, r->ncodes, sizeof(*codes), codecmp);
	jw_key(w, "rejects_by_code");
	jw_open(w, '{');
	for (i = 0; i < r->ncodes; i++)
		for (j = 0; j < r->ncodes; j++)
			if (r->codes[j].code == codes[i]) {
				jw_key(w, codes[i]);
				jw_int(w, (int64_t)r->codes[j].n);
			}
	jw_close(w, '}');
}

void
rej_summary(const struct rej *r, struct buf *b)
{
	size_t i;

	if (r->total == 0)
		return;
	buf_adds(b, " (");
	for (i = 0; i < r->ncodes; i++)
		buf_printf(b, "%s%s %" PRIu64, i ? ", " : "", r->codes[i].code,
		    r->codes[i].n);
	buf_printf(b, "; see '%s')", r->path);
}

char *
rej_default_path(const char *ledger)
{
	struct buf b = { 0 };

	/* a ledger on a server has no directory of its own */
	if (strcmp(ledger, ":memory:") == 0 || ldg_is_pg(ledger))
		return xstrdup("rejects.ndjson");
	buf_printf(&b, "%s-rejects.ndjson", ledger);
	return (char *)buf_cstr(&b);
}

void
rej_stats_begin(struct jw *w, struct buf *b, const char *stage)
{
	jw_init(w, b);
	jw_open(w, '{');
	JW_KEY(w, "kind");
	jw_str(w, "stats");
	JW_KEY(w, "schema");
	jw_str(w, "1.0");
	JW_KEY(w, "stage");
	jw_str(w, stage);
}
