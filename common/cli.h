/*
 * cli.h: what every binary's main() does with its options: parse times,
 * durations and numbers from the command line (a bad one is a usage
 * error, exit 64, with the usage text), and read the clocks.
 */
#ifndef CLI_H
#define CLI_H

#include <stdint.h>

/* The binary's usage(): prints the synopsis and exits with the code. */
void	 cli_init(void (*usage)(int));
int64_t	 cli_time(const char *opt, const char *s);	/* RFC 3339 */
int64_t	 cli_dur(const char *opt, const char *s);	/* "35d", "5m" */
long	 cli_num(const char *opt, const char *s, long min, long max);
/* CLOCK_REALTIME or CLOCK_MONOTONIC, in nanoseconds */
int64_t	 cli_now(int clock);

#endif
