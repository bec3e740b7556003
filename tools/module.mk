# perfprof, the driver.
TOOLS_SRCS := $(wildcard tools/*.c)
TOOLS_OBJS := $(TOOLS_SRCS:%.c=$(B)/obj/%.o)
TOOLS_PKGS := libcjson libdw libelf
$(TOOLS_OBJS): EXTRA_CPPFLAGS += -Itools -Ipreload $(call pkg_cflags,$(TOOLS_PKGS))

$(B)/perfprof: $(TOOLS_OBJS) $(COMMON_OBJS) $(B)/obj/preload/report.o
	$(call quiet,LINK,$@)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ -o $@ \
		$(call pkg_libs,$(TOOLS_PKGS)) -lm -ldl -lpthread

ALL += $(B)/perfprof
INSTALL_BIN += $(B)/perfprof
INSTALL_MAN1 += docs/man/perfprof.1
