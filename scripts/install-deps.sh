#!/usr/bin/env bash
# Installs every Debian package vigil needs to build, run and test.
# Runs as root on Debian 12 (no sudo needed there); with sudo otherwise.
set -euo pipefail
pkgs=(
	make gcc clang llvm pkg-config        # user space and BPF compilers
	libclang-rt-14-dev                   # libFuzzer, for the fuzz target (tests/fuzz)
	libbpf-dev libelf-dev zlib1g-dev libncurses-dev bpftool   # libraries, skeleton generator
	strace linux-perf tmux util-linux    # tests: ground truth (strace -c), perf, the TUI in tmux, setpriv
	libbpf-tools python3                 # cross-checks (runqlat), test scripts
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
