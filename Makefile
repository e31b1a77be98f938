# smtpd-harness - one Makefile, out-of-tree builds under build/<config>-<cc>/
#
#   make              release build of every program (installs the build
#                     dependencies if missing; needs root only for that)
#   make test         unit tests under ASan+UBSan (+LSan), corpus replays;
#                     ref-authd's threads under TSan (installs every
#                     dependency if missing)
#   make install      programs, man pages and data under PREFIX (DESTDIR)
#   make uninstall    removes what make install put there
#   make coverage     line coverage of lib/ as one figure
#   make integration  pytest against a real Postfix in private namespaces (root)
#   make clean        remove build/
#
# CONFIG=release|asan|tsan|cov selects the flags; CC may be overridden
# (make CC=clang test). WERROR=1 turns warnings into errors (CI).
# CPPFLAGS, CFLAGS and LDFLAGS (dpkg-buildflags, distributions) come after
# the project's own flags.

CC	?= cc
CONFIG	?= release
CCNAME	:= $(notdir $(firstword $(CC)))
BUILD	:= build/$(CONFIG)-$(CCNAME)

CSTD	:= -std=c11 -D_POSIX_C_SOURCE=200809L
WARN	:= -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
	   -Wcast-qual -Wwrite-strings -Wvla -Wundef -Wimplicit-fallthrough \
	   -Wnull-dereference -fno-common
ifeq ($(WERROR),1)
WARN	+= -Werror
endif

ifeq ($(CONFIG),release)
OPT	:= -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
else ifeq ($(CONFIG),asan)
OPT	:= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
else ifeq ($(CONFIG),tsan)
OPT	:= -O1 -g -fsanitize=thread -fno-omit-frame-pointer
else ifeq ($(CONFIG),cov)
OPT	:= -O0 -g --coverage
else
$(error unknown CONFIG=$(CONFIG))
endif

# the report's writers: libxml2 (JUnit) and jansson (JSON), fake-smtpd only
REPORT_PKGS	:= libxml-2.0 jansson
REPORT_CFLAGS	:= $(shell pkg-config --cflags $(REPORT_PKGS) 2>/dev/null || echo -I/usr/include/libxml2)
REPORT_LIBS	:= $(shell pkg-config --libs $(REPORT_PKGS) 2>/dev/null || echo -lxml2 -ljansson)
# ref-policyd's database servers: MariaDB Connector/C and libpq
DB_CFLAGS	:= $(shell pkg-config --cflags libmariadb libpq 2>/dev/null || \
		   echo -I/usr/include/mariadb -I/usr/include/postgresql)
DB_LIBS		:= $(shell pkg-config --libs libmariadb libpq 2>/dev/null || echo -lmariadb -lpq)
# ref-policyd's rule regexes: PCRE2 (match limits)
PCRE2_CFLAGS	:= $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE2_LIBS	:= $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
INC	:= -Ilib -I. $(REPORT_CFLAGS) $(DB_CFLAGS) $(PCRE2_CFLAGS)
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(INC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -MMD -MP
LDFLAGS_ALL = $(OPT) $(LDFLAGS) $(EXTRA_LDFLAGS)
LIBS	:= -lcrypto -lcrypt -lsqlite3 $(DB_LIBS) $(PCRE2_LIBS) -lpthread -lm
TESTLIBS := -lcmocka

# Sources are found, not listed: a new .c in a module joins its archive.
find_c = $(shell find $(1) -name '*.c' -not -path '*/tests/*' 2>/dev/null | sort)
SRC_LIB		:= $(call find_c,lib)
SRC_HARNESS	:= $(filter-out harness/main.c,$(call find_c,harness))
SRC_REFCOMMON	:= $(call find_c,reference/common)
SRC_AUTHD	:= $(filter-out reference/authd/main.c,$(call find_c,reference/authd))
SRC_POLICYD	:= $(filter-out reference/policyd/main.c,$(call find_c,reference/policyd))
SRC_TESTS	:= $(shell find lib harness reference -path '*/tests/test_*.c' 2>/dev/null | sort)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

A_LIB		:= $(BUILD)/libsmtpdh.a
A_HARNESS	:= $(BUILD)/libharness.a
A_REFCOMMON	:= $(BUILD)/libref.a
A_AUTHD		:= $(BUILD)/libauthd.a
A_POLICYD	:= $(BUILD)/libpolicyd.a
ARCHIVES	:= $(A_HARNESS) $(A_AUTHD) $(A_POLICYD) $(A_REFCOMMON) $(A_LIB)

PROGS := $(if $(wildcard harness/main.c),$(BUILD)/bin/fake-smtpd) \
	 $(if $(wildcard reference/authd/main.c),$(BUILD)/bin/ref-authd) \
	 $(if $(wildcard reference/policyd/main.c),$(BUILD)/bin/ref-policyd)
TESTBINS := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(SRC_TESTS)))

