#!/usr/bin/env bash
# The kernel matrix: boots Debian's own kernel packages under qemu (TCG, no
# KVM needed) with an initramfs holding vigil, its workloads and the BPF
# checks of tests/vm/guest.sh, and brings the results back.
#
# Usage: scripts/vmtest.sh [ROW...]        rows of the matrix (default: all)
#        scripts/vmtest.sh --ci            the rows make test (and CI) runs
#        scripts/vmtest.sh --list          the rows, one per line
#        scripts/vmtest.sh --arch x86|arm64 --kernel SPEC [--mode full|noconfig|nobtf]
#                                          one VM of your choice
# ROW is ARCH-KERNEL[-MODE]: x86-6.1, arm64-6.1, x86-6.12, arm64-6.12, x86-5.10
# (Debian 11's arm64 5.10 cloud kernel is listed but not in the archive: 404),
# x86-6.1-noconfig, x86-6.1-nobtf, arm64-6.1-nobtf; and "host" (the same
# checks on the running kernel, no VM).
# KERNEL SPEC: 6.1 (bookworm's linux-image-cloud-ARCH), 6.12
# (bookworm-backports'), 5.10 (Debian 11's, bullseye-security: what RK3588
# vendor kernels are based on), or a package name (linux-image-6.1.0-50-cloud-amd64).
# MODE: full (the kernel's /boot/config-* present), noconfig (no config file
# and no /proc/config.gz, as on many boards), nobtf (/sys/kernel/btf/vmlinux
# hidden from libbpf, vigil given --btf with the BTF cut from the kernel
# image by scripts/btf-from-image.py).
#
# Prints the guest's PASS/FAIL/SKIP lines prefixed with the row, a summary
# table, and last "vmtest: N passed, N failed, N skipped".  Exits non-zero
# when anything failed.
#
# Environment: VIGIL_VMTEST_CACHE (default /var/cache/vigil-vmtest): kernel
# packages, the per-arch sysroots and the private apt state (Debian's
# archive, bookworm + backports + security, amd64 + arm64) live there and are
# reused between runs; nothing of the host's apt configuration is changed.
# VIGIL_VMTEST_TIMEOUT per VM in seconds (default 300; a row takes 60-90).
# VIGIL_VMTEST_KEEP=1 keeps the work directory (logs, initramfs).
# VIGIL_VMTEST_LOGLEVEL: the guest kernel's console loglevel (default 4:
# errors, RCU stalls and lockups show in a failed row's console tail).
# VIGIL_VMTEST_STATIC=1 boots the statically linked vigil of `make static`
# instead (rows are labelled ROW-static), e.g.
#   VIGIL_VMTEST_STATIC=1 scripts/vmtest.sh arm64-6.1
# which is what a board gets: one file, no library of its own.  Not a CI row.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${VIGIL_VMTEST_CACHE:-/var/cache/vigil-vmtest}
TIMEOUT=${VIGIL_VMTEST_TIMEOUT:-300}
ALL_ROWS=(x86-6.1 arm64-6.1 x86-6.12 arm64-6.12 x86-5.10 x86-6.1-noconfig x86-6.1-nobtf arm64-6.1-nobtf host)
# what make test (and so CI) runs: Debian 12's stock kernel on both
# architectures, a board-like kernel without its config, and one without BTF
CI_ROWS=(x86-6.1 arm64-6.1 x86-6.1-noconfig x86-6.1-nobtf)

die() { echo "vmtest: $*" >&2; exit 2; }

# ---- Debian's archive, through apt state of our own -------------------------
APT=(-o "Dir::Etc::SourceList=$CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State=$CACHE/apt/state" -o "Dir::Cache=$CACHE/apt/cache"
	-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o Debug::NoLocking=1)
