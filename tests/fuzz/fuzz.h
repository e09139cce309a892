/*
 * fuzz.h: what the fuzz harnesses of tests/fuzz/ share.
 *
 * A harness is one LLVMFuzzerTestOneInput() over one reader of untrusted
 * input.  It is linked two ways: with libFuzzer (clang, `make fuzz`),
 * and with replay.c (any compiler, `make check`), which calls it on each
 * file of the seed corpus.  Both links pass -Wl,--wrap=exit (see
 * fz_trap).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The input as a file, for the readers that take a path: one temporary
 * file a process (removed at exit), rewritten with each input, named
 * with the suffix given ("" for none; the customer master tells CSV
 * from NDJSON by it).  The path stays valid until the next call.
 */
const char	*fz_file(const uint8_t *, size_t, const char *suffix);

/*
 * Run fn(arg) where the configuration loaders may die(): they report
 * every problem, then exit 78 by design (the stage cannot run without
 * its configuration), so a harness traps the exit.  Returns 0 when fn
 * returned, else the exit status it died with.  Under a sanitizer what
 * the interrupted loader had allocated is freed, so that a refused
 * file is no leak (a leak of a loader that returns is still found).
 */
int	fz_trap(void (*fn)(void *), void *arg);

/* A broken invariant: say which and abort, which the fuzzer records. */
_Noreturn void	fz_fail(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
