#!/usr/bin/env python3
"""`perf script` output folded into collapsed stacks, annotated as flame_png.py reads them.

usage: perf script -i perf.data | perf_fold.py > profile.collapsed
Each sample becomes one line "root;...;leaf COUNT"; a frame from the kernel gets _[k], one that perf
resolved through the JVM's perf map (/tmp/perf-PID.map: JIT-compiled Java) gets _[j]; anything else
(the JVM's own code, libc, Netty's native transport) stays plain, which flame_png.py counts as native.
"""
import collections
import re
import sys

FRAME = re.compile(r'^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$')


def main():
    folded = collections.Counter()
    frames = []

    def flush():
        if frames:
            folded[';'.join(reversed(frames))] += 1
            frames.clear()

    for line in sys.stdin:
        if not line.strip():
            flush()
            continue
        if not line[0].isspace():
            flush()  # a sample's header line: comm pid time event
            continue
        m = FRAME.match(line)
        if not m:
            continue
        sym, dso = m.group(1), m.group(2)
        sym = re.sub(r'\+0x[0-9a-f]+$', '', sym).replace(';', ':').replace(' ', '_') or '[unknown]'
        if dso.startswith('[kernel') or dso == '[kernel.kallsyms]':
            sym += '_[k]'
        elif 'perf-' in dso and dso.endswith('.map'):
            sym += '_[j]'
        frames.append(sym)
    flush()
    for stack, count in folded.most_common():
        print(f'{stack} {count}')


if __name__ == '__main__':
    main()
