# Shared by the bench/ scripts (sourced).  Needs bash, root, this repository
# (vigil and the workloads built) and Debian packages: linux-perf, bpftool,
# libbpf-tools (runqlat), optionally bpftrace.  No network.
#
# Every script prints human-readable summary lines on stdout and, when
# BENCH_RESULTS names a file, appends one tab-separated record per
# measurement to it (bench/run.sh builds the results table from those).
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
VIGIL=${VIGIL:-$ROOT/vigil}
BIN=$ROOT/.output/bench
QUICK=${QUICK:-0}
PAIRS=${PAIRS:-$([ "$QUICK" = 1 ] && echo 5 || echo 7)}
BENCH_RESULTS=${BENCH_RESULTS:-}
CLK_TCK=$(getconf CLK_TCK)
BENCH_TMP=$(mktemp -d /tmp/vigil-bench.XXXXXX)

TRACER_PID=      # the tracer now running (or the `timeout` that wraps it)
TRACER_NAME=
TRACER_MAIN=     # the tracer process itself (for CPU and RSS samples)
SYSCTL_RESTORE=  # "name=value" to put back at exit
PERF_CTL_FD=
PERF_ACK_FD=
LOAD_PID=        # a background load (run_load_bg)

bench_cleanup() {
	if [ -n "$LOAD_PID" ]; then
		pkill -P "$LOAD_PID" 2>/dev/null # the loop's current load, then the loop
		kill "$LOAD_PID" 2>/dev/null
		LOAD_PID=
	fi
	if [ -n "$TRACER_PID" ]; then
		kill -INT "$TRACER_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$TRACER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$TRACER_PID" 2>/dev/null
		[ -n "$TRACER_MAIN" ] && kill -KILL "$TRACER_MAIN" 2>/dev/null
		wait "$TRACER_PID" 2>/dev/null
		TRACER_PID=
	fi
	if [ -n "$SYSCTL_RESTORE" ]; then
		sysctl -q -w "$SYSCTL_RESTORE" >/dev/null 2>&1
		SYSCTL_RESTORE=
	fi
	rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "# $*"; }

# Exit unless we can run: root, vigil built, the bench programs built.
bench_require() {
	[ "$(id -u)" = 0 ] || die "needs root (BPF, perf and bpf_stats)"
	[ -x "$VIGIL" ] || die "vigil is not built (make vigil)"
	[ -r /sys/kernel/btf/vmlinux ] || die "kernel has no BTF"
	for p in pf_heavy mm_heavy ev_rate; do
		[ -x "$BIN/$p" ] || die "$BIN/$p missing (bash bench/run.sh builds it)"
	done
	[ "$PAIRS" -ge 5 ] 2>/dev/null || note "PAIRS=$PAIRS: fewer than the 5 pairs the method asks for"
}

have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command; prints "WALL CPU": its wall time and the CPU time (user +
# sys) of it and its children, in seconds.  Its stdout goes to $TIME_OUT
# (default $BENCH_TMP/run.out), its stderr to $BENCH_TMP/run.err.  CPU time
# is from the shell's `times` (redirected, not piped: no subshell).
time_cmd() {
	local t0 t1 out=${TIME_OUT:-$BENCH_TMP/run.out}
	times >"$BENCH_TMP/times.0"
	t0=$EPOCHREALTIME
	"$@" >"$out" 2>"$BENCH_TMP/run.err" || {
		echo "bench: '$*' failed:" >&2
		tail -3 "$BENCH_TMP/run.err" >&2
	}
	t1=$EPOCHREALTIME
	times >"$BENCH_TMP/times.1"
	awk -v a="$t0" -v b="$t1" '
		function s(x,   p) { split(x, p, "m"); return p[1] * 60 + substr(p[2], 1, length(p[2]) - 1) }
		FNR == 2 { c[FILENAME == ARGV[1] ? 0 : 1] = s($1) + s($2) }
		END { printf "%.6f %.6f\n", b - a, c[1] - c[0] }' "$BENCH_TMP/times.0" "$BENCH_TMP/times.1"
}

# "median min max" of the numbers on stdin, one per line
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan nan nan"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.4f %.4f %.4f\n", m, v[1], v[NR] }'
}
median() { stats | awk '{ print $1 }'; }
calc() { awk "BEGIN { printf \"%.10g\\n\", $* }"; }

