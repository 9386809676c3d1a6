#!/usr/bin/env bash
# Cross-check the arm64 build on an x86_64 Debian 12 host, end to end, from a
# clean copy of the tree (the tree itself is never written to):
#   1. the committed vmlinux/arm64/vmlinux.h is a generated arm64 header
#   2. `make ARCH=arm64 OUTPUT=.output/arm64 .output/arm64/vigil.bpf.o` builds
#      without a warning
#   3. the arm64 user space links against Debian's arm64 libraries
#   4. the arm64 binary runs under qemu-user: --help, and `vigil dump` of a
#      dump recorded on this x86 machine prints exactly what x86 prints
#   5. the unit tests, built for arm64 (with ASan/UBSan), pass under qemu-user
# Missing Debian packages are installed with apt-get (root; arm64 is added as
# a foreign architecture).  Prints one PASS/FAIL/SKIP line per check and
#   cross-check-arm64: N passed, N failed, N skipped
# and exits non-zero when anything failed.  Safe to rerun: the work copy is
# made anew each time.  About a minute once the packages are installed.
#
# Usage: scripts/cross-check-arm64.sh [--patch FILE]... [--no-install] [SRC]
#   SRC          tree to check (default: the one this script is in)
#   --patch F    apply F (patch -p1) to the copy first, e.g. a proposed fix
#   --no-install fail instead of installing missing packages
# Environment: VIGIL_CROSS_DIR work directory (default /tmp/vigil-arm64; it
#              is deleted and recreated).
#
# What qemu-user cannot show: vigil's kernel side.  qemu-user has no bpf()
# syscall, so `vigil record/live` must be tried on a real arm64 board.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=
patches=()
install=1
while [ $# -gt 0 ]; do
	case "$1" in
	--patch) [ $# -ge 2 ] || { echo "cross-check-arm64: --patch needs a file" >&2; exit 2; }
		patches+=("$(realpath "$2")"); shift 2 ;;
	--no-install) install=0; shift ;;
	-h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "cross-check-arm64: unknown option $1" >&2; exit 2 ;;
	*) src=$1; shift ;;
	esac
done
src=$(cd "${src:-$here/..}" && pwd) || exit 2
work=${VIGIL_CROSS_DIR:-/tmp/vigil-arm64}
case "$work" in /|"$src"|"$src"/*) echo "cross-check-arm64: refusing work dir $work" >&2; exit 2 ;; esac

CROSS_CC=aarch64-linux-gnu-gcc
OUT=.output/arm64   # its own output dir (passed as OUTPUT=, which the Makefile honours)
QEMU=qemu-aarch64-static
SYSROOT=/usr/aarch64-linux-gnu
jobs=$(nproc 2>/dev/null || echo 2)
npass=0 nfail=0 nskip=0
t_start=$(date +%s)

pass() { npass=$((npass + 1)); echo "PASS $*"; }
skip() { nskip=$((nskip + 1)); echo "SKIP $*"; }
fail() { nfail=$((nfail + 1)); echo "FAIL $*"; }
show() { tail -n "${2:-25}" "$1" | sed 's/^/      /'; }   # the end of a log, indented
finish() {
	echo "cross-check-arm64: $(($(date +%s) - t_start)) s, logs in $work/logs"
	echo "cross-check-arm64: $npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ]
	exit
}

if [ "$(uname -m)" != x86_64 ]; then
	fail "host: this check cross-builds from x86_64; on an arm64 machine run 'make test' natively"
	finish
fi

# ---- packages ----------------------------------------------------------------
pkgs=(make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libncurses-dev
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
      libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libncurses-dev:arm64)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && [ "$install" = 1 ]; then
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "cross-check-arm64: installing ${missing[*]}"
	{
		dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
		$SUDO apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
	} > /tmp/cross-check-arm64-apt.log 2>&1 || { show /tmp/cross-check-arm64-apt.log; }
	missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
fi
if [ ${#missing[@]} -gt 0 ]; then
	fail "packages: missing ${missing[*]}"
	finish
fi
pass "packages: cross toolchain, arm64 libraries and qemu-user present ($($CROSS_CC -dumpfullversion), $($QEMU --version | head -n1))"

# ---- a clean copy ------------------------------------------------------------
rm -rf "$work"
mkdir -p "$work/logs" "$work/qemu-argv0"
logs=$work/logs
tree=$work/tree
mkdir "$tree"
tar -C "$src" --exclude=./.git --exclude=./.output --exclude=./vigil -cf - . | tar -C "$tree" -xf -
cd "$tree" || exit 1
make clean > /dev/null 2>&1
for p in "${patches[@]}"; do
	if patch -p1 --no-backup-if-mismatch < "$p" > "$logs/patch.log" 2>&1; then
		echo "cross-check-arm64: applied $p to the copy"
	else
		fail "patch: $p does not apply"; show "$logs/patch.log"; finish
	fi
done
# a second copy for native x86 builds of the same sources (reference runs)
x86=$work/x86
mkdir "$x86"
tar -C "$tree" -cf - . | tar -C "$x86" -xf -

# is a unit test failure arm64's own?  Run the same test natively and compare.
native_verdict() { # $1 = test name, $2 = its FAIL lines under qemu
	make -C "$x86" -j"$jobs" ARCH=x86 ".output/tests/$1" > "$logs/$1.x86-build.log" 2>&1 ||
		{ echo "      (the native x86 build of $1 failed too)"; return; }
	"$x86/.output/tests/$1" > "$logs/$1.x86.log" 2>&1
	if [ -z "$2" ]; then
		echo "      (natively on x86: exit $?, $(grep -c '^FAIL ' "$logs/$1.x86.log") FAIL lines)"
	elif [ "$(grep '^FAIL ' "$logs/$1.x86.log" | sort -u)" = "$(echo "$2" | sort -u)" ]; then
		echo "      (fails the same way natively on x86: not an arm64 problem)"
	else
		echo "      (natively on x86 it differs, so arm64-specific:)"
		grep '^FAIL ' "$logs/$1.x86.log" | head -n 5 | sed 's/^/        x86: /'
	fi
}

# ---- 1. header ---------------------------------------------------------------
hdr=vmlinux/arm64/vmlinux.h
if [ ! -s "$hdr" ]; then
	fail "header: $hdr missing (scripts/gen-vmlinux.sh arm64 --debian)"
elif ! head -n1 "$hdr" | grep -q '^/\* Generated by scripts/gen-vmlinux.sh arm64 '; then
	fail "header: $hdr does not say it was generated by scripts/gen-vmlinux.sh arm64"
elif ! grep -q '^	u64 orig_x0;' "$hdr"; then
	fail "header: $hdr has no arm64 struct pt_regs (orig_x0)"
else
	pass "header: $hdr ($(wc -l < "$hdr") lines, from $(head -n1 "$hdr" | sed -e 's/^.* from //' -e 's/: BTF.*//'))"
