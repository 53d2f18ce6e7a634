# gdx - one non-recursive Makefile. All output under build/ (build/san/ with SANITIZE).
#
#   make            build build/gdx
#   make test       unit + connector + process-level tests (TAP via prove)
#   make test SANITIZE=address,undefined
#   make demo       the whole city: 112 connectors and the uplink under gdx supervise, two
#                   embedded clusters, a simulated day in about a minute (KEEP=1: stay up)
#   make demo-small three connectors on an embedded broker, and what arrived
#   make bench      throughput and memory beside raw librdkafka baselines
#   make fuzz       run each libFuzzer harness of tests/fuzz/ for FUZZ_SECONDS (clang)
#   make test-valgrind   the unit tests and the fuzz corpora under valgrind
#   make deps       install the Debian packages (as root)
#   make install    PREFIX=/usr/local DESTDIR= (binary, man pages, systemd units, /etc/gdx)
#   make man        the man pages, from each command's option table (build/man/)
#   make broker-config   regenerate broker-config/topics.yaml and acls.yaml from the inventory
#   make test-deb   build the Debian package, install it, run it, remove it (as root)
#   V=1             show full commands

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/gdx
# host configuration stays in /etc whatever the prefix (FHS); the binary looks there
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/gdx
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SANITIZE ?=
# named fault points (lib/gdx_fault.h) for the tests; FAULTS=0 for a release build
FAULTS ?= 1
WERROR ?= $(if $(CI),1,1)

ifeq ($(SANITIZE),)
B := build
else
B := build/san
endif

CC ?= cc
PKGS := rdkafka avro-c yaml-0.1 libcrypto jansson libcurl libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wimplicit-fallthrough -Wpointer-arith -Wcast-qual -Wundef -Wno-unused-parameter \
	-Wno-format-nonliteral
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
OPT ?= -O2 -g
CFLAGS_ALL := -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(if $(filter 1,$(WERROR)),-Werror) $(HARDEN) \
	-Ilib -I$(B)/gen $(PKG_CFLAGS) -DGDX_TEST_BUILD=$(FAULTS) \
	-DGDX_DEPLOY_DEFAULT='"$(SYSCONFDIR)/gdx/deployment.yaml"' $(CFLAGS)
LDFLAGS_ALL := -pie -Wl,-z,relro,-z,now $(LDFLAGS)
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_ALL += -fsanitize=$(SANITIZE)
# _FORTIFY_SOURCE and ASan disagree about some libc wrappers
HARDEN := -fstack-protector-strong -fPIE
endif
LIBS := $(PKG_LIBS) -lm -lpthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---------------------------------------------------------------------------------------
# Debian packages. `make deps` installs them; demo and test check first.
DEB_BUILD := build-essential pkg-config librdkafka-dev libavro-dev libyaml-dev libssl-dev \
	libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev openssl
# chromium renders the supervisor's status page in tests (tests/it/0540; python3-yaml reads
# the inventory there); the font gives its Chinese labels glyphs in the screenshot; kafkacat
# and time are the bench's peers and meter
DEB_TEST := perl python3 python3-avro python3-confluent-kafka python3-yaml procps curl \
	chromium fonts-wqy-microhei kafkacat time systemd groff-base
# make test-deb: the Debian package build
DEB_PACKAGE := debhelper dpkg-dev fakeroot adduser
# make fuzz (clang's libFuzzer runtime) and make test-valgrind
DEB_HARDEN := clang libclang-rt-14-dev valgrind
# connector.mk fragments add their own packages to DEB_EXTRA (expanded lazily)
DEB_PKGS = $(DEB_BUILD) $(DEB_TEST) $(DEB_PACKAGE) $(DEB_HARDEN) $(DEB_EXTRA)

# ---------------------------------------------------------------------------------------
# Sources
LIB_SRCS := $(sort $(wildcard lib/*.c))
BIN_SRCS := $(sort $(wildcard bin/*.c))

CONNECTOR_NAMES :=
CONNECTOR_SRCS :=
CONNECTOR_LIBS :=
DEB_EXTRA :=
include $(sort $(wildcard connectors/*/connector.mk))

LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o) $(B)/gen/supervise_page.o
BIN_OBJS := $(BIN_SRCS:%.c=$(B)/%.o)
CONN_OBJS := $(CONNECTOR_SRCS:%.c=$(B)/%.o) $(B)/gen/connectors.o
LIBS += $(CONNECTOR_LIBS)

