#!/usr/bin/env python3
"""A digital-human renderer's two memory bugs from the field (report 001):
a frame-sized array kept per tick (25 fps) in an unbounded list, and an
audio queue that is only ever appended to.  Pure Python, no numpy.
Usage: wl_avatar.py SECONDS [leak|healthy]"""
import resource
import sys
import time

FRAME = 640 * 480 * 3


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    leaky = (sys.argv[2] if len(sys.argv) > 2 else "leak") == "leak"
    frames, audio = [], []
    end = time.monotonic() + secs
    while time.monotonic() < end:
        frame = bytearray(FRAME)          # a new array per resize, zero-filled: touched
        frame[::4096] = b"\x01" * len(frame[::4096])
        if leaky:
            frames.append(frame)          # cache never cleared
            audio.append(bytes(3200))     # 100 ms of 16 kHz mono, never consumed
        time.sleep(0.04)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("WL pid=%d minflt=%d majflt=%d nvcsw=%d nivcsw=%d frames=%d"
          % (__import__("os").getpid(), ru.ru_minflt, ru.ru_majflt, ru.ru_nvcsw, ru.ru_nivcsw, len(frames)),
          flush=True)


if __name__ == "__main__":
    main()
