#!/usr/bin/env python3
"""Sets the scheduler slice of threads (Linux 6.12+, EEVDF): sched-slice.py NANOSECONDS TID...

A thread with a slice shorter than the default (0.7 ms x (1 + log2 CPUs)) preempts the running one
sooner when it wakes; 0 gives the default back. No privilege is needed for a process's own threads or
another of the same user. Children inherit it. Used by push-latency.sh (API_SLICE_NS, PROBE_SLICE_NS)
to see how much of the push API's tail is a woken thread waiting for a core (BENCHMARKS.md, 6)."""
import ctypes
import struct
import sys

SYS_SCHED_SETATTR = 314  # x86_64
SYS_SCHED_GETATTR = 315
# struct sched_attr (VER1): size, policy, flags, nice, priority, runtime, deadline, period, util min/max
LAYOUT = "IIQiIQQQII"
libc = ctypes.CDLL(None, use_errno=True)


def get(tid):
    buf = ctypes.create_string_buffer(struct.calcsize(LAYOUT))
    if libc.syscall(SYS_SCHED_GETATTR, tid, buf, len(buf), 0) != 0:
        raise OSError(ctypes.get_errno(), f"sched_getattr({tid})")
    return struct.unpack(LAYOUT, buf.raw)


def set_slice(tid, nanos):
    _, policy, _, nice, _, _, _, _, _, _ = get(tid)
    attr = struct.pack(LAYOUT, struct.calcsize(LAYOUT), policy, 0, nice, 0, nanos, 0, 0, 0, 0)
    if libc.syscall(SYS_SCHED_SETATTR, tid, ctypes.c_char_p(attr), 0) != 0:
        raise OSError(ctypes.get_errno(), f"sched_setattr({tid})")


if __name__ == "__main__":
    nanos = int(sys.argv[1])
    for tid in map(int, sys.argv[2:]):
        before = get(tid)[5]
        set_slice(tid, nanos)
        print(f"thread {tid}: slice {before} -> {get(tid)[5]} ns")
