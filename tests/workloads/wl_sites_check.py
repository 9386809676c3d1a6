#!/usr/bin/env python3
"""wl_sites' ground truth against what a site profiler says (issue 13).

One rule for every judge (tests/bpf/test_sites.sh, scripts/sites-vs-perf.sh):
a sample or a site belongs to the first frame, innermost first, whose module
is the workload or its shared library (so memset's and malloc's frames go to
the program function that called them); its weight is summed per function.

  wl_sites_check.py check  --truth WL.out --report R.json [--text R.txt] --label L [--mode M]
        vigil's report (or the last line of live --format json) vs the truth:
        prints PASS/FAIL lines (tests/run.sh counts them)
  wl_sites_check.py same   --truth WL.out --a A.json --b B.json --label L
        the per-function shares of two reports agree (live vs its dump, replay)
  wl_sites_check.py table  --truth WL.out --perf PERF_SCRIPT.txt [--vigil R.json]
        perf's fault share per function next to the truth (and vigil's)
"""
import argparse
import json
import os
import re
import sys

SHARE_TOLERANCE = 0.15  # the issue's +-15 points
CHURN_MAX = 0.05
BYTES_TOLERANCE = 0.30  # a site of ~100 samples is +-10 % (one sigma) by chance alone


def load_truth(path):
    """The workload's own lines: pid, variant and per site its designed share."""
    t = {"sites": []}
    for line in open(path):
        f = line.split()
        if line.startswith("WL-SITES truth "):
            kv = dict(x.split("=", 1) for x in f[2:])
            t["sites"].append({"function": kv["function"], "module": kv["module"], "share": float(kv["share"]),
                               "pages_per_s": int(kv["pages_per_s"]), "pages_per_iter": int(kv["pages_per_iter"]),
                               "kept": kv["kept"] == "1", "how": kv.get("how", "")})
        elif line.startswith("WL pid=") and "iterations=" in line:
            t["iterations"] = int(dict(x.split("=", 1) for x in f[1:] if "=" in x)["iterations"])
        elif line.startswith("WL-SITES pid="):
            kv = dict(x.split("=", 1) for x in f[1:])
            t["pid"], t["variant"], t["page"] = int(kv["pid"]), kv["variant"], int(kv["page"])
    if "pid" not in t or len(t["sites"]) != 4:
        sys.exit("wl_sites_check: %s holds no complete wl_sites truth (did the workload run?)" % path)
    t["modules"] = {s["module"] for s in t["sites"]}
    t["leaking"] = sorted((s for s in t["sites"] if s["kept"]), key=lambda s: -s["share"])
    t["churn"] = [s["function"] for s in t["sites"] if not s["kept"]]
    return t


def owner(frames, modules):
    """The program function a stack belongs to: its first frame in the program
    or its library; None when no frame is (a stack the unwinder cut short)."""
    for fr in frames:
        if os.path.basename(fr.get("module") or "") in modules:
            return fr.get("function") or "?"
    return None


def load_report(path):
    """A report, or the last line (the run's summary) of live/replay JSON lines."""
    text = open(path).read()
    try:
        return json.loads(text)
    except ValueError:
        lines = [l for l in text.splitlines() if l.strip()]
        if not lines:
            sys.exit("wl_sites_check: %s is empty" % path)
        return json.loads(lines[-1])


def of_pid(rep, pid):
    """A report's entries for one process: its processes[] entries, its leak
    findings and the kinds of all its findings."""
    procs = [p for p in rep.get("processes", []) if p.get("pid") == pid]
    leaks = [f for f in rep.get("findings", []) if f.get("pid") == pid and f.get("kind") == "leak"]
    kinds = sorted({f.get("kind") for f in rep.get("findings", []) if f.get("pid") == pid})
    return procs, leaks, kinds


def per_function(sites, modules, key="share"):
    """{function: share (or bytes)} summed over the sites (stacks) each function owns."""
    out = {}
    for s in sites:
        fn = owner(s.get("frames") or [], modules) or "(no program frame)"
        out[fn] = out.get(fn, 0.0) + float(s.get(key) or 0.0)
    return out


def fmt(shares):
    return ", ".join("%s %.1f%%" % (k, 100 * v) for k, v in sorted(shares.items(), key=lambda kv: -kv[1])) or "none"


class Checks:
    def __init__(self, label):
        self.label = label

    def __call__(self, name, ok, why):
        print(("PASS " if ok else "FAIL ") + self.label + "." + name + ("" if ok else ": " + why))
        return ok


SCHEMA_SITE = {"bytes", "share", "samples", "frames"}
SCHEMA_FRAME = {"function", "file", "line", "module", "kind"}


