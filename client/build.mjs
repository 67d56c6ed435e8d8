// Builds dist/ of the npm package from the one source the server also serves:
// src/main/resources/webroot/pushgate.js (ES module) and pushgate.d.ts. Run by `npm pack` and
// `npm publish` (prepack); nothing in dist/ is edited by hand or committed.
//   dist/pushgate.js     the module, as it is
//   dist/pushgate.cjs    the same code for require(): its `export` keywords become module.exports
//   dist/pushgate.d.ts   the types, and dist/pushgate.d.cts for require()
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const webroot = path.resolve(here, '../src/main/resources/webroot');
const dist = path.join(here, 'dist');

const source = fs.readFileSync(path.join(webroot, 'pushgate.js'), 'utf8');
const types = fs.readFileSync(path.join(webroot, 'pushgate.d.ts'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));

function fail(message) {
  console.error('pushgate-client build: ' + message);
  process.exit(1);
}

// The version has one source: pushgate.js's VERSION line, which the server also reads.
const version = /^export const VERSION = '([^']+)';$/m.exec(source)?.[1];
if (!version) {
  fail("pushgate.js has no line `export const VERSION = '...';`");
}
if (version !== pkg.version) {
  fail(`package.json says ${pkg.version}, pushgate.js's VERSION says ${version}: make them equal`);
}

// CommonJS: every export is a top-level declaration `export const|function|class NAME`; anything
// else (export lists, default exports, imports) would need a real bundler, so it stops the build.
const names = [];
const cjsBody = source.replace(/^export (const|function|async function|class) ([A-Za-z_$][\w$]*)/gm, (_, kind, name) => {
  names.push(name);
  return `${kind} ${name}`;
});
const leftover = /^\s*(export|import)\b.*$/m.exec(cjsBody);
if (leftover) {
  fail('pushgate.js has a statement the CommonJS build cannot carry: ' + leftover[0]);
}
const cjs = "'use strict';\n" + cjsBody + `\nmodule.exports = {${names.join(', ')}};\n`;

fs.rmSync(dist, {recursive: true, force: true});
fs.mkdirSync(dist);
fs.writeFileSync(path.join(dist, 'pushgate.js'), source);
fs.writeFileSync(path.join(dist, 'pushgate.cjs'), cjs);
fs.writeFileSync(path.join(dist, 'pushgate.d.ts'), types);
fs.writeFileSync(path.join(dist, 'pushgate.d.cts'), types);
console.error(`pushgate-client ${version}: dist/ built (${names.length} exports: ${names.join(', ')})`);
