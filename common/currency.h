/*
 * currency.h: ISO 4217 alphabetic codes and their minor units.
 */
#ifndef CURRENCY_H
#define CURRENCY_H

/*
 * Minor units (decimal places) of an ISO 4217 code: JPY 0, USD 2,
 * BHD 3, CLF 4.  -1 if the code is unknown, and also for the three
 * known codes for which ISO 4217 defines no minor unit (XDR, XSU, XUA:
 * "N.A." in the standard), so that -1 always means "cannot be billed
 * in minor units".  Codes are case-sensitive: "usd" is unknown.
 */
int	cur_minor(const char *);

/* 1 if code is a known active ISO 4217 code, else 0. */
int	cur_valid(const char *);

#endif
