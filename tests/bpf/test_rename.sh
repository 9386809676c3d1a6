#!/usr/bin/env bash
# Processes that name themselves after exec (issue 11, item 4): with the
# default targets, a launcher that renames itself camera_srv (prctl, as
# pthread_setname_np on the main thread does) or rewrites its command line
# (setproctitle, no kernel event) becomes a camera target mid-life; its
# counts start then (never more than the workload's own count after the
# rename) and the report says when.
. "$(dirname "$0")/lib.sh"
require_bpf rename

check_late() { # name, dump, pid, comm regex, after_minflt, min share of it
	python3 - "$@" <<'PY'
import json, re, subprocess, sys
name, dump, pid, comm_re, after, share = sys.argv[1:7]
pid, after, share = int(pid), int(after), float(share)
rep = json.loads(subprocess.run([sys.argv[7] if len(sys.argv) > 7 else "vigil", "report", dump, "--format", "json"],
                                capture_output=True, text=True).stdout)
procs = [p for p in rep["processes"] if p["pid"] == pid]
if not procs:
    print(f"FAIL {name}: pid {pid} is not in the report (never matched)")
    sys.exit()
p = procs[0]
pf = p["mem"]["page_faults"]
why = []
if p["role"] != "camera": why.append(f"role {p['role']}")
if not re.search(comm_re, p["comm"] + " " + p["cmdline"]): why.append(f"name {p['comm']!r} {p['cmdline']!r}")
if "target_since_s" not in p: why.append("no target_since_s")
if not (share * after <= pf <= after): why.append(f"page_faults {pf}, workload counted {after} after its rename")
print(f"FAIL {name}: " + ", ".join(why) if why else
      f"PASS {name} (since +{p['target_since_s']:.2f} s, {pf} of {after} faults after the rename)")
PY
}

# 1. prctl(PR_SET_NAME): seen at once by task:task_rename
start_vigil record -o "$TMP/prctl.vgl" || { fail rename.prctl "vigil did not start"; exit 0; }
out=$("$WL/wl_rename" prctl camera_srv 3)
stop_vigil
pid=$(kv "$out" pid)
check_late rename.prctl "$TMP/prctl.vgl" "$pid" "^camera_srv" "$(kv "$out" after_minflt)" 0.8 "$VIGIL"
if "$VIGIL" report "$TMP/prctl.vgl" | grep -q "^note: pid $pid camera_srv (camera) became a target at +"; then
	pass rename.report_says_so
else
	fail rename.report_says_so "no note in the text report"
fi

# 2. setproctitle-style rewrite of argv: no event, found by the rescan
start_vigil record -o "$TMP/argv.vgl" || { fail rename.argv "vigil did not start"; exit 0; }
out=$("$WL/wl_rename" argv "python3 camera_server.py --port 8080" 6)
stop_vigil
check_late rename.setproctitle "$TMP/argv.vgl" "$(kv "$out" pid)" "python3 camera_server.py" \
	"$(kv "$out" after_minflt)" 0.2 "$VIGIL"

# 3. a name that matches no role stays untraced
start_vigil record -o "$TMP/other.vgl" || { fail rename.no_match "vigil did not start"; exit 0; }
out=$("$WL/wl_rename" prctl boring_worker 1)
stop_vigil
if "$VIGIL" report "$TMP/other.vgl" --format json | python3 -c "
import json, sys; sys.exit(any(p['pid'] == $(kv "$out" pid) for p in json.load(sys.stdin)['processes']))"; then
	pass rename.no_match_untraced
else
	fail rename.no_match_untraced "a process renamed boring_worker became a target"
fi

# 4. without the tracepoint: one warning, and the rescan still finds it
VIGIL_FAKE_MISSING=task/task_rename start_vigil record -o "$TMP/degraded.vgl" ||
	{ fail rename.degraded "vigil did not start"; exit 0; }
out=$("$WL/wl_rename" prctl camera_srv 5)
stop_vigil
n=$(grep -c "warning: .*task_rename" "$TMP/vigil.err")
[ "$n" = 1 ] && pass rename.missing_tracepoint_warns_once || fail rename.missing_tracepoint_warns_once "$n warnings: $(cat "$TMP/vigil.err")"
check_late rename.degraded_rescan "$TMP/degraded.vgl" "$(kv "$out" pid)" "^camera_srv" \
	"$(kv "$out" after_minflt)" 0.2 "$VIGIL"
