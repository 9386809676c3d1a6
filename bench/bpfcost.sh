#!/bin/bash
# In-BPF cost per program invocation: with kernel.bpf_stats_enabled=1 (put
# back at exit), `vigil record --all` runs while each load runs for a fixed
# time; bpftool's run_time_ns / run_cnt of each of vigil's programs (found
# through the prog_id of vigil's own file descriptors) are read before and
# after.  Per program: invocations/s, ns per invocation, and the share of one
# CPU spent in it.  The same is measured for runqlat's programs under sched
# pipe (full mode), for comparison.  bpf_stats itself adds two clock reads
# per invocation (tens of ns), so the overhead benchmark runs without it.
#
#   bash bench/bpfcost.sh [LOAD...]     env: QUICK=1
# LOAD: idle sched-pipe sched-messaging pf-heavy mm-heavy
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_require
have bpftool || die "bpftool is not installed"

LOAD_S=$([ "$QUICK" = 1 ] && echo 1 || echo 2)

old=$(sysctl -n kernel.bpf_stats_enabled) || die "no kernel.bpf_stats_enabled"
SYSCTL_RESTORE="kernel.bpf_stats_enabled=$old"
sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null || die "cannot enable kernel.bpf_stats_enabled"

# BPF program ids held by a process (its prog and link fds)
prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un
}
# "id name run_time_ns run_cnt" of each program
snapshot() {
	local id
	for id in $PROG_IDS; do
		bpftool prog show id "$id" 2>/dev/null | awk -v id="$id" '
			NR == 1 { for (i = 1; i < NF; i++) {
				if ($i == "name") name = $(i + 1)
				if ($i == "run_time_ns") rt = $(i + 1)
				if ($i == "run_cnt") rc = $(i + 1) } }
			END { printf "%s %s %d %d\n", id, name, rt, rc }'
	done
}

measure() { # tracer load
	local tracer=$1 load=$2 t0 t1
	tracer_start "$tracer" || { echo "bpfcost: $tracer did not start"; return 0; }
	PROG_IDS=$(prog_ids "$TRACER_MAIN")
	[ -n "$PROG_IDS" ] || { echo "bpfcost: no BPF programs found in $tracer's fds"; tracer_stop; return 0; }
	snapshot >"$BENCH_TMP/s0"
	t0=$EPOCHREALTIME
	run_load "$load" "$LOAD_S" || return 0
	t1=$EPOCHREALTIME
	snapshot >"$BENCH_TMP/s1"
	tracer_stop
	awk -v wall="$(calc "$t1 - $t0")" -v tr="$tracer" -v load="$load" -v res="${BENCH_RESULTS:-/dev/null}" '
		NR == FNR { rt[$1] = $3; rc[$1] = $4; next }
		{
			drt = $3 - rt[$1]; drc = $4 - rc[$1]
			if (drc <= 0) next
			tot_rt += drt; tot_rc += drc
			printf "bpfcost   %-16s %-13s %-22s %9.0f runs/s %7.1f ns/run  %5.2f%% of a CPU\n",
				load, tr, $2, drc / wall, drt / drc, drt / wall / 1e7
			printf "bpfprog\tload=%s\ttracer=%s\tprog=%s\truns_per_s=%.0f\tns_per_run=%.1f\tcpu_pct=%.3f\n",
				load, tr, $2, drc / wall, drt / drc, drt / wall / 1e7 >> res
		}
		END {
			printf "bpfcost   %-16s %-13s %-22s %9.0f runs/s %7.1f ns/run  %5.2f%% of a CPU (all programs)\n",
				load, tr, "TOTAL", tot_rc / wall, tot_rc ? tot_rt / tot_rc : 0, tot_rt / wall / 1e7
			printf "bpftotal\tload=%s\ttracer=%s\truns_per_s=%.0f\tns_per_run=%.1f\tcpu_pct=%.3f\n",
				load, tr, tot_rc / wall, tot_rc ? tot_rt / tot_rc : 0, tot_rt / wall / 1e7 >> res
		}' "$BENCH_TMP/s0" "$BENCH_TMP/s1"
	if [ "${tracer#vigil}" != "$tracer" ]; then
		read -r produced _ lost <<<"$(vigil_counts)"
		printf 'bpfcost   %-16s %-13s events %.0f/s lost %s\n' "$load" "$tracer" "$(calc "$produced / ($t1 - $t0)")" "$lost"
	fi
}

LOADS=("$@")
[ ${#LOADS[@]} -gt 0 ] || LOADS=(idle sched-pipe sched-messaging pf-heavy mm-heavy)
for load in "${LOADS[@]}"; do
	measure vigil-record "$load"
	# allocation sites on (issue 13): the sampling program runs once per
	# sample, so its ns/run is the BPF cost of one sample
	[ "$load" = pf-heavy ] && measure vigil-sites "$load"
done
if [ "$QUICK" != 1 ] && have runqlat && [ $# = 0 ]; then
	measure runqlat sched-pipe
fi
exit 0
