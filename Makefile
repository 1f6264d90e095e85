# certdesk: a terminal workbench for a client-certificate authority.
# `make` builds ./certdesk, `make check` runs every test, `make demo` opens the dashboard
# on a demo home.  SANITIZE=1 builds and tests with AddressSanitizer + UBSan.

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man/man1
SHAREDIR  = $(PREFIX)/share/certdesk
COMPDIR   = $(PREFIX)/share/bash-completion/completions

PKGS      = ncursesw openssl sqlite3 libgit2 zlib
DEB_PKGS  = gcc make pkg-config libncurses-dev libssl-dev libsqlite3-dev libgit2-dev \
            libcunit1-dev zlib1g-dev openssl git tmux python3 easy-rsa mandoc sqlite3 faketime prometheus

CC       ?= cc
OPT      ?= -O2 -g
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(SANITIZE),1)
BUILD     = build/san
OPT       = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
BUILD     = build/rel
endif
# `make fuzz` builds the libFuzzer targets of tests/fuzz/ in a make of its own with FUZZ=1:
# every object with clang, coverage instrumentation and the sanitizers.
FUZZ_DEB_PKGS = clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60
ifeq ($(FUZZ),1)
BUILD     = build/fuzz
CC        = clang
OPT       = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=all
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libgit2 is loaded with dlopen() by the commands that publish (src/git2dl.c), not linked.
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libgit2,$(PKGS)) 2>/dev/null) -ldl
LIBGIT2_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libgit2 2>/dev/null)/libgit2.so" 2>/dev/null | awk '/SONAME/ { print $$2 }')
CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) -Isrc -Iui -I$(BUILD)/gen $(PKG_CFLAGS) \
             $(if $(LIBGIT2_SONAME),-DCD_LIBGIT2_SONAME='"$(LIBGIT2_SONAME)"') $(CFLAGS)
LDLIBS_ALL = $(OPT) $(PKG_LIBS) $(LDFLAGS)

CORE_SRC  = $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard ui/*.c)
CORE_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC)) $(BUILD)/gen/embed.o
MAIN_OBJ  = $(BUILD)/src/main.o
TEST_SRC  = $(wildcard tests/test_*.c)
TEST_BIN  = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TESTLIB   = $(BUILD)/tests/testlib.o
BIN       = $(BUILD)/certdesk

.PHONY: all build deps check run-tests demo clean install uninstall bench screenshots \
        fuzz fuzz-deps fuzz-build fuzz-run
# Objects are intermediate files of the test programs too: keep them.
.SECONDARY:

# The entry points install what is missing first, then build in a fresh make, whose
# pkg-config flags are read after the packages are there.
all: deps
	@$(MAKE) --no-print-directory build

build: $(BIN) certdesk

# Installs the Debian packages the build and the tests need when run as root;
# otherwise names the one command that would.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || printf '%s ' $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing build dependencies; run:"; \
	    echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

certdesk: $(BIN)
	@if [ "$(SANITIZE)" != 1 ]; then cp $(BIN) certdesk; fi

$(BIN): $(MAIN_OBJ) $(CORE_OBJ)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/%.o: %.c $(wildcard src/*.h ui/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/gen/embed.c: data/embed.sh data/schema.sql $(wildcard data/templates/*)
	@mkdir -p $(dir $@)
	sh data/embed.sh cd_templates $(sort $(wildcard data/templates/*)) -- cd_schema data/schema.sql > $@

$(BUILD)/gen/git2dl-funcs.h: data/git2dl.sh src/crlrepo.c
	@mkdir -p $(dir $@)
	sh data/git2dl.sh src/crlrepo.c > $@

$(BUILD)/src/crlrepo.o $(BUILD)/src/git2dl.o: $(BUILD)/gen/git2dl-funcs.h

$(BUILD)/gen/embed.o: $(BUILD)/gen/embed.c src/embed.h
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tests/test_%: tests/test_%.c $(TESTLIB) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $^ $(LDLIBS_ALL) -lcunit

# Every CUnit program and every tests/*.sh script; each prints its own summary.
check: deps
	@$(MAKE) --no-print-directory run-tests

run-tests: $(BIN) $(TEST_BIN)
	@CERTDESK_BIN=$(abspath $(BIN)) BUILD=$(BUILD) sh tests/run-all.sh $(TEST_BIN)
	@mandoc -Tlint -Wwarning certdesk.1 && echo "man page: 1 passed, 0 failed"

# Each libFuzzer target for FUZZ_SECONDS (tests/fuzz/README); fails on any crash.
fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-run

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(FUZZ_DEB_PKGS)"

FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_OBJ  = $(patsubst %.c,build/fuzz/%.o,$(FUZZ_SRC) tests/fuzz/fuzzlib.c)

ifeq ($(FUZZ),1)
fuzz-build: $(FUZZ_BIN)

fuzz-run: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

$(FUZZ_OBJ): $(wildcard tests/fuzz/*.h)

build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o build/fuzz/tests/fuzz/fuzzlib.o $(CORE_OBJ)
	$(CC) -fsanitize=fuzzer $(OPT) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)
else
fuzz-build fuzz-run:
	@$(MAKE) --no-print-directory FUZZ=1 $@
endif

demo: all
	@sh data/demo.sh ./certdesk demo

# Every benchmark in turn (several minutes; builds large data sets under $TMPDIR once).
# Figures, machine and date go into bench/README.md by hand.
bench: all
	@for s in bench/*.sh; do echo "== $$s"; sh $$s || exit 1; done

# PNGs of the dashboard on the demo data, for the README. Not part of CI.
screenshots: all
	sh screenshots/make.sh ./certdesk

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(SHAREDIR)/templates \
	  $(DESTDIR)$(SHAREDIR)/examples $(DESTDIR)$(COMPDIR)
	install -m 755 certdesk $(DESTDIR)$(BINDIR)/certdesk
	install -m 644 certdesk.1 $(DESTDIR)$(MANDIR)/certdesk.1
	install -m 644 data/templates/* $(DESTDIR)$(SHAREDIR)/templates/
	install -m 644 data/certdesk.cron $(DESTDIR)$(SHAREDIR)/examples/certdesk.cron
	install -m 644 data/certdesk.bash $(DESTDIR)$(COMPDIR)/certdesk

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/certdesk $(DESTDIR)$(MANDIR)/certdesk.1 $(DESTDIR)$(COMPDIR)/certdesk
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build certdesk tests/out
