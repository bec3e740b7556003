# Tests of perfprof, the driver: unit tests of its modules, and end-to-end
# scenarios that run build/perfprof on the drv_* programs of tests/progs.
DRV_PROGS := drv_cpu drv_http drv_smallio drv_db drv_lock drv_heap drv_multi drv_static \
	     drv_linger drv_noptrace drv_dlopen
PROG_CFLAGS_drv_static := -static
PROG_LIBS_drv_lock := -lpthread
PROG_LIBS_drv_dlopen := -ldl
CHECK_DEPS += $(DRV_PROGS:%=$(B)/tests/progs/%)

# Every tool object but main(): the units under test.
DRV_UNIT_OBJS := $(filter-out $(B)/obj/tools/perfprof.o,$(TOOLS_OBJS)) $(COMMON_OBJS) \
		 $(B)/obj/preload/report.o $(TOOLS_INJECT_OBJS)
$(B)/obj/tests/driver/%.o: EXTRA_CPPFLAGS += -Itools

TEST_OBJS_driver_test_units := $(DRV_UNIT_OBJS)
TEST_LIBS_driver_test_units := $(call pkg_libs,libcjson libdw libelf) -lm -ldl
$(eval $(call test_binary,driver,test_units))

TEST_OBJS_driver_test_runner := $(DRV_UNIT_OBJS)
TEST_LIBS_driver_test_runner := $(call pkg_libs,libcjson libdw libelf) -lm -ldl
$(eval $(call test_binary,driver,test_runner))

# The end-to-end suites share drv.c (running perfprof, checking outputs).
DRV_E2E_OBJS := $(B)/obj/tests/driver/drv.o
$(B)/obj/tests/driver/drv.o: EXTRA_CPPFLAGS += -Itests/lib $(CRITERION_CFLAGS)
TEST_OBJS_driver_test_scenarios := $(DRV_E2E_OBJS)
TEST_LIBS_driver_test_scenarios := -ldl
TEST_OBJS_driver_test_badinput := $(DRV_E2E_OBJS)
TEST_OBJS_driver_test_outputs := $(DRV_E2E_OBJS)
$(eval $(call test_binary,driver,test_scenarios))
$(eval $(call test_binary,driver,test_badinput))
$(eval $(call test_binary,driver,test_outputs))

# Wall-time assertions and CPU-bound targets: one at a time.
CHECK_SERIAL += $(B)/tests/driver/test_scenarios $(B)/tests/driver/test_runner \
		$(B)/tests/driver/test_badinput $(B)/tests/driver/test_outputs

TEST_OBJS_driver_test_example := $(DRV_E2E_OBJS)
TEST_OBJS_driver_test_instrument := $(DRV_E2E_OBJS)
$(eval $(call test_binary,driver,test_example))
$(eval $(call test_binary,driver,test_instrument))
CHECK_SERIAL += $(B)/tests/driver/test_example $(B)/tests/driver/test_instrument

TEST_OBJS_driver_test_classify := $(DRV_UNIT_OBJS)
TEST_LIBS_driver_test_classify := $(call pkg_libs,libcjson libdw libelf) -lm -ldl
$(eval $(call test_binary,driver,test_classify))
