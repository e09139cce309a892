/*
 * units.h: the units a document states a line's quantity in, as UN/ECE
 * Recommendation 20 codes (UBL's unitCode, EN 16931 BT-130), with the
 * label text and HTML print after a quantity.  A pricing catalog's
 * charge names one with "unit_code" (usage-to-cash(5)); a line without
 * one is in C62, "one".  Only the codes of this table are accepted, all
 * of them in the Peppol code list.
 */
#ifndef UNITS_H
#define UNITS_H

#define UNIT_DEFAULT	"C62"

/* The label of a code ("" for C62, "GB" for E34), NULL when unknown. */
const char	*unit_label(const char *code);

/* The accepted codes, "C62, H87, ...", for an error message. */
const char	*unit_codes(void);

#endif
