#!/usr/bin/env python3
"""Python allocation sites with known leaking lines: the ground truth of
vigil's Python frames (issue 14, tests/bpf/test_pysites.sh, checked by
tests/workloads/wl_pysites_check.py).

Every iteration (--hz per second, on absolute deadlines so the rate stays
steady) each scenario faults in memory through one known line, marked in
this file with a comment (`# LEAK: <scenario>`, churn's `# CHURN: churn`),
so a test finds the lines by reading the file, never by number:

  scenario  function               per iteration (units of --unit KiB)
  list      keep_frame             4 kept: bytes appended to a list
  dict      SessionCache.remember  2 kept: a dict cache under unique keys
  queue     produce                2 put on a queue.Queue, 1 taken back by a
                                   consumer thread: 1 kept
  thread    hoard_worker           1 kept, in a threading.Thread's own loop
                                   (its frames are the worker's, not main's)
  numpy     grow_arrays            1 kept: np.ones(), whose pages numpy's C
                                   fill faults in under numpy's `ones`
  churn     churn_scratch          12 allocated, touched and dropped: more
                                   faults than all the leaks, no growth
  mix       all of the above (numpy only where it imports)

Every leaking line touches its memory itself (b"x" * n is a memset): a page
is blamed on whoever first writes it, and untouched mmap'd memory is not
resident at all.  Two settings make a page one fault and every buffer its own
mapping, whatever the machine: THP off for the process, and a fixed
M_MMAP_THRESHOLD below the unit (glibc's dynamic threshold would otherwise
move dropped buffers onto the heap, where churn reuses them without a fault).

--truth runs tracemalloc in the same process (25 frames) and prints at exit,
as ground truth, the lines of this file by size of their live allocations
(each allocation under its innermost frame in this file, so numpy's arrays go
to the line that called np.ones):
    truth <function> <file>:<line> <bytes>
Output: "WL-PYSITES pid=..." and a "WL-PYSITES design ..." line per scenario
run at start, the truth lines, then "WL pid=... minflt=..." (getrusage); then
it exits without the interpreter's shutdown, its kept memory still held.
Needs CPython 3.11+ (vigil names Python frames by co_qualname)."""
import argparse
import ast
import ctypes
import os
import queue
import re
import resource
import sys
import threading
import time
import tokenize

MAX_KEPT_MB = 300  # the whole run's kept memory stays under this
TRUTH_FRAMES = 25
TRUTH_LINES = 8
LEAK_UNITS = {"list": 4, "dict": 2, "queue": 1, "thread": 1, "numpy": 1}
QUEUE_PUT_UNITS = 2  # per iteration; the consumer takes one item of 1 unit back
CHURN_UNITS = 12
SCENARIOS = ("list", "dict", "queue", "thread", "numpy", "churn", "mix")
MARKER = re.compile(r"#\s*(LEAK|CHURN):\s*(\w+)\s*$")


def function_at(tree, line):
    """The co_qualname of the innermost function of a parsed file that holds
    line ("<module>" outside any), as CPython 3.11+ names code objects."""
    best = ("<module>", 0)

    def walk(node, prefix):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if child.lineno <= line <= child.end_lineno and not isinstance(child, ast.ClassDef) \
                        and child.lineno >= best[1]:
                    best = (name, child.lineno)
                walk(child, name + (".<locals>." if not isinstance(child, ast.ClassDef) else "."))
            else:
                walk(child, prefix)

    walk(tree, "")
    return best[0]


def markers(path):
    """{scenario: (kind, qualname, line)} for the `# LEAK:`/`# CHURN:` lines
    of a workload file: what the tests compare vigil and tracemalloc with."""
    with open(path, "rb") as f:
        comments = [(t.start[0], t.string, t.line) for t in tokenize.tokenize(f.readline) if t.type == tokenize.COMMENT]
    tree = ast.parse(open(path).read(), path)
    out = {}
    for n, comment, line in comments:
        m = MARKER.match(comment)
        if not m:
            continue
        if line.lstrip().startswith("#"):
            raise ValueError("%s:%d: marker %s on a line without code" % (path, n, m.group(2)))
        if m.group(2) in out:
            raise ValueError("%s: marker %s twice (lines %d and %d)" % (path, m.group(2), out[m.group(2)][2], n))
        out[m.group(2)] = (m.group(1).lower(), function_at(tree, n), n)
    return out


