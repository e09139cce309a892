# usage-to-cash toolchain
#
#   make            build bin/* (installs missing Debian packages first)
#   make check      build and run the whole test suite
#   make check-pg   the ledger tests on PostgreSQL only (LEDGER_ENGINE=pg)
#   make demo       build and run a generated month through every stage
#   make tour       every stage on the hand-written testdata/, record by record
#   make bench      every stage and the pipeline against the floor and peers
#   make bench-ingest / make bench-aggregate   one stage in depth
#   make check SANITIZE=1   the same under ASan+UBSan (CI does this too)
#   make fuzz       libFuzzer on each harness of tests/fuzz/ (FUZZ_TIME=60 s)
#   make valgrind   the whole suite with every binary under valgrind's
#                   memcheck: fails on any error or lost block (slow)
#   make crash-loop LOOPS=1000 SEED=1 [PG=DIR]   kill -9 the month at random (scripts/crash-loop)
#   make faults     fail every write and sync call of each stage in turn
#   make install PREFIX=/usr/local DESTDIR=...   binaries, man pages and
#                   $(PREFIX)/share/usage-to-cash/roles.sql

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
# sql/roles.sql, the roles of a ledger on PostgreSQL (usage-to-cash(5))
SHAREDIR ?= $(PREFIX)/share/usage-to-cash
CC	?= cc
CFLAGS	?= -O2 -g
VERSION	 = 0.1.0

# Warnings users' CFLAGS cannot drop; CI adds WERROR=1.
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
ifeq ($(SANITIZE),1)
SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BUILD	 = build/san
else
SAN	 =
BUILD	 = build/rel
endif

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	     -DVERSION='"$(VERSION)"' -Icommon $(PQ_CFLAGS) $(WARN) $(SAN) \
	     $(CFLAGS)
LIBS	 = -ljansson -lsqlite3 -lcsv -lsodium -lpthread -lm
# the PostgreSQL engine (common/ldg_pg.c): libpq, Debian's libpq-dev
PQ_CFLAGS != pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql
PQ_LIBS	  != pkg-config --libs libpq 2>/dev/null || echo -lpq
LIBS	+= $(PQ_LIBS)

COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:common/%.c=$(BUILD)/common/%.o)
CMDS	   = $(notdir $(basename $(wildcard cmd/*.c)))
UNIT_SRC   = $(wildcard tests/unit/*.c)
UNITS	   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# programs the bats tests use (tests/tools), beside the unit tests
TOOL_SRC   = $(wildcard tests/tools/*.c)
TOOLS	   = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)

ifeq ($(SANITIZE),1)
BINS	= $(CMDS:%=$(BUILD)/bin/%)
else
BINS	= $(CMDS:%=bin/%)
endif

.PHONY: all deps check unit demo tour bench bench-ingest bench-aggregate install uninstall clean
all: deps $(BINS) $(UNITS) $(TOOLS)

# Install the Debian packages we build against when they are missing.
deps:
	@sh scripts/deps

$(BUILD)/common/%.o: common/%.c common/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libcommon.a: $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $(COMMON_OBJ)

bin/%: cmd/%.c $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LIBS) $(LDFLAGS)

# erp-send alone speaks HTTP (common/erpc.c): it alone links libcurl
bin/erp-send $(BUILD)/bin/erp-send: LIBS += -lcurl

$(BUILD)/bin/%: cmd/%.c $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LIBS) $(LDFLAGS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LIBS) $(LDFLAGS)
$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LIBS) $(LDFLAGS)

# The test suite: C unit tests (with Python's decimal module as the money
# oracle) and bats tests that drive the real binaries on real SQLite files.
check: all
	BIN=$(abspath $(dir $(firstword $(BINS)))) UNITBIN=$(abspath $(BUILD)/tests) \
	    sh tests/run

# Only the engine-parametric ledger tests, on PostgreSQL (tests/pgcluster
# clusters); make check runs them too, when the server is installed.
.PHONY: check-pg
check-pg: all
	BIN=$(abspath $(dir $(firstword $(BINS)))) UNITBIN=$(abspath $(BUILD)/tests) \
	    LEDGER_ENGINE=pg LC_ALL=C TZ=UTC \
	    bats $$(grep -l '^	ledger_setup_file$$' tests/*.bats)

demo: all
	@sh scripts/demo

# The whole suite with every binary and unit test run under valgrind
# (scripts/valgrind): fails, printing the logs, on any memory error or
# definitely or indirectly lost block.  Not in CI: it is slow.
.PHONY: valgrind
valgrind: all
	BIN=$(abspath bin) UNITBIN=$(abspath build/rel/tests) sh scripts/valgrind

tour: all
	@sh scripts/tour

# every stage and the month-end pipeline on 1M and 10M events, and the
# aggregation against jq, miller, sqlite3, python3 and DuckDB (npm)
bench: all
	@sh scripts/deps bench
	python3 scripts/bench

bench-ingest: all
	python3 scripts/bench-ingest

# meter-aggregate against jq, miller, sqlite3, python3 and DuckDB (npm)
bench-aggregate: all
	@sh scripts/deps bench
	python3 scripts/bench-aggregate

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for b in $(CMDS); do install -m 755 bin/$$b $(DESTDIR)$(BINDIR)/; done
	for m in man/*.1; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in man/*.5; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man5/; done
	for m in man/*.7; do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7/; done
	mkdir -p $(DESTDIR)$(SHAREDIR)
	install -m 644 sql/roles.sql $(DESTDIR)$(SHAREDIR)/roles.sql

uninstall:
	for b in $(CMDS); do rm -f $(DESTDIR)$(BINDIR)/$$b; done
	for m in man/*.[157]; do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -f $(DESTDIR)$(SHAREDIR)/roles.sql
	rmdir $(DESTDIR)$(SHAREDIR) 2>/dev/null || true

clean:
	rm -rf build bin

# Reliability (issue 17): the crash loop and the fault sweep.
#   make crash-loop LOOPS=1000 SEED=1   the month with a stage killed at
#                       random, LOOPS times (scripts/crash-loop); with
#                       PG=DIR on a PostgreSQL ledger in the running
#                       cluster of tests/pgcluster in DIR
#   make faults         every write and sync call of every stage failed
#                       in turn: EIO, ENOSPC from then on, and a write
#                       cut short by a full disk (tests/fault/sweep)
# make check runs short versions (tests/1800-crash-loop.bats,
# tests/1810-faults.bats).  The shim is preloaded, not linked: no SAN.
FAULT_SO = $(BUILD)/fault.so
LOOPS	?= 1000
SEED	?= 1
PG	?=
.PHONY: crash-loop faults
all: $(FAULT_SO)

$(FAULT_SO): tests/fault/fault.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) $(CFLAGS) -shared -fPIC -o $@ tests/fault/fault.c -ldl

crash-loop: all
	scripts/crash-loop --loops $(LOOPS) --seed $(SEED) $(if $(PG),--pg $(PG)) \
	    --bin $(abspath $(dir $(firstword $(BINS)))) --so $(abspath $(FAULT_SO))

faults: all
	tests/fault/sweep --bin $(abspath $(dir $(firstword $(BINS)))) --so $(abspath $(FAULT_SO))
	tests/fault/sweep --bin $(abspath $(dir $(firstword $(BINS)))) --so $(abspath $(FAULT_SO)) \
	    --action enospc --sticky
	tests/fault/sweep --bin $(abspath $(dir $(firstword $(BINS)))) --so $(abspath $(FAULT_SO)) \
	    --action short

# Fuzzing (tests/fuzz/): one libFuzzer harness a reader of untrusted
# input.  `make check` replays each harness's seed corpus through a plain
# driver (tests/fuzz/replay.c; sanitized with SANITIZE=1); `make fuzz`
# builds them with clang and libFuzzer and runs each for FUZZ_TIME
# seconds on a copy of its corpus, findings in build/fuzz/work/.
# --wrap=exit: a configuration loader exits 78 by design (tests/fuzz/fuzz.h).
FUZZ_SRC    = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES  = $(notdir $(basename $(FUZZ_SRC)))
FUZZ_REPLAY = $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
FUZZ_LIB    = tests/fuzz/fuzz.c tests/fuzz/fuzz.h
FUZZ_LD     = -Wl,--wrap=exit
FUZZ_TIME  ?= 60
FUZZ_SAN    = -fsanitize=fuzzer-no-link,address,undefined \
	      -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: fuzz fuzz-bins
check: $(FUZZ_REPLAY)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(FUZZ_LIB) $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/replay.c \
	    tests/fuzz/fuzz.c $(BUILD)/libcommon.a $(LIBS) $(FUZZ_LD) $(LDFLAGS)

fuzz:
	@sh scripts/deps fuzz
	$(MAKE) CC=clang BUILD=build/fuzz SAN='$(FUZZ_SAN)' fuzz-bins
	sh tests/fuzz/session build/fuzz $(FUZZ_TIME) $(FUZZ_NAMES)

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/lf/%)

$(BUILD)/lf/%: tests/fuzz/%.c $(FUZZ_LIB) $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
	    tests/fuzz/fuzz.c $(BUILD)/libcommon.a $(LIBS) $(FUZZ_LD) $(LDFLAGS)
