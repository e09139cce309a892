/*
 * tdec.h: what the unit tests of the money modules share: D(), an exact
 * decimal from its text (a test's own typo exits 2), and tier_spec(), a
 * catalog's tiers from a short spec.  Header-only, as tap.h.
 */
#ifndef TDEC_H
#define TDEC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"

static dec
D(const char *s)
{
	dec d;

	if (dec_parse(s, strlen(s), &d) != DEC_OK) {
		fprintf(stderr, "bad number '%s'\n", s);
		exit(2);
	}
	return d;
}

#ifdef PRICE_MAXTIERS
/*
 * "5:7:0,10:6.5:0,inf:6:0": each tier's up_to (inf: open), unit and flat
 * amount; a fourth field is its block_size.  -1 when malformed.
 */
static int	tier_spec(char *, struct tier *, size_t *)
		    __attribute__((unused));

static int
tier_spec(char *spec, struct tier *t, size_t *n)
{
	char *tok, *save = NULL, *a, *b, *c;

	*n = 0;
	for (tok = strtok_r(spec, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*n == PRICE_MAXTIERS || (a = strchr(tok, ':')) == NULL ||
		    (b = strchr(a + 1, ':')) == NULL)
			return -1;
		*a++ = '\0';
		*b++ = '\0';
		if ((c = strchr(b, ':')) != NULL)
			*c++ = '\0';
		memset(&t[*n], 0, sizeof(t[*n]));
		if (c != NULL)
			t[*n].block_size = D(c);
		t[*n].open = strcmp(tok, "inf") == 0;
		if (!t[*n].open)
			t[*n].up_to = D(tok);
		t[*n].unit_amount = D(a);
		t[*n].flat_amount = D(b);
		(*n)++;
	}
	return 0;
}
#endif

#endif
