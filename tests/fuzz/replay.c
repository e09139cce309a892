/*
 * replay.c: a harness without libFuzzer, for `make check`: call
 * LLVMFuzzerTestOneInput() once on each file named (a directory: on each
 * file in it), as libFuzzer does when given files.  A crash, a sanitizer
 * report or a broken invariant (fz_fail) fails the run; a clean run
 * says how many inputs it replayed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int	replay_file(const char *);

static int
replay_dir(const char *dir)
{
	struct dirent **ents;
	char path[4096];
	int i, n, count = 0;

	/* sorted, so a failure names the same input on every run */
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", dir,
		    strerror(errno));
		exit(66);
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    ents[i]->d_name) >= sizeof(path)) {
				fprintf(stderr, "replay: path too long: %s/%s\n",
				    dir, ents[i]->d_name);
				exit(66);
			}
			count += replay_file(path);
		}
		free(ents[i]);
	}
	free(ents);
	return count;
}

static int
replay_file(const char *path)
{
	struct stat st;
	unsigned char *data;
	size_t n;
	FILE *fp;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return replay_dir(path);
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path,
		    strerror(errno));
		exit(66);
	}
	/* an exact-size copy: ASan then sees a read past the input's end */
	n = st.st_size > 0 ? (size_t)st.st_size : 0;
	if ((data = malloc(n ? n : 1)) == NULL ||
	    fread(data, 1, n, fp) != n) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		exit(74);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	int i, count = 0;

	for (i = 1; i < argc; i++)
		count += replay_file(argv[i]);
	printf("%s: %d inputs replayed\n", name ? name + 1 : argv[0], count);
	return 0;
}
