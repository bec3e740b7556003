# perftrace, the ptrace sampling profiler (see docs/perftrace.md).
TRACER_SRCS := $(wildcard tracer/*.c)
TRACER_OBJS := $(TRACER_SRCS:%.c=$(B)/obj/%.o)
TRACER_PKGS := libunwind-generic libdw libelf capstone libcjson
$(TRACER_OBJS): EXTRA_CPPFLAGS += -Itracer $(call pkg_cflags,$(TRACER_PKGS))
# The objects of perftrace minus its main(), for the unit tests.
TRACER_LIB_OBJS := $(filter-out $(B)/obj/tracer/perftrace.o,$(TRACER_OBJS))
TRACER_LIBS := $(call pkg_libs,$(TRACER_PKGS)) -lstdc++ -lm

$(B)/perftrace: $(TRACER_OBJS) $(COMMON_OBJS)
	$(call quiet,LINK,$@)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ -o $@ $(TRACER_LIBS)

ALL += $(B)/perftrace
INSTALL_BIN += $(B)/perftrace
INSTALL_MAN1 += docs/man/perftrace.1

# make bench: the workload and the script (bench/tracer_overhead.sh).
$(B)/bench/tracer_work: bench/tracer_work.c
	$(call quiet,PROG,$@)mkdir -p $(@D) && $(CC) -O2 -g -pthread $< -o $@ -lm
BENCH_DEPS += $(B)/perftrace $(B)/bench/tracer_work
BENCH_SCRIPTS += bench/tracer_overhead.sh
