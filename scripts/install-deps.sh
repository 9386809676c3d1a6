#!/usr/bin/env bash
# Installs every Debian package vigil needs to build, run and test.
# Runs as root on Debian 12 (no sudo needed there); with sudo otherwise.
#   scripts/install-deps.sh            build, run, make test on the host
#   scripts/install-deps.sh --vmtest   also the kernel matrix (make vmtest):
#                                      qemu for x86_64 and arm64, the arm64
#                                      cross toolchain and libraries
set -euo pipefail
pkgs=(
	make gcc clang llvm pkg-config        # user space and BPF compilers
	libclang-rt-14-dev                   # libFuzzer, for the fuzz target (tests/fuzz)
	libbpf-dev libelf-dev libdw-dev zlib1g-dev libncurses-dev bpftool   # libraries (libdw: site unwinding), skeleton generator
	libbz2-dev                           # libdw's static closure (-lbz2 in libdw.pc): make static, tests/bpf/test_static.sh
	strace linux-perf tmux util-linux    # tests: ground truth (strace -c), perf, the TUI in tmux, setpriv
	libbpf-tools python3                 # cross-checks (runqlat), test scripts
	python3-numpy                        # tests: numpy arrays as Python allocation sites (tests/bpf/test_pysites.sh)
	prometheus curl                      # tests: vigil serve scraped by a real Prometheus, promtool
	mandoc man-db systemd                # tests: the man page's lint and rendering, systemd-analyze verify of the unit
)
foreign=
for arg in "$@"; do
	case $arg in
	--vmtest)
		pkgs+=(qemu-system-x86 qemu-system-arm cpio debian-archive-keyring lz4   # the VMs, their initramfs, BTF from bzImage
		       gcc-aarch64-linux-gnu libc6-dev-arm64-cross                 # vigil for arm64 guests
		       libbpf-dev:arm64 libelf-dev:arm64 libdw-dev:arm64 libbz2-dev:arm64 zlib1g-dev:arm64 libncurses-dev:arm64)
		foreign=arm64 ;;
	*) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
	esac
done
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
if [ -n "$foreign" ] && ! dpkg --print-foreign-architectures | grep -qx "$foreign"; then
	$SUDO dpkg --add-architecture "$foreign"
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
