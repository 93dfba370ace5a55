# ev: small, fast, honest C programs for eval-driven fine-tuning.
#
#   make              build every tool into bin/
#   make check        build and run the whole test suite (SAN=1: under ASan+UBSan;
#                     VALGRIND=1: the offline tools and unit tests under memcheck);
#                     it replays the fuzz corpus (tests/fuzz/corpus) through every target
#   make fuzz         build the libFuzzer targets of tests/fuzz with clang into bin/fuzz/
#                     and run each for FUZZ_SECONDS (default 60), one after the other;
#                     a crash fails it and leaves the input in bin/fuzz/
#   make demo         run the bundled example, offline
#   make lint         format check, -Werror build, banned functions, mandoc -Tlint
#   make bench        speed and memory ratios against a reference measured in the same run
#   make soak         the fault soak: 20,000 cases, every fault kind, a rate limit, three SIGKILLs
#   make deps         install the Debian packages ev needs (idempotent)
#   make install      PREFIX=/usr/local DESTDIR= ...

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/ev

CC      ?= cc
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wformat=2
CFLAGS  ?= -O2 -g
STD      = -std=c11 -D_GNU_SOURCE -DEV_DATADIR='"$(DATADIR)"'
# libc before libonig: Oniguruma exports regcomp, regexec, regfree and
# regerror, which would otherwise shadow the C library's POSIX regex.
LDLIBS   = -ljq -lm -lc -lonig

ifeq ($(SAN)$(VALGRIND),11)
$(error VALGRIND=1 checks the plain build: leave out SAN=1)
endif

ifeq ($(SAN),1)
O       := bin/san
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
O       := bin
endif

# Only the tools that talk HTTP link libcurl (ev-call and ev-tune also
# libcrypto, for the SHA-256 names of cache entries and states); only ev-mock
# links libmicrohttpd.
LIBS_ev-call = -lcurl -lcrypto
LIBS_ev-tune = -lcurl -lcrypto
LIBS_ev-mock = -lmicrohttpd
LIBS_unit_test_cache = -lcrypto
LIBS_unit_test_rest = -lcurl
LIBS_unit_test_http = -lcurl
LIBS_unit_test_call = -lcrypto
LIBS_unit_test_syncrun = -lcurl -lcrypto
LIBS_unit_test_batchrun = -lcurl -lcrypto
LIBS_unit_test_finetune = -lcurl -lcrypto
LIBS_unit_test_finetune_together = -lcurl -lcrypto
LIBS_unit_test_finetune_fireworks = -lcurl -lcrypto
LIBS_unit_test_deploy = -lcurl -lcrypto

