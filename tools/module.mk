# perfprof, the driver.
# The source call chain reads code with perfinject's lexers and parser;
# a tree without inject/ builds the stand-in that says it is missing.
ifneq ($(wildcard inject/parse_c.c),)
TOOLS_SRCS := $(filter-out tools/callchain_none.c,$(wildcard tools/*.c))
# everything of perfinject but its main() (inject/module.mk)
TOOLS_INJECT_OBJS = $(INJECT_LIB_OBJS)
$(B)/obj/tools/callchain.o: EXTRA_CPPFLAGS += -Iinject
else
TOOLS_SRCS := $(filter-out tools/callchain.c,$(wildcard tools/*.c))
TOOLS_INJECT_OBJS :=
endif
TOOLS_OBJS := $(TOOLS_SRCS:%.c=$(B)/obj/%.o)
TOOLS_PKGS := libcjson libdw libelf
$(TOOLS_OBJS): EXTRA_CPPFLAGS += -Itools -Ipreload $(call pkg_cflags,$(TOOLS_PKGS))

$(B)/perfprof: $(TOOLS_OBJS) $(COMMON_OBJS) $(B)/obj/preload/report.o $(TOOLS_INJECT_OBJS)
	$(call quiet,LINK,$@)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ -o $@ \
		$(call pkg_libs,$(TOOLS_PKGS)) -lm -ldl -lpthread

ALL += $(B)/perfprof
INSTALL_BIN += $(B)/perfprof
INSTALL_MAN1 += docs/man/perfprof.1
