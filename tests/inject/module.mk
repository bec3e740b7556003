# perfinject's tests.  Case files live in tests/inject/cases/ (left alone by
# `make format`); the span recorder is a preloadable stand-in for the shim's
# span API that checks every enter/exit pair exactly.
TI_OBJS := $(B)/obj/tests/inject/ti.o
$(TI_OBJS): EXTRA_CPPFLAGS += -Itests/lib -Itests/inject $(CRITERION_CFLAGS) \
	-DTI_SRCDIR='"$(abspath .)"'

$(B)/tests/progs/libinject_spanrec.so: tests/progs/inject_spanrec.c
	$(call quiet,PROG,$@)mkdir -p $(@D) && \
	$(CC) -O1 -g -Wall -shared -fPIC $< -o $@ -lpthread
CHECK_DEPS += $(B)/perfinject $(B)/python/perfprof_spans.py $(B)/tests/progs/libinject_spanrec.so

INJECT_TESTS := test_lex test_roundtrip test_std test_clean test_tree test_profile test_shim \
		test_pyruntime test_fuzz test_corpus
$(foreach t,$(INJECT_TESTS),$(eval TEST_OBJS_inject_$(t) := $(TI_OBJS)))
$(foreach t,$(INJECT_TESTS),$(eval TEST_LIBS_inject_$(t) := $(call pkg_libs,libcjson)))
TEST_OBJS_inject_test_lex += $(INJECT_LIB_OBJS) $(COMMON_OBJS)
TEST_OBJS_inject_test_fuzz += $(INJECT_LIB_OBJS) $(COMMON_OBJS)
$(B)/obj/tests/inject/test_lex.o $(B)/obj/tests/inject/test_fuzz.o: EXTRA_CPPFLAGS += -Iinject
$(foreach t,$(INJECT_TESTS),$(eval $(call test_binary,inject,$(t))))
$(foreach t,$(INJECT_TESTS),$(eval $(B)/obj/tests/inject/$(t).o: EXTRA_CPPFLAGS += -Itests/inject))
