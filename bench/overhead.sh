#!/bin/bash
# Slowdown of fixed amounts of work under each tracer, as a ratio against
# untraced runs of the same work in the same invocation.
#
# For every (workload, tracer): one warm-up run, then PAIRS pairs of one
# untraced and one traced run, in ABBA order (base first in odd pairs,
# traced first in even ones) so drift cancels.  Each tracer is started and
# confirmed attached before its run and stopped with SIGINT after it; only
# the workload's wall time is measured.  ratio = traced / untraced time of
# the pair; the line gives the median and min-max of the PAIRS ratios, and
# "best": the fastest traced run / the fastest untraced run.
# The `null` tracer runs the same protocol with nothing attached: its spread
# is the noise floor of the method on this machine.
#
# The same ratio of the workload's own CPU time (user + sys of it and its
# children) follows as "cpu xR": BPF programs run in the workload's context,
# so it holds their cost, but not time lost to other processes on the CPU:
# on a shared or noisy host it is the steadier of the two.
#
# For vigil runs the line also gives vigil's events/s, lost events, its own
# CPU (utime+stime over the measured run / wall time, % of one core) and its
# peak RSS (VmHWM read just before the SIGINT, or vigil's own end-of-run
# "peak RSS" when larger).  vigil-sites (allocation sites on, issue 13) runs
# on sched pipe and the fault-heavy loads, and adds its per-sample cost when
# vigil reports one (vigil_site_cost).
#
#   bash bench/overhead.sh [WORKLOAD...]     env: QUICK=1, PAIRS=N, TRACERS="..."
# WORKLOAD: sched-pipe sched-messaging pf-heavy mm-heavy (the default), py-heavy
# (Debian's python3.11 30 Python frames deep: the sites' Python walk, docs/sites.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_require

if [ "$QUICK" = 1 ]; then
	# the budgets' comparisons only: vigil everywhere, runqlat and perf sched on sched pipe
	DEFAULT_TRACERS_sched_pipe="null vigil-record vigil-sites runqlat perf-sched"
	DEFAULT_TRACERS_other="vigil-record vigil-sites"
else
	DEFAULT_TRACERS_sched_pipe="null vigil-record vigil-sites vigil-live runqlat perf-sched bpftrace"
	DEFAULT_TRACERS_other="null vigil-record vigil-sites vigil-live runqlat perf-sched bpftrace"
fi

