/*
 * parse-only: the floor any NDJSON stage stands on.  Reads lines and
 * parses each with jansson's json_loadb, nothing else (PERF-NOTES.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>

int
main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ok = 0, bad = 0;
	json_error_t e;
	json_t *v;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		if ((v = json_loadb(line, (size_t)n, 0, &e)) == NULL) {
			bad++;
			continue;
		}
		json_decref(v);
		ok++;
	}
	free(line);
	fprintf(stderr, "parse-only: %ld parsed, %ld failed\n", ok, bad);
	return 0;
}
