/*
 * tz.h: IANA time zones read straight from TZif files, without TZ,
 * setenv(3) or localtime(3).  A loaded zone is immutable, so one
 * struct tz may be shared by any number of threads, and a process may
 * hold as many zones as it has customers.
 *
 * Rules:
 *  - names are looked up under $TZDIR, else /usr/share/zoneinfo; a name
 *    is 1..255 bytes of [A-Za-z0-9_+-/], not starting or ending with '/'
 *    and without "//" (so never "..": no escape from the directory);
 *  - "UTC" and "Etc/UTC" are built in and need no file;
 *  - TZif version 1 and 2+ files are read (the 64-bit section of 2+);
 *    after the last transition the POSIX TZ footer is used, which slim
 *    files depend on for all future daylight-saving rules (Jn, n and
 *    Mm.w.d dates, times of -167..167 hours as in version 3);
 *  - before the first transition time type 0 applies (RFC 8536);
 *  - files with leap-second records ("right/" zones) are refused: our
 *    instants are POSIX seconds, which do not count leap seconds;
 *  - offsets are whole seconds east of UTC, at most 26 hours either way.
 */
#ifndef TZ_H
#define TZ_H

#include <stdint.h>

#include "hmap.h"

#define TZ_MAXOFF	(26 * 3600)	/* largest |UTC offset| accepted */
#define TZ_NAMEMAX	255

/* tz_local_to_utc status */
#define TZ_EXACT	0
#define TZ_GAP		1	/* local time skipped by a forward jump */
#define TZ_AMBIGUOUS	2	/* local time repeated by a backward jump */

struct tz;

/* NULL with *why ("unknown time zone", ...) on failure; why may be NULL. */
struct tz	*tz_load(const char *name, const char **why);
void		 tz_free(struct tz *);
const char	*tz_name(const struct tz *);

/*
 * A set of zones by name, each file read once: what a stage keeps for
 * its customers', entities' and documents' zones.  Zero-initialized or
 * tz_set_init'ed; tz_set_get is tz_load through the set (NULL with *why
 * on failure, nothing kept); tz_set_free frees every zone it holds.
 */
struct tz_set {
	struct hmap	 zones;		/* name -> struct tz * */
};
void		 tz_set_init(struct tz_set *);
const struct tz	*tz_set_get(struct tz_set *, const char *name,
		    const char **why);
void		 tz_set_free(struct tz_set *);

/* UTC offset in seconds (east positive) in effect at that instant. */
int		 tz_offset(const struct tz *, int64_t utc_sec);
/* The local calendar day (days since 1970-01-01) of instant t (ns). */
int64_t		 tz_day(const struct tz *, int64_t t);

/*
 * The instant at which the local wall clock reads local_sec (seconds
 * since 1970-01-01T00:00:00 in local time).  In a gap the result is the
 * first instant after the gap (the transition itself), status TZ_GAP;
 * in an overlap it is the earlier of the two instants, status
 * TZ_AMBIGUOUS; else TZ_EXACT.  status may be NULL.  Inputs beyond
 * +-2^53 seconds are clamped.
 */
int64_t		 tz_local_to_utc(const struct tz *, int64_t local_sec,
		    int *status);

/*
 * Offset changes, ignoring transitions that only change the abbreviation
 * or the isdst flag.  tz_next_change: the earliest instant > t at which
 * the offset differs from the second before; tz_prev_change: the latest
 * such instant <= t.  1 and *when when there is one, 0 when not.
 */
int		 tz_next_change(const struct tz *, int64_t t, int64_t *when);
int		 tz_prev_change(const struct tz *, int64_t t, int64_t *when);

#endif