.PHONY: all progs tests test check-tests coverage clean deps deps-build demo bench integration
.DEFAULT_GOAL := all

all: deps-build
	@$(MAKE) --no-print-directory CONFIG=release progs

# the build set (compiler, libssl, libcrypt, libsqlite3) or everything
deps-build:
	@scripts/install-deps --build
deps:
	@scripts/install-deps

progs: $(A_LIB) $(PROGS)
	@mkdir -p bin
	@for p in $(PROGS); do ln -sf ../$$p bin/; done

tests: $(A_LIB) $(TESTBINS) $(PROGS)

test: deps
	@$(MAKE) --no-print-directory CONFIG=asan tests
	@$(MAKE) --no-print-directory CONFIG=tsan build/tsan-$(CCNAME)/bin/ref-authd \
		build/tsan-$(CCNAME)/tests/test_refcommon_workq
	@scripts/run-tests build/asan-$(CCNAME)

demo: deps all
	@scripts/demo build/release-$(CCNAME)

bench: deps all
	@scripts/bench build/release-$(CCNAME)

integration: deps all
	@integration/run build/release-$(CCNAME)

# make fidelity: the fidelity suite against the host's Postfix and each of
# POSTFIX_VERSIONS, ref-authd against the host's Dovecot and each of
# DOVECOT_VERSIONS (scripts/build-peer builds them into its cache); the
# matrix is printed and written to docs/fidelity.md
POSTFIX_VERSIONS ?= 3.5 3.7 3.10 3.11
DOVECOT_VERSIONS ?= 2.4.1 2.4.5
.PHONY: fidelity
fidelity: all
	@integration/fidelity build/release-$(CCNAME) --postfix "$(POSTFIX_VERSIONS)" \
		--dovecot "$(DOVECOT_VERSIONS)" --write docs/fidelity.md

coverage: deps
	@rm -rf build/cov-$(CCNAME)/obj/lib
	@$(MAKE) --no-print-directory CONFIG=cov tests
	@scripts/coverage build/cov-$(CCNAME)

clean:
	rm -rf build bin

# --- archives and programs ---------------------------------------------
define archive_rule
$(1): $(call obj,$(2))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	ar rcs $$@ $$^ $(if $(2),,$$(BUILD)/obj/empty.o)
endef
$(eval $(call archive_rule,$(A_LIB),$(SRC_LIB)))
$(eval $(call archive_rule,$(A_HARNESS),$(SRC_HARNESS)))
$(eval $(call archive_rule,$(A_REFCOMMON),$(SRC_REFCOMMON)))
$(eval $(call archive_rule,$(A_AUTHD),$(SRC_AUTHD)))
$(eval $(call archive_rule,$(A_POLICYD),$(SRC_POLICYD)))

$(BUILD)/obj/empty.o:
	@mkdir -p $(dir $@)
	echo 'typedef int empty_translation_unit;' | $(CC) $(CFLAGS_ALL) -x c -c -o $@ -

$(A_HARNESS) $(A_REFCOMMON) $(A_AUTHD) $(A_POLICYD): | $(BUILD)/obj/empty.o

