# certdesk: a terminal workbench for a client-certificate authority.
# `make` builds ./certdesk, `make check` runs every test, `make demo` opens the dashboard
# on a demo home, `make deb` builds the Debian package into build/deb/.
# SANITIZE=1 builds and tests with AddressSanitizer + UBSan.

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man/man1
SHAREDIR  = $(PREFIX)/share/certdesk
COMPDIR   = $(PREFIX)/share/bash-completion/completions
LIBEXECDIR = $(PREFIX)/libexec/certdesk
# systemd reads /usr/local/lib/systemd/system too; the Debian package passes /lib/...
UNITDIR  ?= $(PREFIX)/lib/systemd/system
UNITS     = $(wildcard data/systemd/*.service data/systemd/*.timer)

PKGS      = ncursesw openssl sqlite3 libgit2 zlib
# What `make` needs, and what `make check` adds (tests/deb.sh builds and lints the package).
BUILD_DEB_PKGS = gcc make pkg-config libncurses-dev libssl-dev libsqlite3-dev libgit2-dev \
            zlib1g-dev libp11-kit-dev
DEB_TOOL_PKGS  = build-essential dpkg-dev debhelper fakeroot
TEST_DEB_PKGS  = libcunit1-dev openssl git tmux python3 easy-rsa mandoc sqlite3 faketime \
            $(DEB_TOOL_PKGS) lintian systemd man-db adduser prometheus \
            nginx-light apache2 curl \
            softhsm2 opensc libengine-pkcs11-openssl p11-kit
DEB_PKGS  = $(BUILD_DEB_PKGS) $(TEST_DEB_PKGS)

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
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libgit2,$(PKGS)) 2>/dev/null) -ldl -pthread
LIBGIT2_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libgit2 2>/dev/null)/libgit2.so" 2>/dev/null | awk '/SONAME/ { print $$2 }')
CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) -Isrc -Iui -I$(BUILD)/gen $(PKG_CFLAGS) \
             $(if $(LIBGIT2_SONAME),-DCD_LIBGIT2_SONAME='"$(LIBGIT2_SONAME)"') $(CPPFLAGS) $(CFLAGS)
LDLIBS_ALL = $(OPT) $(PKG_LIBS) $(LDFLAGS)
# The CA key on a token (src/token*.c): the PKCS#11 header of p11-kit, its proxy module
# and libp11's engine directory, found where this system keeps them (both dlopen()ed).
P11_PROXY  := $(shell pkg-config --variable=proxy_module p11-kit-1 2>/dev/null)
ENGINES_DIR := $(shell pkg-config --variable=enginesdir libcrypto 2>/dev/null)
CFLAGS_ALL += $(shell pkg-config --cflags p11-kit-1 2>/dev/null) \
              $(if $(P11_PROXY),-DCD_P11_PROXY='"$(P11_PROXY)"') \
              $(if $(ENGINES_DIR),-DCD_ENGINES_DIR='"$(ENGINES_DIR)"')

CORE_SRC  = $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard ui/*.c)
CORE_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC)) $(BUILD)/gen/embed.o
MAIN_OBJ  = $(BUILD)/src/main.o
TEST_SRC  = $(wildcard tests/test_*.c)
TEST_BIN  = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TESTLIB   = $(BUILD)/tests/testlib.o
BIN       = $(BUILD)/certdesk

.PHONY: all build deps deps-build deb print-libgit2-soname check run-tests demo clean bench-tools \
        install uninstall bench screenshots fuzz fuzz-deps fuzz-build fuzz-run
# Objects are intermediate files of the test programs too: keep them.
.SECONDARY:

# The entry points install what is missing first, then build in a fresh make, whose
# pkg-config flags are read after the packages are there. `make` and `make install` need
# the build packages only; `make check` the test ones too.
all: deps-build
	@$(MAKE) --no-print-directory build

build: $(BIN) certdesk

deps-build:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(BUILD_DEB_PKGS)"

# Installs the Debian packages in DEB_PKGS (the build's and the tests') when run as root,
# saying how many with their dependencies and showing each as apt sets it up; otherwise
# names the one command that would.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || printf '%s ' $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq || exit 1; \
	    total=$$(apt-get install -s $$missing 2>/dev/null | grep -c '^Inst '); \
	    echo "installing $$(echo $$missing | wc -w) packages, $$total with their dependencies (a minute or two): $$missing"; \
	    log=$$(mktemp); \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 $$missing 2>&1; \
	      echo $$? >$$log.rc; } | tee $$log | \
	      awk -v n=$$total '/^Setting up /{ printf "  [%d/%d] %s\n", ++i, n, $$3; fflush() }'; \
	    rc=$$(cat $$log.rc); [ "$$rc" = 0 ] || tail -n 20 $$log; rm -f $$log $$log.rc; exit $$rc; \
	  else \
	    echo "missing packages; run:"; \
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

# The benchmarks' own programs, built as the rest: the project's flags, warnings as errors.
BENCH_BIN = $(BUILD)/bench/seen_bench $(BUILD)/bench/gen-home
bench-tools: $(BENCH_BIN)
$(BUILD)/bench/%: bench/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(CORE_OBJ) $(LDLIBS_ALL)

# PNGs of the dashboard on the demo data, for the README. Not part of CI.
screenshots: all
	sh screenshots/make.sh ./certdesk

# The systemd units name the Debian paths (/usr/bin, /usr/libexec): another PREFIX is
# written into the installed copies. They are installed disabled: nothing enables them.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(SHAREDIR)/templates \
	  $(DESTDIR)$(SHAREDIR)/examples $(DESTDIR)$(COMPDIR) $(DESTDIR)$(LIBEXECDIR) \
	  $(DESTDIR)$(UNITDIR)
	install -m 755 certdesk $(DESTDIR)$(BINDIR)/certdesk
	install -m 644 certdesk.1 $(DESTDIR)$(MANDIR)/certdesk.1
	install -m 644 data/templates/* $(DESTDIR)$(SHAREDIR)/templates/
	install -m 644 data/certdesk.cron $(DESTDIR)$(SHAREDIR)/examples/certdesk.cron
	install -m 644 data/systemd/certdesk.default $(DESTDIR)$(SHAREDIR)/examples/certdesk.default
	install -m 644 data/certdesk.bash $(DESTDIR)$(COMPDIR)/certdesk
	install -m 755 data/systemd/certdesk-mail $(DESTDIR)$(LIBEXECDIR)/certdesk-mail
	for u in $(notdir $(UNITS)); do \
	  sed -e 's|/usr/bin/certdesk|$(BINDIR)/certdesk|g' -e 's|/usr/libexec/certdesk/|$(LIBEXECDIR)/|g' \
	    data/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

# The libgit2 that the binary will dlopen(), for the Debian package's Depends.
print-libgit2-soname:
	@echo $(LIBGIT2_SONAME) $$(pkg-config --variable=libdir libgit2)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/certdesk $(DESTDIR)$(MANDIR)/certdesk.1 $(DESTDIR)$(COMPDIR)/certdesk
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(LIBEXECDIR)

# The Debian package, built from a copy of the tree (dpkg-buildpackage writes beside the
# source and cleans it first); the .deb, .buildinfo and .changes land in build/deb/.
DEB_DIR = build/deb
deb:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(BUILD_DEB_PKGS) $(DEB_TOOL_PKGS)"
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/certdesk
	tar -cf - --exclude=./build --exclude=./.git --exclude=./demo --exclude=./certdesk . | \
	  tar -xf - -C $(DEB_DIR)/src/certdesk
	cd $(DEB_DIR)/src/certdesk && dpkg-buildpackage -us -uc -b
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/src/*.changes $(DEB_DIR)/
	rm -rf $(DEB_DIR)/src
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf build certdesk tests/out