def schema_errors(sites):
    errs = []
    for i, s in enumerate(sites):
        if not SCHEMA_SITE <= set(s):
            errs.append("site %d lacks %s" % (i, sorted(SCHEMA_SITE - set(s))))
            continue
        if not 0.0 <= float(s["share"]) <= 1.0:
            errs.append("site %d share %r outside 0..1" % (i, s["share"]))
        for fr in s["frames"]:
            if not SCHEMA_FRAME <= set(fr):
                errs.append("site %d frame lacks %s" % (i, sorted(SCHEMA_FRAME - set(fr))))
            elif fr["kind"] not in ("native", "python", "kernel"):
                errs.append("site %d frame kind %r" % (i, fr["kind"]))
    return errs


def judge_sites(ck, where, sites, t, limit, whole_run=False):
    """Named, ranked, shares within tolerance, churn not blamed."""
    if not ck(where + ".present", bool(sites), "no sites (the JSON has %s)" % ("no key 'sites'" if sites is None else "[]")):
        return
    errs = schema_errors(sites)
    ck(where + ".schema", not errs and len(sites) <= limit,
       "; ".join(errs[:4]) or "%d sites, the contract says at most %d" % (len(sites), limit))
    got = per_function(sites, t["modules"])
    print("   # %s: %s (truth: %s)" % (where, fmt(got), fmt({s["function"]: s["share"] for s in t["leaking"]})))
    missing = [s["function"] for s in t["leaking"] if s["function"] not in got]
    ck(where + ".named", not missing, "%s not among the sites' program functions: %s" % (missing, fmt(got)))
    want = [s["function"] for s in t["leaking"]]
    rank = sorted((f for f in got if f in want), key=lambda f: -got[f])
    ck(where + ".ranked", rank == want, "ranked %s, truth %s (%s)" % (rank, want, fmt(got)))
    off = ["%s %.1f%% vs truth %.1f%%" % (s["function"], 100 * got.get(s["function"], 0), 100 * s["share"])
           for s in t["leaking"] if abs(got.get(s["function"], 0) - s["share"]) > SHARE_TOLERANCE]
    ck(where + ".shares", not off, "more than %d points off: %s" % (100 * SHARE_TOLERANCE, "; ".join(off)))
    blamed = {c: got[c] for c in t["churn"] if got.get(c, 0) >= CHURN_MAX}
    ck(where + ".churn_not_blamed", not blamed, "churn (no growth) blamed: %s" % fmt(blamed))
    if whole_run and "iterations" in t:
        # the weight: sampled pages times the rate must come back to what each site kept
        got_b = per_function(sites, t["modules"], "bytes")
        off = []
        for s in t["leaking"]:
            kept = s["pages_per_iter"] * t["iterations"] * t["page"]
            print("   # %s.bytes %s: %.1f MiB, kept %.1f MiB" % (where, s["function"], got_b.get(s["function"], 0) / 2**20, kept / 2**20))
            if abs(got_b.get(s["function"], 0) - kept) > BYTES_TOLERANCE * kept:
                off.append("%s %.1f MiB vs kept %.1f MiB" % (s["function"], got_b.get(s["function"], 0) / 2**20, kept / 2**20))
        ck(where + ".bytes", not off, "net bytes more than %d %% off what the site kept: %s" % (100 * BYTES_TOLERANCE, "; ".join(off)))


def text_block(text, comm, pid):
    """The lines of the text report's leak finding for comm[pid]."""
    lines, out, on = text.splitlines(), [], False
    head = re.compile(r"^  \S")
    for line in lines:
        if head.match(line):
            on = " leak " in line and ("%s[%d]" % (comm, pid)) in line
            continue
        if on:
            if not line.strip():
                break
            out.append(line)
    return out


def cmd_check(a):
    t = load_truth(a.truth)
    if a.leaf_caller:
        for site in t["leaking"]:
            if "(libc)" in site.get("how", ""):
                site["function"] = a.leaf_caller
    rep = load_report(a.report)
    ck = Checks(a.label)
    pid = t["pid"]
    procs, leaks, kinds = of_pid(rep, pid)
    if ck("leak_finding", bool(leaks), "no leak finding for wl_sites_%s pid %d (its findings: %s)" % (t["variant"], pid, kinds)):
        judge_sites(ck, "finding_sites", leaks[0].get("evidence", {}).get("sites"), t, 5)
    if ck("process", bool(procs), "pid %d not among the report's processes" % pid):
        judge_sites(ck, "process_sites", procs[0].get("mem", {}).get("sites"), t, 10, whole_run=True)
    if a.text:
        block = text_block(open(a.text).read(), "wl_sites_" + t["variant"], pid)
        want = [s["function"] for s in t["leaking"]]
        missing = [w for w in want if not any(w in l for l in block)]
        ck("text_names_functions", bool(block) and not missing,
           "no leak finding for wl_sites_%s[%d] in the text report" % (t["variant"], pid) if not block else
           "%s not named under the finding: %s" % (missing, " | ".join(l.strip() for l in block)))
        if block:
            print("   # text:\n" + "\n".join("   #   " + l.strip() for l in block))


