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
 * fwrite's buffer.  This is those sixty lines.
 *
 * Environment:
 *   FAULT_AT=N       the call to act on (1 the first); 0 or unset:
 *                    only count
 *   FAULT_ACTION=A   eio (the default), enospc, or kill (SIGKILL before
 *                    the call is made: a crash at that point)
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
	s = getenv("FAULT_STICKY");
	fault_sticky = s != NULL && strcmp(s, "1") == 0;
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
	    fault_errno == ENOSPC ? "enospc" : "eio") : "");
	if ((lfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0)
		return;
	if (k > (int)sizeof(line) - 1)
		k = (int)sizeof(line) - 1;
	(void)real_write(lfd, line, (size_t)k);
	close(lfd);
}

/* Count a call on fd; 1 when it is to fail (errno set), after a kill
 * when that is the action. */
static int
fault_hit(const char *call, int fd)
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
	return fault_hit("write", fd) ? -1 : real(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite);
	return fault_hit("pwrite", fd) ? -1 : real(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off64_t off)
{
	REAL(pwrite64);
	return fault_hit("pwrite64", fd) ? -1 : real(fd, p, n, off);
}

ssize_t
writev(int fd, const struct iovec *v, int n)
{
	REAL(writev);
	return fault_hit("writev", fd) ? -1 : real(fd, v, n);
}

ssize_t
pwritev(int fd, const struct iovec *v, int n, off_t off)
{
	REAL(pwritev);
	return fault_hit("pwritev", fd) ? -1 : real(fd, v, n, off);
}

int
fsync(int fd)
{
	REAL(fsync);
	return fault_hit("fsync", fd) ? -1 : real(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	return fault_hit("fdatasync", fd) ? -1 : real(fd);
}

/* A stream whose write failed says so to ferror(), as glibc's own does. */
size_t
fwrite(const void *p, size_t size, size_t n, FILE *fp)
{
	REAL(fwrite);
	if (n > 0 && size > 0 && fault_hit("fwrite", fileno(fp))) {
		fp->_flags |= _IO_ERR_SEEN;
		return 0;
	}
	return real(p, size, n, fp);
}

int
fflush(FILE *fp)
{
	REAL(fflush);
	if (fp != NULL && fault_hit("fflush", fileno(fp))) {
		fp->_flags |= _IO_ERR_SEEN;
		return EOF;
	}
	return real(fp);
}
