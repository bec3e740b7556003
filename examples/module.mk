# The bundled example (examples/shop.c) and `make demo`, which builds
# everything and profiles it end to end.
EXAMPLE_CFLAGS := -O1 -g -fno-omit-frame-pointer -Wall -Wextra

$(B)/examples/shop: examples/shop.c
	$(call quiet,CC,$@)mkdir -p $(@D) && $(CC) $(EXAMPLE_CFLAGS) $< -o $@

CHECK_DEPS += $(B)/examples/shop

# The demo profiles a copy of the example in $(B)/demo, a project of its
# own whose `make check` rebuilds and runs it: timing wrappers that the
# profile may insert go into the copy (and take effect), never into
# examples/.  The entry point is build_report(), the order handler.
DEMO_DIR := $(B)/demo
demo:
	$(Q)scripts/deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	$(Q)rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)/examples/tests && \
	  cp examples/shop.c $(DEMO_DIR)/examples/ && \
	  cp examples/tests/e2e_shop.sh $(DEMO_DIR)/examples/tests/ && \
	  printf 'check: shop\n\t./shop\nshop: examples/shop.c\n\t$(CC) $(EXAMPLE_CFLAGS) -o shop examples/shop.c\n' \
	    > $(DEMO_DIR)/Makefile
	$(Q)cd $(DEMO_DIR) && $(abspath $(B))/perfprof --slug demo \
	  --target examples/shop.c:build_report -- make -rs check
	$(Q)echo; echo "performance map: $(DEMO_DIR)/.perfprof/demo/performance_map.yaml"; \
	  echo "report:          $(DEMO_DIR)/.perfprof/demo/report.html"
