/*
 * fault.c: an LD_PRELOAD shim that fails, or kills the process at, the
 * Nth write or sync call of a run, for tests/fault/sweep and
 * scripts/crash-loop.
 *
 * The calls counted are the ones by which the stages' data reaches a
 * file: write, pwrite, pwrite64, writev, pwritev (SQLite's pages, its
 * WAL, and files written with a descriptor), fsync and fdatasync, and
 * fwrite and fflush (the stdio streams: stdout, the rejects, stats and
 * output files; glibc writes a stream's buffer with its internal
 * __write, which a preload cannot see, so the stream calls are the
 * failure points).  Calls on standard error, the diagnostics that say
 * what failed, are neither counted nor failed.
 *
 * Debian's libfiu (fiu-run -x) fails these calls too, but only always
 * or at random; its external callbacks could count, but they see the
 * call's name and not its descriptor, so they can neither leave stderr
 * alone nor say which file a failure hit, and it has no point for
 * fwrite's buffer; this shim is small and does.
 *
 * Environment:
 *   FAULT_AT=N       the call to act on (1 the first); 0 or unset:
 *                    only count
 *   FAULT_ACTION=A   eio (the default), enospc, kill (SIGKILL before
 *                    the call is made: a crash at that point), or short
 *                    (the call writes half its bytes, a write, pwrite or
 *                    fwrite of more than one byte, and every call after
 *                    it fails with ENOSPC: a disk filling up)
 *   FAULT_STICKY=1   fail every call from the Nth on (a disk that stays
 *                    full), not only the Nth
 *   FAULT_LOG=FILE   append "N CALL PATH" for each call counted (when
 *                    FAULT_AT is 0) or "fault N CALL PATH ACTION" for
 *                    the call acted on
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_long calls;
static long fault_at = -1;	/* -1: not read from the environment yet */
static int fault_errno = EIO;
static int fault_kill;
static int fault_sticky;
static int fault_short;

static void
fault_env(void)
{
	const char *s;

	if (fault_at >= 0)
		return;
	s = getenv("FAULT_ACTION");
	if (s != NULL && strcmp(s, "enospc") == 0)
		fault_errno = ENOSPC;
	else if (s != NULL && strcmp(s, "kill") == 0)
		fault_kill = 1;
	else if (s != NULL && strcmp(s, "short") == 0)
		fault_short = 1;
	s = getenv("FAULT_STICKY");
	fault_sticky = fault_short || (s != NULL && strcmp(s, "1") == 0);
	if (fault_short)
		fault_errno = ENOSPC;
	s = getenv("FAULT_AT");
	fault_at = s != NULL ? strtol(s, NULL, 10) : 0;
	if (fault_at < 0)
		fault_at = 0;
}

/* The log line goes out with the real write: this shim's own output is
 * not a call of the program's. */
static void
fault_log(const char *tag, long n, const char *call, int fd)
{
	static ssize_t (*real_write)(int, const void *, size_t);
	const char *path = getenv("FAULT_LOG");
	char proc[64], where[512], line[700];
	ssize_t len;
	int lfd, k;

	if (path == NULL || *path == '\0')
		return;
	if (real_write == NULL)
		real_write = (ssize_t (*)(int, const void *, size_t))
		    dlsym(RTLD_NEXT, "write");
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((len = readlink(proc, where, sizeof(where) - 1)) < 0)
		len = snprintf(where, sizeof(where), "fd%d", fd);
	where[len] = '\0';
	k = snprintf(line, sizeof(line), "%s%ld %s %s%s%s\n", tag, n, call,
	    where, *tag ? " " : "", *tag ? (fault_kill ? "kill" :
	    fault_short ? "short" : fault_errno == ENOSPC ? "enospc" : "eio") :
	    "");
	if ((lfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0)
		return;
	if (k > (int)sizeof(line) - 1)
		k = (int)sizeof(line) - 1;
	(void)real_write(lfd, line, (size_t)k);
	close(lfd);
}

/* Count a call on fd; 1 when it is to fail (errno set), after a kill
 * when that is the action; 2 when it is to write only half its bytes (a
 * call that can be short, when the action is short: the disk filled up
 * in the middle of it, and every later call fails with ENOSPC). */
static int
fault_hit(const char *call, int fd, int can_short)
{
	long n;

	if (fd == STDERR_FILENO)
		return 0;
	fault_env();
	n = atomic_fetch_add(&calls, 1) + 1;
	if (fault_at == 0) {
		fault_log("", n, call, fd);
		return 0;
	}
	if (n != fault_at && !(fault_sticky && n > fault_at))
		return 0;
	if (n == fault_at)
		fault_log("fault ", n, call, fd);
	if (fault_kill)
		raise(SIGKILL);
	if (n == fault_at && fault_short && can_short)
		return 2;
	errno = fault_errno;
	return 1;
}

/* real: the next definition of the function this shim replaces */
#define REAL(name) \
	static __typeof__(&name) real; \
	if (real == NULL) \
		real = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t
write(int fd, const void *p, size_t n)
{
	REAL(write);
	switch (fault_hit("write", fd, n > 1)) {
	case 1:
		return -1;
	case 2:
		return real(fd, p, n / 2);
	}
	return real(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite);
	switch (fault_hit("pwrite", fd, n > 1)) {
	case 1:
		return -1;
	case 2:
		return real(fd, p, n / 2, off);
	}
	return real(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off64_t off)
{
	REAL(pwrite64);
	switch (fault_hit("pwrite64", fd, n > 1)) {
	case 1:
		return -1;
	case 2:
		return real(fd, p, n / 2, off);
	}
	return real(fd, p, n, off);
}

ssize_t
writev(int fd, const struct iovec *v, int n)
{
	REAL(writev);
	return fault_hit("writev", fd, 0) ? -1 : real(fd, v, n);
}

ssize_t
pwritev(int fd, const struct iovec *v, int n, off_t off)
{
	REAL(pwritev);
	return fault_hit("pwritev", fd, 0) ? -1 : real(fd, v, n, off);
}

int
fsync(int fd)
{
	REAL(fsync);
	return fault_hit("fsync", fd, 0) ? -1 : real(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	return fault_hit("fdatasync", fd, 0) ? -1 : real(fd);
}

/* A stream whose write failed says so to ferror(), as glibc's own does;
 * a short one has written half the items to the file, as a stream whose
 * buffer was flushed in part. */
size_t
fwrite(const void *p, size_t size, size_t n, FILE *fp)
{
	static __typeof__(&fflush) real_fflush;
	size_t k;

	REAL(fwrite);
	if (n == 0 || size == 0)
		return real(p, size, n, fp);
	switch (fault_hit("fwrite", fileno(fp), n > 1)) {
	case 1:
		fp->_flags |= _IO_ERR_SEEN;
		return 0;
	case 2:
		/* glibc writes what fits out, through its own write */
		k = real(p, size, n / 2, fp);
		if (real_fflush == NULL)
			real_fflush = (__typeof__(&fflush))dlsym(RTLD_NEXT,
			    "fflush");
		(void)real_fflush(fp);
		fp->_flags |= _IO_ERR_SEEN;
		errno = ENOSPC;
		return k;
	}
	return real(p, size, n, fp);
}

int
fflush(FILE *fp)
{
	REAL(fflush);
	if (fp != NULL && fault_hit("fflush", fileno(fp), 0)) {
		fp->_flags |= _IO_ERR_SEEN;
		return EOF;
	}
	return real(fp);
}
