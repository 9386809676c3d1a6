#!/usr/bin/env python3
"""wl_pysites' ground truth against vigil's report (issue 14: Python frames in
allocation sites), for tests/bpf/test_pysites.sh.

Three sources must agree: the workload file's `# LEAK:` lines (read here with
wl_pysites.markers, never by number), tracemalloc's live bytes per line (the
workload's --truth lines) and vigil's sites.  A site belongs to its innermost
frame in the workload file (numpy's frames in numeric.py go to the line that
called np.ones); that frame must be a Python one (kind "python", function the
co_qualname, line the line executing).

  wl_pysites_check.py check --workload wl_pysites.py --out WL.out --report R.json [--text R.txt] --label L
        prints PASS/FAIL lines (tests/run.sh counts them); what is checked
        depends on the scenario WL.out says ran (see cmd_check)
"""
import argparse
import os
import sys

from wl_pysites import markers
from wl_sites_check import Checks, load_report, of_pid, schema_errors, text_block

CHURN_MAX = 0.10  # the churn function's share of the growth
SHARE_TOLERANCE = 0.15  # points, a leaking line's share of the leaks' growth vs tracemalloc's
CHURN_LIVE_MAX = 0.10  # churn alone: live bytes at the end vs the bytes it faulted in


def load_out(path):
    """The workload's own lines: its pid, scenario, interpreter, the design and
    tracemalloc's truth ([(function, line, bytes)], most bytes first)."""
    t = {"design": {}, "truth": []}
    for line in open(path):
        f = line.split()
        if line.startswith("WL-PYSITES pid="):
            t.update(dict(x.split("=", 1) for x in f[1:]))
        elif line.startswith("WL-PYSITES design "):
            kv = dict(x.split("=", 1) for x in f[2:])
            t["design"][kv["scenario"]] = kv
        elif line.startswith("truth "):
            where = f[2].rsplit(":", 1)
            t["truth"].append((f[1], int(where[1]), int(f[3])))
        elif line.startswith("WL pid="):
            t["end"] = dict(x.split("=", 1) for x in f[1:] if "=" in x)
    if "pid" not in t or "end" not in t:
        sys.exit("wl_pysites_check: %s holds no complete wl_pysites run (did the workload finish?)" % path)
    t["pid"] = int(t["pid"])
    return t


def owner(frames, base):
    """The innermost frame in the workload file (base name), or None."""
    for fr in frames:
        if os.path.basename(fr.get("file") or "") == base:
            return fr
    return None


def owner_key(site, base):
    fr = owner(site.get("frames") or [], base)
    return (fr.get("function"), fr.get("line")) if fr else ("(no frame in %s)" % base, None)


def per_owner(sites, base):
    """{(function, line): (bytes, share)} summed over the sites each line owns."""
    out = {}
    for s in sites:
        k = owner_key(s, base)
        b, sh = out.get(k, (0, 0.0))
        out[k] = (b + int(s.get("bytes") or 0), sh + float(s.get("share") or 0.0))
    return out


def fmt_frame(fr):
    if not fr:
        return "none"
    return "%s (%s:%s, kind %s)" % (fr.get("function"), os.path.basename(fr.get("file") or "?"), fr.get("line"), fr.get("kind"))


def fmt_owners(own):
    return ", ".join("%s:%s %.1f%%" % (k[0], k[1], 100 * v[1]) for k, v in sorted(own.items(), key=lambda kv: -kv[1][0])) or "none"


def python_frames(frames):
    return [fr for fr in frames if fr.get("kind") == "python"]


def check_top(ck, where, sites, want_fn, want_line, base):
    """The heaviest site's innermost workload-file frame is the truth's Python line."""
    top = max(sites, key=lambda s: int(s.get("bytes") or 0))
    fr = owner(top.get("frames") or [], base)
    native_only = not python_frames(top.get("frames") or [])
    ck(where + ".top_frame_in_workload", fr is not None,
       "the top site has no frame in %s (%s): %s" % (base, "native frames only, no Python frame" if native_only else "its Python frames",
                                                     " <- ".join(f.get("function") or "?" for f in (top.get("frames") or [])[:8])))
    if fr is None:
        return top
    ck(where + ".top_kind_python", fr.get("kind") == "python", "the top site's frame %s" % fmt_frame(fr))
    ck(where + ".top_function_line", (fr.get("function"), fr.get("line")) == (want_fn, want_line),
       "the top site's frame %s, truth %s (%s:%d)" % (fmt_frame(fr), want_fn, base, want_line))
    return top


