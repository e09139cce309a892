/*
 * lines.c: a buffered reader over read(2) that finds lines with memchr.
 * Unlike getline(3) it never grows past maxlen, so an endless line cannot
 * exhaust memory: the excess is skipped and the line reported too long.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lines.h"
#include "util.h"

void
lr_init(struct lr *r, int nfiles, char **files, size_t maxlen)
{
	static char *dash[] = { "-" };

	memset(r, 0, sizeof(*r));
	r->maxlen = maxlen ? maxlen : LR_MAXLEN_DEFAULT;
	if (nfiles == 0) {
		nfiles = 1;
		files = dash;
	}
	r->nfiles = nfiles;
	r->files = files;
	r->idx = -1;
	r->fd = -1;
	r->cap = r->maxlen + 2 > 65536 ? r->maxlen + 2 : 65536;
	r->buf = xmalloc(r->cap);
}

void
lr_free(struct lr *r)
{
	if (r->fd > 0)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
}

int
lr_blank(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	return n == 0;
}

/* Open the next input that can be opened; 0 when there is none left. */
static int
lr_nextfile(struct lr *r)
{
	if (r->fd > 0)
		close(r->fd);
	r->fd = -1;
	while (++r->idx < r->nfiles) {
		r->name = r->files[r->idx];
		r->lineno = 0;
		r->start = r->end = 0;
		r->eof = 0;
		if (strcmp(r->name, "-") == 0) {
			r->fd = 0;
			return 1;
		}
		if ((r->fd = open(r->name, O_RDONLY | O_CLOEXEC)) >= 0)
			return 1;
		warnmsg("cannot open '%s': %s", r->name, strerror(errno));
		r->failed = 1;
	}
	return 0;
}

static int64_t
lr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whether fd has something to read (or an end, an error) within ms. */
static int
readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	while ((n = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
		;
	return n != 0;
}

/* Read more bytes after r->end; returns bytes read, 0 at end of file. */
static size_t
lr_fill(struct lr *r)
{
	ssize_t n;

	if (r->start > 0 && r->start == r->end)
		r->start = r->end = 0;
	if (r->end == r->cap && r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap)
		return 0;	/* caller handles a full buffer */
	if (r->idle != NULL && !readable(r->fd, 0) && (r->quiet_ms == 0 ||
	    lr_now() - r->idle_at >= LR_TRICKLE_MS * 1000000LL ||
	    !readable(r->fd, r->quiet_ms))) {
		r->idle(r->idle_arg);
		r->idle_at = lr_now();
	}
	for (;;) {
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n >= 0)
			break;
		if (errno != EINTR)
			die(EX_IOERR, "%s: read error: %s", r->name,
			    strerror(errno));
	}
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return (size_t)n;
}

static void
lr_setline(struct lr *r, char *p, size_t n, int flags)
{
	r->line = p;
	r->rawlen = n;
	r->len = n;
	r->fulllen = n;
	r->flags = flags;
	if (n > 0 && p[n - 1] == '\r') {
		r->len--;
		r->flags |= LR_CR;
	}
	r->lineno++;
}

/* The line starting at r->start exceeds maxlen: keep a snippet, skip. */
static void
lr_toolong(struct lr *r)
{
	char *nl;
	size_t total, n, keep;

	keep = r->end - r->start;
	if (keep > LR_SNIPPET)
		keep = LR_SNIPPET;
	if (keep > r->maxlen)
		keep = r->maxlen;
	memcpy(r->snippet, r->buf + r->start, keep);
	total = 0;
	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL) {
			n = (size_t)(nl - (r->buf + r->start));
			total += n;
			r->start += n + 1;
			break;
		}
		total += r->end - r->start;
		r->start = r->end = 0;
		if (lr_fill(r) == 0)
			break;
	}
	lr_setline(r, r->snippet, keep, LR_TOOLONG);
	r->flags &= ~LR_CR;
	r->len = r->rawlen = keep;
	r->fulllen = total;
	if (nl == NULL)
		r->flags |= LR_NONL;
}

int
lr_next(struct lr *r)
{
	char *p, *nl;
	size_t scanned = 0, n;

	if (r->idx < 0 && !lr_nextfile(r))
		return 0;
	for (;;) {
		p = r->buf + r->start;
		nl = memchr(p + scanned, '\n', r->end - r->start - scanned);
		if (nl != NULL) {
			n = (size_t)(nl - p);
			r->start += n + 1;
			if (n > r->maxlen) {
				/* whole line fits in the buffer but is too long */
				r->start -= n + 1;
				lr_toolong(r);
				return 1;
			}
			lr_setline(r, p, n, 0);
			return 1;
		}
		scanned = r->end - r->start;
		if (scanned > r->maxlen) {
			lr_toolong(r);
			return 1;
		}
		if (!r->eof) {
			lr_fill(r);	/* may move the data to the front */
			continue;
		}
		if (r->end > r->start) {
			/* the last line has no newline */
			n = r->end - r->start;
			p = r->buf + r->start;
			r->start = r->end;
			lr_setline(r, p, n, LR_NONL);
			return 1;
		}
		if (!lr_nextfile(r))
			return 0;
		scanned = 0;
	}
}