# utime+stime of a process, in clock ticks
proc_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	awk '{ print $12 + $13 }' <<<"$s"
}
# VmHWM (peak RSS) of a process, KiB
proc_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# record a measurement: kind, then key=value fields
result() {
	[ -n "$BENCH_RESULTS" ] || return 0
	local IFS=$'\t'
	echo "$*" >>"$BENCH_RESULTS"
}

# ---- tracers ---------------------------------------------------------------
# tracer_start NAME: start it, return once it is attached (or 1 on failure).
# NAME: vigil-record vigil-sites vigil-live runqlat perf-sched bpftrace null
# (vigil-record runs with --sites off, so that its rows keep measuring the
# tracer without allocation sites; vigil-sites is vigil record with them,
# --sites dwarf at the default rate, which is also vigil's default, issue 13).
# Extra vigil arguments come from VIGIL_ARGS (e.g. --ringbuf-kb 256).
TRACER_MAX_S=${TRACER_MAX_S:-300} # no tracer outlives this, whatever happens

# (BPFTRACE_SCRIPT may be set to measure another script; it must print READY in BEGIN)
DEFAULT_BPFTRACE_SCRIPT='BEGIN { printf("READY\n"); }
tracepoint:sched:sched_switch, tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new,
tracepoint:sched:sched_migrate_task, tracepoint:exceptions:page_fault_user, tracepoint:kmem:rss_stat,
tracepoint:syscalls:sys_exit_mmap, tracepoint:syscalls:sys_exit_munmap, tracepoint:syscalls:sys_exit_brk,
tracepoint:syscalls:sys_exit_mremap, tracepoint:syscalls:sys_exit_madvise { @[probe] = count(); }'
BPFTRACE_SCRIPT=${BPFTRACE_SCRIPT:-$DEFAULT_BPFTRACE_SCRIPT}

tracer_available() {
	case "$1" in
	null | vigil-record | vigil-sites | vigil-live) return 0 ;;
	runqlat) have runqlat ;;
	perf-sched) have perf ;;
	bpftrace) have bpftrace ;;
	*) return 1 ;;
	esac
}

_wait_ready() { # $1 = file, $2 = pattern

	for _ in $(seq 1 400); do # 20 s
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

tracer_start() {
	local name=$1 out=$BENCH_TMP/tracer.out err=$BENCH_TMP/tracer.err
	TRACER_NAME=$name
	TRACER_MAIN=
	: >"$out"
	: >"$err"
	case "$name" in
	null)
		return 0
		;;
	vigil-record | vigil-sites)
		# shellcheck disable=SC2086
		"$VIGIL" record --all -o "$BENCH_TMP/trace.vgl" --force --duration "$TRACER_MAX_S" ${VIGIL_ARGS:-} \
			--sites "$([ "$name" = vigil-sites ] && echo dwarf || echo off)" >"$out" 2>"$err" &
		TRACER_PID=$!
		TRACER_MAIN=$TRACER_PID
		_wait_ready "$err" "vigil: tracing" || { _start_failed; return 1; }
		;;
	vigil-live)
		# shellcheck disable=SC2086
		"$VIGIL" live --batch --all --duration "$TRACER_MAX_S" ${VIGIL_ARGS:-} >"$out" 2>"$err" &
		TRACER_PID=$!
		TRACER_MAIN=$TRACER_PID
		_wait_ready "$err" "vigil: tracing" || { _start_failed; return 1; }
		;;
	runqlat)
		# stdout is a file: line-buffer it so the header shows when it is attached
		timeout -s INT -k 10 "$TRACER_MAX_S" stdbuf -oL runqlat >"$out" 2>"$err" &
		TRACER_PID=$!
		_wait_ready "$out" "Tracing run queue latency" || { _start_failed; return 1; }
		TRACER_MAIN=$(pgrep -P "$TRACER_PID" | head -n1)
		;;
	bpftrace)
		echo "$BPFTRACE_SCRIPT" >"$BENCH_TMP/count.bt"
		timeout -s INT -k 10 "$TRACER_MAX_S" bpftrace "$BENCH_TMP/count.bt" >"$out" 2>"$err" &
		TRACER_PID=$!
		_wait_ready "$out" "READY" || { _start_failed; return 1; } # BEGIN runs once every probe is attached
		TRACER_MAIN=$(pgrep -P "$TRACER_PID" | head -n1)
		;;
	perf-sched)
		# started with its events disabled; enabled through the control fifo,
		# and ready once perf acknowledges the enable
		rm -f "$BENCH_TMP/perf.ctl" "$BENCH_TMP/perf.ack" "$BENCH_TMP/perf.data"
		mkfifo "$BENCH_TMP/perf.ctl" "$BENCH_TMP/perf.ack"
		timeout -s INT -k 10 "$TRACER_MAX_S" perf sched record -D -1 \
			--control "fifo:$BENCH_TMP/perf.ctl,$BENCH_TMP/perf.ack" -o "$BENCH_TMP/perf.data" \
			>"$out" 2>"$err" &
		TRACER_PID=$!
		exec {PERF_CTL_FD}<>"$BENCH_TMP/perf.ctl" {PERF_ACK_FD}<>"$BENCH_TMP/perf.ack"
		local ack=
		echo enable >&"$PERF_CTL_FD"
		read -r -t 20 -u "$PERF_ACK_FD" ack
		exec {PERF_CTL_FD}>&- {PERF_ACK_FD}>&-
		[ "$ack" = ack ] || { _start_failed; return 1; }
		TRACER_MAIN=$(pgrep -P "$TRACER_PID" | head -n1)
		;;
	*)
		echo "bench: unknown tracer $name" >&2
		return 1
		;;
	esac
	return 0
}

