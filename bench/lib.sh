# Shared helpers for the benchmark scripts (sourced).
#
# Each workload prints "work_ns N [cpu_ns M]", the wall (and CPU) time of its
# own work.  bench_ratio runs the configurations of one workload alternately,
# ROUNDS times, and prints the median time of each and the median of the
# per-round ratios against the first configuration (bare), which is robust to
# the drift of a shared, noisy machine.  CPU time is shown too: on a loaded
# machine it is the steadier of the two.

: "${ROUNDS:=9}"
B=${PERFPROF_BUILD:-build}

work_ns() {
	"$@" 2>/dev/null | awk '/^work_ns/ { print $2, ($3 == "cpu_ns" ? $4 : 0) }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio TITLE NAME1 "CMD1" NAME2 "CMD2" ...   (NAME1 is the baseline)
bench_ratio() {
	local title=$1 i r n
	shift
	local -a names cmds
	while [ $# -gt 0 ]; do
		names+=("$1")
		cmds+=("$2")
		shift 2
	done
	n=${#names[@]}
	local tmp
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/perfprof-bench.XXXXXX")
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < n; i++)); do
			t=$(eval "${cmds[$i]}")
			[ -n "$t" ] || { echo "bench: '${cmds[$i]}' printed no work_ns" >&2; rm -rf "$tmp"; return 1; }
			echo "$t" >>"$tmp/$i"
		done
		for ((i = 1; i < n; i++)); do
			paste -d' ' "$tmp/0" "$tmp/$i" | tail -1 |
				awk '{ printf "%.6f %.6f\n", $3 / $1, ($2 > 0 ? $4 / $2 : 0) }' >>"$tmp/r$i"
		done
	done
	printf '%s (%d rounds, alternating; medians)\n' "$title" "$ROUNDS"
	printf '  %-28s %10s %10s %10s\n' configuration "wall ms" "x bare" "cpu x bare"
	for ((i = 0; i < n; i++)); do
		local ms ratio cratio
		ms=$(awk '{ print $1 }' "$tmp/$i" | median | awk '{ printf "%.1f", $1 / 1e6 }')
		if [ "$i" -eq 0 ]; then
			ratio=1.00 cratio=1.00
		else
			ratio=$(awk '{ print $1 }' "$tmp/r$i" | median | awk '{ printf "%.3f", $1 }')
			cratio=$(awk '{ print $2 }' "$tmp/r$i" | median | awk '{ printf "%.3f", $1 }')
		fi
		printf '  %-28s %10s %10s %10s\n' "${names[$i]}" "$ms" "$ratio" "$cratio"
		echo "${names[$i]} $ratio $cratio" >>"$tmp/summary"
	done
	cp "$tmp/summary" "${BENCH_SUMMARY:-/dev/null}" 2>/dev/null || true
	rm -rf "$tmp"
}