# ---- the scenarios: each leaking line touches what it keeps ----------------------------

def keep_frame(frames, size):
    frames.append(b"f" * size)  # LEAK: list


class SessionCache:
    """A cache that is only ever written: every key is new."""

    def __init__(self):
        self.entries = {}
        self.n = 0

    def remember(self, session, size):
        self.n += 1
        self.entries["%s:%d" % (session, self.n)] = b"d" * size  # LEAK: dict


def produce(q, size):
    for _ in range(QUEUE_PUT_UNITS):
        q.put(b"q" * size)  # LEAK: queue


def drain(q, stop, hz):
    """The queue's consumer: one item per tick, half of what produce puts."""
    next_t = time.monotonic()
    while not stop.is_set():
        try:
            item = q.get(timeout=0.2)
        except queue.Empty:
            continue
        del item
        next_t = sleep_until(next_t + 1.0 / hz, stop)


def hoard_worker(hoard, stop, hz, size):
    next_t = time.monotonic()
    while not stop.is_set():
        hoard.append(b"t" * size)  # LEAK: thread
        next_t = sleep_until(next_t + 1.0 / hz, stop)


def grow_arrays(arrays, np, size):
    arrays.append(np.ones(size // 8, dtype=np.float64))  # LEAK: numpy


def churn_scratch(size):
    scratch = b"c" * size  # CHURN: churn
    return len(scratch)


def sleep_until(t, stop=None):
    """Absolute deadlines: the rate stays steady whatever an iteration took."""
    delay = t - time.monotonic()
    if delay > 0:
        if stop is not None:
            stop.wait(delay)
        else:
            time.sleep(delay)
    return t


# ---- the process's memory behaviour, set through libc --------------------------------

def pin_memory_behaviour(unit):
    """THP off (PR_SET_THP_DISABLE) and a fixed mmap threshold: one fault per
    page and one mapping per buffer (see the module's docstring)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_thp_disable, m_mmap_threshold = 41, -3
    if libc.prctl(pr_set_thp_disable, 1, 0, 0, 0) != 0:
        sys.exit("wl_pysites: prctl(PR_SET_THP_DISABLE): %s" % os.strerror(ctypes.get_errno()))
    if libc.mallopt(m_mmap_threshold, unit // 2) != 1:
        sys.exit("wl_pysites: mallopt(M_MMAP_THRESHOLD, %d) refused" % (unit // 2))


def import_numpy(required):
    try:
        import numpy
        return numpy
    except ImportError as e:
        if required:
            sys.exit("wl_pysites: --scenario numpy needs numpy in this interpreter (%s): %s "
                     "(Debian's /usr/bin/python3 has it with python3-numpy)" % (sys.executable, e))
        return None


# ---- ground truth: tracemalloc's live bytes per line of this file -----------------------

def truth_lines(snapshot, path):
    """[(bytes, qualname, line)] of this file's lines, most bytes first: each
    live allocation under its innermost frame in this file."""
    real = os.path.realpath(path)
    same = {}
    per_line = {}
    for trace in snapshot.traces:
        for frame in reversed(trace.traceback):  # innermost last: walk from it
            if frame.filename not in same:
                same[frame.filename] = os.path.realpath(frame.filename) == real
            if same[frame.filename]:
                per_line[frame.lineno] = per_line.get(frame.lineno, 0) + trace.size
                break
    tree = ast.parse(open(path).read(), path)
    return sorted(((b, function_at(tree, line), line) for line, b in per_line.items()), reverse=True)


# ---- the run ---------------------------------------------------------------------------

def positive(kind, lo, hi):
    def parse(s):
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError("wants a number in %s..%s, got %r" % (lo, hi, s))
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError("wants a number in %s..%s, got %r" % (lo, hi, s))
        return v
    return parse


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", choices=SCENARIOS, default="mix")
    ap.add_argument("--seconds", type=positive(float, 0.1, 3600), default=25.0)
    ap.add_argument("--hz", type=positive(int, 1, 1000), default=20)
    ap.add_argument("--unit", type=positive(int, 16, 4096), default=32, help="KiB (default 32)")
    ap.add_argument("--truth", action="store_true", help="tracemalloc's live bytes per line at exit")
    a = ap.parse_args()
    if sys.version_info < (3, 11):
        sys.exit("wl_pysites: needs CPython 3.11+ (co_qualname), this is %s" % sys.version.split()[0])

    want = set(LEAK_UNITS) | {"churn"} if a.scenario == "mix" else {a.scenario}
    np = import_numpy(a.scenario == "numpy") if "numpy" in want else None
    if np is None:
        want.discard("numpy")
    unit = a.unit * 1024
    iters = int(round(a.seconds * a.hz))
    kept_mb = sum(LEAK_UNITS.get(s, 0) for s in want) * unit * iters / 2**20
    if kept_mb > MAX_KEPT_MB:
        ap.error("--seconds %g --hz %d --unit %d would keep %.0f MB, more than %d MB"
                 % (a.seconds, a.hz, a.unit, kept_mb, MAX_KEPT_MB))
    me = os.path.abspath(__file__)
    marks = markers(me)  # before tracemalloc: the parse's own leftovers are no truth
    pin_memory_behaviour(unit)
    if a.truth:
        import tracemalloc
        tracemalloc.start(TRUTH_FRAMES)

    print("WL-PYSITES pid=%d python=%s executable=%s scenario=%s hz=%d unit=%d seconds=%g numpy=%s file=%s"
          % (os.getpid(), sys.version.split()[0], sys.executable, a.scenario, a.hz, unit, a.seconds,
             np.__version__ if np else "absent", me))
    leak_total = sum(LEAK_UNITS.get(s, 0) for s in want)
    for s in sorted(want, key=lambda s: (-LEAK_UNITS.get(s, 0), s)):
        kind, fn, line = marks[s]
        units = LEAK_UNITS.get(s, 0)
        print("WL-PYSITES design scenario=%s kind=%s function=%s line=%d units_kept=%d units_faulted=%d share=%.4f"
              % (s, kind, fn, line, units, QUEUE_PUT_UNITS if s == "queue" else CHURN_UNITS if s == "churn" else units,
                 units / leak_total if leak_total else 0.0))
    sys.stdout.flush()

    stop = threading.Event()
    threads = []
    frames, cache, q, hoard, arrays = [], SessionCache(), queue.Queue(), [], []
    if "queue" in want:
        threads.append(threading.Thread(target=drain, args=(q, stop, a.hz), name="drain"))
    if "thread" in want:
        threads.append(threading.Thread(target=hoard_worker, args=(hoard, stop, a.hz, unit), name="hoard"))
    for t in threads:
        t.start()
    next_t = start = time.monotonic()
    churned = 0
    for i in range(iters):
        if "list" in want:
            keep_frame(frames, LEAK_UNITS["list"] * unit)
        if "dict" in want:
            cache.remember("s%d" % (i % 7), LEAK_UNITS["dict"] * unit)
        if "queue" in want:
            produce(q, unit)
        if "numpy" in want:
            grow_arrays(arrays, np, LEAK_UNITS["numpy"] * unit)
        if "churn" in want:
            churned += churn_scratch(CHURN_UNITS * unit)
        next_t = sleep_until(next_t + 1.0 / a.hz)
    stop.set()
    for t in threads:
        t.join()

    loop_s = time.monotonic() - start
    if a.truth:
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()  # reading the snapshot needs no tracing (a 25-frame trace per allocation)
        for b, fn, line in truth_lines(snapshot, me)[:TRUTH_LINES]:
            print("truth %s %s:%d %d" % (fn, me, line, b))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("WL pid=%d minflt=%d majflt=%d nvcsw=%d nivcsw=%d iterations=%d list=%d dict=%d queue=%d thread=%d "
          "numpy=%d churned_mb=%.1f loop_s=%.2f truth_s=%.2f"
          % (os.getpid(), ru.ru_minflt, ru.ru_majflt, ru.ru_nvcsw, ru.ru_nivcsw, iters, len(frames),
             len(cache.entries), q.qsize(), len(hoard), len(arrays), churned / 2**20, loop_s,
             time.monotonic() - start - loop_s), flush=True)
    # No interpreter shutdown: it would free every kept buffer (a munmap
    # each), and the process's sites at the end would hold nothing.  A leaking
    # service ends like this too, killed with its memory still held.
    os._exit(0)


if __name__ == "__main__":
    main()