apt_ready=0
apt_setup() {
	[ $apt_ready = 1 ] && return 0
	mkdir -p "$CACHE/apt/state/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/debs" "$CACHE/apt/empty"
	local k=/usr/share/keyrings/debian-archive-keyring.gpg m=${VIGIL_VMTEST_MIRROR:-http://deb.debian.org}
	cat >"$CACHE/apt/sources.list" <<-EOF
	deb [arch=amd64,arm64 signed-by=$k] $m/debian bookworm main
	deb [arch=amd64,arm64 signed-by=$k] $m/debian bookworm-backports main
	deb [arch=amd64,arm64 signed-by=$k] $m/debian-security bookworm-security main
	deb [arch=amd64,arm64 signed-by=$k] $m/debian-security bullseye-security main
	EOF
	# the package lists, refreshed once a day
	if [ -z "$(find "$CACHE/apt/state/lists" -name '*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
		apt-get "${APT[@]}" update -q >"$CACHE/apt/update.log" 2>&1 ||
			{ tail -n5 "$CACHE/apt/update.log" >&2; die "apt-get update of the private state failed"; }
	fi
	apt_ready=1
}

# downloads package $1 (name[:arch][/suite], apt's candidate) into
# $CACHE/debs unless it is there; prints the .deb
deb_of() {
	local spec=$1 f
	apt_setup
	# the file name apt would give the candidate
	# the file name apt would give the candidate (asked from an empty
	# directory: apt names no file that is already where it would go)
	f=$(cd "$CACHE/apt/empty" && apt-get "${APT[@]}" download --print-uris "$spec" 2>/dev/null | awk '{ print $2 }' | head -n1)
	[ -n "$f" ] || die "no package $spec in Debian's archive"
	if [ ! -s "$CACHE/debs/$f" ]; then
		(cd "$CACHE/debs" && apt-get "${APT[@]}" download -q "$spec" >"$CACHE/debs/last.log" 2>&1) ||
			{ tail -n5 "$CACHE/debs/last.log" >&2; die "downloading $spec failed"; }
	fi
	[ -s "$CACHE/debs/$f" ] || die "downloading $spec gave no $f"
	echo "$CACHE/debs/$f"
}

# the same for many packages, with one apt call each way; prints the .debs
debs_of() {
	local files f missing=()
	apt_setup
	files=$(cd "$CACHE/apt/empty" && apt-get "${APT[@]}" download --print-uris "$@" 2>/dev/null | awk '{ print $2 }')
	[ "$(echo "$files" | grep -c .)" -ge $# ] || die "not every one of $* is in Debian's archive"
	for f in $files; do [ -s "$CACHE/debs/$f" ] || missing=(1); done
	if [ ${#missing[@]} -gt 0 ]; then
		(cd "$CACHE/debs" && apt-get "${APT[@]}" download -q "$@" >"$CACHE/debs/last.log" 2>&1) ||
			{ tail -n5 "$CACHE/debs/last.log" >&2; die "downloading the guest's packages failed"; }
	fi
	for f in $files; do echo "$CACHE/debs/$f"; done
}

debarch() { [ "$1" = arm64 ] && echo arm64 || echo amd64; }

# KERNEL SPEC -> the linux-image package it means for arch $1
kernel_pkg() {
	local da; da=$(debarch "$1")
	case $2 in
	6.1) meta="linux-image-cloud-$da:$da" ;;
	6.12) meta="linux-image-cloud-$da:$da/bookworm-backports" ;;
	5.10) meta="linux-image-cloud-$da:$da/bullseye-security" ;; # Debian 11
	linux-image-*) echo "$2:$da"; return ;;
	*) die "kernel spec '$2': use 5.10, 6.1, 6.12 or a linux-image-* package name" ;;
	esac
	apt_setup
	local dep
	dep=$(apt-cache "${APT[@]}" depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\).*/\1/p' | head -n1)
	[ -n "$dep" ] || die "cannot resolve $meta"
	case $2 in
	6.12) echo "${dep%%:*}:$da/bookworm-backports" ;;
	5.10) echo "${dep%%:*}:$da/bullseye-security" ;;
	*) echo "${dep%%:*}:$da" ;;
	esac
}

# the kernel package unpacked under $CACHE/kernels/PKG; prints that directory
kernel_dir() {
	local deb d
	deb=$(deb_of "$1") || exit 2
	d=$CACHE/kernels/$(basename "$deb" .deb)
	if [ ! -f "$d/.done" ]; then
		rm -rf "$d"; mkdir -p "$d"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$d" ./boot || die "unpacking $deb failed"
		touch "$d/.done"
	fi
	echo "$d"
}

# ---- the guest's user space: Debian's packages of the guest's arch ----------
# what the guest runs, and what that needs (Depends and Pre-Depends, from apt)
SYSROOT_ROOTS=(bash strace bpftool busybox-static libbpf1 libelf1 libdw1 zlib1g libncursesw6 libtinfo6
	python3.11-minimal)