def cmd_check(a):
    t = load_out(a.out)
    marks = markers(a.workload)
    base = os.path.basename(a.workload)
    scen = t["scenario"]
    ck = Checks(a.label)
    rep = load_report(a.report)
    pid = t["pid"]
    procs, leaks, kinds = of_pid(rep, pid)
    print("   # %s: python %s (%s), scenario %s, pid %d; tracemalloc: %s" % (
        a.label, t.get("python"), t.get("executable"), scen, pid,
        "; ".join("%s:%d %.1fM" % (fn, ln, b / 2**20) for fn, ln, b in t["truth"][:5]) or "none"))
    psites = (procs[0].get("mem", {}).get("sites") if procs else None) or []

    if scen == "churn":
        # nothing grows: no leak finding, and the churn line's sites hold a
        # small part of what it faulted in (its pages left with each munmap;
        # the interpreter's own start-up memory is not churn's)
        ck("no_leak_finding", not leaks, "a leak finding for a process that keeps nothing: %s"
           % [f.get("evidence", {}).get("sites") for f in leaks][:1])
        c_key = (marks["churn"][1], marks["churn"][2])
        live = sum(int(s.get("bytes") or 0) for s in psites if owner_key(s, base) == c_key)
        churned = float(t["end"]["churned_mb"]) * 2**20
        ck("churn_not_kept", procs and live <= CHURN_LIVE_MAX * churned,
           "pid %d not in the report" % pid if not procs else
           "%s:%d's sites hold %.1f MiB at the end of %.1f MiB churned (more than %d %%)"
           % (c_key[0], c_key[1], live / 2**20, churned / 2**20, 100 * CHURN_LIVE_MAX))
        return

    # the truth itself: tracemalloc's top line is the file's marked line for the designed top
    top_scen = "list" if scen == "mix" else scen
    _, m_fn, m_line = marks[top_scen]
    t_fn, t_line, _ = t["truth"][0] if t["truth"] else (None, None, 0)
    ck("truth_is_marker", (t_fn, t_line) == (m_fn, m_line),
       "tracemalloc's top line %s:%s, the file marks %s:%d (# LEAK: %s)" % (t_fn, t_line, m_fn, m_line, top_scen))

    if not ck("leak_finding", bool(leaks), "no leak finding for pid %d (its findings: %s)" % (pid, kinds)):
        return
    ev = leaks[0].get("evidence", {}).get("sites")
    if not ck("finding_sites", bool(ev), "the leak finding has no sites (%s)" % ("no key 'sites'" if ev is None else "[]")):
        return
    errs = schema_errors(ev)
    ck("finding_sites.schema", not errs, "; ".join(errs[:4]))
    own = per_owner(ev, base)
    print("   # %s finding sites by line: %s" % (a.label, fmt_owners(own)))
    top = check_top(ck, "finding", ev, t_fn, t_line, base)

    if "churn" in t["design"]:
        c_fn = marks["churn"][1]
        c_share = sum(v[1] for k, v in own.items() if k[0] == c_fn)
        c_top = owner_key(top, base)[0] == c_fn
        ck("churn_not_blamed", not c_top and c_share < CHURN_MAX,
           "%s is the top site" % c_fn if c_top else "%s holds %.1f%% of the growth (at most %d %%)" % (c_fn, 100 * c_share, 100 * CHURN_MAX))

    if scen == "thread":
        # the worker's own stack: no frame of the main thread's functions, and
        # the thread's start (threading.py) beyond the worker's function
        frames = top.get("frames") or []
        wl = [fr.get("function") for fr in frames if os.path.basename(fr.get("file") or "") == base]
        outer = [fr for fr in python_frames(frames) if os.path.basename(fr.get("file") or "") == "threading.py"]
        ck("thread_stack", wl[:1] == [marks["thread"][1]] and "main" not in wl and outer,
           "the top site's workload frames %s (want %s alone), threading.py frames beyond it: %d"
           % (wl, marks["thread"][1], len(outer)))

    if scen == "mix":
        # every leaking line is named among the process's sites, with its share
        # of the leaks' growth within SHARE_TOLERANCE of tracemalloc's
        pown = per_owner(psites, base)
        print("   # %s process sites by line: %s" % (a.label, fmt_owners(pown)))
        leak_lines = {(marks[s][1], marks[s][2]): s for s in t["design"] if marks[s][0] == "leak"}
        missing = ["%s:%d" % k for k in leak_lines if k not in pown]
        ck("process_sites_named", not missing, "%s not among the process's sites: %s" % (missing, fmt_owners(pown)))
        tb = {(fn, ln): b for fn, ln, b in t["truth"] if (fn, ln) in leak_lines}
        vb = {k: pown[k][0] for k in leak_lines if k in pown}
        tsum, vsum = sum(tb.values()) or 1, sum(vb.values()) or 1
        off = ["%s:%d %.1f%% vs tracemalloc %.1f%%" % (k[0], k[1], 100 * vb.get(k, 0) / vsum, 100 * tb.get(k, 0) / tsum)
               for k in leak_lines if abs(vb.get(k, 0) / vsum - tb.get(k, 0) / tsum) > SHARE_TOLERANCE]
        ck("process_sites_shares", not missing and not off,
           "more than %d points off: %s" % (100 * SHARE_TOLERANCE, "; ".join(off) or "(lines missing)"))
        if "numpy" in t["design"]:
            # a fault in numpy's C fill: the frame inside the workload's line
            # that called np.ones is numpy's ones (numeric.py); numpy's
            # dispatch wrapper of copyto (file "<__array_function__
            # internals>" in numpy 1.24) may stand inside it
            n_key = (marks["numpy"][1], marks["numpy"][2])
            nsites = sorted((s for s in psites if owner_key(s, base) == n_key), key=lambda s: -int(s.get("bytes") or 0))
            py = python_frames(nsites[0].get("frames") or []) if nsites else []
            i = next((i for i, fr in enumerate(py) if os.path.basename(fr.get("file") or "") == base), None)
            got = " <- ".join("%s (%s:%s)" % (fr.get("function"), os.path.basename(fr.get("file") or "?"), fr.get("line"))
                              for fr in py[:(i or 0) + 1]) or "none"
            ok = i and (py[i].get("function"), py[i].get("line")) == n_key \
                and py[i - 1].get("function") == "ones" and os.path.basename(py[i - 1].get("file") or "") == "numeric.py"
            ck("numpy_frames", ok, "no site of %s:%d among the process's sites" % n_key if not nsites else
               "its Python frames %s, want ones (numeric.py) <- %s (%s:%d)" % (got, n_key[0], base, n_key[1]))

    if a.text:
        comm = procs[0].get("comm") if procs else "?"
        block = text_block(open(a.text).read(), comm, pid)
        lines = [l.strip() for l in block if l.strip().startswith("- site ")]
        want = "%s (%s:%d)" % (t_fn, base, t_line)
        first = lines[0].split(": ", 1)[1] if lines and ": " in lines[0] else ""
        ck("text_top_site", first.startswith(want),
           "no leak finding for %s[%d] in the text report" % (comm, pid) if not block else
           "the first site line reads %r, want it to start with %r" % (lines[0] if lines else "(no site line)", want))
        if block:
            print("   # text:\n" + "\n".join("   #   " + l.strip() for l in block))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--workload", required=True, help="wl_pysites.py, whose # LEAK: lines are the truth")
    c.add_argument("--out", required=True, help="the workload's output (run with --truth)")
    c.add_argument("--report", required=True, help="vigil report --format json of the run")
    c.add_argument("--text", help="vigil report (text) of the run")
    c.add_argument("--label", required=True)
    a = ap.parse_args()
    {"check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    main()
