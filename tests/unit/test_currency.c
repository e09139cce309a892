/*
 * test_currency.c: the ISO 4217 table in common/currency.c, as TAP.
 *
 * The list below is a second copy of the table (code and minor units,
 * "-" for ISO's "N.A.").  Looking every entry up catches a typo in
 * either copy and an unsorted table, which bsearch would miss silently.
 */
#include <stdio.h>
#include <string.h>

#include "currency.h"

static const char all[] =
	"AED2 AFN2 ALL2 AMD2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 "
	"BBD2 BDT2 BGN2 BHD3 BIF0 BMD2 BND2 BOB2 BOV2 BRL2 "
	"BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 CHE2 CHF2 CHW2 "
	"CLF4 CLP0 CNY2 COP2 COU2 CRC2 CUP2 CVE2 CZK2 DJF0 "
	"DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 "
	"GEL2 GHS2 GIP2 GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2 "
	"HUF2 IDR2 ILS2 INR2 IQD3 IRR2 ISK0 JMD2 JOD3 JPY0 "
	"KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 KYD2 KZT2 LAK2 "
	"LBP2 LKR2 LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 "
	"MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2 MXV2 MYR2 MZN2 "
	"NAD2 NGN2 NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 "
	"PHP2 PKR2 PLN2 PYG0 QAR2 RON2 RSD2 RUB2 RWF0 SAR2 "
	"SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 SOS2 SRD2 SSP2 "
	"STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 TND3 TOP2 TRY2 "
	"TTD2 TWD2 TZS2 UAH2 UGX0 USD2 USN2 UYI0 UYU2 UYW4 "
	"UZS2 VED2 VES2 VND0 VUV0 WST2 XAF0 XCD2 XCG2 XDR- "
	"XOF0 XPF0 XSU- XUA- YER2 ZAR2 ZMW2 ZWG2 ";

static int ntest, nfail;

static void
ok(int cond, const char *what, const char *code)
{
	ntest++;
	if (!cond)
		nfail++;
	printf("%s %d - %s %s\n", cond ? "ok" : "not ok", ntest, what,
	    code ? code : "(null)");
}

int
main(void)
{
	const char *p;
	char code[4];
	int minor, n;
	static const char *const unknown[] = {
		"usd", "Usd", "US", "USDX", "", " USD", "USD ", "XAU", "XAG",
		"XPT", "XPD", "XTS", "XXX", "XBA", "ZWL", "ANG", "HRK", "BTC",
		"AAA", "ZZZ", "ZWH",
	};
	size_t i;

	/* Every listed code, with its minor units, in one test each. */
	n = 0;
	for (p = all; *p != '\0'; p += 5) {
		memcpy(code, p, 3);
		code[3] = '\0';
		minor = p[3] == '-' ? -1 : p[3] - '0';
		ok(cur_valid(code) == 1 && cur_minor(code) == minor,
		    "known", code);
		n++;
	}
	ok(n == 168, "count of listed codes", "168");

	ok(cur_minor("JPY") == 0, "minor units 0", "JPY");
	ok(cur_minor("USD") == 2, "minor units 2", "USD");
	ok(cur_minor("BHD") == 3, "minor units 3", "BHD");
	ok(cur_minor("CLF") == 4, "minor units 4", "CLF");
	ok(cur_minor("UYW") == 4, "minor units 4", "UYW");
	ok(cur_valid("XDR") && cur_minor("XDR") == -1,
	    "valid without minor units", "XDR");

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		ok(!cur_valid(unknown[i]) && cur_minor(unknown[i]) == -1,
		    "unknown", unknown[i]);
	ok(!cur_valid(NULL) && cur_minor(NULL) == -1, "unknown", NULL);

	printf("1..%d\n", ntest);
	return nfail != 0;
}
