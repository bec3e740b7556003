#!/usr/bin/env bash
# perfinject's benchmark: what a wrapped call costs, against the same call
# bare and against uftrace recording the same functions.
#
#   bench/inject_overhead.sh [CALLS] [RUNS]      (PERFPROF_BUILD=build by default)
#
# The same for Python (bench/inject_calls.py, CALLS/10 calls): bare, wrapped
# with the runtime idle (PERFSHIM_OUT unset), wrapped and recording, and
# cProfile, the profiler a Python user would otherwise pick.
#
# bench/inject_calls.c calls a small function CALLS times (default 2000000)
# and times the loop itself.  It is built bare, instrumented by perfinject
# (run without the shim, with the shim loaded but idle, and with the shim
# recording), and with -pg and with -finstrument-functions under
# `uftrace record`.  The variants run interleaved RUNS times (default 9);
# the figures are medians, in ns per call
# above the bare loop, and ratios of loop time against bare.  The shim's and
# uftrace's call counts are checked against CALLS, so a figure is only
# printed for a run that recorded every call.
set -euo pipefail

calls=${1:-2000000}
runs=${2:-9}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${PERFPROF_BUILD:-$here/../build}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/perfinject-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

cc=${CC:-gcc}
cp "$here/inject_calls.c" "$work/"
cd "$work"
$cc -O2 -o bare inject_calls.c
$cc -O2 -pg -o pg inject_calls.c
$cc -O2 -finstrument-functions -o fi inject_calls.c
"$build/perfinject" --root "$work" inject_calls.c:leaf inject_calls.c:main >/dev/null
$cc -O2 -o wrapped inject_calls.c
"$build/perfinject" --root "$work" --clean >/dev/null

have_uftrace=1
command -v uftrace >/dev/null || have_uftrace=0

loop_ns() { "$@" | cut -d' ' -f1; }

declare -A t
variants=(bare wrapped idle shim)
[ $have_uftrace = 1 ] && variants+=(uftrace uftrace_fi)
for ((r = 0; r < runs; r++)); do
	t[bare]+=" $(loop_ns ./bare "$calls")"
	t[wrapped]+=" $(loop_ns ./wrapped "$calls")"
	t[idle]+=" $(LD_PRELOAD=$build/libperfshim.so loop_ns ./wrapped "$calls")"
	rm -rf out && mkdir out
	t[shim]+=" $(LD_PRELOAD=$build/libperfshim.so PERFSHIM_OUT=$work/out loop_ns ./wrapped "$calls")"
	got=$(python3 -c 'import glob, json, sys
print(sum(s["calls"] for f in glob.glob("out/perfshim.*.json")
          for s in json.load(open(f))["spans"] if s["name"].endswith(":leaf")))')
	[ "$got" = "$calls" ] || { echo "inject bench: the shim recorded $got calls of leaf, not $calls" >&2; exit 1; }
	if [ $have_uftrace = 1 ]; then
		rm -rf ut
		t[uftrace]+=" $(loop_ns uftrace record --no-libcall -d ut ./pg "$calls")"
		if [ "$r" = 0 ]; then
			got=$(uftrace report --no-pager -d ut | awk '$NF == "leaf" { print $(NF-1) }')
			[ "$got" = "$calls" ] || { echo "inject bench: uftrace recorded $got calls of leaf" >&2; exit 1; }
		fi
		rm -rf ut
		t[uftrace_fi]+=" $(loop_ns uftrace record --no-libcall -d ut ./fi "$calls")"
		if [ "$r" = 0 ]; then
			got=$(uftrace report --no-pager -d ut | awk '$NF == "leaf" { print $(NF-1) }')
			[ "$got" = "$calls" ] || { echo "inject bench: uftrace recorded $got calls of leaf" >&2; exit 1; }
		fi
	fi
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bare=$(echo "${t[bare]}" | median)
printf 'inject: %s calls, median of %s interleaved runs (loop time; ns per call above bare)\n' "$calls" "$runs"
printf '  %-42s %7.1f ns/call\n' "bare" "$(echo "$bare $calls" | awk '{ print $1 / $2 }')"
declare -A label=([wrapped]="wrapped, no shim" [idle]="wrapped, shim loaded, PERFSHIM_OUT unset"
	[shim]="wrapped, shim recording" [uftrace]="uftrace record (-pg build)"
	[uftrace_fi]="uftrace record (-finstrument-functions)")
declare -A per
for v in "${variants[@]:1}"; do
	m=$(echo "${t[$v]}" | median)
	per[$v]=$(echo "$m $bare $calls" | awk '{ print ($1 - $2) / $3 }')
	printf '  %-42s %+7.1f ns/call  x%.2f bare\n' "${label[$v]}" "${per[$v]}" \
		"$(echo "$m $bare" | awk '{ print $1 / $2 }')"
done
if [ $have_uftrace = 1 ]; then
	# Against the cheaper of the two uftrace builds.
	printf '  uftrace (cheaper build) per call / wrapped+shim per call: x%.1f\n' \
		"$(echo "${per[uftrace]} ${per[uftrace_fi]} ${per[shim]}" |
			awk '{ print ($1 < $2 ? $1 : $2) / $3 }')"
else
	echo "  uftrace: not installed (scripts/deps.sh bench), no comparison"
fi

# Python.
command -v python3 >/dev/null || { echo "inject: python3 not installed, no Python figures"; exit 0; }
pycalls=$((calls / 10))
cp "$here/inject_calls.py" "$work/"
cp inject_calls.py inject_calls_bare.py
"$build/perfinject" --root "$work" inject_calls.py:leaf >/dev/null
declare -A p
for ((r = 0; r < runs; r++)); do
	p[bare]+=" $(loop_ns python3 inject_calls_bare.py "$pycalls")"
	p[idle]+=" $(PYTHONPATH=$build/python loop_ns python3 inject_calls.py "$pycalls")"
	rm -rf out && mkdir out
	p[rec]+=" $(PYTHONPATH=$build/python PERFSHIM_OUT=$work/out loop_ns python3 inject_calls.py "$pycalls")"
	got=$(python3 -c 'import glob, json
print(sum(s["calls"] for f in glob.glob("out/pyspans.*.json") for s in json.load(open(f))["spans"]))')
	[ "$got" = "$pycalls" ] || { echo "inject bench: the runtime recorded $got calls, not $pycalls" >&2; exit 1; }
	p[cprofile]+=" $(loop_ns python3 -m cProfile -o /dev/null inject_calls_bare.py "$pycalls")"
done
pbare=$(echo "${p[bare]}" | median)
printf 'inject (Python): %s calls, median of %s interleaved runs\n' "$pycalls" "$runs"
printf '  %-42s %7.1f ns/call\n' "bare" "$(echo "$pbare $pycalls" | awk '{ print $1 / $2 }')"
declare -A plabel=([idle]="wrapped, runtime idle (PERFSHIM_OUT unset)" [rec]="wrapped, recording"
	[cprofile]="cProfile")
declare -A pper
for v in idle rec cprofile; do
	m=$(echo "${p[$v]}" | median)
	pper[$v]=$(echo "$m $pbare $pycalls" | awk '{ print ($1 - $2) / $3 }')
	printf '  %-42s %+7.1f ns/call  x%.2f bare\n' "${plabel[$v]}" "${pper[$v]}" \
		"$(echo "$m $pbare" | awk '{ print $1 / $2 }')"
done
printf '  cProfile per call / wrapped per call: x%.2f\n' \
	"$(echo "${pper[cprofile]} ${pper[rec]}" | awk '{ print $1 / $2 }')"