UNIT_SRCS := $(sort $(wildcard tests/unit/t-*.c) $(wildcard tests/connectors/t-*.c))
UNIT_BINS := $(patsubst tests/%.c,$(B)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOL_SRCS))
IT_TESTS := $(sort $(wildcard tests/it/[0-7]*.sh))
IT_LONG := $(sort $(wildcard tests/it/8*.sh))

ALL_OBJS := $(LIB_OBJS) $(BIN_OBJS) $(CONN_OBJS)

.PHONY: all test test-unit test-it test-long demo demo-small bench install install-files clean deps \
	deps-check format lint man units broker-config test-deb fuzz fuzz-build fuzz-engines \
	test-valgrind

all: $(B)/gdx

# Objects are rebuilt when flags change: the flags live in a file they depend on.
$(B)/.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) $(LIBS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) $(LIBS)' > $@
FORCE:

$(B)/%.o: %.c $(B)/.flags
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

# The connector table, generated from connectors/*/connector.mk: visible and grep-able.
$(B)/gen/connectors.c: $(wildcard connectors/*/connector.mk) Makefile
	@mkdir -p $(@D)
	@$(if $(Q),echo '  GEN     $@')
	$(Q){ echo '/* generated by the Makefile from the connector.mk fragments under connectors */'; \
	  echo '#include <string.h>'; echo '#include "gdx.h"'; \
	  for c in $(CONNECTOR_NAMES); do echo "extern const struct gdx_connector gdx_connector_$$c;"; done; \
	  echo 'const struct gdx_connector *const gdx_connectors[] = {'; \
	  for c in $(CONNECTOR_NAMES); do echo "    &gdx_connector_$$c,"; done; \
	  echo '    NULL,'; echo '};'; \
	  echo 'const struct gdx_connector *gdx_connector_find(const char *name)'; echo '{'; \
	  echo '    for (size_t i = 0; gdx_connectors[i]; i++) {'; \
	  echo '        if (strcmp(gdx_connectors[i]->name, name) == 0) {'; \
	  echo '            return gdx_connectors[i];'; echo '        }'; echo '    }'; \
	  echo '    return NULL;'; echo '}'; } > $@.tmp && mv $@.tmp $@

$(B)/gen/connectors.o: $(B)/gen/connectors.c $(B)/.flags
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

# The supervisor's status page, one self-contained HTML file, embedded as a byte array.
$(B)/gen/supervise_page.c: lib/gdx_supervise.html Makefile
	@mkdir -p $(@D)
	@$(if $(Q),echo '  GEN     $@')
	$(Q){ echo '/* generated by the Makefile from lib/gdx_supervise.html */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const unsigned char gdx_supervise_page[];'; \
	  echo 'extern const size_t gdx_supervise_page_len;'; \
	  echo 'const unsigned char gdx_supervise_page[] = {'; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00};'; \
	  echo 'const size_t gdx_supervise_page_len = sizeof(gdx_supervise_page) - 1;'; \
	} > $@.tmp && mv $@.tmp $@

$(B)/gen/supervise_page.o: $(B)/gen/supervise_page.c $(B)/.flags
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/libgdx.a: $(LIB_OBJS)
	@$(if $(Q),echo '  AR      $@')
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libgdx-connectors.a: $(CONN_OBJS)
	@$(if $(Q),echo '  AR      $@')
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/gdx: $(BIN_OBJS) $(B)/libgdx-connectors.a $(B)/libgdx.a
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $(BIN_OBJS) -Wl,--start-group \
		$(B)/libgdx-connectors.a $(B)/libgdx.a -Wl,--end-group $(LIBS)

$(B)/tests/%: tests/%.c tests/tap.h $(B)/libgdx-connectors.a $(B)/libgdx.a $(B)/.flags
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group \
		$(B)/libgdx-connectors.a $(B)/libgdx.a -Wl,--end-group $(LIBS)

$(B)/tools/%: tests/tools/%.c $(B)/libgdx.a $(B)/.flags
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS_ALL) -o $@ $< $(B)/libgdx.a $(LIBS)

