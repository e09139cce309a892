/*
 * fuzz_csv.c: meter-ingest's CSV reader: the line reader, libcsv through
 * csvr.h (quoted fields over lines, the byte order mark), the column
 * mapping of csvmap.h (the header, --csv-map, typed numbers, dotted data
 * paths) and the CloudEvents checks of the event a row makes.
 *
 * Input: optional first lines "#map SPEC" (a --csv-map) and "#source S"
 * (a --csv-source), in that order; the rest is the CSV file, with its
 * header.  The loop is meter-ingest's reader (cmd/meter-ingest.c): a
 * header that names a mapped column the file lacks ends the file, as
 * meter-ingest exits 65 there.
 */
#include <string.h>

#include "cevent.h"
#include "csvmap.h"
#include "csvr.h"
#include "fuzz.h"
#include "keys.h"
#include "jrec.h"
#include "lines.h"
#include "util.h"

#define MAX_LINE	4096

static struct jrec jr;
static struct buf cdata;

/* A "#WORD ARG" directive line at *p: ARG as a C string in b, or NULL. */
static const char *
directive(const char **p, const char *end, const char *word, char *b,
    size_t bsize)
{
	size_t wl = strlen(word), n;
	const char *nl;

	if ((size_t)(end - *p) < wl || memcmp(*p, word, wl) != 0)
		return NULL;
	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		nl = end;
	n = (size_t)(nl - *p) - wl;
	if (n >= bsize)
		n = bsize - 1;
	memcpy(b, *p + wl, n);
	b[n] = '\0';
	if (memchr(b, '\0', n) != NULL)
		return NULL;	/* a C string cannot hold it: not an option */
	*p = nl < end ? nl + 1 : end;
	return b;
}

static void
row(struct csvmap *m, struct csvr *cr)
{
	unsigned char key[KEY_LEN], digest[KEY_LEN];
	struct csvmap_err e;
	struct cev_err ce;
	struct cev ev;

	if (csvmap_row(m, cr, &jr, &e) == 0 &&
	    cev_check(jr.root, 0, &ev, &ce) == 0)
		cev_digest(&ev, &jr, &cdata, key, digest);
	jrec_clear(&jr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *spec, *src;
	char specb[1024], srcb[1024];
	struct csvmap_err e;
	struct csvmap m;
	struct csvr cr;
	struct lr r;
	char *files[1];
	int header = 0, rc;

	if (jr.maxdepth == 0)
		jrec_init(&jr, JREC_MAXDEPTH_DEFAULT);
	memset(&m, 0, sizeof(m));
	spec = directive(&p, end, "#map ", specb, sizeof(specb));
	src = directive(&p, end, "#source ", srcb, sizeof(srcb));
	if (spec != NULL && csvmap_spec(&m, spec, &e) < 0)
		goto done;	/* meter-ingest exits 64 */
	m.source = src;
	files[0] = (char *)fz_file((const uint8_t *)p, (size_t)(end - p),
	    ".csv");
	csvr_init(&cr);
	lr_init(&r, 1, files, MAX_LINE);
	while (lr_next(&r)) {
		if (lr_blank(r.line, r.len) && !cr.inrec)
			continue;
		if (r.flags & LR_TOOLONG) {
			if (cr.inrec)
				csvr_reset(&cr);
			continue;
		}
		rc = csvr_feed(&cr, r.line, r.len, r.rawlen, r.lineno);
		if (rc == 0) {
			if (r.flags & LR_NONL)
				csvr_reset(&cr);	/* unterminated */
			continue;
		}
		if (rc > 0 && !header) {
			if (csvmap_header(&m, &cr, &e) < 0)
				break;		/* meter-ingest exits 65 */
			header = 1;
			continue;
		}
		if (rc < 0)
			csvr_reset(&cr);
		else if (!(r.flags & LR_NONL))
			row(&m, &cr);
	}
	lr_free(&r);
	csvr_free(&cr);
done:
	csvmap_free(&m);
	return 0;
}
