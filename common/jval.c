/*
 * jval.c: members of parsed records, and the values records are made of.
 */
#include <string.h>

#include "jval.h"

const char *
jval_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
jval_text(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	return json_string_value(v);
}

const char *
jval_str_or(json_t *o, const char *k, const char *dflt)
{
	const char *s = jval_str(o, k);

	return s != NULL ? s : dflt;
}

int
jval_dec(json_t *o, const char *k, dec *d)
{
	const char *s = jval_str(o, k);

	/* strlen, not the JSON length: a NUL ends the number, as it always has */
	if (s == NULL || dec_parse(s, strlen(s), d) != DEC_OK)
		return -1;
	return 0;
}

dec
jval_dec_or_zero(json_t *o, const char *k)
{
	dec d;

	return jval_dec(o, k, &d) == 0 ? d : DEC_ZERO;
}

int64_t
jval_count(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

json_t *
jval_of_dec(dec d)
{
	char b[DEC_FMTMAX];

	dec_fmt(d, b, sizeof(b));
	return json_string(b);
}

json_t *
jval_of_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}
