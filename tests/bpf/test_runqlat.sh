#!/usr/bin/env bash
# Run-queue latency of a starved periodic task, three ways on the same run:
# vigil's report, libbpf-tools runqlat -p PID (Debian package), and the
# task's own measured wake-up lateness.  vigil's p50 and p99 must agree with
# runqlat's log2 histogram, and never exceed what the task itself measured.
. "$(dirname "$0")/lib.sh"
require_bpf runqlat
command -v runqlat >/dev/null || { skip runqlat "libbpf-tools runqlat not installed"; exit 0; }

start_vigil record --cmdline 'wl_periodic' -o "$TMP/r.vgl" --duration 120 || { fail runqlat "vigil did not start"; exit 0; }
"$WL/wl_hog" 0 9 >/dev/null &
hog=$!
"$WL/wl_periodic" 0 10 1 8 >"$TMP/per.out" &
per=$!
sleep 0.3
runqlat -p "$per" 7 1 >"$TMP/runqlat.out" 2>&1 &
rq=$!
wait $per
wait $rq
wait $hog
sleep 0.2
stop_vigil || { fail runqlat "vigil record failed"; exit 0; }
"$VIGIL" report "$TMP/r.vgl" --format json >"$TMP/r.json" 2>"$TMP/r.err" || { fail runqlat "report failed: $(cat "$TMP/r.err")"; exit 0; }
python3 - "$TMP/r.json" "$TMP/runqlat.out" "$(cat "$TMP/per.out")" <<'PY'
import json, math, re, sys
rep = json.load(open(sys.argv[1]))
wl = dict(kv.split("=") for kv in sys.argv[3].split()[1:])
pid = int(wl["pid"])
proc = [p for p in rep["processes"] if p["pid"] == pid][0]
lat = proc["cpu"]["runq_latency_us"]
hist = []  # (lo, hi, count) from runqlat's histogram
for line in open(sys.argv[2]):
    m = re.match(r"\s*(\d+)\s*->\s*(\d+)\s*:\s*(\d+)", line)
    if m:
        hist.append(tuple(int(x) for x in m.groups()))
total = sum(c for _, _, c in hist)
def rq_pct(p):
    need, acc = math.ceil(total * p / 100.0), 0
    for lo, hi, c in hist:
        acc += c
        if acc >= need:
            return lo, hi
    return None
def bucket(us):
    v = int(us)
    return (0, 1) if v <= 1 else (1 << int(math.log2(v)), (1 << (int(math.log2(v)) + 1)) - 1)
print("   vigil: %d waits p50=%.1fus p99=%.1fus | runqlat: %d waits p50 in %s p99 in %s | task's own lateness p50=%sus p99=%sus"
      % (lat["count"], lat["p50"], lat["p99"], total, rq_pct(50), rq_pct(99), wl["late_p50_us"], wl["late_p99_us"]))
ok = total > 100
# A percentile sitting on a log2 boundary can land either side of it in two
# tracers that observe the same waits a few hundred ns apart (each one's
# programs run before the other's timestamps, at both ends of a wait: ~0.3
# us a program on the slower CI host, where waits bunch up just above 16 us
# and vigil's p50 read 15.99).  So the check is on the distribution:
# runqlat's share of waits up to vigil's bucket must reach p, within a
# tolerance (10 points at p50, 2 at p99: about 70 and 14 waits here), and
# a value within SLOP_US of a boundary may take the bucket on either side.
SLOP_US = 1.0
def cdf_around(us):
    lo, hi = bucket(us)
    below = sum(c for l, h, c in hist if h < lo) / total
    upto = sum(c for l, h, c in hist if l <= hi) / total
    return below, upto
def agrees(v, p, tol):
    for x in (v, v - SLOP_US, v + SLOP_US):
        below, upto = cdf_around(max(x, 0))
        if below - tol <= p / 100.0 <= upto + tol:
            return True
    return False
for p, tol in ((50, 0.10), (99, 0.02)):
    v = lat["p%d" % p]
    below, upto = cdf_around(v) if ok else (0, 0)
    agree = ok and agrees(v, p, tol)
    print(("PASS" if agree else "FAIL") + " runqlat.p%d_agrees" % p +
          ("" if agree else ": vigil p%d %.1fus in %s, runqlat has %.0f-%.0f %% of waits up to there (p%d in %s)"
           % (p, v, bucket(v), below * 100, upto * 100, p, rq_pct(p) if ok else None)))
# the task measures wake time minus deadline: timer slack + run-queue wait, so never less than vigil's wait
own = lat["p50"] <= float(wl["late_p50_us"]) + 5 and lat["p99"] <= float(wl["late_p99_us"]) + 50
print(("PASS" if own else "FAIL") + " runqlat.within_task_lateness" + ("" if own else ": vigil p50/p99 %.1f/%.1f us vs lateness %s/%s us" % (lat["p50"], lat["p99"], wl["late_p50_us"], wl["late_p99_us"])))
PY
