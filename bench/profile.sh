#!/bin/bash
# Where vigil's own CPU goes: `perf record` of the vigil process (user and
# kernel side, 2999 Hz) while a load runs, then the hottest symbols.
# Loads: sched pipe (switch + wakeup records, ~0.5-0.8M ev/s) and ev_rate at
# 400k memory-syscall events/s (the CPU budget's rate).  Not a ratio: it
# names the costs the ratios come from.
#
#   bash bench/profile.sh [LOAD...]    env: QUICK=1, TOP=N
# LOAD: sched-pipe ev-400k
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_require
have perf || die "perf is not installed (apt-get install linux-perf)"
TOP=${TOP:-12}
PROF_S=$([ "$QUICK" = 1 ] && echo 2 || echo 4)

profile() { # load
	local load=$1 t0 t1 c0 c1
	tracer_start vigil-record || die "vigil did not start"
	run_load_bg "$load" $((PROF_S + 1))
	sleep 0.5
	c0=$(proc_ticks "$TRACER_MAIN")
	t0=$EPOCHREALTIME
	perf record -q -F 2999 -p "$TRACER_MAIN" -o "$BENCH_TMP/prof.data" -- sleep "$PROF_S" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	c1=$(proc_ticks "$TRACER_MAIN")
	run_load_wait
	tracer_stop
	printf 'profile   %-10s vigil cpu %.1f%% of one core, %.0fk ev/s; %% of vigil samples by object, then by symbol:\n' \
		"$load" "$(calc "($c1 - $c0) / $CLK_TCK / ($t1 - $t0) * 100")" "$(calc "$(vigil_rate) / 1000")"
	perf report -i "$BENCH_TMP/prof.data" --no-children --stdio --sort dso 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 8 | sed 's/^/profile     /'
	# libz's static functions have no symbols in Debian's stripped library: its
	# share is the object line above
	perf report -i "$BENCH_TMP/prof.data" --no-children --stdio --sort dso,sym 2>/dev/null |
		grep -v '^#' | grep -v '^$' | grep -v '\[\.\] 0x0' | head -n "$TOP" | sed 's/^/profile     /'
	rm -f "$BENCH_TMP/prof.data"
}

LOADS=("$@")
[ ${#LOADS[@]} -gt 0 ] || LOADS=(sched-pipe ev-400k)
for l in "${LOADS[@]}"; do
	profile "$l"
done
exit 0