fi

# ---- 2. BPF object -----------------------------------------------------------
bpf_ok=0
if make V=1 ARCH=arm64 OUTPUT=$OUT $OUT/vigil.bpf.o > "$logs/bpf.log" 2>&1; then
	if grep -q 'warning:' "$logs/bpf.log"; then
		fail "bpf: make ARCH=arm64 $OUT/vigil.bpf.o: $(grep -c 'warning:' "$logs/bpf.log") warning(s)"; show "$logs/bpf.log"
	elif ! grep -q -- '-D__TARGET_ARCH_arm64' "$logs/bpf.log" || ! grep -q -- '-Ivmlinux/arm64' "$logs/bpf.log"; then
		fail "bpf: the object was not compiled with -D__TARGET_ARCH_arm64 -Ivmlinux/arm64"; show "$logs/bpf.log"
	elif ! readelf -h $OUT/vigil.bpf.o 2>/dev/null | grep -q 'Linux BPF'; then
		fail "bpf: $OUT/vigil.bpf.o is not a BPF ELF object"
	else
		bpf_ok=1
		pass "bpf: make ARCH=arm64 OUTPUT=$OUT $OUT/vigil.bpf.o, no warnings ($(stat -c %s $OUT/vigil.bpf.o) bytes)"
	fi
else
	fail "bpf: make ARCH=arm64 OUTPUT=$OUT $OUT/vigil.bpf.o failed"; grep -E 'error|warning' "$logs/bpf.log" | head -n 20 | sed 's/^/      /'
fi

# ---- 3. user space -----------------------------------------------------------
vigil_ok=0
if [ "$bpf_ok" = 0 ]; then
	skip "user space: needs the arm64 BPF object (the skeleton is embedded)"
elif ! make -j"$jobs" ARCH=arm64 CC=$CROSS_CC OUTPUT=$OUT vigil > "$logs/vigil.log" 2>&1; then
	fail "user space: make ARCH=arm64 CC=$CROSS_CC OUTPUT=$OUT vigil failed"; show "$logs/vigil.log"
elif bin=$(ls -t $OUT/vigil vigil 2>/dev/null | head -n1); [ -z "$bin" ]; then
	fail "user space: make succeeded but produced no vigil binary"
elif ! readelf -h "$bin" | grep -q 'Machine:.*AArch64'; then
	fail "user space: $bin is not an AArch64 executable: $(readelf -h "$bin" | grep Machine:)"
else
	vigil_ok=1
	mv "$bin" vigil-arm64
	pass "user space: make ARCH=arm64 CC=$CROSS_CC OUTPUT=$OUT vigil: AArch64 executable, needs $(readelf -d vigil-arm64 | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
fi

