#!/usr/bin/env python3
"""A table of the generator's RESULT lines: one row per output file, one column per field path.

usage: results.py FIELD[=LABEL] ... -- FILE ...   (FIELD is a dotted path into the RESULT JSON)
Files without a RESULT line get a row saying so. Used by the issue-14 scripts in src/bench/.
"""
import json
import sys


def field(obj, path):
    for part in path.split('.'):
        if not isinstance(obj, dict) or part not in obj:
            return ''
        obj = obj[part]
    if isinstance(obj, float):
        return f'{obj:.4g}' if abs(obj) < 1e5 else f'{obj:,.0f}'
    if isinstance(obj, int) and not isinstance(obj, bool):
        return f'{obj:,}'
    if isinstance(obj, (dict, list)):
        return json.dumps(obj, separators=(',', ':'))
    return str(obj)


def main(argv):
    split = argv.index('--')
    columns = [a.split('=', 1) if '=' in a else [a, a.split('.')[-1]] for a in argv[:split]]
    rows = [['file'] + [c[1] for c in columns]]
    for name in argv[split + 1:]:
        with open(name, encoding='utf-8') as f:
            results = [line[len('RESULT '):] for line in f if line.startswith('RESULT {')]
        short = name.rsplit('/', 1)[-1]
        if not results:
            rows.append([short, '(no RESULT)'] + [''] * (len(columns) - 1))
            continue
        r = json.loads(results[-1])
        rows.append([short] + [field(r, c[0]) for c in columns])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(' | '.join(cell.ljust(w) for cell, w in zip(row, widths)))


if __name__ == '__main__':
    main(sys.argv[1:])