run_one() { # workload, tracer
	local wl=$1 tr=$2 cmd i tb tt tbc ttc c0 c1 t0 t1 cnt lost=0 produced=0 rates="" cpus="" hwms="" ratios="" cratios="" sitecost=""
	read -r -a cmd <<<"$(workload_cmd "$wl")"
	if ! tracer_available "$tr"; then
		printf '%-9s %-16s %-13s skipped: not installed\n' overhead "$wl" "$tr"
		return 0
	fi
	time_cmd "${cmd[@]}" >/dev/null # warm-up
	for i in $(seq 1 "$PAIRS"); do
		if [ $((i % 2)) = 1 ]; then read -r tb tbc <<<"$(time_cmd "${cmd[@]}")"; fi
		if ! tracer_start "$tr"; then
			printf '%-9s %-16s %-13s FAILED: tracer did not start\n' overhead "$wl" "$tr"
			result overhead_failed "workload=$wl" "tracer=$tr" # a budget row says so
			return 0
		fi
		if [ -n "$TRACER_MAIN" ]; then c0=$(proc_ticks "$TRACER_MAIN"); fi
		t0=$EPOCHREALTIME
		read -r tt ttc <<<"$(time_cmd "${cmd[@]}")"
		t1=$EPOCHREALTIME
		local hwm=0
		if [ -n "$TRACER_MAIN" ]; then
			c1=$(proc_ticks "$TRACER_MAIN")
			cpus+="$(calc "($c1 - $c0) / $CLK_TCK / ($t1 - $t0) * 100")"$'\n'
			hwm=$(proc_hwm_kb "$TRACER_MAIN")
		fi
		tracer_stop
		if [ "${tr#vigil}" != "$tr" ]; then
			# vigil's own peak RSS report also covers its stop
			hwm=$(max2 "$hwm" "$(vigil_selfcost | awk '{ print $2 }')")
			read -r produced _ cnt <<<"$(vigil_counts)"
			lost=$((lost + ${cnt:-0}))
			rates+="$(vigil_rate)"$'\n'
			[ "$tr" = vigil-sites ] && sitecost+="$(vigil_site_cost)"$'\n'
		fi
		[ -n "$TRACER_MAIN" ] && hwms+="$hwm"$'\n'
		if [ $((i % 2)) = 0 ]; then read -r tb tbc <<<"$(time_cmd "${cmd[@]}")"; fi
		ratios+="$(calc "$tt / $tb")"$'\n'
		cratios+="$(calc "$ttc / ($tbc + 1e-9)")"$'\n'
		echo "$tb $tt" >>"$BENCH_TMP/times"
	done
	local st cst bmed tmed best cpu="" hwmmax="" extra="" rate=""
	st=$(printf '%s' "$ratios" | stats)
	cst=$(printf '%s' "$cratios" | stats)
	bmed=$(awk '{ print $1 }' "$BENCH_TMP/times" | median)
	tmed=$(awk '{ print $2 }' "$BENCH_TMP/times" | median)
	# best-of: fastest traced run / fastest untraced run.  Interference from
	# other work only ever adds time, so on a shared host this is the
	# estimate least disturbed by it (as long as one run of each was quiet).
	best=$(awk 'NR == 1 || $1 < b { b = $1 } NR == 1 || $2 < t { t = $2 } END { printf "%.4f", t / b }' "$BENCH_TMP/times")
	rm -f "$BENCH_TMP/times"
	if [ -n "$cpus" ]; then
		cpu=$(printf '%s' "$cpus" | median)
		hwmmax=$(printf '%s' "$hwms" | sort -n | tail -n1)
		extra=$(printf ' tracer cpu %.1f%% rss %.1fMB' "$cpu" "$(calc "$hwmmax / 1024")")
	fi
	if [ "${tr#vigil}" != "$tr" ]; then
		rate=$(printf '%s' "$rates" | median)
		extra+=$(printf ' | %.0fk ev/s lost %d' "$(calc "$rate / 1000")" "$lost")
	fi
	local bpf_ns="" unwind_us=""
	if [ "$tr" = vigil-sites ]; then
		bpf_ns=$(printf '%s' "$sitecost" | awk 'NF == 2 && $1 != "-" { print $1 }' | median)
		unwind_us=$(printf '%s' "$sitecost" | awk 'NF == 2 { print $2 }' | median)
		[ "$bpf_ns" = nan ] && bpf_ns=""
		[ "$unwind_us" = nan ] && unwind_us=""
		extra+=" | sites: ${bpf_ns:+BPF ${bpf_ns} ns per run (~16 runs per sample), }${unwind_us:+unwinding ${unwind_us} us per sample}"
		[ -n "$unwind_us" ] || extra+="not reported by vigil"
	fi
	read -r rmed rmin rmax <<<"$st"
	read -r cmed cmin cmax <<<"$cst"
	printf '%-9s %-16s %-13s x%.3f (%.3f-%.3f) best x%.3f cpu x%.3f (%.3f-%.3f) n=%d base %.3fs traced %.3fs%s\n' overhead \
		"$wl" "$tr" "$rmed" "$rmin" "$rmax" "$best" "$cmed" "$cmin" "$cmax" "$PAIRS" "$bmed" "$tmed" "$extra"
	result overhead "workload=$wl" "tracer=$tr" "ratio=$rmed" "min=$rmin" "max=$rmax" "best=$best" "pairs=$PAIRS" \
		"cpu_ratio=$cmed" "cpu_min=$cmin" "cpu_max=$cmax" \
		"base_s=$bmed" "traced_s=$tmed" "cpu_pct=${cpu:-}" "hwm_kb=${hwmmax:-}" \
		"evps=${rate:-}" "lost=$lost" "site_bpf_ns=$bpf_ns" "site_unwind_us=$unwind_us"
}

WORKLOADS=("$@")
if [ ${#WORKLOADS[@]} = 0 ]; then
	# quick mode leaves out sched messaging: no budget reads it, and its
	# 200-task setup alone takes ~1.7 s per run here
	if [ "$QUICK" = 1 ]; then WORKLOADS=(sched-pipe pf-heavy mm-heavy); else WORKLOADS=(sched-pipe sched-messaging pf-heavy mm-heavy); fi
fi
for wl in "${WORKLOADS[@]}"; do
	workload_cmd "$wl" >/dev/null || die "unknown workload $wl"
	if [ -n "${TRACERS:-}" ]; then
		trs=$TRACERS
	elif [ "$wl" = sched-pipe ]; then
		trs=$DEFAULT_TRACERS_sched_pipe
	else
		trs=$DEFAULT_TRACERS_other
	fi
	for tr in $trs; do
		run_one "$wl" "$tr"
	done
done
exit 0
