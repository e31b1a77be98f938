# smtpd-harness - one Makefile, out-of-tree builds under build/<config>-<cc>/
#
#   make              release build of every program (installs deps if missing)
#   make test         unit tests under ASan+UBSan (+LSan), corpus replays
#   make coverage     line coverage of lib/ as one figure
#   make integration  pytest against a real Postfix in private namespaces (root)
#   make clean        remove build/
#
# CONFIG=release|asan|cov selects the flags; CC may be overridden
# (make CC=clang test). WERROR=1 turns warnings into errors (CI).

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
else ifeq ($(CONFIG),cov)
OPT	:= -O0 -g --coverage
else
$(error unknown CONFIG=$(CONFIG))
endif

INC	:= -Ilib -I.
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(INC) $(EXTRA_CFLAGS) -MMD -MP
LDFLAGS_ALL = $(OPT) $(EXTRA_LDFLAGS)
LIBS	:= -lcrypto -lcrypt -lsqlite3 -lpthread -lm
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

.PHONY: all progs tests test check-tests coverage clean deps demo bench integration
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory CONFIG=release progs

deps:
	@scripts/install-deps

progs: $(A_LIB) $(PROGS)
	@mkdir -p bin
	@for p in $(PROGS); do ln -sf ../$$p bin/; done

tests: $(A_LIB) $(TESTBINS) $(PROGS)

test: deps
	@$(MAKE) --no-print-directory CONFIG=asan tests
	@scripts/run-tests build/asan-$(CCNAME)

demo: all
	@scripts/demo build/release-$(CCNAME)

bench: all
	@scripts/bench build/release-$(CCNAME)

integration: all
	@integration/run build/release-$(CCNAME)

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

$(BUILD)/bin/fake-smtpd: $(call obj,harness/main.c) $(A_HARNESS) $(A_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

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
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$< $(ARCHIVES) $$(TESTLIBS) $$(LIBS)
endef
$(foreach t,$(SRC_TESTS),$(eval $(call test_rule,$(t))))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
