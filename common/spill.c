/*
 * spill.c: raw lines in an unlinked temporary file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spill.h"

/*
 * An unlinked file in $TMPDIR (default /tmp): tmpfile(3) would ignore
 * TMPDIR, and an operator points it at the disk with room.
 */
static FILE *
spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *fp;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/u2c-spill.XXXXXX", dir)
	    >= sizeof(path))
		die(EX_CANTCREAT, "cannot make a temporary file in '%s' "
		    "(TMPDIR): name too long", dir);
	if ((fd = mkstemp(path)) < 0)
		die(EX_CANTCREAT, "cannot make a temporary file in '%s' "
		    "(TMPDIR): %s", dir, strerror(errno));
	unlink(path);
	if ((fp = fdopen(fd, "w+")) == NULL)
		die(EX_OSERR, "cannot open a temporary file: %s",
		    strerror(errno));
	return fp;
}

uint64_t
spill_put(struct spill *sp, const char *p, size_t n)
{
	uint64_t off = sp->end;

	if (sp->fp == NULL)
		sp->fp = spill_open();
	if (n > 0 && fwrite(p, 1, n, sp->fp) != n)
		die(EX_IOERR, "cannot write a temporary file (TMPDIR): %s",
		    strerror(errno));
	sp->end += n;
	return off;
}

void
spill_get(struct spill *sp, uint64_t off, size_t len, struct buf *b)
{
	buf_reset(b);
	buf_grow(b, len + 1);
	if (spill_read(sp, &off, b->p, len) != len)
		die(EX_IOERR, "cannot read back a temporary file: cut short");
	b->len = len;
}

size_t
spill_read(struct spill *sp, uint64_t *off, void *p, size_t n)
{
	size_t got;

	if (sp->fp == NULL || *off >= sp->end)
		return 0;
	if (fflush(sp->fp) != 0 || fseeko(sp->fp, (off_t)*off, SEEK_SET) != 0)
		die(EX_IOERR, "cannot read back a temporary file: %s",
		    strerror(errno));
	if (n > sp->end - *off)
		n = (size_t)(sp->end - *off);
	if ((got = fread(p, 1, n, sp->fp)) != n)
		die(EX_IOERR, "cannot read back a temporary file: %s",
		    ferror(sp->fp) ? strerror(errno) : "cut short");
	*off += got;
	fseeko(sp->fp, 0, SEEK_END);
	return got;
}

void
spill_close(struct spill *sp)
{
	if (sp->fp != NULL)
		fclose(sp->fp);
	sp->fp = NULL;
}
