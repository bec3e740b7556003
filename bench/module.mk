# Benchmarks (make bench).  Workloads are plain builds, like test programs.
BENCH_CFLAGS := -O2 -g -Wall
$(B)/bench/%: bench/%.c
	$(call quiet,PROG,$@)mkdir -p $(@D) && $(CC) $(BENCH_CFLAGS) $< -o $@ -lpthread

BENCH_DEPS    += $(B)/bench/shim_alloc $(B)/bench/shim_syscall $(B)/bench/shim_pingpong
BENCH_SCRIPTS += bench/shim.sh