def cmd_same(a):
    t = load_truth(a.truth)
    ck = Checks(a.label)
    got = []
    for path in (a.a, a.b):
        rep = load_report(path)
        p = [p for p in rep.get("processes", []) if p.get("pid") == t["pid"]]
        got.append(per_function(p[0].get("mem", {}).get("sites") or [], t["modules"]) if p else {})
    want = [s["function"] for s in t["leaking"]]
    ranks = [sorted((f for f in g if f in want), key=lambda f: -g[f]) for g in got]
    diff = [f for f in want if abs(got[0].get(f, 0) - got[1].get(f, 0)) > a.tolerance]
    ok = bool(got[0]) and ranks[0] == ranks[1] and not diff
    ck("same_sites", ok, "%s: %s; %s: %s" % (os.path.basename(a.a), fmt(got[0]), os.path.basename(a.b), fmt(got[1])))


def perf_samples(path, pid):
    """(period, frames) per sample of pid in `perf script -F pid,period,ip,sym,dso`
    text: a "PID PERIOD" line, then one "ADDR SYMBOL+OFF (DSO)" line per frame."""
    sample, frames = None, []
    head = re.compile(r"^(\d+)\s+(\d+)\s*$")
    frame = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
    for line in open(path, errors="replace"):
        m = head.match(line)
        if m:
            if sample:
                yield sample, frames
            sample = int(m.group(2)) if int(m.group(1)) == pid else None
            frames = []
            continue
        m = frame.match(line)
        if m and sample:
            frames.append({"function": re.sub(r"\+0x[0-9a-f]+$", "", m.group(1)), "module": m.group(2)})
    if sample:
        yield sample, frames


def cmd_table(a):
    t = load_truth(a.truth)
    faults = {}
    for period, frames in perf_samples(a.perf, t["pid"]):
        fn = owner(frames, t["modules"]) or "(no program frame)"
        faults[fn] = faults.get(fn, 0) + period
    total = sum(faults.values()) or 1
    vigil = {}
    if a.vigil:
        # the same run's process, else (a report of another run) the one of this variant
        procs = load_report(a.vigil).get("processes", [])
        p = [p for p in procs if p.get("pid") == t["pid"]] or \
            [p for p in procs if p.get("comm") == "wl_sites_" + t["variant"]][-1:]
        if not p:
            print("(no wl_sites_%s process in %s)" % (t["variant"], a.vigil))
        vigil = per_function(p[0].get("mem", {}).get("sites") or [], t["modules"]) if p else {}
    fault_truth = sum(s["pages_per_s"] for s in t["sites"])
    print("%-20s %12s %12s %12s %12s" % ("function", "truth growth", "truth faults", "perf faults", "vigil growth"))
    names = [s["function"] for s in t["sites"]] + sorted(set(faults) - {s["function"] for s in t["sites"]})
    for fn in names:
        s = next((s for s in t["sites"] if s["function"] == fn), None)
        pct = lambda x: "%.1f%%" % (100.0 * x)
        print("%-20s %12s %12s %12s %12s" % (
            fn, pct(s["share"]) if s else "-", pct(s["pages_per_s"] / fault_truth) if s else "-",
            pct(faults.get(fn, 0) / total), pct(vigil.get(fn, 0)) if a.vigil else "-"))
    print("(perf: %d faults in samples of pid %d; truth faults = each site's share of all faults it makes per second)"
          % (sum(faults.values()), t["pid"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--truth", required=True)
    c.add_argument("--report", required=True)
    c.add_argument("--text")
    c.add_argument("--label", required=True)
    c.add_argument("--leaf-caller", metavar="FUNCTION",
                   help="a frame-pointer walk's known blind spot: growth first touched in a libc leaf "
                        "(memset) is expected under FUNCTION, the caller of its caller")
    s = sub.add_parser("same")
    s.add_argument("--truth", required=True)
    s.add_argument("--a", required=True)
    s.add_argument("--b", required=True)
    s.add_argument("--label", required=True)
    s.add_argument("--tolerance", type=float, default=0.02)
    tb = sub.add_parser("table")
    tb.add_argument("--truth", required=True)
    tb.add_argument("--perf", required=True)
    tb.add_argument("--vigil")
    a = ap.parse_args()
    {"check": cmd_check, "same": cmd_same, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
