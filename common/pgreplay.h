/*
 * pgreplay.h: a PostgreSQL write transaction's statements, kept so that
 * the transaction can be run again after the server aborted it for a
 * serialization failure or a deadlock (SQLSTATE class 40), and the proof
 * that the second run is the same transaction.
 *
 * Each statement is kept with its parameters and a digest (BLAKE2b) of
 * what the server answered: its rows, every value's bytes, and how many
 * rows it changed.  The caller (ldg_pg.c) starts a new transaction and
 * replays the log: if every statement gets the same answer again, the
 * program that chose the statements from those answers would have chosen
 * the same ones, so the new transaction is the old one and the caller
 * goes on with it as if nothing had happened.  If an answer differs (a
 * session committed in between what the first run had read), the replay
 * stops and says where: that transaction cannot be repeated blindly, and
 * the run is to be re-run from its input, as any exit 75.
 *
 * What a statement answers must depend only on the data: no now(), no
 * random(), no sequence (none of the ledger's statements does).
 */
#ifndef PGREPLAY_H
#define PGREPLAY_H

#include <stddef.h>
#include <libpq-fe.h>

struct pgr_ent;

struct pgreplay {
	struct pgr_ent	*v;
	size_t		 n, cap;
	size_t		 bytes;		/* of parameters kept, for the cap */
	int		 full;		/* over PGR_MAXBYTES: no replay */
};

/*
 * A transaction keeps at most this much of parameters to replay: a
 * batch of meter-ingest or invoice-gen is a few MiB; a merge of the key
 * index can write hundreds, and is then not replayed (exit 75 as
 * before) rather than held in memory (bench-pg at 10M events: 256 MiB
 * here made a worker's peak 289 MiB).
 */
#define PGR_MAXBYTES	((size_t)32 << 20)

/* Forget every statement (a transaction begins or ends). */
void	pgr_clear(struct pgreplay *);
void	pgr_free(struct pgreplay *);
/*
 * Keep a statement and its answer r: a prepared statement's name with
 * its n parameters (as PQexecPrepared takes them; pv[i] NULL a NULL),
 * or, name NULL, the SQL text sql run by PQexec.  Its index, for
 * pgr_answer and pgr_exec; r NULL: sent in a pipeline, its answer to
 * come (pgr_answer).  Nothing is kept once the log is full.
 */
size_t	pgr_add(struct pgreplay *, const char *name, const char *sql, int n,
	    const char *const *pv, const int *len, const int *fmt,
	    const PGresult *r);
void	pgr_answer(struct pgreplay *, size_t, const PGresult *);
/*
 * Run the first upto kept statements again on c, in order, in the
 * transaction the caller has begun.  0: every answer the same.  -1:
 * statement *at failed, *fail its result (the caller's to clear).  1:
 * statement *at answered otherwise.
 */
int	pgr_replay(const struct pgreplay *, PGconn *, size_t upto, size_t *at,
	    PGresult **fail);
/* Run kept statement i (one whose answer did not come): its answer. */
PGresult *pgr_exec(const struct pgreplay *, PGconn *, size_t i);

#endif
