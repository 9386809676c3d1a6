#!/usr/bin/env bash
# Real workloads for every memory and CPU pattern, recorded together; the
# report must classify each one right: leaks (linear, stepwise, Python) and
# retention flagged, the healthy ones (plateau, sawtooth, churn, a periodic
# task with a CPU of its own) left alone, contention named with both
# aggressors.  Detection delays are printed for the record.
. "$(dirname "$0")/lib.sh"
require_bpf findings

SECS=${VIGIL_FINDINGS_SECS:-40}
# no contention: the camera loop on a machine where nothing else runs,
# first (in the main run the memory workloads keep the other CPU busy too,
# and after it the kernel is busy reclaiming their memory for a while)
start_vigil record --cmdline 'wl_periodic' -o "$TMP/calm.vgl" --duration 120 || { fail findings "vigil did not start"; exit 0; }
"$WL/wl_periodic" 1 10 2 12 >"$TMP/calm.out"
sleep 0.3
stop_vigil || { fail findings "vigil record failed: $(tail -n3 "$TMP/vigil.err")"; exit 0; }
"$VIGIL" report "$TMP/calm.vgl" --format json >"$TMP/calm.json" 2>"$TMP/report.err" ||
	{ fail findings.report "vigil report failed: $(cat "$TMP/report.err")"; exit 0; }
ln -s "$WL/wl_periodic" "$TMP/dual_camera_websocket_server" # a camera by name: the 33 ms frame budget
start_vigil record --comm '^wl_(mempattern|hog)$' --cmdline 'wl_avatar|wl_periodic' --role camera \
	-o "$TMP/f.vgl" --duration 600 || { fail findings "vigil did not start"; exit 0; }
declare -A pid_of
workloads=()
for p in leak steps plateau sawtooth churn retain; do
	"$WL/wl_mempattern" "$p" "$SECS" >"$TMP/$p.out" &
	workloads+=($!)
done
python3 "$ROOT/tests/workloads/wl_avatar.py" "$SECS" leak >"$TMP/avatar.out" &
workloads+=($!)
# contention: the camera loop shares CPU 0 with two busy processes
"$WL/wl_hog" 0 "$SECS" >"$TMP/hog1.out" &
workloads+=($!)
"$WL/wl_hog" 0 "$SECS" >"$TMP/hog2.out" &
workloads+=($!)
"$TMP/dual_camera_websocket_server" 0 10 2 "$SECS" >"$TMP/camera.out" &
workloads+=($!)
wait "${workloads[@]}" # the workloads only: vigil keeps running until stopped
sleep 0.3
stop_vigil || { fail findings "vigil record failed: $(tail -n3 "$TMP/vigil.err")"; exit 0; }
for f in leak steps plateau sawtooth churn retain avatar hog1 hog2 camera calm; do
	pid_of[$f]=$(kv "$(cat "$TMP/$f.out")" pid)
done
"$VIGIL" report "$TMP/f.vgl" --format json >"$TMP/report.json" 2>"$TMP/report.err" ||
	{ fail findings.report "vigil report failed: $(cat "$TMP/report.err")"; exit 0; }

# expectations: pid -> kinds that must be present / absent
python3 - "$TMP/report.json" "$TMP/calm.json" \
	leak="${pid_of[leak]}" steps="${pid_of[steps]}" plateau="${pid_of[plateau]}" sawtooth="${pid_of[sawtooth]}" \
	churn="${pid_of[churn]}" retain="${pid_of[retain]}" avatar="${pid_of[avatar]}" hog1="${pid_of[hog1]}" \
	hog2="${pid_of[hog2]}" camera="${pid_of[camera]}" calm="${pid_of[calm]}" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
calm = json.load(open(sys.argv[2]))
rep["findings"] += calm["findings"]
rep["processes"] += calm["processes"]
pid = dict(a.split("=") for a in sys.argv[3:])
pid = {k: int(v) for k, v in pid.items()}
procs = {p["pid"]: p for p in rep["processes"]}
start = {p["pid"]: p for p in rep["processes"]}

def kinds(name):
    return sorted({f["kind"] for f in rep["findings"] if f["pid"] == pid[name]})

def check(name, cond, detail):
    print(("PASS" if cond else "FAIL") + " findings." + name + ("" if cond else ": " + detail))

def delay(name, kind):
    fs = [f for f in rep["findings"] if f["pid"] == pid[name] and f["kind"] == kind]
    return fs[0].get("raised_s", fs[0]["since_s"]) - procs[pid[name]].get("start_s", 0) if fs and pid[name] in procs else None

expect = {
    "leak": ({"leak"}, {"retention"}), "steps": ({"leak"}, set()), "avatar": ({"leak"}, set()),
    "retain": ({"retention"}, {"leak"}),
    "plateau": (set(), {"leak", "retention"}), "sawtooth": (set(), {"leak", "retention"}),
    "churn": (set(), {"leak", "retention"}),
    "camera": ({"contention"}, set()), "calm": (set(), {"contention"}),
}
for name, (must, mustnot) in expect.items():
    got = set(kinds(name))
    why = "; ".join(f["summary"] for f in rep["findings"] if f["pid"] == pid[name] and f["kind"] in mustnot)
    check(name + ".classified", must <= got and not (mustnot & got),
          "pid %d has %s, wants %s and none of %s %s" % (pid[name], sorted(got), sorted(must), sorted(mustnot), why))
    for k in sorted(must):
        d = delay(name, k)
        if d is not None:
            print("   # %-8s %-10s detected %.1f s after the process started" % (name, k, d))

# contention names both aggressors
cf = [f for f in rep["findings"] if f["pid"] == pid["camera"] and f["kind"] == "contention"]
behind = {b["pid"] for f in cf for b in f.get("evidence", {}).get("waited_behind", f.get("evidence", {}).get("behind", []))}
check("contention.names_both_aggressors", {pid["hog1"], pid["hog2"]} <= behind,
      "waited behind %s, hogs %d %d" % (sorted(behind), pid["hog1"], pid["hog2"]))
# the healthy ones, each judged on what it could be mistaken for
healthy = [n for n in ("plateau", "sawtooth", "churn") if set(kinds(n)) & {"leak", "retention"}]
healthy += ["calm"] if "contention" in kinds("calm") else []
print("   # false positives on the healthy workloads: %d (%s)" % (len(healthy), ",".join(healthy)))
PY
