/*
 * entities.h: the legal entities that issue invoices (usage-to-cash(5),
 * "entities file"): name, address, tax id, functional currency, payment
 * terms and the number formats of their documents.
 *
 *   {"entities":[{"id":"acme-us","name":"Acme Cloud Inc.",
 *     "tax_id":"US98-7654321","country":"US","functional_currency":"USD",
 *     "payment_terms_days":30,"invoice_number_format":"AC-{yyyy}-{seq:6}"}]}
 */
#ifndef ENTITIES_H
#define ENTITIES_H

#include <stdint.h>
#include <jansson.h>

#include "hmap.h"
#include "tz.h"

enum doc_kind { DK_INVOICE, DK_CREDIT, DK_DEBIT };

struct entity {
	char		*id, *name, *tax_id, *country, *region, *timezone;
	const struct tz	*tz;		/* NULL: UTC */
	char		 currency[4];	/* functional */
	int64_t		 terms_days;
	char		*fmt[3];	/* number formats by enum doc_kind */
	json_t		*address;	/* NULL when not given */
	json_t		*obj;
};

struct entities {
	const char	*path;
	struct entity	*v;
	size_t		 n;
	struct hmap	 by_id;
	struct tz_set	 zones;
};

void	entities_load(struct entities *, const char *path);
void	entities_free(struct entities *);
const struct entity *entity_get(const struct entities *, const char *id);
const char	*doc_kind_name(enum doc_kind);
/* An electronic address, "SCHEME:ID" with a 4-digit EAS scheme code. */
int		 peppol_id(const char *);
/* An IBAN with its check digits right; a US routing number (ABA). */
int		 bank_iban_ok(const char *);
int		 bank_aba_ok(const char *);

/*
 * A document number from a format: {yyyy}, {yy} and {mm} of the issue
 * date and {seq} or {seq:N} (zero-padded to N digits).  The scope is the
 * number with its sequence left out: each scope counts from 1, so a
 * format with {yyyy} starts again each year.
 */
void	doc_number(const char *fmt, int64_t year, unsigned month, int64_t seq,
	    char *num, size_t nlen, char *scope, size_t slen);

#endif
