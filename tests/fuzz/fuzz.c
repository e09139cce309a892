/*
 * fuzz.c: the input as a file, the trap for a loader's exit, and the
 * bookkeeping that frees what a loader that died had allocated.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/* ---- the input as a file ---- */

#define FZ_NFILES	4

static struct {
	char	 path[4096];
	char	 suffix[16];
} files[FZ_NFILES];
static int nfiles;

static void
fz_unlink(void)
{
	int i;

	for (i = 0; i < nfiles; i++)
		unlink(files[i].path);
}

const char *
fz_file(const uint8_t *data, size_t size, const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	ssize_t w;
	int i, fd;

	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i].suffix, suffix) == 0)
			break;
	if (i == nfiles) {
		if (nfiles == FZ_NFILES || strlen(suffix) >=
		    sizeof(files[i].suffix))
			fz_fail("fz_file: too many suffixes");
		if (dir == NULL || *dir == '\0')
			dir = "/tmp";
		if ((size_t)snprintf(files[i].path, sizeof(files[i].path),
		    "%s/u2c-fuzz.XXXXXX%s", dir, suffix) >=
		    sizeof(files[i].path))
			fz_fail("fz_file: TMPDIR is too long");
		if ((fd = mkstemps(files[i].path, (int)strlen(suffix))) < 0)
			fz_fail("fz_file: cannot create %s", files[i].path);
		close(fd);
		strcpy(files[i].suffix, suffix);
		if (nfiles++ == 0)
			atexit(fz_unlink);
	}
	if ((fd = open(files[i].path, O_WRONLY | O_TRUNC)) < 0)
		fz_fail("fz_file: cannot open %s", files[i].path);
	while (size > 0) {
		if ((w = write(fd, data, size)) < 0)
			fz_fail("fz_file: cannot write %s", files[i].path);
		data += w;
		size -= (size_t)w;
	}
	close(fd);
	return files[i].path;
}

/* ---- what a trapped loader allocated ---- */

/*
 * The sanitizers call these hooks on every allocation and free, from
 * any library (jansson's trees, libcsv's buffers, our own).  While a
 * trap runs, live blocks are kept in an open-addressed table; a slot
 * belongs to the current trap when its generation is the trap's, so
 * nothing is cleared between traps.  The hooks must not allocate.
 * Without a sanitizer (a plain replay) nothing is tracked: the replay
 * runs a few dozen inputs and exits.
 */
int	__sanitizer_install_malloc_and_free_hooks(
	    void (*)(const volatile void *, size_t),
	    void (*)(const volatile void *)) __attribute__((weak));

#define FZ_SLOTS	(1 << 18)
#define FZ_GONE		0

/*
 * A block is kept as the complement of its address: the leak checker
 * must not take the table for a reference to it, or a loader that
 * returns without freeing what it allocated would leak unseen.
 */
static struct {
	uintptr_t	 p;
	unsigned	 gen;
} live[FZ_SLOTS];
static unsigned gen;
/* the slots this trap filled: a refused file is freed without a scan */
static uint32_t used[FZ_SLOTS];
static size_t nused;
static int tracking, overflow;

static size_t
slot_of(const volatile void *p)
{
	uintptr_t h = (uintptr_t)p;

	h ^= h >> 17;
	h *= 0xed5ad4bbu;
	h ^= h >> 11;
	return h & (FZ_SLOTS - 1);
}

static void
hook_malloc(const volatile void *p, size_t n)
{
	size_t i, k;

	(void)n;
	if (!tracking || p == NULL)
		return;
	for (i = slot_of(p), k = 0; k < FZ_SLOTS; i = (i + 1) &
	    (FZ_SLOTS - 1), k++)
		if (live[i].gen != gen || live[i].p == FZ_GONE) {
			if (live[i].gen != gen)	/* a reused GONE is listed */
				used[nused++] = (uint32_t)i;
			live[i].p = ~(uintptr_t)p;
			live[i].gen = gen;
			return;
		}
	overflow = 1;
}

static void
hook_free(const volatile void *p)
{
	size_t i, k;

	if (!tracking || p == NULL)
		return;
	for (i = slot_of(p), k = 0; k < FZ_SLOTS; i = (i + 1) &
	    (FZ_SLOTS - 1), k++) {
		if (live[i].gen != gen)
			return;		/* not allocated in this trap */
		if (live[i].p == ~(uintptr_t)p) {
			live[i].p = FZ_GONE;
			return;
		}
	}
}

static void
free_live(void)
{
	size_t i;

	tracking = 0;
	if (overflow)	/* some blocks are unknown: better leak than guess */
		return;
	for (i = 0; i < nused; i++)
		if (live[used[i]].p != FZ_GONE) {
			free((void *)~live[used[i]].p);
			live[used[i]].p = FZ_GONE;
		}
}

/* ---- the trap ---- */

static jmp_buf trap;
static int trapped;
static volatile int status;

_Noreturn void	__real_exit(int);
_Noreturn void	__wrap_exit(int);

void
__wrap_exit(int code)
{
	if (!trapped)
		__real_exit(code);
	status = code;
	longjmp(trap, 1);
}

int
fz_trap(void (*fn)(void *), void *arg)
{
	static int hooked;

	if (!hooked && __sanitizer_install_malloc_and_free_hooks != NULL)
		__sanitizer_install_malloc_and_free_hooks(hook_malloc,
		    hook_free);
	hooked = 1;
	if (++gen == 0)
		gen = 1;
	overflow = 0;
	nused = 0;
	status = 0;
	if (setjmp(trap) == 0) {
		trapped = 1;
		tracking = 1;
		fn(arg);
		trapped = tracking = 0;
		return 0;
	}
	trapped = 0;
	free_live();
	return status != 0 ? status : -1;
}

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
