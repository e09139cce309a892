/*
 * util.c: die/warn with the program name, allocation that dies with the
 * size it tried, and a growable buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

const char *progname = "usage-to-cash";

/*
 * A binary started with stdin, stdout or stderr closed must not have a
 * file or socket it opens later (a rejects file, the ledger's server
 * connection, the ERP's) take that descriptor: records written to
 * stdout would go into it.  Each closed one gets /dev/null, opened the
 * wrong way round (stdin write only, the others read only), so a read
 * or write there still fails with EBADF as on a closed descriptor.
 */
static void
std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) == -1)
			die(EX_OSERR, "cannot open /dev/null: %s",
			    strerror(errno));
}

/* The first call of every binary: its name, and its standard descriptors. */
void
u_setprogname(const char *argv0)
{
	const char *p;

	std_fds();
	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	progname = p ? p + 1 : argv0;
}

void
vwarnmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnmsg(fmt, ap);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnmsg(fmt, ap);
	va_end(ap);
	exit(code);
}

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		die(EX_OSERR, "out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n ? n : 1, sz ? sz : 1)) == NULL)
		die(EX_OSERR, "out of memory allocating %zu x %zu bytes", n, sz);
	return p;
}

void *
xrealloc(void *o, size_t n)
{
	void *p;

	if ((p = realloc(o, n ? n : 1)) == NULL)
		die(EX_OSERR, "out of memory allocating %zu bytes", n);
	return p;
}

void *
xreallocarray(void *o, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		die(EX_OSERR, "allocation of %zu x %zu bytes overflows", n, sz);
	return xrealloc(o, n * sz);
}

void *
xmap(size_t n, const char *what)
{
	void *p;

	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		die(EX_OSERR, "cannot map %zu bytes for %s: %s", n, what,
		    strerror(errno));
#ifdef MADV_HUGEPAGE
	/* advice only: a kernel without transparent huge pages refuses it */
	if (n >= (size_t)2 << 20)
		(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

void
xunmap(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, n);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrdup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
buf_grow(struct buf *b, size_t more)
{
	size_t want;

	if (more > SIZE_MAX - b->len - 1)
		die(EX_OSERR, "buffer size overflows");
	want = b->len + more + 1;
	if (want <= b->cap)
		return;
	if (b->cap < 64)
		b->cap = 64;
	while (b->cap < want)
		b->cap = b->cap > SIZE_MAX / 2 ? want : b->cap * 2;
	b->p = xrealloc(b->p, b->cap);
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(EX_SOFTWARE, "vsnprintf failed");
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

const char *
buf_cstr(struct buf *b)
{
	buf_grow(b, 0);
	b->p[b->len] = '\0';
	return b->p;
}

char *
slurp(const char *path, const char *what, size_t max, size_t *len)
{
	struct buf b = { 0 };
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		die(EX_NOINPUT, "cannot open the %s '%s': %s", what, path,
		    strerror(errno));
	for (;;) {
		buf_grow(&b, 65536);
		n = fread(b.p + b.len, 1, 65536, fp);
		b.len += n;
		if (n < 65536)
			break;
		if (b.len > max)
			die(EX_CONFIG, "%s '%s' is larger than %zu MiB", what,
			    path, max >> 20);
	}
	if (ferror(fp))
		die(EX_IOERR, "cannot read the %s '%s': %s", what, path,
		    strerror(errno));
	fclose(fp);
	*len = b.len;
	return b.p;
}
