#!/usr/bin/env python3
"""curve.sh's picture: items per server CPU-second against push-to-receive p99, one point per run.

usage: curve_plot.py OUTDIR   (reads OUTDIR/tick*.out and OUTDIR/nchan-*.out; writes curve.csv, and
curve.png when matplotlib is there). go-push's point is issue 14's measurement, not a run of this
script: go-push is not packaged for this machine.
"""
import glob
import json
import os
import re
import statistics
import sys

GO_PUSH = {'name': 'go-push (1 s window, issue 14)', 'p50': 330.0, 'p99': 610.0, 'items': 2.5e6}


def results(out):
    runs = []
    for path in sorted(glob.glob(os.path.join(out, 'tick*.out')) + glob.glob(os.path.join(out, 'nchan-*.out'))):
        with open(path, encoding='utf-8') as f:
            lines = [l[len('RESULT '):] for l in f if l.startswith('RESULT {')]
        if not lines:
            continue
        r = json.loads(lines[-1])
        name = os.path.basename(path)
        m = re.match(r'tick(\d+)-', name)
        f = r['fanout']
        runs.append({'server': 'pushgate' if m else 'nchan', 'tick': int(m.group(1)) if m else 0,
                     'p50': f['latencyMs']['p50'], 'p99': f['latencyMs']['p99'], 'items': f['itemsPerServerCpuSecond'],
                     'ratio': f['deliveryRatio'], 'others': r.get('othersCpuPercent', 0.0), 'file': name})
    return runs


def main(out):
    runs = results(out)
    with open(os.path.join(out, 'curve.csv'), 'w', encoding='utf-8') as f:
        f.write('server,tickMillis,p50Ms,p99Ms,itemsPerServerCpuSecond,deliveryRatio,othersCpuPercent,file\n')
        for r in runs:
            f.write(f"{r['server']},{r['tick']},{r['p50']},{r['p99']},{r['items']},{r['ratio']},{r['others']},{r['file']}\n")
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return 1
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    ticks = sorted({r['tick'] for r in runs if r['server'] == 'pushgate'})
    med = []
    for t in ticks:
        pts = [r for r in runs if r['server'] == 'pushgate' and r['tick'] == t]
        ax.scatter([p['p99'] for p in pts], [p['items'] / 1e6 for p in pts], color='tab:blue', alpha=0.35, s=18)
        med.append((statistics.median(p['p99'] for p in pts), statistics.median(p['items'] for p in pts) / 1e6, t))
    ax.plot([m[0] for m in med], [m[1] for m in med], '-o', color='tab:blue', label='pushgate (tickMillis as labelled; median of runs)')
    for x, y, t in med:
        ax.annotate(f'{t} ms', (x, y), textcoords='offset points', xytext=(6, -12), fontsize=8, color='tab:blue')
    nchan = [r for r in runs if r['server'] == 'nchan']
    if nchan:
        ax.scatter([r['p99'] for r in nchan], [r['items'] / 1e6 for r in nchan], marker='s', color='tab:red', s=40,
                   label='nchan 1.3.6 (nginx 1.22, 2 workers)')
    ax.scatter([GO_PUSH['p99']], [GO_PUSH['items'] / 1e6], marker='^', color='tab:green', s=60, label=GO_PUSH['name'])
    ax.scatter([GO_PUSH['p99']], [2 * GO_PUSH['items'] / 1e6], marker='_', color='tab:green', s=300,
               label='target: 2x go-push at its p99')
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('push-to-receive p99 (ms, log)')
    ax.set_ylabel('items delivered per server CPU-second (millions, log)')
    ax.set_title('5,000 subscribers x 200 items/s, one item per publish request, 20 s warm-up')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8, loc='lower left')
    fig.tight_layout()
    fig.savefig(os.path.join(out, 'curve.png'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