_start_failed() {
	echo "bench: $TRACER_NAME did not start:" >&2
	tail -5 "$BENCH_TMP/tracer.err" "$BENCH_TMP/tracer.out" >&2 2>/dev/null
	tracer_stop
}

# SIGINT, then wait (bounded); the tracer's stderr stays in $BENCH_TMP/tracer.err
tracer_stop() {
	[ -n "$TRACER_PID" ] || return 0
	kill -INT "$TRACER_PID" 2>/dev/null
	for _ in $(seq 1 600); do # 60 s: perf may post-process a large file
		kill -0 "$TRACER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TRACER_PID" 2>/dev/null; then
		echo "bench: $TRACER_NAME ignored SIGINT for 60 s; killed" >&2
		kill -KILL "$TRACER_PID" 2>/dev/null
		[ -n "$TRACER_MAIN" ] && kill -KILL "$TRACER_MAIN" 2>/dev/null
	fi
	wait "$TRACER_PID" 2>/dev/null
	TRACER_PID=
}

# After a vigil run: "produced received lost" from its stderr
vigil_counts() {
	sed -n 's/.*ring buffer: produced=\([0-9]*\) received=\([0-9]*\) lost=\([0-9]*\).*/\1 \2 \3/p' \
		"$BENCH_TMP/tracer.err" | tail -n1
}
# After a vigil run: its own events/s figure
vigil_rate() {
	sed -n 's/.*events from the kernel (\([0-9.]*\)\/s).*/\1/p' "$BENCH_TMP/tracer.err" | tail -n1
}

# After a vigil run: "CPU% RSS_KB" of vigil's own end-of-run report ("own
# cost: X% of one core while tracing, peak RSS Y MiB"), empty if it has none
vigil_selfcost() {
	sed -n 's/.*own cost: \([0-9.]*\)% of one core.*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$BENCH_TMP/tracer.err" |
		tail -n1 | awk '{ printf "%s %.0f\n", $1, $2 * 1024 }'
}
# After a vigil-sites run: vigil's cost of the allocation sites, from its
# stderr line "vigil: allocation sites: ... unwinding N us/sample, BPF N
# ns/run ..." (ns per run of site_sample: every overflow, ~16 per sample;
# absent when the kernel statistics were never sampled).  Prints
# "BPF_NS_PER_RUN UNWIND_US".
vigil_site_cost() {
	sed -n -e 's/.*vigil: allocation sites:.*unwinding \([0-9.]*\) us\/sample, BPF \([0-9.]*\) ns\/run.*/\2 \1/p' \
		-e 's/.*vigil: allocation sites:.*unwinding \([0-9.]*\) us\/sample, [0-9]* huge.*/- \1/p' \
		"$BENCH_TMP/tracer.err" | tail -n1
}
# the larger of two numbers (an empty one counts as 0)
max2() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

