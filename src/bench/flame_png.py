#!/usr/bin/env python3
"""A flame graph as a PNG, from async-profiler's collapsed stacks (`collapsed,ann`), and a text summary.

usage: flame_png.py STACKS PNG [TITLE]
The PNG needs matplotlib (Debian: python3-matplotlib); the summary (printed) does not: the share of
samples in the kernel, in JIT-compiled or interpreted Java, and in the JVM's own native code, and
the frames with the most samples of their own. Frames annotated _[k] are the kernel's, _[j], _[i]
and _[0] Java's (compiled, interpreted, inlined); anything else is native.
"""
import collections
import sys


def kind(frame):
    if frame.endswith('_[k]'):
        return 'kernel'
    if frame.endswith(('_[j]', '_[i]', '_[0]', '_[1]')):
        return 'java'
    return 'native'


def read(path):
    stacks = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line:
                continue
            stack, _, count = line.rpartition(' ')
            stacks.append((stack.split(';'), int(count)))
    return stacks


def summary(stacks):
    total = sum(c for _, c in stacks)
    by_kind = collections.Counter()
    self_time = collections.Counter()
    for frames, c in stacks:
        by_kind[kind(frames[-1])] += c
        self_time[frames[-1]] += c
    print(f'samples {total}: ' + ', '.join(f'{k} {100 * v / total:.1f}%' for k, v in by_kind.most_common()))
    print('most samples of their own:')
    for frame, c in self_time.most_common(25):
        print(f'  {100 * c / total:5.1f}%  {frame}')
    return total


def tree(stacks):
    root = {'n': 0, 'kids': {}}
    for frames, c in stacks:
        node = root
        node['n'] += c
        for fr in frames:
            node = node['kids'].setdefault(fr, {'n': 0, 'kids': {}})
            node['n'] += c
    return root


def draw(stacks, png, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    root = tree(stacks)
    total = root['n']
    colors = {'kernel': '#f0a050', 'java': '#70c070', 'native': '#e06060'}
    rects = []
    depth_max = [0]

    def walk(node, x, depth):
        for name, kid in sorted(node['kids'].items()):
            w = kid['n'] / total
            if w >= 0.002:
                rects.append((x, depth, w, name))
                depth_max[0] = max(depth_max[0], depth)
                walk(kid, x, depth + 1)
            x += w

    walk(root, 0.0, 0)
    fig, ax = plt.subplots(figsize=(18, max(6, 0.22 * (depth_max[0] + 2))), dpi=100)
    for x, d, w, name in rects:
        ax.add_patch(Rectangle((x, d), w, 0.95, facecolor=colors[kind(name)], edgecolor='white', linewidth=0.3))
        if w > 0.03:
            label = name.rsplit('_[', 1)[0]
            chars = int(w * 230)
            ax.text(x + 0.002, d + 0.45, label if len(label) <= chars else label[:max(chars - 2, 1)] + '..',
                    fontsize=6, va='center', clip_on=True)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, depth_max[0] + 1)
    ax.set_yticks([])
    ax.set_xlabel(f'share of {total} samples (orange: kernel, green: Java, red: JVM/native); frames under 0.2% left out')
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(png)


def main(argv):
    stacks = read(argv[0])
    summary(stacks)
    try:
        draw(stacks, argv[1], argv[2] if len(argv) > 2 else argv[0])
    except ImportError:
        print('no PNG: python3 without matplotlib')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
