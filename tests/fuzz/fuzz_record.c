/*
 * fuzz_record.c: the record decoders of the stages after meter-ingest.
 * The input is an NDJSON file read as a stage reads one (stagein.h: the
 * line reader, the exact-number parse, the rejects), and each record is
 * handed to every reader of a record kind: usage (urec_read), aggregate
 * (aggrec_read, aggrec_view), rated line (rated_read, rated_view),
 * document (doc_read and its line and tax-line readers) and journal
 * entry (entry_read and its lines).  Each reader refuses what is not
 * its kind, so one file exercises all of them.  The rejects go to
 * /dev/null.
 */
#include <string.h>

#include "aggrec.h"
#include "doc.h"
#include "entry.h"
#include "fuzz.h"
#include "jrec.h"
#include "rated.h"
#include "reject.h"
#include "stagein.h"
#include "urec.h"

/* under the longest seed (a document of about 4 KB): some lines too long */
#define MAX_LINE	8192

static struct rej rej;

static void
each(struct stagein *si, void *arg)
{
	struct jrec *jr = &si->jr;
	struct aggrec_view av;
	struct rated_view rv;
	struct entry_rec er;
	struct entry_rec_line el;
	struct doc_rec d;
	struct doc_line dl;
	struct doc_taxl dt;
	struct aggrec a;
	struct rated r;
	struct urec u;
	size_t i;

	(void)arg;
	(void)urec_read(jr, &u);
	(void)aggrec_read(si, &a);
	(void)aggrec_view(jr, &av);
	(void)rated_read(jr, &r);
	(void)rated_view(jr->root, &rv);
	doc_read(jr->root, jr, &d);
	for (i = 0; i < d.nlines; i++) {
		doc_line_read(&d, i, &dl);
		doc_line_link(&d, i, &dl);
		doc_line_post(&d, i, &dl);
	}
	for (i = 0; i < d.ntaxes; i++)
		doc_taxl_read(&d, i, &dt);
	doc_read(jr->root, NULL, &d);
	if (entry_read(jr, &er) == 0)
		for (i = 0; i < er.nlines; i++)
			entry_read_line(&er, i, &el);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stagein si;
	char *files[1];

	if (rej.stage == NULL)
		rej_open(&rej, "/dev/null", "fuzz_record");
	files[0] = (char *)fz_file(data, size, ".ndjson");
	si_init(&si, 1, files, MAX_LINE, JREC_MAXDEPTH_DEFAULT, &rej);
	si_each(&si, each, NULL);
	si_free(&si);
	rej_flush(&rej);
	return 0;
}
