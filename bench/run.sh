#!/bin/bash
# vigil's benchmark suite (the entry point of `make bench`):
#   overhead.sh  slowdown of perf bench sched pipe / messaging, a page-fault-heavy
#                and a memory-syscall-heavy program under vigil record, vigil
#                live --batch, runqlat, perf sched record, bpftrace (ratios)
#   loss.sh      events/s taken with 0 lost, and where loss starts, per ring
#                buffer size; vigil's CPU and peak RSS per rate
#   dumpsize.sh  dump bytes/event vs perf.data's; offline report (or dump) events/s
#   bpfcost.sh   ns per BPF program invocation (kernel.bpf_stats_enabled)
#   profile.sh   where vigil's own CPU goes (perf record of vigil; full mode only)
# then a table of every budget with its measured value and pass/fail.
#
#   bash bench/run.sh          full suite (8-25 minutes on a 2-CPU VM, depending on
#                              how fast it switches and faults)
#   QUICK=1 bash bench/run.sh  quick mode (< 2 minutes): fewer tracers, workloads
#                              and sizes, shorter runs, still 5 pairs per ratio
# Needs root, and Debian's linux-perf, bpftool, libbpf-tools (runqlat);
# bpftrace is used when installed.  Results: stdout, and
# .output/bench/results-TIME.{txt,tsv,md} (the .md is the table of docs/performance.md).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
QUICK=${QUICK:-0}
export QUICK
OUT=$ROOT/.output/bench
mkdir -p "$OUT"

