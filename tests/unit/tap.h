/*
 * tap.h: the Test Anything Protocol for the C unit tests.  ok() prints
 * one result; tap_done() prints the plan and returns the exit status.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Tests that are line calculators (run: one input line to one answer):
 * tap_case checks one hand-written case, tap_oracle answers stdin line
 * by line for a Python oracle (--oracle).
 */
__attribute__((unused)) static void
tap_case(void (*run)(char *, char *, size_t), const char *in,
    const char *want)
{
	char line[512], out[512];

	snprintf(line, sizeof(line), "%s", in);
	run(line, out, sizeof(out));
	ok(strcmp(out, want) == 0, "%s -> %s%s%s", in, want,
	    strcmp(out, want) ? ", got " : "", strcmp(out, want) ? out : "");
}

__attribute__((unused)) static int
tap_oracle(void (*run)(char *, char *, size_t))
{
	char *line = NULL, out[512];
	size_t cap = 0;

	while (getline(&line, &cap, stdin) != -1) {
		run(line, out, sizeof(out));
		puts(out);
	}
	free(line);
	return fflush(stdout) == 0 && !ferror(stdin) ? 0 : 1;
}

#endif
