# A Python leak for the kernel-matrix guests (tests/vm/guest.sh), which
# have Debian's python3.11-minimal only: builtins, no threads or numpy
# (tests/workloads/wl_pysites.py is the full workload, on the host).
# new_frame's line keeps 2.5 MiB a second (the leak rule wants 32 MiB); churn drops as many pages
# (pymalloc arenas, unmapped once empty).  Prints its pid and the truth:
#   WL-PYMIN pid=N leak=new_frame:LINE caller=keep_frame:LINE
import sys
import time

kept = []


def new_frame():
    return b"f" * (64 * 1024)  # LEAK: new_frame


def keep_frame():
    kept.append(new_frame())  # LEAK: keep_frame


def churn():
    tmp = [str(i) * 8 for i in range(4000)]  # CHURN
    del tmp


def marker_line(tag):
    with open(__file__) as f:
        for n, text in enumerate(f, 1):
            if text.rstrip().endswith("# " + tag):
                return n
    return 0


def run(seconds):
    print("WL-PYMIN pid=%d leak=new_frame:%d caller=keep_frame:%d churn=churn:%d"
          % (__import__("os").getpid(), marker_line("LEAK: new_frame"), marker_line("LEAK: keep_frame"),
             marker_line("CHURN")), flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(10):
            keep_frame()
        churn()
        time.sleep(0.25)


run(float(sys.argv[1]) if len(sys.argv) > 1 else 25)
# as a leaking service ends (killed): not by freeing what it kept, which
# would shrink the heap before the exit and hide the leak
__import__("os")._exit(0)
