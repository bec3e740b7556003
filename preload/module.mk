# libperfshim.so, the preloaded shim.  Built -fPIC with hidden visibility so
# that only the hooks and the span API are exported; never sanitized (see
# the top Makefile), and it links nothing beyond libc.
SHIM_SRCS     := $(wildcard preload/*.c)
SHIM_ASM      := $(wildcard preload/*.S)
SHIM_OBJS     := $(SHIM_SRCS:%.c=$(B)/pic/%.o) $(SHIM_ASM:%.S=$(B)/pic/%.o) \
		 $(B)/pic/common/jsonw.o
SHIM_CPPFLAGS := -Ipreload -U_FORTIFY_SOURCE -fno-stack-protector
$(SHIM_OBJS): EXTRA_CPPFLAGS += $(SHIM_CPPFLAGS)

$(B)/pic/%.o: %.S
	$(call quiet,AS,$<)mkdir -p $(@D) && $(CC) -fPIC -c $< -o $@

$(B)/libperfshim.so: $(SHIM_OBJS)
	$(call quiet,LINK,$@)$(CC) -shared -fPIC -Wl,--no-undefined -Wl,-z,now -Wl,-z,defs \
		-static-libgcc -Wl,--exclude-libs,ALL $(LDFLAGS) $^ -o $@ -ldl

# The counter-file reader shared with `perfprof recover`.
SHIM_REPORT_OBJS := $(B)/obj/preload/report.o $(B)/obj/common/jsonw.o
$(B)/obj/preload/report.o: EXTRA_CPPFLAGS += -Ipreload

ALL	    += $(B)/libperfshim.so
INSTALL_LIB += $(B)/libperfshim.so
INSTALL_INC += preload/perfshim.h
INSTALL_MAN7 += docs/man/libperfshim.7
