/*
 * opt.c: the option table walked with getopt_long.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "util.h"

#define OPT_MAX		64

static void
value(const struct opt *o, const char *arg)
{
	char name[80];

	snprintf(name, sizeof(name), "--%s", o->name);
	switch (o->type) {
	case OPT_FLAG:
		*(int *)o->dst = o->max != 0 ? (int)o->max : 1;
		break;
	case OPT_STR:
		*(const char **)o->dst = arg;
		break;
	case OPT_TIME:
		*(int64_t *)o->dst = cli_time(name, arg);
		break;
	case OPT_DUR:
		*(int64_t *)o->dst = cli_dur(name, arg);
		break;
	case OPT_INT:
		*(int *)o->dst = (int)cli_num(name, arg, o->min, o->max);
		break;
	case OPT_LONG:
		*(long *)o->dst = cli_num(name, arg, o->min, o->max);
		break;
	case OPT_I64:
		*(int64_t *)o->dst = cli_num(name, arg, o->min, o->max);
		break;
	case OPT_SIZE:
		*(size_t *)o->dst = (size_t)cli_num(name, arg, o->min, o->max);
		break;
	case OPT_CALL:
		o->call(o->dst, arg);
		break;
	}
	if (o->given != NULL)
		*o->given = 1;
}

static void
dflt(const struct opt *o)
{
	switch (o->type) {
	case OPT_FLAG:
	case OPT_INT:
		*(int *)o->dst = (int)o->dflt;
		break;
	case OPT_LONG:
		*(long *)o->dst = (long)o->dflt;
		break;
	case OPT_SIZE:
		*(size_t *)o->dst = (size_t)o->dflt;
		break;
	case OPT_TIME:
	case OPT_DUR:
	case OPT_I64:
		*(int64_t *)o->dst = o->dflt;
		break;
	case OPT_STR:
	case OPT_CALL:
		break;
	}
}

int
opt_parse(int argc, char **argv, const struct opt *tab, void (*usage)(int))
{
	struct option lo[OPT_MAX + 3];
	char so[2 * OPT_MAX + 2], *sp = so;
	size_t i, n;
	int ch, idx;

	cli_init(usage);
	for (n = 0; tab[n].name != NULL; n++)
		if (tab[n].has_dflt)
			dflt(&tab[n]);
	*sp++ = 'h';
	for (n = 0; tab[n].name != NULL; n++) {
		int arg = tab[n].type == OPT_CALL ? tab[n].arg :
		    tab[n].type != OPT_FLAG;

		if (n == OPT_MAX)
			die(EX_SOFTWARE, "opt_parse: more than %d options",
			    OPT_MAX);
		lo[n].name = tab[n].name;
		lo[n].has_arg = arg ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = 256 + (int)n;
		if (tab[n].letter != 0) {
			*sp++ = (char)tab[n].letter;
			if (arg)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ "version", no_argument, NULL,
	    256 + OPT_MAX };
	lo[n + 2] = (struct option){ NULL, 0, NULL, 0 };
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (ch == 'h')
			usage(0);
		if (ch == 256 + OPT_MAX) {
			printf("%s %s\n", progname, VERSION);
			exit(0);
		}
		idx = -1;
		if (ch >= 256 && ch < 256 + (int)n)
			idx = ch - 256;
		else
			for (i = 0; i < n && idx < 0; i++)
				if (tab[i].letter == ch)
					idx = (int)i;
		if (idx < 0)
			usage(EX_USAGE);
		value(&tab[idx], optarg);
	}
	return optind;
}
