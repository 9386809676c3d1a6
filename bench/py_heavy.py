# A fault-heavy Python load for bench/overhead.sh: ROUNDS times, 64 MiB of
# 1 MiB bytes objects made (memset: every page faulted) and dropped, DEPTH
# Python frames down (a service's request path is tens of frames deep: the
# BPF walk of issue 14 reads each one at every sample).  With
# MALLOC_MMAP_THRESHOLD_ fixed, glibc maps and unmaps each object, so every
# round faults anew.
import sys


def touch(rounds):
    for _ in range(rounds):
        kept = [b"x" * (1 << 20) for _ in range(64)]
        del kept


def down(depth, rounds):
    if depth <= 1:
        return touch(rounds)
    return down(depth - 1, rounds)


down(int(sys.argv[2]) if len(sys.argv) > 2 else 30, int(sys.argv[1]))
