#!/usr/bin/env bash
# perftrace's overhead, measured side by side in one run (make bench):
#
#   - a CPU-bound workload that times its own work (bench/tracer_work.c), bare,
#     under `perftrace record` at 100 Hz and 1000 Hz, under `perftrace record
#     --floor` (interrupt, read registers, resume: nothing else) at 1000 Hz,
#     and under `perf record -e cpu-clock --call-graph dwarf` at the same
#     rates; rounds interleave the configurations, and each figure is the
#     median of its rounds;
#   - 64 threads at 100 Hz, bare and traced: a server-like workload (each
#     thread computes in short bursts between 5 ms sleeps, 64 of them below the
#     two CPUs' capacity) timing its compute bursts, and the CPU-bound
#     workload split over 64 threads (oversubscribed: 64 threads on the
#     machine's CPUs, timed from the first thread's start to the last one's
#     end);
#   - `perftrace report` on a sample file of at least 100,000 samples.
#
# Prints slowdowns as ratios of median work times.  BENCH_ROUNDS (default 7)
# and BENCH_UNITS (work per run, default 150000, about half a second bare on
# one core; the 64 threads share the same amount) tune it.
set -euo pipefail
B=${PERFPROF_BUILD:-build}
PT=$B/perftrace
W=$B/bench/tracer_work
ROUNDS=${BENCH_ROUNDS:-7}
UNITS=${BENCH_UNITS:-150000}
SERVER_ITERS=${BENCH_SERVER_ITERS:-300}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/perftrace-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

have_perf=0
if command -v perf >/dev/null 2>&1 &&
	perf record -q -e cpu-clock -F 100 -o "$tmp/probe.data" -- true >/dev/null 2>&1; then
	have_perf=1
fi

# run CONFIG THREADS [MODE]: prints the workload's own work time in seconds
run() {
	local cfg=$1 threads=$2 mode=${3:-cpu} out
	local cmd=("$W" cpu "$threads" $((UNITS / threads)))
	[ "$mode" = server ] && cmd=("$W" server "$threads" "$SERVER_ITERS")
	rm -f "$tmp/rec.ptrace" "$tmp/perf.data"
	case $cfg in
	bare) out=$("${cmd[@]}") ;;
	pt100) out=$("$PT" record -q -F 100 -o "$tmp/rec.ptrace" -- "${cmd[@]}") ;;
	pt1000) out=$("$PT" record -q -F 1000 -o "$tmp/rec.ptrace" -- "${cmd[@]}") ;;
	floor1000) out=$("$PT" record -q --floor -F 1000 -o "$tmp/rec.ptrace" -- "${cmd[@]}") ;;
	perf100) out=$(perf record -q -e cpu-clock -F 100 --call-graph dwarf -o "$tmp/perf.data" \
		-- "${cmd[@]}" 2>/dev/null) ;;
	perf1000) out=$(perf record -q -e cpu-clock -F 1000 --call-graph dwarf -o "$tmp/perf.data" \
		-- "${cmd[@]}" 2>/dev/null) ;;
	esac
	echo "${out#work_s }"
}

median() {
	sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'
}

configs=(bare pt100 pt1000 floor1000)
[ $have_perf -eq 1 ] && configs+=(perf100 perf1000)
declare -A times
echo "perftrace overhead: $ROUNDS interleaved rounds, medians of the workload's own time"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; other work on the machine shows in every figure)"
run bare 1 >/dev/null # warm-up
for ((r = 0; r < ROUNDS; r++)); do
	for c in "${configs[@]}"; do
		times[$c]+="$(run "$c" 1) "
	done
	times[bare64]+="$(run bare 64) "
	times[pt64]+="$(run pt100 64) "
	times[srv_bare]+="$(run bare 64 server) "
	times[srv_pt]+="$(run pt100 64 server) "
done
declare -A med
for c in "${configs[@]}" bare64 pt64 srv_bare srv_pt; do
	med[$c]=$(tr ' ' '\n' <<<"${times[$c]}" | grep . | median)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

printf '\n%-36s %10s %12s\n' "1 thread, $UNITS units" "median s" "vs bare"
printf '%-36s %10.4f %12s\n' "bare" "${med[bare]}" "1.000x"
printf '%-36s %10.4f %11sx\n' "perftrace -F 100" "${med[pt100]}" "$(ratio "${med[pt100]}" "${med[bare]}")"
printf '%-36s %10.4f %11sx\n' "perftrace -F 1000" "${med[pt1000]}" "$(ratio "${med[pt1000]}" "${med[bare]}")"
printf '%-36s %10.4f %11sx\n' "perftrace --floor -F 1000" "${med[floor1000]}" \
	"$(ratio "${med[floor1000]}" "${med[bare]}")"
