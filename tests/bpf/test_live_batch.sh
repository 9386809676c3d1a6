#!/usr/bin/env bash
# vigil live --batch: a snapshot per interval with the target's row and
# plausible numbers (its RSS against /proc/PID/status of the same process;
# CPU% only loosely: other load on the machine shares its CPU).
. "$(dirname "$0")/lib.sh"
require_bpf live_batch

"$WL/wl_hog" 1 4 >"$TMP/hog.out" &
hog=$!
sleep 0.5
vmrss_kb=$(awk '/^VmRSS/ { print $2 }' /proc/$hog/status)
"$VIGIL" live --batch --comm '^wl_hog$' --interval 1 --duration 2.5 >"$TMP/live.out" 2>"$TMP/live.err"
rc=$?
wait $hog
snaps=$(grep -c '^-- vigil' "$TMP/live.out")
row=$(grep -E "^other +$hog +wl_hog" "$TMP/live.out" | tail -n1)
echo "   $snaps snapshots; last row: $row (VmRSS ${vmrss_kb} kB)"
[ $rc -eq 0 ] && [ "$snaps" -ge 2 ] && pass live_batch.snapshots || fail live_batch.snapshots "rc=$rc snapshots=$snaps $(cat "$TMP/live.err")"
cpu=$(awk '{ print $4 }' <<<"$row")
if [ -n "$row" ] && awk -v c="$cpu" 'BEGIN { exit !(c > 20 && c <= 100.5) }'; then
	pass live_batch.cpu_of_spinning_target
else
	fail live_batch.cpu_of_spinning_target "row: '$row'"
fi
rss=$(awk '{ print $8 }' <<<"$row")
# wl_hog's RSS is small and flat: vigil's figure (K or M) must be within 10% of VmRSS
rss_kb=$(awk -v r="$rss" 'BEGIN { u = substr(r, length(r)); v = substr(r, 1, length(r) - 1);
	print (u == "K") ? v : (u == "M") ? v * 1024 : (u == "B") ? v / 1024 : -1 }')
if within "$rss_kb" "$vmrss_kb" 10; then pass live_batch.rss_vs_proc_status; else fail live_batch.rss_vs_proc_status "vigil $rss (${rss_kb} kB) vs VmRSS ${vmrss_kb} kB"; fi

# live --format json --record: the JSON lines come from the same model as the
# report of the dump written meanwhile, so their findings must be the same
"$WL/wl_mempattern" leak 30 >"$TMP/leak.out" &
leaker=$!
"$VIGIL" live --batch --format json --comm '^wl_mempattern$' --interval 1 --duration 28 --record "$TMP/live.vgl" \
	>"$TMP/live.jsonl" 2>"$TMP/live.err"
rc=$?
wait $leaker
"$VIGIL" report "$TMP/live.vgl" --format json >"$TMP/rep.json" 2>>"$TMP/live.err"
python3 - "$TMP/live.jsonl" "$TMP/rep.json" "$rc" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rep = json.load(open(sys.argv[2]))
ok_lines = int(sys.argv[3]) == 0 and len(lines) >= 20 and all(l["vigil_report"] == 1 for l in lines)
print(("PASS" if ok_lines else "FAIL") + " live_batch.json_lines" + ("" if ok_lines else ": rc=%s, %d lines" % (sys.argv[3], len(lines))))
# the last line is the run's summary (issue 11, item 5), never an empty sliver
# of an interval: whole-run totals, at least the intervals' sum
last, ivl = (lines[-1], lines[:-1]) if lines else ({}, [])
ok = (last.get("final") is True and last.get("span") == "trace" and last.get("duration_s", 0) > 20 and
      all(l.get("final") is False and l["span"] == "interval" and l["duration_s"] > 0.5 for l in ivl) and
      last["events"]["total"] >= sum(l["events"]["total"] for l in ivl) > 0)
print(("PASS" if ok else "FAIL") + " live_batch.json_final_line" + ("" if ok else ": last %s" %
      {k: last.get(k) for k in ("span", "final", "duration_s", "events")}))
key = lambda f: (f["kind"], f["pid"], f.get("scope", ""))
live_f = sorted({key(f) for f in lines[-1]["findings"] if f["pid"]}) if lines else []
rep_f = sorted({key(f) for f in rep["findings"] if f["pid"]})
same = bool(live_f) and live_f == rep_f
print("   live findings %s, report of its dump %s" % (live_f, rep_f))
print(("PASS" if same else "FAIL") + " live_batch.live_equals_report" + ("" if same else ": live %s vs report %s" % (live_f, rep_f)))
# vigil's own cost rides on every line: its CPU and RSS, and its BPF programs'
# run time (sampled 1 s in 15 from 3 s on: present from the fifth line on)
own = [l.get("vigil", {}) for l in lines[5:]]
ok = bool(own) and all(o.get("max_rss_bytes", 0) > 1 << 20 and "cpu_pct" in o and
         0 < o.get("bpf_cpu_pct", -1) < 100 and 5 < o.get("bpf_ns_per_run", -1) < 100000 for o in own)
print(("PASS" if ok else "FAIL") + " live_batch.own_cost" + ("" if ok else ": %s" % own[-3:]))
PY
# the text snapshots say the same in their header line (this run is too
# short for a BPF sample: the JSON lines above hold that)
if grep -qE '^-- vigil .*\| vigil [0-9.]+% [0-9.]+[KMG](, BPF [0-9.]+%)?$' "$TMP/live.out"; then
	pass live_batch.own_cost_text
else
	fail live_batch.own_cost_text "$(grep '^-- vigil' "$TMP/live.out" | tail -n1)"
fi