# ---- 4. the binary under qemu-user -------------------------------------------
exit_is() { return "$1"; }
run_arm() { "$QEMU" -L "$SYSROOT" "$@"; }
if [ "$vigil_ok" = 1 ]; then
	if run_arm ./vigil-arm64 --help > "$logs/help.log" 2>&1 && grep -q '^usage:' "$logs/help.log"; then
		pass "qemu: $QEMU -L $SYSROOT ./vigil-arm64 --help"
	else
		fail "qemu: ./vigil --help under $QEMU"; show "$logs/help.log"
	fi

	# a dump recorded here by a native build of the same tree
	if ! make -C "$x86" -j"$jobs" ARCH=x86 vigil > "$logs/x86.log" 2>&1; then
		fail "dump: the native x86 build of the same tree failed"; show "$logs/x86.log"
	elif ! { # some forks, execs, faults and memory syscalls to record
		 ( sleep 0.3; for _ in 1 2 3 4 5 6 7 8 9 10; do head -c 4000000 /dev/zero | gzip -1 > /dev/null; done ) &
		 "$x86/vigil" record --all -o "$work/x86.vgl" --duration 1.5 > "$logs/record.log" 2>&1; r=$?; wait; exit_is $r; }; then
		skip "dump: cannot record on this machine (root and BPF needed): $(tail -n1 "$logs/record.log")"
	else
		ok=1
		for fmt in text csv; do
			"$x86/vigil" dump "$work/x86.vgl" --format $fmt > "$work/dump-x86.$fmt" 2> "$logs/dump-x86.$fmt.log" || ok=0
			run_arm ./vigil-arm64 dump "$work/x86.vgl" --format $fmt > "$work/dump-arm64.$fmt" 2> "$logs/dump-arm64.$fmt.log" || ok=0
			cmp -s "$work/dump-x86.$fmt" "$work/dump-arm64.$fmt" || ok=0
		done
		if [ "$ok" = 1 ] && [ -s "$work/dump-x86.text" ]; then
			pass "dump: an x86 dump ($(stat -c %s "$work/x86.vgl") bytes, $(wc -l < "$work/dump-x86.text") events of $(awk '{print $3}' "$work/dump-x86.text" | sort -u | wc -l) kinds) prints identically on arm64 (text and csv)"
		else
			fail "dump: arm64 'vigil dump' differs from x86's or failed"
			diff "$work/dump-x86.text" "$work/dump-arm64.text" 2>&1 | head -n 10 | sed 's/^/      /'
			cat "$logs"/dump-arm64.*.log | tail -n 10 | sed 's/^/      /'
		fi
	fi
else
	skip "qemu: no arm64 binary"
fi

# ---- 5. unit tests under qemu-user -------------------------------------------
# LeakSanitizer cannot run under qemu-user (it dies at exit), ASan and UBSan do.
# qemu-user serves its own /proc/self/stat with most fields 0 (state included);
# that one check is expected to fail there and passes on real hardware.
san=sanitizers
if [ "$bpf_ok" = 0 ]; then
	skip "unit tests: need the arm64 BPF object (source.c embeds the skeleton)"
else
	if ! make -j"$jobs" ARCH=arm64 CC=$CROSS_CC OUTPUT=$OUT unit-tests > "$logs/unit-build.log" 2>&1; then
		san="no sanitizers"
		rm -rf $OUT/san $OUT/tests
		make -j"$jobs" ARCH=arm64 CC=$CROSS_CC OUTPUT=$OUT SANFLAGS= unit-tests > "$logs/unit-build-nosan.log" 2>&1 ||
			{ fail "unit tests: make ARCH=arm64 CC=$CROSS_CC OUTPUT=$OUT unit-tests failed, with and without sanitizers"; show "$logs/unit-build-nosan.log"; }
	fi
	for t in $OUT/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		# run qemu under the test's own name, so /proc/self/comm is the test's
		ln -sf "$(command -v "$QEMU")" "$work/qemu-argv0/$n"
		ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
			timeout 300 "$work/qemu-argv0/$n" -L "$SYSROOT" "$t" > "$logs/$n.log" 2>&1
		rc=$?
		p=$(grep -c '^PASS ' "$logs/$n.log")
		s=$(grep -c '^SKIP ' "$logs/$n.log")
		known=$(grep -E "^FAIL test_self: .*pi.state == 'R'" "$logs/$n.log" || true)
		[ "$n" = test_procfs ] || known=
		other=$(grep '^FAIL ' "$logs/$n.log" | grep -vxF "${known:-//}" || true)
		note=
		[ -z "$known" ] || note=", 1 expected qemu-user failure (test_self: emulated /proc/self/stat)"
		if [ -n "$other" ] || grep -qE 'ERROR: AddressSanitizer|runtime error:' "$logs/$n.log" ||
		   { [ $rc -ne 0 ] && [ -z "$known" ]; } || [ "$p" = 0 ]; then
			fail "unit $n under qemu ($san): exit $rc, $p passed$note"
			{ echo "$other"; grep -A12 -E 'ERROR: AddressSanitizer|runtime error:' "$logs/$n.log" | head -n 15
			  [ -n "$other" ] || tail -n 10 "$logs/$n.log"; } | sed '/^$/d; s/^/      /'
			native_verdict "$n" "$other"
		else
			pass "unit $n under qemu ($san): $p passed, $s skipped$note"
		fi
	done
	ls $OUT/tests/test_* > /dev/null 2>&1 || fail "unit tests: no test binary was built"
fi
finish
