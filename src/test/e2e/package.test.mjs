// The npm package (client/): `npm pack` builds a tarball whose ESM and CommonJS entries, types and
// VERSION all come from src/main/resources/webroot/pushgate.js; installed into an empty project, both
// `import` and `require` give the same client. Needs npm, no network (the package has no dependencies).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as source from '../../main/resources/webroot/pushgate.js';
import {root} from './pushgate-node.mjs';

const npm = (args, cwd) => execFileSync('npm', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});

test('npm pack builds a tarball that imports and requires as the served file', {timeout: 120_000}, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pushgate-client-'));
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'client/package.json'), 'utf8'));
    assert.equal(pkg.version, source.VERSION, 'package.json version = pushgate.js VERSION');
    assert.equal(pkg.dependencies, undefined, 'no dependencies');
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp, '--loglevel=error'], path.join(root, 'client')));
    assert.equal(packed.filename, `pushgate-client-${source.VERSION}.tgz`);
    assert.deepEqual(packed.files.map((f) => f.path).sort(),
      ['README.md', 'dist/pushgate.cjs', 'dist/pushgate.d.cts', 'dist/pushgate.d.ts', 'dist/pushgate.js', 'package.json']);

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({name: 'app', private: true}));
    npm(['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(tmp, packed.filename)], app);
    const installed = path.join(app, 'node_modules/pushgate-client');
    assert.equal(fs.readFileSync(path.join(installed, 'dist/pushgate.js'), 'utf8'),
      fs.readFileSync(path.join(root, 'src/main/resources/webroot/pushgate.js'), 'utf8'), 'the ESM file is the served file');

    const probe = `
      const shape = (m) => ({names: Object.keys(m).sort(), version: m.VERSION, soon: m.closePolicy(1001),
        bad: m.roomProblem('a*'), client: typeof m.connect('ws://127.0.0.1:9/connect', {WebSocket: class { close() {} }}).room});`;
    const esm = JSON.parse(execFileSync('node', ['--input-type=module', '-e',
      `import * as m from 'pushgate-client';${probe} console.log(JSON.stringify(shape(m))); process.exit(0);`], {cwd: app, encoding: 'utf8'}));
    const cjs = JSON.parse(execFileSync('node', ['-e',
      `const m = require('pushgate-client');${probe} console.log(JSON.stringify(shape(m))); process.exit(0);`], {cwd: app, encoding: 'utf8'}));
    assert.deepEqual(esm.names, Object.keys(source).sort());
    assert.deepEqual(cjs, esm, 'require() and import give the same client');
    assert.deepEqual(esm, {names: Object.keys(source).sort(), version: source.VERSION, soon: 'soon', bad: source.roomProblem('a*'), client: 'function'});
    assert.ok(fs.readFileSync(path.join(installed, 'dist/pushgate.d.ts'), 'utf8').includes('export const VERSION'));
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true});
  }
});

test('pushgate.d.ts declares every export of pushgate.js, and nothing else', () => {
  const types = fs.readFileSync(path.join(root, 'src/main/resources/webroot/pushgate.d.ts'), 'utf8');
  const declared = [...types.matchAll(/^export (?:const|function|class) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
  assert.deepEqual([...new Set(declared)].sort(), Object.keys(source).sort());
});