# ---- budgets -------------------------------------------------------------------
# The records of $BENCH_RESULTS: kind<TAB>key=value...
budgets() {
	awk -F'\t' '
	function f(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return substr($i, length(k) + 2) } return "" }
	function row(name, budget, measured, ok) {
		printf "| %s | %s | %s | %s |\n", name, budget, measured, ok == "" ? "n/a" : (ok ? "PASS" : "FAIL")
	}
	# the spread of the null row of a workload, as a note when it is wide
	function noise(w) {
		if (!((w, "null") in r)) return ""
		sp = mx[w, "null"] - mn[w, "null"]
		return sp > 0.15 ? sprintf("; NOISY: null row %.2f-%.2f", mn[w, "null"], mx[w, "null"]) : ""
	}
	function ratio(w, t) {
		return sprintf("x%.3f (%.3f-%.3f, best x%.3f, CPU time x%.3f)", r[w, t], mn[w, t], mx[w, t], best[w, t], cr[w, t])
	}
	$1 == "overhead" {
		w = f("workload"); t = f("tracer")
		r[w, t] = f("ratio") + 0; mn[w, t] = f("min") + 0; mx[w, t] = f("max") + 0
		best[w, t] = f("best") + 0; cr[w, t] = f("cpu_ratio") + 0
		if (t ~ /^vigil/) {
			lost += f("lost"); vruns += f("pairs")
			if (f("lost") > 0) lostat = lostat (lostat ? ", " : "") w " " t "=" f("lost")
			if (f("hwm_kb") + 0 > hwm) { hwm = f("hwm_kb") + 0; hwm_at = w " under " t }
			if (t == "vigil-record" && f("hwm_kb") + 0 > hwm_rec) hwm_rec = f("hwm_kb") + 0
			if (t == "vigil-live") have_live = 1
			if (t == "vigil-sites") { sc[w] = f("cpu_pct") + 0; sbpf[w] = f("site_bpf_ns"); suw[w] = f("site_unwind_us") }
		}
	}
	$1 == "loss" && f("default") == 1 {
		if (f("target") == 400000) { cpu400 = f("cpu_pct") + 0; ev400 = f("evps") + 0; self400 = f("self_cpu_pct") }
		if (f("evps") + 0 > 50000) per100k[++nper] = f("cpu_pct") / (f("evps") / 1e5)
		dsteps = dsteps (dsteps ? ", " : "") (f("target") ~ /max/ ? f("target") : f("target") / 1000 "k") "=" f("lost")
		if (f("hwm_kb") + 0 > hwm) { hwm = f("hwm_kb") + 0; hwm_at = "rate " f("target") " under vigil-record" }
		if (f("hwm_kb") + 0 > hwm_rec) hwm_rec = f("hwm_kb") + 0
	}
	$1 == "overhead_failed" && f("tracer") ~ /^vigil/ { nofail[f("workload"), f("tracer")] = 1 }
	$1 == "dumpsize" { dr = f("ratio") + 0; dsw = f("switch_ratio") + 0; vb = f("vigil_bpe") + 0; pb = f("perf_bpe") + 0; have_d = 1 }
	$1 == "offline" { what = f("what"); oe = f("evps_median") + 0; ob = f("evps_best") + 0; have_o = 1 }
	END {
		print "| budget | limit | measured: median (min-max, best-of, CPU-time ratio) | result |"
		print "|---|---|---|---|"
		q = r["sched-pipe", "runqlat"]; p = r["sched-pipe", "perf-sched"]
		split("vigil-record vigil-live", vt, " ")
		for (k = 1; k <= 2; k++) {
			t = vt[k]; nm = t == "vigil-record" ? "vigil record" : "vigil live"
			if (!(("sched-pipe", t) in r)) continue
			v = r["sched-pipe", t]
			if (("sched-pipe", "runqlat") in r)
				row("sched pipe slowdown, " nm " vs runqlat", "<= runqlat + 5 points", \
				    sprintf("%s vs runqlat %s: %+.1f points%s", ratio("sched-pipe", t), ratio("sched-pipe", "runqlat"), (v - q) * 100, noise("sched-pipe")), \
				    (v - 1) <= (q - 1) + 0.05)
			if (("sched-pipe", "perf-sched") in r)
				row("sched pipe slowdown, " nm " vs perf sched record", "<= half of perf sched record", \
				    sprintf("+%.1f%% vs perf sched %s: half is +%.1f%%", (v - 1) * 100, ratio("sched-pipe", "perf-sched"), (p - 1) * 50), \
				    (v - 1) <= (p - 1) / 2)
		}
		for (k = 1; k <= 2; k++) {
			t = vt[k]; nm = t == "vigil-record" ? "vigil record" : "vigil live"
			if (("pf-heavy", t) in r)
				row("page-fault-heavy slowdown, " nm, "<= x1.05", ratio("pf-heavy", t) noise("pf-heavy"), r["pf-heavy", t] <= 1.05)
		}
		# allocation sites on (issue 13): the budgets of the issue, at the default rate
		if (("pf-heavy", "vigil-sites") in r) {
			row("page-fault-heavy slowdown, vigil record --sites dwarf", "<= x1.05", ratio("pf-heavy", "vigil-sites") noise("pf-heavy"), r["pf-heavy", "vigil-sites"] <= 1.05)
			row("vigil CPU, page-fault-heavy, --sites dwarf", "<= 5% of one core", sprintf("%.1f%%", sc["pf-heavy"]), sc["pf-heavy"] <= 5)
			row("per-sample cost of sites, page-fault-heavy", "(info)", sbpf["pf-heavy"] == "" ? "not reported by vigil" : \
			    sprintf("BPF %s ns + unwinding %s us", sbpf["pf-heavy"], suw["pf-heavy"]), "")
		}
		if (("sched-pipe", "vigil-sites") in r)
			row("sched pipe slowdown, vigil record --sites dwarf", "(info)", sprintf("%s vs %s without sites", \
			    ratio("sched-pipe", "vigil-sites"), ratio("sched-pipe", "vigil-record")), "")
		for (k in nofail) { split(k, wt, SUBSEP); row(wt[2] " on " wt[1], "starts", "did not start", 0) }
		if (vruns)
			row("lost events, default ring buffer, overhead loads", "0", sprintf("%d in %d traced runs%s", lost, vruns, lostat ? " (" lostat ")" : ""), lost == 0)
		if (dsteps != "")
			row("lost events, default ring buffer, rate ladder", "(info)", dsteps, "")
		if (have_d)
			row("dump bytes per scheduler event vs perf.data", "<= 1/10", \
			    sprintf("%.2f vs %.1f B/event = %.3f (per sched_switch: %.3f)", vb, pb, dr, dsw), dr <= 0.10)
		if (cpu400 != "") {
			# the 400k step, unless other work on the host pushed its offered
			# rate far from 400k: then the median CPU per 100k ev/s of the
			# default ring buffer ladder, times 4
			for (i = 1; i <= nper; i++) for (j = i + 1; j <= nper; j++) if (per100k[j] < per100k[i]) { x = per100k[i]; per100k[i] = per100k[j]; per100k[j] = x }
			med = nper % 2 ? per100k[(nper + 1) / 2] : (per100k[nper / 2] + per100k[nper / 2 + 1]) / 2
			off = ev400 < 340000 || ev400 > 460000
			row("vigil record CPU at 400k events/s, default ring buffer", "<= 5% of one core", \
			    sprintf("%.1f%% at %.0fk ev/s offered (vigil%s own report: %s%%); %.2f%% per 100k ev/s over the ladder%s", \
				    cpu400, ev400 / 1000, "\047s", self400 == "" ? "?" : self400, med, \
				    off ? sprintf(" = %.1f%% at 400k (the 400k step was off target: other load)", med * 4) : ""), \
			    (off ? med * 4 : cpu400) <= 5)
		}
		if (hwm_rec)
			row("vigil record peak RSS, defaults", "<= 24 MB", sprintf("%.1f MB (max over every record run)", hwm_rec / 1024), hwm_rec <= 24 * 1024)
		if (hwm && have_live)
			row("vigil peak RSS, defaults, record and live", "<= 24 MB", sprintf("%.1f MB (at %s)", hwm / 1024, hwm_at), hwm <= 24 * 1024)
		if (have_o)
			row("offline throughput", ">= 5M events/s", sprintf("%.2fM ev/s median, %.2fM best (%s)", oe / 1e6, ob / 1e6, what), \
			    what == "vigil report" ? oe >= 5e6 : "")
	}' "$BENCH_RESULTS"
}
# every ratio as a table row, for docs/performance.md
ratio_table() {
	awk -F'\t' '
	function f(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return substr($i, length(k) + 2) } return "" }
	BEGIN { print "| workload | tracer | wall-time ratio median (min-max) | best-of | CPU-time ratio median (min-max) | base s | traced s | tracer CPU % | tracer peak RSS MB | vigil ev/s | vigil lost |"
		print "|---|---|---|---|---|---|---|---|---|---|---|" }
	$1 == "overhead" {
		printf "| %s | %s | x%.3f (%.3f-%.3f) | x%.3f | x%.3f (%.3f-%.3f) | %.3f | %.3f | %s | %s | %s | %s |\n", f("workload"), f("tracer"),
			f("ratio"), f("min"), f("max"), f("best"), f("cpu_ratio"), f("cpu_min"), f("cpu_max"), f("base_s"), f("traced_s"),
			f("cpu_pct") == "" ? "" : sprintf("%.1f", f("cpu_pct")), f("hwm_kb") == "" ? "" : sprintf("%.1f", f("hwm_kb") / 1024),
			f("evps") == "" ? "" : sprintf("%.0fk", f("evps") / 1000), f("tracer") ~ /^vigil/ ? f("lost") : "" }' "$BENCH_RESULTS"
}
loss_table() {
	awk -F'\t' '
	function f(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return substr($i, length(k) + 2) } return "" }
	BEGIN { print "| ring buffer | target | offered ev/s | lost | vigil CPU % | CPU % per 100k ev/s | peak RSS MB | flood calls/s traced/untraced |"
		print "|---|---|---|---|---|---|---|---|" }
	$1 == "loss" {
		printf "| %d KiB%s | %s | %.0fk | %d (%.3f%%) | %.1f | %.2f | %.1f | %s |\n", f("ringbuf_kb"), f("default") == 1 ? " (default)" : "",
			f("target") ~ /max/ ? f("target") : f("target") / 1000 "k", f("evps") / 1000, f("lost"),
			f("lost") * 100 / (f("produced") + 1e-9), f("cpu_pct"), f("cpu_pct") / (f("evps") / 1e5 + 1e-9),
			f("hwm_kb") / 1024, f("gen_ratio") == "" ? "" : sprintf("x%.3f", f("gen_ratio")) }' "$BENCH_RESULTS"
}
bpf_table() {
	awk -F'\t' '
	function f(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return substr($i, length(k) + 2) } return "" }
	BEGIN { print "| load | tracer | program | runs/s | ns/run | % of a CPU |"
		print "|---|---|---|---|---|---|" }
	($1 == "bpfprog" && f("runs_per_s") + 0 >= 1000) || $1 == "bpftotal" {
		printf "| %s | %s | %s | %.0f | %.1f | %.2f |\n", f("load"), f("tracer"), $1 == "bpftotal" ? "**all**" : f("prog"),
			f("runs_per_s"), f("ns_per_run"), f("cpu_pct") }' "$BENCH_RESULTS"
}

