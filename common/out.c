/*
 * out.c: checked writes to stdout and to report files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "util.h"

static const char *hint;

void
out_init(void)
{
	static char obuf[1 << 16];

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
}

void
out_hint(const char *h)
{
	hint = h;
}

static void
out_fail(void)
{
	int e = errno;

	die(EX_IOERR, "write error on standard output: %s%s%s",
	    strerror(e), hint ? "; " : "", hint ? hint : "");
}

void
out_write(const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, stdout) != n)
		out_fail();
}

void
out_flush(void)
{
	if (fflush(stdout) != 0)
		out_fail();
}

void
out_close(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		out_fail();
	if (fclose(stdout) != 0)
		out_fail();
}

FILE *
out_open_append(const char *path)
{
	FILE *fp;
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || (fp = fdopen(fd, "a")) == NULL)
		die(EX_CANTCREAT, "cannot open '%s' for appending: %s", path,
		    strerror(errno));
	return fp;
}

void
out_write_file(const char *path, const void *p, size_t n)
{
	out_write_file_hint(path, p, n, NULL);
}

void
out_write_file_hint(const char *path, const void *p, size_t n,
    const char *why)
{
	const char *h = why != NULL ? "; " : "";
	char tmp[4096];
	FILE *fp;
	int fd, r, e;

	if (why == NULL)
		why = "";
	r = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		die(EX_CANTCREAT, "path too long: '%s'%s%s", path, h, why);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
		die(EX_CANTCREAT, "cannot create '%s': %s%s%s", tmp,
		    strerror(errno), h, why);
	if (fwrite(p, 1, n, fp) != n || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0 || fclose(fp) != 0) {
		e = errno;
		unlink(tmp);
		die(EX_IOERR, "cannot write '%s': %s%s%s", path, strerror(e),
		    h, why);
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		die(EX_IOERR, "cannot rename '%s' to '%s': %s%s%s", tmp, path,
		    strerror(e), h, why);
	}
}
