/*
 * out.c: checked writes to stdout and to report files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* isopen: stdout is still open, so its torn end can be cut (out_torn) */
static void
out_fail_open(int isopen)
{
	int e = errno;

	if (isopen)
		out_torn(stdout);
	die(EX_IOERR, "write error on standard output: %s%s%s",
	    strerror(e), hint ? "; " : "", hint ? hint : "");
}

static void
out_fail(void)
{
	out_fail_open(1);
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
		out_fail_open(0);
}

/*
 * A write that failed part-way (a disk that filled up in the middle of
 * it) leaves a torn line at the end of the file, and the next run, or
 * the next job appending to the same file (`>>` in a crontab), would
 * glue its first record to the fragment.  So after a failed write the
 * stream's buffer is dropped (exit(3) must not write it either) and a
 * regular file is cut back to just after its last newline: every line in
 * it stays a whole record, and what was cut is what the failing stage
 * says how to get back.  Read through /proc, as the stream may be open
 * for writing only; where that cannot be read, the file is left as is.
 */
void
out_torn(FILE *fp)
{
	struct stat sb;
	char path[64], b[4096];
	off_t at, end;
	ssize_t i, n;
	int e = errno, fd = fileno(fp), rd;

	__fpurge(fp);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size == 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((rd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	for (end = sb.st_size; end > 0; end = at) {
		at = end > (off_t)sizeof(b) ? end - (off_t)sizeof(b) : 0;
		if ((n = pread(rd, b, (size_t)(end - at), at)) != end - at)
			break;
		for (i = n; i > 0 && b[i - 1] != '\n'; i--)
			;
		if (i > 0 || at == 0) {
			if (at + i < sb.st_size)
				(void)ftruncate(fd, at + i);
			break;
		}
	}
	close(rd);
out:
	errno = e;
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
