/*
 * cli.c: option values and clocks shared by the binaries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tm.h"
#include "util.h"

static void	(*cli_usage)(int);

void
cli_init(void (*usage)(int))
{
	cli_usage = usage;
}

static _Noreturn void
bad(void)
{
	if (cli_usage != NULL)
		cli_usage(EX_USAGE);
	exit(EX_USAGE);
}

int64_t
cli_now(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * TM_NS_PER_SEC + ts.tv_nsec;
}

int64_t
cli_time(const char *opt, const char *s)
{
	const char *why = "";
	int64_t t;

	if (tm_parse(s, strlen(s), &t, &why) < 0) {
		warnmsg("%s '%s': %s", opt, s, why);
		bad();
	}
	return t;
}

int64_t
cli_dur(const char *opt, const char *s)
{
	int64_t d;

	if (tm_parse_duration(s, &d) < 0 || d < 0) {
		warnmsg("%s '%s': not a duration like 35d, 5m, 1h30m", opt, s);
		bad();
	}
	return d;
}

long
cli_num(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max) {
		warnmsg("%s '%s': expected a number from %ld to %ld", opt, s,
		    min, max);
		bad();
	}
	return v;
}