TOOLS    := $(patsubst cmd/%.c,%,$(wildcard cmd/ev-*.c))
LIBSRC   := $(wildcard lib/*.c)
LIBOBJ   := $(patsubst %.c,$(O)/obj/%.o,$(LIBSRC))
UNITSRC  := $(wildcard tests/unit/*.c)
UNITS    := $(patsubst tests/unit/%.c,$(O)/unit/%,$(UNITSRC))
MANPAGES := $(wildcard man/*.1 man/*.7)
CSRC     := $(wildcard cmd/*.c lib/*.c lib/*.h mock/*.c mock/*.h tests/unit/*.c)

# mock/ is ev-mock's own library, libevmock.a, on top of libev.a. Only ev-mock
# links it, with the unit tests of its modules (tests/unit/test_STEM.c for
# mock/STEM.c) and the fuzz targets that read what ev-mock reads and writes.
# Code outside mock/ includes its headers as "mock/STEM.h".
MOCKSRC   := $(wildcard mock/*.c)
MOCKOBJ   := $(patsubst %.c,$(O)/obj/%.o,$(MOCKSRC))
MOCKUNITS := $(patsubst tests/unit/%.c,$(O)/unit/%,\
               $(filter $(patsubst mock/%.c,tests/unit/test_%.c,$(MOCKSRC)),$(UNITSRC)))
MOCKFUZZ  := headers mockwire mockproviders

# Fuzz targets: tests/fuzz/NAME.c, each defining LLVMFuzzerTestOneInput, and
# linked with tests/fuzz/jq16.c. 'make fuzz' builds them and the library with
# clang and libFuzzer into bin/fuzz/, whatever SAN says; the suite builds them
# with $(CC) and the replay driver (tests/fuzz/driver.c) into $(O)/replay/.
FUZZCC       ?= clang
FUZZCFLAGS   ?= -O1 -g
FUZZ_SECONDS ?= 60
FUZZSAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZDIR      := bin/fuzz
FUZZNAMES    := $(filter-out driver jq16,$(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c)))
FUZZERS      := $(addprefix $(FUZZDIR)/,$(FUZZNAMES))
REPLAYS      := $(addprefix $(O)/replay/,$(FUZZNAMES))
FUZZLIBOBJ   := $(patsubst %.c,$(FUZZDIR)/obj/%.o,$(LIBSRC))
FUZZMOCKOBJ  := $(patsubst %.c,$(FUZZDIR)/obj/%.o,$(MOCKSRC))
# The headers target reads HTTP-dates with curl_getdate, as lib/http.c does.
LIBS_fuzz_headers = -lcurl
LIBS_fuzz_finetunejobs = -lcurl -lcrypto

all: $(addprefix $(O)/,$(TOOLS))

$(O)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) -Ilib -I. -MMD -MP -c -o $@ $<

# The price table's installed path is compiled in: rebuild what uses it when
# DATADIR changes, as after 'make install PREFIX=...'.
$(O)/datadir: FORCE
	@mkdir -p $(@D)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@
$(O)/obj/lib/price.o: $(O)/datadir

# ev-view's page: lib/view.html with its style and script, made into the
# array ev_view_page (lib/view.h) by scripts/embed-page, in libev.a.
VIEWPAGE := lib/view.html lib/view.css lib/view.js
LIBOBJ   += $(O)/obj/gen/view_page.o

$(O)/gen/view_page.c: $(VIEWPAGE) scripts/embed-page
	@mkdir -p $(@D)
	scripts/embed-page $(VIEWPAGE) ev_view_page >$@.tmp
	mv $@.tmp $@

$(O)/obj/gen/view_page.o: $(O)/gen/view_page.c
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) -Ilib -c -o $@ $<

$(O)/libev.a: $(LIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/libevmock.a: $(MOCKOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/ev-%: $(O)/obj/cmd/ev-%.o $(O)/libev.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_ev-$*) $(LDLIBS)

$(O)/ev-mock: $(O)/obj/cmd/ev-mock.o $(O)/libevmock.a $(O)/libev.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_ev-mock) $(LDLIBS)

$(O)/unit/%: $(O)/obj/tests/unit/%.o $(O)/libev.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_unit_$*) $(LDLIBS)

$(MOCKUNITS): $(O)/unit/%: $(O)/obj/tests/unit/%.o $(O)/libevmock.a $(O)/libev.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_ev-mock) $(LDLIBS)

units: $(UNITS)

$(O)/replay/%: $(O)/obj/tests/fuzz/%.o $(O)/obj/tests/fuzz/driver.o $(O)/obj/tests/fuzz/jq16.o \
               $(O)/libev.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_fuzz_$*) $(LDLIBS)

$(addprefix $(O)/replay/,$(MOCKFUZZ)): $(O)/replay/%: $(O)/obj/tests/fuzz/%.o \
               $(O)/obj/tests/fuzz/driver.o $(O)/obj/tests/fuzz/jq16.o $(O)/libevmock.a $(O)/libev.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_fuzz_$*) $(LDLIBS)

replays: $(REPLAYS)

$(FUZZDIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZCC) $(STD) $(WARN) $(FUZZCFLAGS) $(FUZZSAN) -fsanitize=fuzzer-no-link -Ilib -I. -MMD -MP -c -o $@ $<

$(FUZZDIR)/libev.a: $(FUZZLIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZDIR)/libevmock.a: $(FUZZMOCKOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(filter-out $(addprefix $(FUZZDIR)/,$(MOCKFUZZ)),$(FUZZERS)): $(FUZZDIR)/%: \
                          $(FUZZDIR)/obj/tests/fuzz/%.o $(FUZZDIR)/obj/tests/fuzz/jq16.o \
                          $(FUZZDIR)/libev.a
	$(FUZZCC) $(FUZZSAN) -fsanitize=fuzzer -o $@ $^ $(LIBS_fuzz_$*) $(LDLIBS)

$(addprefix $(FUZZDIR)/,$(MOCKFUZZ)): $(FUZZDIR)/%: $(FUZZDIR)/obj/tests/fuzz/%.o \
                          $(FUZZDIR)/obj/tests/fuzz/jq16.o $(FUZZDIR)/libevmock.a $(FUZZDIR)/libev.a
	$(FUZZCC) $(FUZZSAN) -fsanitize=fuzzer -o $@ $^ $(LIBS_fuzz_$*) $(LDLIBS)

fuzzers: $(FUZZERS)

fuzz: deps
	$(MAKE) fuzzers
	scripts/fuzz $(FUZZ_SECONDS) $(FUZZNAMES)

check: deps
	$(MAKE) all units replays
	EV_BIN=$(abspath $(O)) VALGRIND=$(VALGRIND) tests/run

demo: deps
	$(MAKE) all
	EV_BIN=$(abspath $(O)) examples/demo.sh

bench: deps
	$(MAKE) all
	EV_BIN=$(abspath $(O)) scripts/bench

soak: deps
	$(MAKE) all
	EV_BIN=$(abspath $(O)) tests/soak

deps:
	scripts/deps

lint:
	scripts/lint

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	install -m 755 $(addprefix $(O)/,$(TOOLS)) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	$(if $(wildcard data/*),install -m 644 $(wildcard data/*) $(DESTDIR)$(DATADIR))

clean:
	rm -rf bin

.PHONY: all units replays fuzzers fuzz check demo bench soak deps lint install clean FORCE
.SECONDARY:

-include $(shell find bin -name '*.d' 2>/dev/null)
