# Tests of libperfshim.so.
SHIM_PROGS := shim_io shim_server shim_client shim_heap shim_proc shim_span shim_edge shim_static
PROG_LIBS_shim_server := -lpthread
PROG_LIBS_shim_proc   := -lpthread -ldl
PROG_CFLAGS_shim_heap := -rdynamic -fno-builtin
PROG_CFLAGS_shim_proc := -fno-builtin
PROG_CFLAGS_shim_span := -Ipreload
PROG_LIBS_shim_span   := -ldl
PROG_CFLAGS_shim_edge := -fno-builtin
PROG_LIBS_shim_edge   := -lpthread -lutil
PROG_CFLAGS_shim_static := -static
CHECK_DEPS += $(SHIM_PROGS:%=$(B)/tests/progs/%) $(B)/tests/progs/libshimdeep.so \
	      $(B)/tests/progs/libshimtrap.so \
	      $(B)/libperfshim.so $(B)/perfprof

$(B)/tests/progs/libshimdeep.so: tests/progs/shim_deeplib.c
	$(call quiet,PROG,$@)mkdir -p $(@D) && $(CC) $(PROG_CFLAGS) -shared -fPIC $< -o $@

$(B)/tests/progs/libshimtrap.so: tests/progs/shim_trap.c
	$(call quiet,PROG,$@)mkdir -p $(@D) && $(CC) $(PROG_CFLAGS) -shared -fPIC $< -o $@ -ldl

$(eval $(call test_binary,shim,test_io))
$(eval $(call test_binary,shim,test_net))
$(eval $(call test_binary,shim,test_heap))
$(eval $(call test_binary,shim,test_proc))
$(eval $(call test_binary,shim,test_real))
$(eval $(call test_binary,shim,test_span))
$(eval $(call test_binary,shim,test_edge))

TEST_OBJS_shim_test_fmath := $(B)/obj/preload/fmath.o
TEST_LIBS_shim_test_fmath := -lm
$(B)/obj/tests/shim/test_fmath.o: EXTRA_CPPFLAGS += -Ipreload
$(eval $(call test_binary,shim,test_fmath))