# every table of docs/performance.md, from the records of $BENCH_RESULTS
tables() {
	echo
	echo "## Budgets"
	echo
	budgets
	echo
	echo "## Slowdown (ratio traced / untraced, $(awk -F'\t' '$1 == "overhead" { for (i = 2; i <= NF; i++) if ($i ~ /^pairs=/) { print substr($i, 7); exit } }' "$BENCH_RESULTS") pairs)"
	echo
	ratio_table
	echo
	echo "## Loss ladder"
	echo
	loss_table
	echo
	echo "## BPF cost per invocation (programs with >= 1000 runs/s)"
	echo
	bpf_table
}

# bash bench/run.sh --tables FILE.tsv: the tables again, from a saved run
if [ "${1:-}" = --tables ]; then
	[ -r "${2:-}" ] || { echo "usage: bash bench/run.sh --tables .output/bench/results-TIME.tsv" >&2; exit 2; }
	BENCH_RESULTS=$2
	tables
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "bench: needs root (BPF, perf, bpf_stats)" >&2; exit 1; }

# ---- build -----------------------------------------------------------------------
if ! make --no-print-directory vigil >"$OUT/build.log" 2>&1; then
	if [ -x vigil ]; then
		echo "bench: 'make vigil' failed (see $OUT/build.log); measuring the existing ./vigil" >&2
	else
		cat "$OUT/build.log" >&2
		exit 1
	fi