# Fuzz harnesses (tests/fuzz/fuzz-<name>.c; docs/hardening.md). Each is linked twice: with
# tests/fuzz/replay.c, a plain main() that replays the corpus files (make test, any compiler),
# and with libFuzzer under clang (make fuzz, in build/lf).
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz-%.c,%,$(FUZZ_SRCS))
FUZZ_COMMON := tests/fuzz/common.c tests/fuzz/rowcheck.c tests/fuzz/jtree.c tests/fuzz/fakert.c
FUZZ_DEPS := $(FUZZ_COMMON) $(wildcard tests/fuzz/*.h) $(B)/libgdx-connectors.a $(B)/libgdx.a \
	$(B)/.flags
FUZZ_CFLAGS := -Itests/fuzz -Iconnectors/file
FUZZ_REPLAY_BINS := $(FUZZ_NAMES:%=$(B)/fuzz/replay/%)
FUZZ_SECONDS ?= 60
FUZZ_LF := build/lf

$(B)/fuzz/replay/%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(CFLAGS_ALL) $(FUZZ_CFLAGS) $(LDFLAGS_ALL) -o $@ $< tests/fuzz/replay.c \
		$(FUZZ_COMMON) -Wl,--start-group $(B)/libgdx-connectors.a $(B)/libgdx.a -Wl,--end-group \
		$(LIBS)

$(B)/fuzz/lf/%: tests/fuzz/fuzz-%.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo '  CC      $< (libFuzzer)')
	$(Q)$(CC) $(CFLAGS_ALL) $(FUZZ_CFLAGS) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_COMMON) -Wl,--start-group $(B)/libgdx-connectors.a $(B)/libgdx.a -Wl,--end-group \
		$(LIBS)

-include $(ALL_OBJS:.o=.d)

# ---------------------------------------------------------------------------------------
# Dependencies
deps:
	apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PKGS)

deps-check:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
	    missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing missing Debian packages:$$missing"; \
	    apt-get update -qq || true; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing \
	      || exit 1; \
	  else \
	    echo "missing Debian packages; run as root:"; \
	    echo "  apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# ---------------------------------------------------------------------------------------
# Tests
PROVE ?= prove
# make test and make test-it run this many test files at a time: most of a test's time is
# spent waiting (timeouts, back-offs, a peer's restart), so two halve the wall time on 2
# cores; every test has its own cluster, ports, servers and temporary directory.
# TEST_JOBS=1 runs them one by one.
TEST_JOBS ?= 2
ifneq ($(SANITIZE),)
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1:strict_string_checks=0
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/sanitizers.supp:print_suppressions=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
endif
test: deps-check
	@$(MAKE) --no-print-directory all tests-build
	@GDX_BUILD=$(CURDIR)/$(B) $(PROVE) -j$(TEST_JOBS) -f $(UNIT_BINS) $(IT_TESTS)

tests-build: $(UNIT_BINS) $(TOOL_BINS) $(FUZZ_REPLAY_BINS) $(B)/gdx

test-unit: tests-build
	@GDX_BUILD=$(CURDIR)/$(B) $(PROVE) -f $(UNIT_BINS)

test-it: tests-build
	@GDX_BUILD=$(CURDIR)/$(B) $(PROVE) -j$(TEST_JOBS) -f $(IT_TESTS)

test-long: deps-check
	@$(MAKE) --no-print-directory all tests-build
	@GDX_BUILD=$(CURDIR)/$(B) $(PROVE) -f $(IT_LONG)

# libFuzzer needs clang: the whole library is built again in $(FUZZ_LF) with coverage
# instrumentation and ASan+UBSan (warnings are not errors there: they are gcc's to enforce).
fuzz-build: deps-check
	@$(MAKE) --no-print-directory CC=clang SANITIZE=fuzzer-no-link,address,undefined \
		B=$(FUZZ_LF) WERROR=0 fuzz-engines

fuzz-engines: $(FUZZ_NAMES:%=$(B)/fuzz/lf/%)

# make fuzz [FUZZ_SECONDS=60] [FUZZ_ONLY="csv jsonl"]: each harness in turn, a summary line
# per harness (executions, coverage, crashes); fails if any harness found a crash.
fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_LF) $(FUZZ_SECONDS) $(or $(FUZZ_ONLY),$(FUZZ_NAMES))

# The unit tests and every fuzz corpus under valgrind (memcheck): errors and definite leaks
# fail. A plain build (valgrind and ASan do not mix).
test-valgrind: deps-check
	@$(MAKE) --no-print-directory all tests-build
	@GDX_BUILD=$(CURDIR)/$(B) VALGRIND=1 $(PROVE) -f tests/valgrind.sh tests/it/0900-fuzz-corpus.sh

# make demo [KEEP=1] [DEMO_DURATION=60s] [DEMO_SPEED=1440]: examples/city-demo.sh
DEMO_DURATION ?= 60s
DEMO_SPEED ?= 1440
demo: deps-check
	@$(MAKE) --no-print-directory all
	@GDX_BUILD=$(CURDIR)/$(B) bash examples/city-demo.sh --duration $(DEMO_DURATION) \
		--speed $(DEMO_SPEED) $(if $(filter 1,$(KEEP)),--keep)

demo-small: deps-check
	@$(MAKE) --no-print-directory all
	@GDX_BUILD=$(CURDIR)/$(B) bash examples/demo.sh

bench: deps-check
	@$(MAKE) --no-print-directory all tests-build
	@GDX_BUILD=$(CURDIR)/$(B) bash tests/bench/run.sh

# ---------------------------------------------------------------------------------------
# Man pages (from each command's table in bin/: the same as --help) and systemd units
man: $(B)/man/.stamp
$(B)/man/.stamp: $(B)/gdx
	@mkdir -p $(@D)
	@$(if $(Q),echo '  MAN     $(@D)')
	$(Q)$(B)/gdx help --man >$(@D)/gdx.1
	$(Q)for c in $$($(B)/gdx help --list); do $(B)/gdx help --man $$c >$(@D)/gdx-$$c.1 || exit 1; done
	$(Q)touch $@

UNITS := gdx-connector@.service gdx-uplink.service gdx-supervise.service
units: $(UNITS:%=$(B)/dist/%)
$(B)/dist/%: dist/systemd/%.in dist/systemd/hardening.conf Makefile
	@mkdir -p $(@D)
	@$(if $(Q),echo '  GEN     $@')
	$(Q)sed -e '/@HARDENING@/{r dist/systemd/hardening.conf' -e 'd}' $< | \
	  sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	      -e 's|@STATEDIR@|$(STATEDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' >$@.tmp && mv $@.tmp $@

# topics.yaml and acls.yaml from the inventory (reviewed and committed; 0050 checks they are
# current)
broker-config: $(B)/gdx
	$(B)/gdx topics generate -i examples/xiangcheng/inventory.yaml -s schemas -o broker-config

install: all man units
	@$(MAKE) --no-print-directory install-files

# The layout (also what debian/rules installs with PREFIX=/usr). The gdx user, and the owner
# of /var/lib/gdx and of /etc/gdx/secrets, are the package's postinst (or the operator's) job.
install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/gdx/schemas \
		$(DESTDIR)$(DATADIR)/gdx/broker-config $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/gdx $(DESTDIR)$(BINDIR)/gdx
	cp -r schemas/. $(DESTDIR)$(DATADIR)/gdx/schemas/
	cp -r broker-config/. $(DESTDIR)$(DATADIR)/gdx/broker-config/
	install -m 0644 $(B)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(UNITS:%=$(B)/dist/%) $(DESTDIR)$(UNITDIR)/
	install -m 0644 README.md docs/*.md docs/audit-verify.py $(DESTDIR)$(DOCDIR)/
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/gdx $(DESTDIR)$(SYSCONFDIR)/gdx/connectors.d \
		$(DESTDIR)$(SYSCONFDIR)/gdx/tls
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/gdx/secrets $(DESTDIR)$(SYSCONFDIR)/gdx/keys
	install -m 0640 dist/etc/deployment.yaml dist/etc/uplink.yaml.example \
		dist/etc/admin.yaml.example $(DESTDIR)$(SYSCONFDIR)/gdx/
	install -m 0640 dist/etc/connectors/*.example $(DESTDIR)$(SYSCONFDIR)/gdx/connectors.d/
	install -d -m 0750 $(DESTDIR)$(STATEDIR) $(DESTDIR)$(STATEDIR)/audit

# dpkg-buildpackage in a copy of the tree under build/deb (its .deb lands beside the copy),
# then install it, run it and purge it again: tests/it/8100-deb.sh
test-deb: deps-check
	@$(MAKE) --no-print-directory all tests-build
	@GDX_BUILD=$(CURDIR)/$(B) $(PROVE) -f tests/it/8100-deb.sh

format:
	clang-format -i lib/*.c lib/*.h bin/*.c bin/*.h connectors/*/*.c tests/*/*.c

clean:
	rm -rf build

.PHONY: tests-build
