# perfinject: timing wrappers into a source tree, and out again.
INJECT_SRCS := $(wildcard inject/*.c)
INJECT_OBJS := $(INJECT_SRCS:%.c=$(B)/obj/%.o)
# Everything but main(), for the unit tests.
INJECT_LIB_OBJS := $(filter-out $(B)/obj/inject/perfinject.o,$(INJECT_OBJS))
INJECT_PKGS := libcjson
$(INJECT_OBJS): EXTRA_CPPFLAGS += -Iinject $(call pkg_cflags,$(INJECT_PKGS))

$(B)/perfinject: $(INJECT_OBJS) $(COMMON_OBJS)
	$(call quiet,LINK,$@)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ -o $@ \
		$(call pkg_libs,$(INJECT_PKGS))

# The Python runtime, beside the binary as `perfinject --python-path` expects.
$(B)/python/perfprof_spans.py: inject/python/perfprof_spans.py
	$(call quiet,CP,$@)mkdir -p $(@D) && cp $< $@

ALL += $(B)/perfinject $(B)/python/perfprof_spans.py
INSTALL_BIN += $(B)/perfinject
INSTALL_DATA += inject/python
INSTALL_MAN1 += docs/man/perfinject.1

BENCH_SCRIPTS += bench/inject_overhead.sh
BENCH_DEPS += $(B)/perfinject $(B)/libperfshim.so
