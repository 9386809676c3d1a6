#!/usr/bin/env bash
# Runs every test: unit binaries (no root needed) and BPF integration tests
# (root).  Each test prints "PASS name", "FAIL name: why" or "SKIP name: why";
# this script counts them and ends with the line CI reads:
#   N passed, N failed, N skipped
# Environment: VIGIL_REQUIRE_BPF=1 turns BPF skips into failures.
#              VIGIL_TESTS="pattern" runs only matching test files ("vmtest":
#              the kernel matrix's CI rows, scripts/vmtest.sh).
#              VIGIL_VMTEST_ROWS="none" leaves the VMs out, or names other rows.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
log_dir=${VIGIL_TEST_LOG_DIR:-$root/.output/test-logs}
mkdir -p "$log_dir"
pass=0 fail=0 skip=0
failed_names=()

count_output() { # $1 = file with test output lines
	local line
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) pass=$((pass + 1)) ;;
		FAIL\ *) fail=$((fail + 1)); failed_names+=("${line#FAIL }") ;;
		SKIP\ *) skip=$((skip + 1)) ;;
		esac
	done <"$1"
}

run_one() { # $1 = label, rest = command
	local label=$1; shift
	local out="$log_dir/$(basename "$label").log" t0=$SECONDS
	echo "== $label"
	"$@" >"$out" 2>&1
	local rc=$?
	# what each test costs of CI's 15 minutes
	echo "   ($((SECONDS - t0)) s)"
	grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed 's/^/   /'
	count_output "$out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		# a crash or a sanitizer report is a failure even without a FAIL line
		fail=$((fail + 1)); failed_names+=("$label: exited $rc")
		echo "   FAIL $label: exited $rc (log: $out)"; tail -n 20 "$out" | sed 's/^/      /'
	fi
}

want() { [ -z "${VIGIL_TESTS:-}" ] || [[ "$1" == *${VIGIL_TESTS}* ]]; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for t in .output/tests/test_*; do
	[ -x "$t" ] || continue
	want "$t" || continue
	run_one "$t" "$t"
done

# no root, no BPF: the commands over crafted files
for t in tests/cli/test_*.sh; do
	[ -f "$t" ] || continue
	want "$t" || continue
	run_one "$t" bash "$t"
done

# the bounded fuzzing run (tests/fuzz/run.sh): 20 s in make test, which CI runs in under 15 minutes (VIGIL_FUZZ_SECONDS; make fuzz runs longer)
if want tests/fuzz/run.sh; then
	run_one tests/fuzz/run.sh bash tests/fuzz/run.sh "${VIGIL_FUZZ_SECONDS:-20}"
fi

for t in tests/bpf/test_*.sh; do
	[ -f "$t" ] || continue
	want "$t" || continue
	run_one "$t" bash "$t"
done

# the kernel matrix's CI rows: Debian's own kernels in qemu (scripts/vmtest.sh);
# VIGIL_VMTEST_ROWS="row ..." picks others, "none" skips them
if want vmtest && [ "${VIGIL_VMTEST_ROWS:-ci}" != none ]; then
	if [ "${VIGIL_VMTEST_ROWS:-ci}" = ci ]; then
		run_one vmtest bash scripts/vmtest.sh --ci
	else
		run_one vmtest bash scripts/vmtest.sh $VIGIL_VMTEST_ROWS
	fi
fi

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed:"; printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