if [ $have_perf -eq 1 ]; then
	printf '%-36s %10.4f %11sx\n' "perf record --call-graph dwarf -F 100" "${med[perf100]}" \
		"$(ratio "${med[perf100]}" "${med[bare]}")"
	printf '%-36s %10.4f %11sx\n' "perf record --call-graph dwarf -F 1000" "${med[perf1000]}" \
		"$(ratio "${med[perf1000]}" "${med[bare]}")"
fi
printf '\n%-36s %11sx\n' "perftrace 1000 Hz vs --floor" "$(ratio "${med[pt1000]}" "${med[floor1000]}")"
if [ $have_perf -eq 1 ]; then
	printf '%-36s %11sx\n' "perftrace vs perf, 100 Hz" "$(ratio "${med[pt100]}" "${med[perf100]}")"
	printf '%-36s %11sx\n' "perftrace vs perf, 1000 Hz" "$(ratio "${med[pt1000]}" "${med[perf1000]}")"
else
	echo "perf: not usable here (not installed, or perf_event_paranoid forbids it)"
fi
printf '\n%-36s %10s %12s\n' "64 threads, server-like (compute s)" "median s" "vs bare"
printf '%-36s %10.4f %12s\n' "bare" "${med[srv_bare]}" "1.000x"
printf '%-36s %10.4f %11sx\n' "perftrace -F 100" "${med[srv_pt]}" "$(ratio "${med[srv_pt]}" "${med[srv_bare]}")"
printf '\n%-36s %10s %12s\n' "64 threads, CPU-bound, oversubscribed" "median s" "vs bare"
printf '%-36s %10.4f %12s\n' "bare" "${med[bare64]}" "1.000x"
printf '%-36s %10.4f %11sx\n' "perftrace -F 100" "${med[pt64]}" "$(ratio "${med[pt64]}" "${med[bare64]}")"

# what perftrace reports of its own cost per sample (the workload at 1000 Hz)
"$PT" record -q -F 1000 -o "$tmp/cost.ptrace" -- "$W" cpu 1 "$UNITS" >/dev/null
"$PT" report -i "$tmp/cost.ptrace" --format json -o "$tmp/cost.json"
field() { # field OBJECT KEY: a number inside "OBJECT": { ... } of the report
	awk -v o="\"$1\":" -v k="\"$2\":" '$1 == o {in_o = 1} in_o && $1 == k {gsub(/,/, "", $2); print $2; exit}' \
		"$tmp/cost.json"
}
printf '\n%-36s median %s us, p99 %s us; perftrace'"'"'s own part: median %s us, p99 %s us\n' \
	"each sample held its thread" \
	"$(awk -v v="$(field stop_ns median)" 'BEGIN {printf "%.1f", v / 1000}')" \
	"$(awk -v v="$(field stop_ns p99)" 'BEGIN {printf "%.1f", v / 1000}')" \
	"$(awk -v v="$(field hold_ns median)" 'BEGIN {printf "%.1f", v / 1000}')" \
	"$(awk -v v="$(field hold_ns p99)" 'BEGIN {printf "%.1f", v / 1000}')"

# perftrace report on >= 100,000 samples: 100 sleeping threads at 250 Hz for 5 s
"$PT" record -q -F 250 -o "$tmp/big.ptrace" -- "$W" sleep 100 5 >/dev/null
"$PT" report -i "$tmp/big.ptrace" --format json -o "$tmp/big.json"
n=$(grep -m1 -o '"samples":[[:space:]]*[0-9]*' "$tmp/big.json" | grep -o '[0-9]*$')
for fmt in json text folded; do
	rt=()
	for ((r = 0; r < 3; r++)); do
		t0=$(date +%s.%N)
		"$PT" report -i "$tmp/big.ptrace" --format "$fmt" >/dev/null
		t1=$(date +%s.%N)
		rt+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
	done
	printf 'perftrace report --format %-7s on %s samples: %.3f s (median of 3)\n' "$fmt" "$n" \
		"$(printf '%s\n' "${rt[@]}" | median)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
