/*
 * tap.h: the Test Anything Protocol for the C unit tests.  ok() prints
 * one result; tap_done() prints the plan and returns the exit status.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>

static int ntest, nfail;

static void ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	if (!cond)
		nfail++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int
tap_done(void)
{
	printf("1..%d\n", ntest);
	if (nfail > 0)
		printf("# %d of %d failed\n", nfail, ntest);
	return nfail != 0;
}

#endif
