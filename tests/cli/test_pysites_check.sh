#!/usr/bin/env bash
# The Python sites checker (tests/workloads/wl_pysites_check.py) on its own,
# no root: a real run of wl_pysites.py (mix and thread, --truth, 2 s) and
# reports written here to the output contract of issue 14 from its own
# tracemalloc truth, one site per leaking line with its Python frames.  The
# report that keeps the contract must give no FAIL; each broken one (native
# frames only, the line off by one, churn on top, the thread's leak under
# main's frames, numpy's frames missing) must give the FAIL named, so that
# test_pysites.sh cannot pass a vigil that breaks them.
. "$(dirname "$0")/lib.sh"
PYWL=$ROOT/tests/workloads/wl_pysites.py
CHECK=$ROOT/tests/workloads/wl_pysites_check.py
PY=/usr/bin/python3
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||
	{ echo "SKIP pysites_check: $PY is not CPython 3.11+"; exit 0; }

"$PY" "$PYWL" --scenario mix --seconds 2 --truth >"$TMP/mix.out" 2>"$TMP/mix.err" &
"$PY" "$PYWL" --scenario thread --seconds 2 --truth >"$TMP/thread.out" 2>"$TMP/thread.err" || fail pysites_check.thread_run "$(tail -n2 "$TMP/thread.err")"
wait $! || fail pysites_check.mix_run "$(tail -n2 "$TMP/mix.err")"

# report.py OUT BREAK JSON TEXT: a report of the run in OUT, broken as BREAK says
cat >"$TMP/report.py" <<'EOF'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests/workloads"))
from wl_pysites import markers
from wl_pysites_check import load_out

out, brk, jpath, tpath = sys.argv[1:5]
wl = os.path.join(os.environ["ROOT"], "tests/workloads/wl_pysites.py")
t, marks = load_out(out), markers(wl)
native = {"function": "__memset_avx2_unaligned_erms", "file": None, "line": None, "module": "libc.so.6", "kind": "native"}
def py(fn, line, path=wl):
    return {"function": fn, "file": path, "line": line, "module": None, "kind": "python"}
def stack(fn, line):
    if brk != "main_thread" and fn == marks["thread"][1]:
        outer = [py("Thread.run", 982, "/usr/lib/python3.11/threading.py"), py("Thread._bootstrap", 995, "/usr/lib/python3.11/threading.py")]
    else:
        outer = [py("main", 300), py("<module>", 320)]
    inner = [py("array_function_dispatch.<locals>.decorator.<locals>.public_api", 200, "<__array_function__ internals>"),
             py("ones", 206, "/usr/lib/python3/dist-packages/numpy/core/numeric.py")] if fn == marks["numpy"][1] and brk != "numpy_frames" else []
    frames = [native] + inner + [py(fn, line + (1 if brk == "line_off" else 0))] + outer
    if brk == "native_only":
        frames = [dict(f, kind="native", file="ceval.c", function="_PyEval_EvalFrameDefault") if f["kind"] == "python" else f for f in frames]
    return frames
lines = [(fn, ln, b) for fn, ln, b in t["truth"] if b > 2**20]
if brk == "churn_top":
    lines.insert(0, (marks["churn"][1], marks["churn"][2], 2 * lines[0][2]))
total = sum(b for _, _, b in lines)
sites = [{"bytes": b, "share": round(b / total, 4), "samples": b // 65536, "truncated": False, "frames": stack(fn, ln)}
         for fn, ln, b in lines]
comm = "python3.11"
json.dump({"processes": [{"pid": t["pid"], "comm": comm, "mem": {"sites": sites[:10]}}],
           "findings": [{"pid": t["pid"], "kind": "leak", "evidence": {"sites": sites[:5]}}]}, open(jpath, "w"))
def text_frame(f):
    return "%s (%s:%s)" % (f["function"], os.path.basename(f["file"] or "?"), f["line"])
with open(tpath, "w") as f:
    f.write("findings\n  CRIT  leak        other   %s[%d]  since +1.0s\n" % (comm, t["pid"]))
    for s in sites[:5]:
        fr = [x for x in s["frames"] if x["kind"] == "python"] or s["frames"][1:]
        f.write("        - site %2d%% +%.1fM: %s\n" % (100 * s["share"], s["bytes"] / 2**20, " <- ".join(text_frame(x) for x in fr[:3])))
    f.write("\n")
EOF

# run SCENARIO BREAK: the checker's output on the report broken as BREAK says
run() {
	ROOT=$ROOT "$PY" "$TMP/report.py" "$TMP/$1.out" "$2" "$TMP/$1.$2.json" "$TMP/$1.$2.txt" &&
		"$PY" "$CHECK" check --workload "$PYWL" --out "$TMP/$1.out" --report "$TMP/$1.$2.json" --text "$TMP/$1.$2.txt" --label x
}

for s in mix thread; do
	[ -s "$TMP/$s.out" ] || continue
	got=$(run $s none 2>&1)
	if grep -q '^PASS x.finding.top_function_line' <<<"$got" && ! grep -q '^FAIL' <<<"$got"; then
		pass "pysites_check.$s.contract_kept"
	else
		fail "pysites_check.$s.contract_kept" "$(grep -v '^PASS' <<<"$got" | head -n 5)"
	fi
done
# BREAK scenario, the checks that must fail
while read -r brk s want; do
	got=$(run "$s" "$brk" 2>&1)
	missing=()
	for w in $want; do grep -q "^FAIL x\.$w:" <<<"$got" || missing+=("$w"); done
	if [ ${#missing[@]} = 0 ]; then
		pass "pysites_check.$s.$brk"
	else
		fail "pysites_check.$s.$brk" "no FAIL of ${missing[*]}: $(grep '^FAIL' <<<"$got" | head -n 3)"
	fi
done <<'EOF'
native_only mix finding.top_frame_in_workload text_top_site process_sites_named
line_off mix finding.top_function_line text_top_site
churn_top mix churn_not_blamed text_top_site
numpy_frames mix numpy_frames
main_thread thread thread_stack
EOF
