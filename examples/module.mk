# The bundled example (examples/shop.c) and `make demo`, which builds
# everything and profiles it end to end.
EXAMPLE_CFLAGS := -O1 -g -fno-omit-frame-pointer -Wall -Wextra

$(B)/examples/shop: examples/shop.c
	$(call quiet,CC,$@)mkdir -p $(@D) && $(CC) $(EXAMPLE_CFLAGS) $< -o $@

CHECK_DEPS += $(B)/examples/shop

# Installs what is missing, builds, then profiles the example: the entry
# point is build_report(), the order service's request handler.
demo:
	$(Q)scripts/deps.sh build
	$(Q)$(MAKE) --no-print-directory all $(B)/examples/shop
	$(Q)$(B)/perfprof --slug demo --target examples/shop.c:build_report -- $(B)/examples/shop
	$(Q)echo; echo "performance map: .perfprof/demo/performance_map.yaml"; \
	  echo "report:          .perfprof/demo/report.html"