$(BUILD)/bin/fake-smtpd: $(call obj,harness/main.c) $(A_HARNESS) $(A_REFCOMMON) $(A_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(REPORT_LIBS) $(LIBS)

$(BUILD)/bin/ref-authd: $(call obj,reference/authd/main.c) $(A_AUTHD) $(A_REFCOMMON) $(A_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/bin/ref-policyd: $(call obj,reference/policyd/main.c) $(A_POLICYD) $(A_REFCOMMON) $(A_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# --- unit tests: one cmocka binary per tests/test_<module>.c -------------
define test_rule
$(BUILD)/tests/$(basename $(notdir $(1))): $(call obj,$(1)) $(ARCHIVES)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$< $(ARCHIVES) $$(TESTLIBS) $$(REPORT_LIBS) $$(LIBS)
endef
$(foreach t,$(SRC_TESTS),$(eval $(call test_rule,$(t))))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- version and data directory, fixed at build time ----------------------
# The release is the VERSION file, the commit `git describe` of this clone
# ("unknown" outside git). DATADIR is where fake-smtpd finds the catalogue
# and the transcripts: this clone's corpus/ for a build that is not
# installed; make install builds apart with $(PREFIX)/share/smtpd-harness.
# A stamp holding the three values is rewritten only when one changes, so
# only the two objects that use them are rebuilt.
VERSION_TEXT	:= $(shell cat VERSION 2>/dev/null || echo unknown)
GIT_COMMIT	:= $(shell test -e .git && git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
DATADIR		?= $(CURDIR)/corpus
BUILDINFO	:= $(BUILD)/buildinfo
BUILDINFO_TEXT	:= $(VERSION_TEXT) $(GIT_COMMIT) $(DATADIR)

.PHONY: FORCE
$(BUILDINFO): FORCE
	@mkdir -p $(dir $@)
	@echo '$(BUILDINFO_TEXT)' | cmp -s - $@ 2>/dev/null || echo '$(BUILDINFO_TEXT)' > $@
$(call obj,lib/util/version.c harness/cmd/datadir.c): $(BUILDINFO)
$(call obj,lib/util/version.c): EXTRA_CFLAGS += -DSMTPDH_VERSION='"$(VERSION_TEXT)"' \
	-DSMTPDH_COMMIT='"$(GIT_COMMIT)"'
$(call obj,harness/cmd/datadir.c): EXTRA_CFLAGS += -DSMTPDH_DATADIR='"$(DATADIR)"'

# --- install and uninstall -------------------------------------------------
#   make install [PREFIX=/usr/local] [DESTDIR=]   as any user into DESTDIR
#   make uninstall [PREFIX=...] [DESTDIR=]
# Programs to $(BINDIR); scripts/postfix-ns, which needs root, to $(SBINDIR)
# as smtpd-harness-postfix-ns; man pages to $(MANDIR); the catalogue,
# transcripts, sample helpers and demo data to $(SHAREDIR) (the data
# directory the installed fake-smtpd finds by default); README, docs/*.md,
# the report's JSON Schema and contrib/ci to $(DOCDIR). The installed
# programs are built in build/install-<cc>/ with SHAREDIR fixed in them.
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
SHAREDIR	?= $(PREFIX)/share/smtpd-harness
DOCDIR		?= $(PREFIX)/share/doc/smtpd-harness
INSTALL		?= install
IBUILD		:= build/install-$(CCNAME)
INST_PROGS	:= fake-smtpd ref-authd ref-policyd
INST_DATA	:= conformance/auth conformance/policy transcripts/auth transcripts/policy \
		   helpers demo
INST_MAN1	:= docs/fake-smtpd.1
INST_MAN8	:= docs/ref-authd.8 docs/ref-policyd.8 docs/smtpd-harness-postfix-ns.8

.PHONY: install install-progs uninstall
install-progs:
	@$(MAKE) --no-print-directory CONFIG=release BUILD=$(IBUILD) DATADIR=$(SHAREDIR) \
		$(addprefix $(IBUILD)/bin/,$(INST_PROGS))

install: install-progs
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples/ci
	$(INSTALL) -m 755 $(addprefix $(IBUILD)/bin/,$(INST_PROGS)) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 755 scripts/postfix-ns $(DESTDIR)$(SBINDIR)/smtpd-harness-postfix-ns
	$(INSTALL) -m 644 $(INST_MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(INST_MAN8) $(DESTDIR)$(MANDIR)/man8/
	for d in $(INST_DATA); do \
		$(INSTALL) -d $(DESTDIR)$(SHAREDIR)/$$d || exit 1; \
		for f in $$(find corpus/$$d -maxdepth 1 -type f | sort); do \
			m=644; [ -x "$$f" ] && m=755; \
			$(INSTALL) -m $$m "$$f" $(DESTDIR)$(SHAREDIR)/$$d/ || exit 1; \
		done; \
	done
	$(INSTALL) -m 644 README.md $(wildcard docs/*.md docs/*.schema.json) $(DESTDIR)$(DOCDIR)/
	$(if $(wildcard contrib/ci/*),$(INSTALL) -m 644 $(wildcard contrib/ci/*) \
		$(DESTDIR)$(DOCDIR)/examples/ci/)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(INST_PROGS))
	rm -f $(DESTDIR)$(SBINDIR)/smtpd-harness-postfix-ns
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(INST_MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(INST_MAN8)))
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)

# === fuzzing (owned by fuzz/; see fuzz/README.md) =========================
#   make fuzz-build            libFuzzer, AFL++ (persistent, CmpLog, plain)
#                              builds of every fuzz/targets/fuzz_*.c, and the
#                              mutator
#   make fuzz                  fuzz-build, then an AFL++ campaign on all cores,
#                              FUZZ_SECONDS (60) per target; non-zero on a crash
#   make fuzz-run T=<target> SECS=N   one target
#   make fuzz-build-oss        the environment's $CC $CFLAGS $CXX $CXXFLAGS
#                              $LIB_FUZZING_ENGINE, into FZ_DIR_oss: what
#                              fuzz/build.sh (OSS-Fuzz, ClusterFuzzLite) runs
# A target is found by its file: fuzz/targets/fuzz_<name>.c (and its
# fuzz_<name>.dict) joins every build, make test and fuzz/build.sh.
# The replay build (target + fuzz/replay_main.c, this CONFIG's objects) is
# part of `tests`, so make test builds it and scripts/test.d/10-fuzz-replay.sh
# runs it over corpus/fuzz/<target>/ and corpus/regress/<target>/.
FUZZ_SRC	:= $(sort $(wildcard fuzz/targets/fuzz_*.c))
$(foreach f,$(wildcard fuzz/fuzz_*.c),$(warning $(f): not a target until it is in fuzz/targets/))
FUZZ_TARGETS	:= $(basename $(notdir $(FUZZ_SRC)))
FUZZ_REPLAY	:= $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_LIBSRC	:= $(SRC_LIB) $(SRC_HARNESS) $(SRC_REFCOMMON) $(SRC_AUTHD) $(SRC_POLICYD)
FUZZ_SECONDS	?= 60
FUZZ_DEFS	:= -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all
FZ_CFLAGS	= $(CSTD) $(WARN) -g -fno-omit-frame-pointer $(FUZZ_DEFS) $(INC) -MMD -MP
# per engine: compiler, its flags, the link line's extra flags; FZ_LD_<e>
# (linker and flags, default: compiler and flags), FZ_LIBS_<e> (default LIBS)
# and FZ_DIR_<e> (default build/fuzz-<e>) where they differ
FZ_CC_libfuzzer		:= clang
FZ_OPT_libfuzzer	:= -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FZ_LINK_libfuzzer	:= -fsanitize=fuzzer $(FUZZ_SAN)
FZ_CC_afl		:= afl-clang-fast
FZ_OPT_afl		:= -O2
FZ_LINK_afl		:= -fsanitize=fuzzer
FZ_CC_afl-cmplog	:= AFL_LLVM_CMPLOG=1 AFL_QUIET=1 afl-clang-fast
FZ_OPT_afl-cmplog	:= -O2
FZ_LINK_afl-cmplog	:= -fsanitize=fuzzer
# OSS-Fuzz's contract: C compiled with $CC $CFLAGS, linked by $CXX
# $CXXFLAGS with $LIB_FUZZING_ENGINE; libcrypto, libsqlite3, libpcre2 and the report's
# jansson and libxml2 (with its ICU, zlib and lzma) linked statically (the
# fuzzers run where those libraries are not installed).
# A target may define a libcrypto function for repeatable runs
# (fuzz_authd_session's RAND_bytes); from the static library the
# function's object comes along with its own definition, and the first
# one, the target's, must stay what every call binds to.
FZ_CC_oss		= $(CC)
FZ_OPT_oss		= $(CFLAGS)
FZ_LINK_oss		= $(LIB_FUZZING_ENGINE) -Wl,--allow-multiple-definition
FZ_LD_oss		= $(CXX) $(CXXFLAGS)
FZ_LIBS_oss		= -Wl,-Bstatic -lcrypto -lsqlite3 -lpcre2-8 -ljansson -lxml2 -licuuc -licudata -lz -llzma \
			  -Wl,-Bdynamic -lcrypt -lpthread -lm -ldl
FZ_DIR_oss		?= build/fuzz-oss
FUZZ_ENGINES	:= libfuzzer afl afl-cmplog
$(foreach e,$(FUZZ_ENGINES) oss,$(eval FZ_DIR_$(e) ?= build/fuzz-$(e)) \
	$(eval FZ_LD_$(e) ?= $$(FZ_CC_$(e)) $$(FZ_OPT_$(e))) \
	$(eval FZ_LIBS_$(e) ?= $$(REPORT_LIBS) $$(LIBS)))

tests: $(FUZZ_REPLAY)
.SECONDARY: $(call obj,$(FUZZ_SRC) fuzz/replay_main.c)
$(call obj,$(FUZZ_SRC)): EXTRA_CFLAGS += $(FUZZ_DEFS)

$(BUILD)/fuzz/%: $(BUILD)/obj/fuzz/targets/%.o $(BUILD)/obj/fuzz/replay_main.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/obj/fuzz/replay_main.o $(ARCHIVES) $(REPORT_LIBS) $(LIBS)

# fuzz_engine(engine): objects, one archive, one binary per target
define fuzz_engine
$(FZ_DIR_$(1))/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	AFL_QUIET=1 $$(FZ_CC_$(1)) $$(FZ_CFLAGS) $$(FZ_OPT_$(1)) -c -o $$@ $$<
$(FZ_DIR_$(1))/libfuzz.a: $$(patsubst %.c,$(FZ_DIR_$(1))/obj/%.o,$$(FUZZ_LIBSRC))
	@rm -f $$@
	ar rcs $$@ $$^
$(foreach t,$(FUZZ_TARGETS),
$(FZ_DIR_$(1))/$(t): $(FZ_DIR_$(1))/obj/fuzz/targets/$(t).o $(FZ_DIR_$(1))/libfuzz.a
	AFL_QUIET=1 $$(FZ_LD_$(1)) $$(FZ_LINK_$(1)) -o $$@ $$^ $$(FZ_LIBS_$(1))
)
fuzz-build-$(1): $(addprefix $(FZ_DIR_$(1))/,$(FUZZ_TARGETS))
endef
$(foreach e,$(FUZZ_ENGINES) oss,$(eval $(call fuzz_engine,$(e))))

# non-persistent AFL++ build (afl-tmin, afl-showmap): afl objects + replay_main
$(foreach t,$(FUZZ_TARGETS),$(eval \
build/fuzz-afl/plain/$(t): build/fuzz-afl/obj/fuzz/targets/$(t).o build/fuzz-afl/obj/fuzz/replay_main.o build/fuzz-afl/libfuzz.a ; \
	@mkdir -p $$(dir $$@) && AFL_QUIET=1 afl-clang-fast $(FZ_OPT_afl) -o $$@ $$^ $$(REPORT_LIBS) $$(LIBS)))

# the trivial target (returns 0), built like the targets: the AFL++ exec/s
# ceiling that fuzz/tools/speed and fuzz/campaigns/campaign compare every
# target with (and its CmpLog build, so the ceiling runs with the same
# instances)
FUZZ_BASELINE	:= build/fuzz-afl/baseline_null build/fuzz-afl-cmplog/baseline_null
build/fuzz-%/baseline_null: fuzz/baseline/null.c
	@mkdir -p $(dir $@)
	AFL_QUIET=1 $(FZ_CC_$*) $(FZ_CFLAGS) $(FZ_OPT_$*) $(FZ_LINK_$*) -o $@ $<

# AFL++ custom mutator (protocol level), a shared library
FUZZ_MUTATOR	:= build/fuzz-afl/libsmtpdh-mutator.so
$(FUZZ_MUTATOR): $(wildcard fuzz/mutator/*.c) $(wildcard fuzz/mutator/*.h)
	@mkdir -p $(dir $@)
	clang $(CSTD) $(WARN) -O2 -g -fPIC -shared -Ifuzz/mutator -o $@ $(filter %.c,$^)

.PHONY: fuzz fuzz-build fuzz-run $(addprefix fuzz-build-,$(FUZZ_ENGINES) oss)
fuzz-build: $(addprefix fuzz-build-,$(FUZZ_ENGINES)) \
	    $(addprefix build/fuzz-afl/plain/,$(FUZZ_TARGETS)) $(FUZZ_BASELINE) \
	    $(if $(wildcard fuzz/mutator/*.c),$(FUZZ_MUTATOR))

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@fuzz/campaigns/campaign --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-run:
	@test -n "$(T)" || { echo "usage: make fuzz-run T=<target> [SECS=N]" >&2; exit 2; }
	@$(MAKE) --no-print-directory fuzz-build
	@fuzz/campaigns/campaign --seconds $(or $(SECS),$(FUZZ_SECONDS)) $(T)

# the mutator's unit test, built with this CONFIG (sanitizers) and run by make test
FUZZ_MUT_SRC	:= $(wildcard fuzz/mutator/*.c)
ifneq ($(FUZZ_MUT_SRC),)
tests: $(BUILD)/tests/test_mutator
$(call obj,$(FUZZ_MUT_SRC)): EXTRA_CFLAGS += -Ifuzz/mutator
$(BUILD)/tests/test_mutator: $(call obj,fuzz/tests/test_mutator.c $(FUZZ_MUT_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(TESTLIBS)
endif

-include $(shell find $(foreach e,$(FUZZ_ENGINES) oss,$(FZ_DIR_$(e))) -name '*.d' 2>/dev/null)
# === end of fuzzing ======================================================
