#!/usr/bin/env bash
# Install what perfprof needs with apt-get, only when something is missing.
#
#   scripts/deps.sh [build] [test] [bench] [browser]
#
# build:   compilers and the libraries the toolkit links (default)
# test:    what `make check` runs against (strace, python3, git, gzip, ...)
# bench:   the peer tools the benchmarks compare against
# browser: headless Chromium, used to check that report.html renders
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build)

pkgs=()
for g in "${groups[@]}"; do
	case "$g" in
	build) pkgs+=(gcc g++ make pkg-config libc6-dev libunwind-dev libcapstone-dev
		      libcjson-dev libdw-dev libelf-dev libcriterion-dev) ;;
	test) pkgs+=(strace python3 git gzip bash coreutils procps iproute2 binutils clang googletest) ;;
	bench) pkgs+=(heaptrack strace uftrace hyperfine linux-perf valgrind ltrace) ;;
	browser) pkgs+=(chromium) ;;
	*) echo "deps.sh: unknown group '$g' (build, test, bench, browser)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	# python3 may come from pyenv or elsewhere; a working interpreter is enough.
	if [ "$p" = python3 ] && command -v python3 >/dev/null 2>&1; then continue; fi
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
