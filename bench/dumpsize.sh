#!/bin/bash
# 1. Dump bytes per event, against perf sched record's perf.data bytes per
#    event, on the same scheduler load (perf bench sched messaging, fixed work):
#    once under `vigil record --all`, once under `perf sched record` (its
#    default events), RUNS times alternately.  Events stored: `vigil dump FILE
#    | wc -l` (every record, `proc` metadata included) and perf's SAMPLE count
#    (`perf report --stats`).  Also bytes per sched_switch, which both store
#    one of per context switch, so it compares the same physical events.
#    ratio = vigil bytes/event / perf bytes/event (budget <= 0.10).
# 2. Offline throughput: events/s of `vigil report FILE` (decode + aggregate;
#    `vigil dump FILE > /dev/null` when this vigil has no report command) on a
#    dump of a mixed load (sched messaging + page faults + memory syscalls),
#    best and median of 15 runs (7 quick), against `cat FILE > /dev/null` time.
#
#   bash bench/dumpsize.sh      env: QUICK=1, RUNS=N
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_require
have perf || die "perf is not installed (apt-get install linux-perf)"

if [ "$QUICK" = 1 ]; then
	RUNS=${RUNS:-1}
	LOOPS=200
	MIX_S=2
else
	RUNS=${RUNS:-3}
	LOOPS=500
	MIX_S=5
fi
LOAD=(perf bench sched messaging -g 5 -l "$LOOPS")

# vigil's stored records, by type: "total switches"
vigil_dump_counts() {
	"$VIGIL" dump "$1" 2>/dev/null | awk '{ n++; if ($3 == "switch") s++ } END { print n + 0, s + 0 }'
}
# perf.data samples: "total switches"
perf_data_counts() {
	perf report -i "$1" --stats 2>/dev/null | awk '
		/^ *SAMPLE events:/ && !ev { total = $3 }
		/^[a-z_]+:[a-z_]+ stats:/ { ev = $1 }
		/^ *SAMPLE events:/ && ev == "sched:sched_switch" { sw = $3 }
		END { print total + 0, sw + 0 }'
}

ratios=""
sw_ratios=""
for i in $(seq 1 "$RUNS"); do
	tracer_start vigil-record || die "vigil did not start"
	time_cmd "${LOAD[@]}" >/dev/null
	tracer_stop
	vbytes=$(stat -c %s "$BENCH_TMP/trace.vgl")
	read -r vev vsw <<<"$(vigil_dump_counts "$BENCH_TMP/trace.vgl")"
	read -r _ _ vlost <<<"$(vigil_counts)"

	tracer_start perf-sched || die "perf sched record did not start"
	time_cmd "${LOAD[@]}" >/dev/null
	tracer_stop
	pbytes=$(stat -c %s "$BENCH_TMP/perf.data")
	read -r pev psw <<<"$(perf_data_counts "$BENCH_TMP/perf.data")"
	rm -f "$BENCH_TMP/perf.data"

	vpe=$(calc "$vbytes / $vev")
	ppe=$(calc "$pbytes / $pev")
	ratios+="$(calc "$vpe / $ppe")"$'\n'
	sw_ratios+="$(calc "($vbytes / $vsw) / ($pbytes / $psw)")"$'\n'
	printf 'dumpsize  run %d: vigil %d B / %d events = %.2f B/ev (%d switches, %.2f B/switch, lost %s) | perf.data %d B / %d samples = %.1f B/ev (%d switches, %.1f B/switch)\n' \
		"$i" "$vbytes" "$vev" "$vpe" "$vsw" "$(calc "$vbytes / $vsw")" "${vlost:-?}" \
		"$pbytes" "$pev" "$ppe" "$psw" "$(calc "$pbytes / $psw")"
	result dumprun "vigil_bytes=$vbytes" "vigil_events=$vev" "vigil_switches=$vsw" \
		"perf_bytes=$pbytes" "perf_events=$pev" "perf_switches=$psw"
done
read -r rmed rmin rmax <<<"$(printf '%s' "$ratios" | stats)"
read -r smed smin smax <<<"$(printf '%s' "$sw_ratios" | stats)"
printf 'dumpsize  sched-messaging  bytes/event vigil/perf x%.4f (%.4f-%.4f)  bytes/switch vigil/perf x%.4f (%.4f-%.4f) n=%d\n' \
	"$rmed" "$rmin" "$rmax" "$smed" "$smin" "$smax" "$RUNS"
result dumpsize "ratio=$rmed" "min=$rmin" "max=$rmax" "switch_ratio=$smed" "runs=$RUNS" \
	"vigil_bpe=$vpe" "perf_bpe=$ppe"

# ---- offline throughput --------------------------------------------------------
tracer_start vigil-record || die "vigil did not start"
# three loads at once, each bounded to MIX_S seconds
run_load sched-messaging "$MIX_S" &
m1=$!
run_load pf-heavy "$MIX_S" &
m2=$!
run_load mm-heavy "$MIX_S"
wait "$m1" "$m2"
tracer_stop
DUMP=$BENCH_TMP/trace.vgl
bytes=$(stat -c %s "$DUMP")
events=$("$VIGIL" dump "$DUMP" 2>/dev/null | wc -l)
if ! "$VIGIL" report 2>&1 | grep -q "unknown command"; then
	what="vigil report"
	CMD=("$VIGIL" report "$DUMP")
else
	what="vigil dump (no report command yet)"
	CMD=("$VIGIL" dump "$DUMP")
fi
# a run is ~50 ms, so one stall of the host moves a median of 5: take more
REPEAT=$([ "$QUICK" = 1 ] && echo 7 || echo 15)
times=""
for i in $(seq 1 "$REPEAT"); do
	times+="$(TIME_OUT=/dev/null time_cmd "${CMD[@]}" | cut -d' ' -f1)"$'\n'
done
cat_s=$(TIME_OUT=/dev/null time_cmd cat "$DUMP" | cut -d' ' -f1)
read -r tmed tmin _ <<<"$(printf '%s' "$times" | stats)"
printf 'offline   %-36s %d events (%.1f MB dump): %.2fM ev/s median, %.2fM ev/s best (n=%d; cat: %.3fs)\n' \
	"$what" "$events" "$(calc "$bytes / 1048576")" "$(calc "$events / $tmed / 1e6")" \
	"$(calc "$events / $tmin / 1e6")" "$REPEAT" "$cat_s"
result offline "what=$what" "events=$events" "bytes=$bytes" "evps_median=$(calc "$events / $tmed")" \
	"evps_best=$(calc "$events / $tmin")"
if [ "$what" = "vigil report" ]; then
	# dump's decode + print cost alongside, for reference
	dt=$(TIME_OUT=/dev/null time_cmd "$VIGIL" dump "$DUMP" | cut -d' ' -f1)
	printf 'offline   %-36s %d events: %.2fM ev/s (n=1)\n' "vigil dump > /dev/null" "$events" "$(calc "$events / $dt / 1e6")"
fi
exit 0
