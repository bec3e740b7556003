# perftrace's suites (see tests/tracer/*.c) and their target programs.
TRACE_TEST_OBJ := $(B)/obj/tests/tracer/trace_test.o
$(TRACE_TEST_OBJ): EXTRA_CPPFLAGS += -Itests/lib $(CRITERION_CFLAGS)

TEST_OBJS_tracer_test_tfile := $(B)/obj/tracer/tfile.o
$(B)/obj/tests/tracer/test_tfile.o: EXTRA_CPPFLAGS += -Itracer
$(eval $(call test_binary,tracer,test_tfile))

# The integration suites run build/perftrace on tests/progs/trace_*.
TRACER_SUITES := test_record test_states test_unwind test_shares test_errors test_formats \
		 test_symbols
$(foreach t,$(TRACER_SUITES),$(eval TEST_OBJS_tracer_$(t) := $(TRACE_TEST_OBJ)))
$(foreach t,$(TRACER_SUITES),$(eval $(call test_binary,tracer,$(t))))
# Shares and timings are statistical: keep them off a machine busy with other tests.
CHECK_SERIAL += $(B)/tests/tracer/test_shares $(B)/tests/tracer/test_states

TRACE_PROGS := trace_split trace_net trace_waits trace_stack trace_nofp trace_cxx trace_fork \
	       trace_ticker trace_static trace_timeouts
PROG_CFLAGS_trace_split := -pthread
PROG_CFLAGS_trace_net := -pthread
PROG_CFLAGS_trace_waits := -pthread
PROG_CFLAGS_trace_ticker := -pthread
PROG_LIBS_trace_stack := -lm
PROG_CFLAGS_trace_nofp := -O2 -fomit-frame-pointer
PROG_CFLAGS_trace_static := -static
$(TRACE_PROGS:%=$(B)/tests/progs/%): tests/progs/trace_common.h
CHECK_DEPS += $(TRACE_PROGS:%=$(B)/tests/progs/%) $(B)/perftrace
