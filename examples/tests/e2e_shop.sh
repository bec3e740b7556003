#!/bin/sh
# End-to-end test of the example: build_report() must price all 35 items
# of the order through the inventory service.  Run from the directory that
# holds the built ./shop (the demo's project), or give its path.
set -eu
shop=${1:-./shop}
out=$("$shop")
case "$out" in
"order of 35 items: total 16515, signature "*) echo "ok: $out" ;;
*) echo "unexpected output: $out" >&2; exit 1 ;;
esac