# ---- workloads ---------------------------------------------------------------
# workload_cmd NAME: the command line of a fixed amount of work.  The
# single-threaded loads and sched pipe are pinned to one CPU (the last): the
# pipe pair then switches on that CPU every op (no cross-CPU wakeups, whose
# placement makes unpinned runs bimodal), and the tracer's consumer mostly
# runs on the other CPUs.  sched messaging (200 tasks) uses every CPU.
PIN_CPU=${PIN_CPU:-$(($(nproc) - 1))}
workload_cmd() {
	local q=$QUICK
	case "$1" in
	sched-pipe) echo "taskset -c $PIN_CPU perf bench sched pipe -l $([ "$q" = 1 ] && echo 50000 || echo 200000)" ;;
	sched-messaging) echo "perf bench sched messaging -g 5 -l $([ "$q" = 1 ] && echo 200 || echo 400)" ;;
	pf-heavy) echo "taskset -c $PIN_CPU $BIN/pf_heavy 256 $([ "$q" = 1 ] && echo 1 || echo 6)" ;;
	mm-heavy) echo "taskset -c $PIN_CPU $BIN/mm_heavy $([ "$q" = 1 ] && echo 50000 || echo 200000)" ;;
	# Debian's python3.11, 30 Python frames deep: sites' Python walk (issue 14)
	py-heavy) echo "env MALLOC_MMAP_THRESHOLD_=131072 taskset -c $PIN_CPU python3.11 $BENCH_DIR/py_heavy.py $([ "$q" = 1 ] && echo 8 || echo 40) 30" ;;
	*) return 1 ;;
	esac
}

# run_load NAME SECONDS: repeat a bounded load until SECONDS have passed
# (each repetition is a fixed amount of work well under a second)
run_load() {
	local end
	end=$(awk -v n="$EPOCHREALTIME" -v d="$2" 'BEGIN { printf "%.6f", n + d }')
	_before() { awk -v e="$end" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n < e) }'; }
	case "$1" in
	idle) sleep "$2" ;;
	sched-pipe) while _before; do taskset -c "$PIN_CPU" perf bench sched pipe -l 50000 >/dev/null 2>&1; done ;;
	sched-messaging) while _before; do perf bench sched messaging -g 5 -l 100 >/dev/null 2>&1; done ;;
	pf-heavy) while _before; do taskset -c "$PIN_CPU" "$BIN/pf_heavy" 256 1 >/dev/null; done ;;
	mm-heavy) while _before; do taskset -c "$PIN_CPU" "$BIN/mm_heavy" 50000 >/dev/null; done ;;
	ev-400k) taskset -c "$PIN_CPU" "$BIN/ev_rate" 400000 "$2" >/dev/null ;;
	*) echo "bench: unknown load $1" >&2; return 1 ;;
	esac
}
# the same in the background (LOAD_PID; wait for it with run_load_wait)
run_load_bg() {
	run_load "$@" &
	LOAD_PID=$!
}
run_load_wait() {
	[ -n "$LOAD_PID" ] && wait "$LOAD_PID" 2>/dev/null
	LOAD_PID=
}

# share of all CPUs busy (not idle or iowait) over $1 seconds, %; and steal %
host_busy() {
	local a b
	a=$(head -n1 /proc/stat)
	sleep "${1:-1}"
	b=$(head -n1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		n = split(a, x, " "); split(b, y, " ")
		for (i = 2; i <= n; i++) { d = y[i] - x[i]; tot += d; if (i == 5 || i == 6) idle += d; if (i == 9) st = d }
		printf "%.0f %.0f\n", tot ? (tot - idle) * 100 / tot : 0, tot ? st * 100 / tot : 0 }'
}

machine_line() {
	local cpu mem
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	[ -n "$cpu" ] || cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "nproc=$(nproc) cpu=\"$cpu\" kernel=$(uname -r) arch=$(uname -m) mem=$mem"
}