fi
for p in pf_heavy mm_heavy ev_rate; do
	if [ ! -x "$OUT/$p" ] || [ "bench/$p.c" -nt "$OUT/$p" ]; then
		cc -O2 -g -Wall -Wextra -Werror "bench/$p.c" -o "$OUT/$p" || exit 1
	fi
done

missing=
for t in perf bpftool runqlat; do command -v "$t" >/dev/null 2>&1 || missing+=" $t"; done
if [ -n "$missing" ]; then
	echo "bench: missing:$missing -- apt-get install -y linux-perf bpftool libbpf-tools (rows needing them are skipped)" >&2
fi
command -v bpftrace >/dev/null 2>&1 || echo "# bpftrace not installed: its rows are skipped (apt-get install -y bpftrace)"

STAMP=$(date +%Y%m%d-%H%M%S)
export BENCH_RESULTS=$OUT/results-$STAMP.tsv
: >"$BENCH_RESULTS"
LOG=$OUT/results-$STAMP.txt

source bench/lib.sh # for machine_line; its temporary directory is removed at exit

{
	echo "# vigil bench $(date -u +%Y-%m-%dT%H:%M:%SZ) mode=$([ "$QUICK" = 1 ] && echo quick || echo full) vigil=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- user bpf 2>/dev/null || echo +dirty)"
	echo "# machine: $(machine_line)"
	read -r busy steal <<<"$(host_busy 2)"
	echo "# before start: CPUs ${busy}% busy (steal ${steal}%) over 2 s, loadavg $(cut -d' ' -f1-3 /proc/loadavg), other tracers running: $(
		pgrep -c -x 'vigil|perf|bpftrace|runqlat' 2>/dev/null), other BPF tracing programs loaded: $(
		bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracing|tracepoint|perf_event|kprobe|raw_tracepoint)')"
	if [ "$busy" -gt 10 ]; then
		echo "# WARNING: the host is busy before the benchmark starts: ratios will be noisy (the null rows show how much)"
	fi
} | tee "$LOG"

T0=$SECONDS
part() {
	local t=$SECONDS
	bash "bench/$1" "${@:2}" 2>&1 | tee -a "$LOG"
	echo "# $1: $((SECONDS - t)) s" | tee -a "$LOG"
}
part overhead.sh
part loss.sh
part dumpsize.sh
if [ "$QUICK" = 1 ]; then
	part bpfcost.sh sched-pipe pf-heavy mm-heavy
else
	part bpfcost.sh
	part profile.sh
fi

tables >"$OUT/results-$STAMP.md"
tee -a "$LOG" <"$OUT/results-$STAMP.md"
echo "# total: $((SECONDS - T0)) s; results in $LOG, $BENCH_RESULTS, $OUT/results-$STAMP.md" | tee -a "$LOG"