sysroot() { # $1 = arch; prints the directory
	local arch=$1 da d p deb pkgs
	da=$(debarch "$arch")
	d=$CACHE/sysroot-$arch
	if [ ! -f "$d/.done" ] || [ "$(cat "$d/.done")" != "${SYSROOT_ROOTS[*]}" ]; then
		apt_setup
		# the closure, packages of the guest's architecture only (arch: all
		# ones hold no ELF files the guest needs)
		pkgs=$(apt-cache "${APT[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
			--no-breaks --no-replaces --no-enhances "${SYSROOT_ROOTS[@]/%/:$da}" 2>/dev/null |
			grep -v '^[ <]' | sort -u | awk -v da="$da" '
				da == "amd64" && !/:/ { print $0 ":amd64" } index($0, ":" da) { print }')
		[ -n "$pkgs" ] || die "cannot resolve the guest's packages for $da"
		rm -rf "$d"; mkdir -p "$d"
		local debs
		debs=$(debs_of $pkgs) || exit 2
		for deb in $debs; do
			dpkg-deb -x "$deb" "$d" || die "unpacking $deb failed"
		done
		echo "${SYSROOT_ROOTS[*]}" >"$d/.done"
	fi
	echo "$d"
}

# copies ELF file $2 (a path inside sysroot $1, or an absolute host path) to
# $3 (path in the image root $4) with every library it needs, from the sysroot
copy_elf() {
	local sr=$1 src=$2 dst=$3 img=$4 lib found dir
	mkdir -p "$img/$(dirname "$dst")"
	cp -L "$src" "$img/$dst" || die "copying $src failed"
	local interp; interp=$(readelf -l "$src" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$img/$interp" ]; then
		mkdir -p "$img/$(dirname "$interp")"
		cp -L "$sr/$interp" "$img/$interp" 2>/dev/null ||
			cp -L "$sr/usr/$interp" "$img/$interp" || die "interpreter $interp not in the sysroot"
	fi
	for lib in $(readelf -d "$src" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		# a library of ours next to the program (run path $ORIGIN: the
		# workloads' libwlsite_*.so) goes next to it in the image too
		if [ "${src#"$sr"/}" = "$src" ] && [ -e "$(dirname "$src")/$lib" ]; then
			[ -e "$img/$(dirname "$dst")/$lib" ] || copy_elf "$sr" "$(dirname "$src")/$lib" "$(dirname "$dst")/$lib" "$img"
			continue
		fi
		found=
		for dir in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
			if [ -e "$sr/$dir/$lib" ]; then found=$dir; break; fi
		done
		[ -n "$found" ] || die "library $lib (needed by $src) is in none of the sysroot's packages"
		[ -e "$img/$found/$lib" ] && continue
		copy_elf "$sr" "$sr/$found/$lib" "$found/$lib" "$img"
	done
}

# ---- building vigil for the guest -------------------------------------------
build_vigil() { # $1 = arch; prints "BIN WORKLOAD_DIR"
	local arch=$1 out bin
	if [ "$arch" = "$HOST_ARCH" ]; then
		out=.output
	else
		out=.output/$arch
	fi
	make -C "$ROOT" --no-print-directory -j"$(nproc)" ARCH="$arch" OUTPUT="$out" vigil workloads >"$WORK/build-$arch.log" 2>&1 ||
		{ tail -n 20 "$WORK/build-$arch.log" >&2; die "building vigil for $arch failed (log: $WORK/build-$arch.log)"; }
	if [ "${VIGIL_VMTEST_STATIC:-0}" = 1 ]; then
		make -C "$ROOT" --no-print-directory static STATIC_ARCHS="$arch" >>"$WORK/build-$arch.log" 2>&1 ||
			{ tail -n 20 "$WORK/build-$arch.log" >&2; die "make static for $arch failed (log: $WORK/build-$arch.log)"; }
		bin=$ROOT/.output/static/vigil-$([ "$arch" = x86 ] && echo x86_64 || echo aarch64)
		# copy_elf would bring any library it names: there must be none
		LC_ALL=C readelf -d "$bin" 2>&1 | grep -q 'There is no dynamic section' || die "$bin is not statically linked"
		echo "$bin $ROOT/$out/workloads"
	elif [ "$arch" = "$HOST_ARCH" ]; then echo "$ROOT/vigil $ROOT/$out/workloads"; else echo "$ROOT/$out/vigil $ROOT/$out/workloads"; fi
}

# ---- the initramfs ------------------------------------------------------------
make_initramfs() { # $1 = arch, $2 = kernel dir, $3 = mode, $4 = output file
	local arch=$1 kd=$2 mode=$3 out=$4 sr img bin wl kver
	sr=$(sysroot "$arch") || exit 2
	read -r bin wl <<<"$(build_vigil "$arch")" || exit 2
	[ -x "$bin" ] || exit 2
	img=$WORK/img-$arch-$mode; rm -rf "$img"
	mkdir -p "$img"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,boot,vigil/tests/bpf,vigil/tests/vm,vigil/.output/workloads}
	cp "$sr/bin/busybox" "$img/bin/busybox"
	copy_elf "$sr" "$sr/bin/bash" bin/bash "$img"
	copy_elf "$sr" "$sr/usr/bin/strace" usr/bin/strace "$img"
	copy_elf "$sr" "$sr/usr/sbin/bpftool" usr/sbin/bpftool "$img"
	copy_elf "$sr" "$bin" vigil/vigil "$img"
	# Debian's static python3.11 and its minimal standard library, for
	# the Python sites (tests/workloads/wl_pymin.py)
	copy_elf "$sr" "$sr/usr/bin/python3.11" usr/bin/python3.11 "$img"
	mkdir -p "$img/usr/lib" "$img/vigil/tests/workloads"
	cp -a "$sr/usr/lib/python3.11" "$img/usr/lib/"
	cp "$ROOT/tests/workloads/wl_pymin.py" "$img/vigil/tests/workloads/"
	for f in "$wl"/*; do copy_elf "$sr" "$f" "vigil/.output/workloads/$(basename "$f")" "$img"; done
	cp "$ROOT"/tests/bpf/lib.sh "$ROOT"/tests/bpf/test_correctness.sh "$img/vigil/tests/bpf/"
	cp "$ROOT"/tests/vm/guest.sh "$img/vigil/tests/vm/"
	cp "$ROOT/tests/vm/init" "$img/init"; chmod 755 "$img/init"
	kver=$(basename "$(ls "$kd"/boot/vmlinuz-*)"); kver=${kver#vmlinuz-}
	[ "$mode" = noconfig ] || cp "$kd/boot/config-$kver" "$img/boot/"
	if [ "$mode" = nobtf ]; then
		# what a board user does: cut the BTF out of the kernel image they boot
		python3 "$ROOT/scripts/btf-from-image.py" --quiet --arch "$arch" "$kd/boot/vmlinuz-$kver" "$img/vigil/vmlinux.btf" ||
			die "btf-from-image.py found no BTF in $kd/boot/vmlinuz-$kver"
	fi
	echo "$mode" >"$img/vigil/mode"
	(cd "$img" && find . | cpio -o -H newc --quiet | gzip -1) >"$out" || die "cpio failed"
}

# ---- one VM ---------------------------------------------------------------------
run_vm() { # $1 = arch, $2 = kernel spec, $3 = mode, $4 = row label; appends to the summary
	local arch=$1 spec=$2 mode=$3 row=$4 pkg kd kimg log t0 t1 rc
	pkg=$(kernel_pkg "$arch" "$spec") || exit 2
	kd=$(kernel_dir "$pkg") || exit 2
	kimg=$(ls "$kd"/boot/vmlinuz-* | head -n1)
	make_initramfs "$arch" "$kd" "$mode" "$WORK/$row.cpio.gz" || exit 2
	log=$WORK/$row.console
	local qemu
	if [ "$arch" = x86 ]; then
		# -cx16: QEMU 7.2's TCG corrupts EFLAGS in cmpxchg16b, which 6.12's SLUB uses
		# (a double fault in kmem_cache_alloc); without it SLUB takes its other path
		# thread=single: with one host thread per vCPU, a vCPU could run a
		# stale copy of code the kernel had just patched (tracepoint
		# static keys flip as vigil attaches and detaches): "Oops: int3"
		# in mm_trace_rss_stat on 6.12, 2 runs in 6.  One thread for both
		# vCPUs sees every patch at once.
		qemu=(qemu-system-x86_64 -M q35 -accel tcg,thread=single -cpu max,-cx16
		      -append "console=ttyS0 quiet loglevel=${VIGIL_VMTEST_LOGLEVEL:-4} panic=-1")
	else
		qemu=(qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -append "console=ttyAMA0 quiet loglevel=${VIGIL_VMTEST_LOGLEVEL:-4} panic=-1")
	fi
	command -v "${qemu[0]}" >/dev/null || die "${qemu[0]} is not installed (scripts/install-deps.sh --vmtest)"
	t0=$(date +%s.%N)
	timeout "$TIMEOUT" "${qemu[@]}" -smp 2 -m 1536 -kernel "$kimg" -initrd "$WORK/$row.cpio.gz" \
		-nographic -no-reboot -nic none </dev/null >"$log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	tr -d '\r' <"$log" >"$log.txt"
	collect "$row" "$log.txt" "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')" \
		"${pkg%%:*} ($(sed -n 's/.*VMTEST-KERNEL //p' "$log.txt" | head -n1))"
}

run_host() {
	local log=$WORK/host.console t0 t1
	read -r bin wl <<<"$(build_vigil "$HOST_ARCH")" || exit 2
	t0=$(date +%s.%N)
	VIGIL_VM_MODE=host bash "$ROOT/tests/vm/guest.sh" >"$log" 2>&1
	t1=$(date +%s.%N)
	collect host "$log" 0 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')" "host $(uname -r)"
}

# ---- results ----------------------------------------------------------------------
npass=0 nfail=0 nskip=0
summary=()
collect() { # $1 = row, $2 = log, $3 = exit code, $4 = seconds, $5 = kernel
	local row=$1 log=$2 rc=$3 secs=$4 p f s
	p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
	# "PASS [row] name": tests/run.sh counts these lines
	grep -E '^(PASS|FAIL|SKIP) |^   ' "$log" | sed -E "s/^(PASS|FAIL|SKIP) /\1 [$row] /; s/^   /   [$row] /"
	if [ "$row" != host ] && ! grep -q '^VMTEST-END' "$log"; then
		# the guest never finished: a panic, a hang or a crash of the checks
		f=$((f + 1))
		echo "FAIL [$row] the VM did not finish (qemu exit $rc); console tail:"
		tail -n 25 "$log" | sed 's/^/      /'
	fi
	[ "$f" -gt 0 ] && [ "$row" != host ] && [ -n "${VIGIL_VMTEST_KEEP:-}" ] && echo "   console: $log"
	npass=$((npass + p)); nfail=$((nfail + f)); nskip=$((nskip + s))
	summary+=("$(printf '%-18s %-48s %5s %5s %5s %6ss' "$row" "$5" "$p" "$f" "$s" "$secs")")
}

# ---- main -------------------------------------------------------------------------
HOST_ARCH=$(uname -m | sed -e 's/^x86_64$/x86/' -e 's/^aarch64$/arm64/')
rows=() arch= kernel= mode=full
while [ $# -gt 0 ]; do
	case $1 in
	--list) printf '%s\n' "${ALL_ROWS[@]}"; exit 0 ;;
	--ci) rows+=("${CI_ROWS[@]}"); shift ;;
	--arch) arch=${2:-}; shift 2 || die "--arch needs x86 or arm64" ;;
	--kernel) kernel=${2:-}; shift 2 || die "--kernel needs a spec" ;;
	--mode) mode=${2:-}; shift 2 || die "--mode needs full, noconfig or nobtf" ;;
	-h|--help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) rows+=("$1"); shift ;;
	esac
done
case $mode in full|noconfig|nobtf) ;; *) die "--mode $mode: use full, noconfig or nobtf" ;; esac
if [ -n "$kernel" ] || [ -n "$arch" ]; then
	arch=${arch:-$HOST_ARCH}; kernel=${kernel:-6.1}
	case $arch in x86|arm64) ;; *) die "--arch $arch: use x86 or arm64" ;; esac
	rows=("$arch-$kernel$([ "$mode" = full ] || echo "-$mode")")
fi
[ ${#rows[@]} -gt 0 ] || rows=("${ALL_ROWS[@]}")
if [ "$(id -u)" != 0 ]; then
	# as the BPF tests do: a skip, unless the run demands BPF
	why="not root: the VMs' kernels load BPF as root, and the cache is $CACHE"
	if [ "${VIGIL_REQUIRE_BPF:-0}" = 1 ]; then echo "FAIL vmtest: $why (VIGIL_REQUIRE_BPF=1)"; exit 1; fi
	echo "SKIP vmtest: $why"; exit 0
fi

WORK=$(mktemp -d /tmp/vigil-vmtest.XXXXXX)
[ -n "${VIGIL_VMTEST_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
t_start=$(date +%s)
label_suffix=$([ "${VIGIL_VMTEST_STATIC:-0}" = 1 ] && echo -static)
for row in "${rows[@]}"; do
	echo "== vmtest $row$label_suffix"
	if [ "$row" = host ]; then run_host; continue; fi
	if [ -n "$arch" ]; then
		run_vm "$arch" "$kernel" "$mode" "$row$label_suffix" || exit 2
		continue
	fi
	IFS=- read -r r_arch r_kernel r_mode <<<"$row"
	case $r_arch in x86|arm64) ;; *) die "row '$row': see --list" ;; esac
	run_vm "$r_arch" "$r_kernel" "${r_mode:-full}" "$row$label_suffix" || exit 2
done
echo
printf '%-18s %-48s %5s %5s %5s %7s\n' row kernel pass fail skip time
printf '%s\n' "${summary[@]}"
echo "vmtest: $(($(date +%s) - t_start)) s in all"
echo "vmtest: $npass passed, $nfail failed, $nskip skipped"
[ $nfail -eq 0 ]
