/*
 * units.c: the UN/ECE Recommendation 20 codes a document may state a
 * quantity in; see units.h.  A short table rather than the whole
 * recommendation (some 2,000 codes): what metered billing counts, each
 * checked against the Peppol BIS Billing 3.0 code list.
 */
#include <string.h>

#include "units.h"

static const char *const units[][2] = {
	{ "C62", "" },		/* one: the default */
	{ "H87", "pc" },	/* piece */
	{ "EA", "each" },	/* each */
	{ "IE", "person" },	/* person: seats, users */
	{ "SEC", "s" },		/* second */
	{ "MIN", "min" },	/* minute */
	{ "HUR", "h" },		/* hour */
	{ "DAY", "d" },		/* day */
	{ "WEE", "wk" },	/* week */
	{ "MON", "mo" },	/* month */
	{ "ANN", "yr" },	/* year */
	{ "AD", "B" },		/* byte */
	{ "2P", "kB" },		/* kilobyte */
	{ "4L", "MB" },		/* megabyte */
	{ "E34", "GB" },	/* gigabyte */
	{ "E35", "TB" },	/* terabyte */
	{ "E36", "PB" },	/* petabyte */
	{ "KWH", "kWh" },	/* kilowatt hour */
};
#define NUNITS	(sizeof(units) / sizeof(units[0]))

const char *
unit_label(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < NUNITS; i++)
		if (strcmp(units[i][0], code) == 0)
			return units[i][1];
	return NULL;
}

const char *
unit_codes(void)
{
	return "C62, H87, EA, IE, SEC, MIN, HUR, DAY, WEE, MON, ANN, AD, "
	    "2P, 4L, E34, E35, E36, KWH";
}
