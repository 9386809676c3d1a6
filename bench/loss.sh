#!/bin/bash
# Which event rates vigil takes with 0 lost, and where loss starts, per ring
# buffer size; vigil's own CPU and peak RSS at each rate.
#
# Load: bench/ev_rate, mmap+munmap of an untouched page at a paced rate (one
# vigil event per syscall, on top of the host's own events; 1 ms steps).  For
# each `vigil record --all --ringbuf-kb N` and each rate of a rising ladder
# (the last step unpaced: as fast as one thread goes), one run of SECONDS:
# vigil's produced/received/lost counts (its exit summary), offered events/s
# (produced / its traced time), vigil's CPU over the run (% of one core;
# /proc/PID/stat utime+stime over the generator's run) and peak RSS (VmHWM
# before the SIGINT, or vigil's own end-of-run report when larger).  A ladder stops at the first step that loses events.  Rates are
# syscalls/s of one process pinned to one CPU (vigil's consumer then has the
# other CPUs); `max` is that process unpaced, and `max-all` is one unpaced
# process per CPU, unpinned: the host saturated, vigil's consumer competing
# for a CPU with the load.  The unpaced steps also run untraced first: their
# lines give the generator's traced / untraced calls/s (slowdown of a flood).
#
#   bash bench/loss.sh   env: QUICK=1, RINGBUF_KBS="256 4096", RATES="100000 400000 max max-all"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_require

if [ "$QUICK" = 1 ]; then
	RINGBUF_KBS=${RINGBUF_KBS:-"4096"}
	RATES=${RATES:-"400000 max max-all"}
	SECONDS_PER=${SECONDS_PER:-1}
else
	RINGBUF_KBS=${RINGBUF_KBS:-"64 256 1024 4096 16384"}
	RATES=${RATES:-"100000 200000 400000 800000 max max-all"}
	SECONDS_PER=${SECONDS_PER:-2}
fi
DEFAULT_KB=$(sed -n 's/^ringbuf_mb[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' /etc/vigil.conf 2>/dev/null | head -n1)
DEFAULT_KB=$(( ${DEFAULT_KB:-4} * 1024 ))

# generator calls/s of one ev_rate run (output in $BENCH_TMP/run.out)
gen_rate() { sed -n 's/.*calls_per_s=\([0-9]*\).*/\1/p' "$BENCH_TMP/run.out"; }

# the generator's command line for a ladder step
gen_cmd() {
	case "$1" in
	max) echo "taskset -c $PIN_CPU $BIN/ev_rate 0 $SECONDS_PER" ;;
	max-all) echo "$BIN/ev_rate 0 $SECONDS_PER $(nproc)" ;;
	*) echo "taskset -c $PIN_CPU $BIN/ev_rate $1 $SECONDS_PER" ;;
	esac
}

for kb in $RINGBUF_KBS; do
	for rate in $RATES; do
		read -r -a cmd <<<"$(gen_cmd "$rate")"
		base=
		case "$rate" in max*)
			time_cmd "${cmd[@]}" >/dev/null
			base=$(gen_rate)
		esac
		VIGIL_ARGS="--ringbuf-kb $kb" tracer_start vigil-record || { echo "loss rb=${kb}KiB: vigil did not start"; break; }
		c0=$(proc_ticks "$TRACER_MAIN")
		t0=$EPOCHREALTIME
		time_cmd "${cmd[@]}" >/dev/null
		t1=$EPOCHREALTIME
		c1=$(proc_ticks "$TRACER_MAIN")
		hwm=$(proc_hwm_kb "$TRACER_MAIN")
		gen=$(gen_rate)
		tracer_stop
		read -r selfcpu selfkb <<<"$(vigil_selfcost)"
		hwm=$(max2 "$hwm" "${selfkb:-}")
		read -r produced received lost <<<"$(vigil_counts)"
		evps=$(vigil_rate)
		cpu=$(calc "($c1 - $c0) / $CLK_TCK / ($t1 - $t0) * 100")
		pct=$(calc "${lost:-0} * 100 / (${produced:-0} + 1e-9)")
		case "$rate" in max*) label=$rate ;; *) label="$((rate / 1000))k" ;; esac
		ratio=
		[ -n "$base" ] && ratio=$(calc "$gen / $base")
		printf 'loss      rb=%-8s target=%-7s offered %6.0fk ev/s  lost %d (%.3f%%)  vigil cpu %.1f%% (%.2f%% per 100k ev/s; self-reported %s%%)  rss %.1fMB%s\n' \
			"${kb}KiB" "$label" "$(calc "$evps / 1000")" "${lost:-0}" "$pct" "$cpu" \
			"$(calc "$cpu / ($evps / 100000 + 1e-9)")" "${selfcpu:-?}" "$(calc "$hwm / 1024")" \
			"$([ -n "$ratio" ] && printf '  flood x%.3f of untraced calls/s' "$ratio")"
		result loss "ringbuf_kb=$kb" "default=$([ "$kb" = "$DEFAULT_KB" ] && echo 1 || echo 0)" \
			"target=$rate" "evps=$evps" "produced=$produced" "lost=${lost:-0}" "cpu_pct=$cpu" \
			"hwm_kb=$hwm" "gen_ratio=$ratio" "self_cpu_pct=${selfcpu:-}"
		[ "${lost:-0}" -gt 0 ] && break # loss has started: higher rates only lose more
	done
done
exit 0
