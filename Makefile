# perfprof: one plain Makefile for the whole tree (see HACKING.md).
#
#   make                 build everything into build/
#   make check           build and run every test
#   make bench           run the benchmarks (ratios against bare runs and peer tools)
#   make demo            profile the bundled example end to end
#   make install PREFIX=/usr/local DESTDIR=
#   make SAN=address,undefined check     sanitizer build (never applied to the shim)
#   make V=1             show full commands
#
# Each component adds its own rules in <dir>/module.mk, and its tests in
# tests/<dir>/module.mk; this file holds what they share.

.SUFFIXES:
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

B	?= build
PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/bin
PKGLIBDIR = $(PREFIX)/lib/perfprof
INCDIR	 = $(PREFIX)/include
DATADIR	 = $(PREFIX)/share/perfprof
MANDIR	 = $(PREFIX)/share/man

CC	?= cc
CXX	?= c++
ifeq ($(origin CC),default)
CC	:= gcc
endif
ifeq ($(origin CXX),default)
CXX	:= g++
endif
OPT	?= -O2
CFLAGS	?= $(OPT) -g
CXXFLAGS ?= $(OPT) -g
LDFLAGS	?=

SAN	?=
ifneq ($(strip $(SAN)),)
SAN_FLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN	 := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wno-missing-field-initializers
STD	 := -std=gnu11
BASE_CPPFLAGS := -D_GNU_SOURCE -I. -Icommon
DEPFLAGS := -MMD -MP

V	?= 0
ifeq ($(V),1)
Q	:=
quiet	 =
else
Q	:= @
quiet	 = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

pkg_cflags = $(shell pkg-config --cflags $(1))
pkg_libs   = $(shell pkg-config --libs $(1))

# Filled in by the module files.
ALL		:=
CHECK_BINS	:=
CHECK_SERIAL	:=
CHECK_DEPS	:=
BENCH_DEPS	:=
BENCH_SCRIPTS	:=
INSTALL_BIN	:=
INSTALL_LIB	:=
INSTALL_INC	:=
INSTALL_MAN1	:=
INSTALL_MAN7	:=
INSTALL_DATA	:=

# Objects of the CLIs and tests: sanitizers apply here.
$(B)/obj/%.o: %.c
	$(call quiet,CC,$<)mkdir -p $(@D) && \
	$(CC) $(STD) $(BASE_CPPFLAGS) $(EXTRA_CPPFLAGS) $(CFLAGS) $(WARN) $(SAN_FLAGS) \
		$(DEPFLAGS) -c $< -o $@

# Position-independent objects for the preloaded shim: never sanitized, hidden
# by default so that only the hooks are visible.
$(B)/pic/%.o: %.c
	$(call quiet,CC-PIC,$<)mkdir -p $(@D) && \
	$(CC) $(STD) $(BASE_CPPFLAGS) $(EXTRA_CPPFLAGS) $(CFLAGS) $(WARN) -fPIC \
		-fvisibility=hidden -ftls-model=initial-exec $(DEPFLAGS) -c $< -o $@

# Target programs of the tests: plain builds, never sanitized (a sanitizer
# runtime must come first in the link map, which LD_PRELOAD forbids).
PROG_CFLAGS   := -O1 -g -Wall -Wno-unused-result
PROG_CXXFLAGS := -O1 -g -Wall
$(B)/tests/progs/%: tests/progs/%.c
	$(call quiet,PROG,$@)mkdir -p $(@D) && \
	$(CC) $(PROG_CFLAGS) $(PROG_CFLAGS_$*) $< -o $@ $(PROG_LIBS_$*)
$(B)/tests/progs/%: tests/progs/%.cc
	$(call quiet,PROG,$@)mkdir -p $(@D) && \
	$(CXX) $(PROG_CXXFLAGS) $(PROG_CFLAGS_$*) $< -o $@ $(PROG_LIBS_$*)

# Shared code, compiled once per flavour.
COMMON_SRCS	:= $(wildcard common/*.c)
COMMON_OBJS	:= $(COMMON_SRCS:%.c=$(B)/obj/%.o)
COMMON_PIC_OBJS	:= $(COMMON_SRCS:%.c=$(B)/pic/%.o)

# Test support library, linked into every test binary.
CRITERION_CFLAGS := $(call pkg_cflags,criterion libcjson)
CRITERION_LIBS	 := $(call pkg_libs,criterion libcjson)
TESTLIB_OBJS	 := $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/lib/*.c))
$(TESTLIB_OBJS): EXTRA_CPPFLAGS += -Itests/lib $(CRITERION_CFLAGS)

# A test binary tests/<dir>/test_<name>.c links the test library, the objects
# its module file lists in TEST_OBJS_<dir>_<name>, and TEST_LIBS_<dir>_<name>.
define test_binary
$(B)/tests/$(1)/$(2): $(B)/obj/tests/$(1)/$(2).o $(TESTLIB_OBJS) $$(TEST_OBJS_$(1)_$(2))
	$$(call quiet,LINK,$$@)mkdir -p $$(@D) && \
	$$(CC) $$(CFLAGS) $$(SAN_FLAGS) $$(LDFLAGS) $$^ -o $$@ $$(TEST_LIBS_$(1)_$(2)) $$(CRITERION_LIBS) -lpthread
$(B)/obj/tests/$(1)/$(2).o: EXTRA_CPPFLAGS += -Itests/lib $$(CRITERION_CFLAGS)
CHECK_BINS += $(B)/tests/$(1)/$(2)
endef

include $(sort $(wildcard */module.mk)) $(sort $(wildcard tests/*/module.mk))

.PHONY: all check check-only deps bench demo install clean format
all: $(ALL)

# `make check` works on a fresh machine: it installs what is missing first,
# then runs the suite in a new make that sees the installed libraries.
check:
	$(Q)scripts/deps.sh build test
	$(Q)$(MAKE) --no-print-directory check-only

check-only: all $(CHECK_BINS) $(CHECK_DEPS)
	$(Q)PERFPROF_BUILD=$(abspath $(B)) tests/run-tests --serial "$(CHECK_SERIAL)" $(CHECK_BINS)

deps:
	$(Q)scripts/deps.sh build test

bench: all $(BENCH_DEPS)
	$(Q)set -e; for s in $(BENCH_SCRIPTS); do PERFPROF_BUILD=$(abspath $(B)) $$s; done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(INCDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	$(if $(INSTALL_BIN),install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/)
	$(if $(INSTALL_LIB),install -m 0644 $(INSTALL_LIB) $(DESTDIR)$(PKGLIBDIR)/)
	$(if $(INSTALL_INC),install -m 0644 $(INSTALL_INC) $(DESTDIR)$(INCDIR)/)
	$(if $(INSTALL_MAN1),install -m 0644 $(INSTALL_MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(INSTALL_MAN7),install -m 0644 $(INSTALL_MAN7) $(DESTDIR)$(MANDIR)/man7/)
	$(if $(INSTALL_DATA),cp -R $(INSTALL_DATA) $(DESTDIR)$(DATADIR)/)

clean:
	rm -rf $(B)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^tests/inject/cases/')

-include $(shell find $(B) -name '*.d' 2>/dev/null)
