# Shared by the BPF integration tests (sourced).  Tests print
# "PASS name", "FAIL name: why" or "SKIP name: why" lines (tests/run.sh counts them).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VIGIL=${VIGIL:-$ROOT/vigil} # the kernel matrix may wrap it (tests/vm/guest.sh)
WL=$ROOT/.output/workloads
TMP=$(mktemp -d /tmp/vigil-test.XXXXXX)
VIGIL_PID=
cleanup_lib() {
	[ -n "$VIGIL_PID" ] && kill -9 "$VIGIL_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup_lib EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# BPF needs root; without it every test here is skipped, unless the run
# demands BPF (CI sets VIGIL_REQUIRE_BPF=1), where a skip is a failure.
require_bpf() { # $1 = test file label
	local why=
	if [ "$(id -u)" != 0 ]; then
		why="not root: BPF tests need CAP_BPF and CAP_PERFMON"
	elif [ ! -r /sys/kernel/btf/vmlinux ] && [ "${VIGIL_VM_MODE:-}" != nobtf ]; then
		why="kernel has no BTF (/sys/kernel/btf/vmlinux)"
	elif [ ! -x "$VIGIL" ]; then
		why="vigil is not built"
	fi
	if [ -n "$why" ]; then
		if [ "${VIGIL_REQUIRE_BPF:-0}" = 1 ]; then
			fail "$1" "$why (VIGIL_REQUIRE_BPF=1)"
		else
			skip "$1" "$why"
		fi
		exit 0
	fi
}

# Starts vigil in the background with the given arguments and waits until
# it is tracing (it says so on stderr).  Output: $TMP/vigil.err
start_vigil() {
	"$VIGIL" "$@" 2>"$TMP/vigil.err" >"$TMP/vigil.out" &
	VIGIL_PID=$!
	for _ in $(seq 1 "${VIGIL_START_TRIES:-200}"); do # 50 ms each
		grep -q "vigil: tracing" "$TMP/vigil.err" 2>/dev/null && return 0
		kill -0 "$VIGIL_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "vigil did not start:" >&2
	cat "$TMP/vigil.err" >&2
	return 1
}

# SIGINT and wait, at most VIGIL_STOP_SECS (60); returns vigil's exit code.
# A vigil that does not exit is a failure that shows where it is stuck (its
# threads' kernel stacks), then is killed: never a hang of the test run.
stop_vigil() {
	local rc t
	kill -INT "$VIGIL_PID" 2>/dev/null
	for _ in $(seq 1 $((${VIGIL_STOP_SECS:-60} * 10))); do
		kill -0 "$VIGIL_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$VIGIL_PID" 2>/dev/null; then
		echo "   vigil (pid $VIGIL_PID) did not exit ${VIGIL_STOP_SECS:-60} s after SIGINT; its threads:"
		for t in /proc/"$VIGIL_PID"/task/*; do
			echo "   $(basename "$t") state $(awk '{ print $3 }' "$t/stat" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null)"
			sed 's/^/      /' "$t/stack" 2>/dev/null
		done
		tail -n 5 "$TMP/vigil.err" | sed 's/^/   stderr: /'
		kill -9 "$VIGIL_PID" 2>/dev/null
	fi
	wait "$VIGIL_PID"
	rc=$?
	VIGIL_PID=
	return $rc
}

# Bad input must be a usage error: exit 2, a message on stderr that names
# what was wrong ($2), and no crash (nor a Python traceback).
expect_usage_error() { # $1 = test name, $2 = what stderr must name, rest = the command
	local name=$1 word=$2 rc
	shift 2
	timeout 20 "$@" >"$TMP/usage.out" 2>"$TMP/usage.err"
	rc=$?
	if [ $rc = 2 ] && grep -q -- "$word" "$TMP/usage.err" && ! grep -q '^Traceback' "$TMP/usage.err"; then
		pass "$name"
	else
		fail "$name" "exit $rc (want 2 and a word of $word), stderr: $(head -c 300 "$TMP/usage.err")"
	fi
}

# field VALUE of "key=VALUE" in a line
kv() { # $1 = line, $2 = key
	sed -n "s/.*[ (]$2=\([^ ]*\).*/\1/p" <<<" $1" | head -n1
}

# per-pid totals of a dump: prints "faults mmap munmap brk madvise mremap vol invol"
# for process $2 of dump $1 (successful calls only, as the kernel returned them)
dump_totals() {
	"$VIGIL" dump --format csv "$1" | awk -F, -v pid="$2" '
	$4 == pid {
		d = $0; sub(/^[^"]*"[^"]*","/, "", d)
		if ($3 == "faults") { match(d, /count=[0-9]+/); f += substr(d, RSTART + 6, RLENGTH - 6) }
		if ($3 == "mmap" && d !~ / ret=0xfffffffffffff/) mm++
		if ($3 == "munmap" && d ~ / ret=0( |")/) mu++
		if ($3 == "madvise" && d ~ / ret=0( |")/) ma++
		if ($3 == "mremap" && d !~ / ret=0xfffffffffffff/) mr++
		if ($3 == "brk") br++
		if ($3 == "switch") { if (d ~ /preempt=1/ || d ~ /prev_state=0x0( |")/) inv++; else vol++ }
	}
	END { printf "%d %d %d %d %d %d %d %d\n", f, mm, mu, br, ma, mr, vol, inv }'
}

# major page faults of process $2 in dump $1
dump_major() {
	"$VIGIL" dump --format csv "$1" | awk -F, -v pid="$2" '
	$4 == pid && $3 == "faults" { match($0, /major=[0-9]+/); m += substr($0, RSTART + 6, RLENGTH - 6) }
	END { print m + 0 }'
}

# |a - b| <= pct% of b
within() { # $1 = a, $2 = b, $3 = pct
	awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * p / 100.0) }'
}

# the type of the filesystem that holds path $1 (from /proc/mounts)
fs_type() {
	awk -v p="$(cd "$1" && pwd -P)/" '{ m = $2 == "/" ? "/" : $2 "/"; if (index(p, m) == 1 && length(m) > best) { best = length(m); t = $3 } }
	END { print t }' /proc/mounts
}

# does this kernel have tracepoint $1 (category/name)?  Only once vigil has
# run: it mounts tracefs where nothing did
has_tracepoint() {
	[ -e "/sys/kernel/tracing/events/$1" ] || [ -e "/sys/kernel/debug/tracing/events/$1" ]
}

# Can tracepoint programs call helper $1 on this kernel?  Asked of the
# kernel (bpftool's probe), never of vigil.
kernel_has_tp_helper() {
	bpftool feature probe kernel 2>/dev/null |
		awk -v h="$1" '/^eBPF helpers supported for program type tracepoint:/ { on = 1; next }
			/^eBPF helpers supported/ { on = 0 } on && $2 == h { found = 1 } END { exit !found }'
}

# Can this kernel run the counters page-fault source?  Kernel BTF, task
# storage maps and bpf_get_current_task_btf() for tracepoints (all 5.11+).
kernel_has_counters() {
	[ "${VIGIL_VM_MODE:-}" != nobtf ] && [ -s /sys/kernel/btf/vmlinux ] || return 1
	bpftool feature probe kernel 2>/dev/null | grep -q "map_type task_storage is available" &&
		kernel_has_tp_helper bpf_get_current_task_btf
}
