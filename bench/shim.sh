#!/usr/bin/env bash
# libperfshim.so overhead, side by side with the peer tools:
#   allocation-heavy, 2 threads:  shim/bare and heaptrack/bare  (target <= 1.25x)
#   small read/write syscalls:    shim/bare and strace -c -f/bare (target <= 1.05x)
#   TCP ping-pong on loopback:    shim/bare                      (target <= 1.05x)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
SHIM="$B/libperfshim.so"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/perfprof-bench-out.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
shim() { rm -rf "$OUT/s"; mkdir -p "$OUT/s"; LD_PRELOAD=$SHIM PERFSHIM_OUT=$OUT/s "$@"; }

peer_alloc="heaptrack"
command -v heaptrack >/dev/null || peer_alloc=""
peer_sys="strace"
command -v strace >/dev/null || peer_sys=""

args=(bare "work_ns $B/bench/shim_alloc 2000000" shim "work_ns shim $B/bench/shim_alloc 2000000")
[ -n "$peer_alloc" ] && args+=(heaptrack "work_ns heaptrack -o $OUT/ht $B/bench/shim_alloc 2000000")
bench_ratio "allocation-heavy, 2 threads x 2M malloc/free" "${args[@]}"
[ -z "$peer_alloc" ] && echo "  heaptrack: not installed (scripts/deps.sh bench)"

args=(bare "work_ns $B/bench/shim_syscall 100000" shim "work_ns shim $B/bench/shim_syscall 100000")
[ -n "$peer_sys" ] && args+=("strace -c -f" "work_ns strace -c -f -o /dev/null $B/bench/shim_syscall 100000")
bench_ratio "small I/O syscalls: 512 B pwrite+pread, 64 B pipe write+read, x100k" "${args[@]}"
[ -z "$peer_sys" ] && echo "  strace: not installed (scripts/deps.sh bench)"

bench_ratio "TCP ping-pong on loopback, 32 B x 20k" \
	bare "work_ns $B/bench/shim_pingpong 20000" shim "work_ns shim $B/bench/shim_pingpong 20000"
