// Real-browser tests of pushgate.js and the demo page, against the packaged node.
//
//   node src/test/e2e/run.mjs            (from the repository root; .ci/e2e.sh installs what it needs)
//
// Starts `java -jar target/pushgate.jar` on two free loopback ports with the demo endpoint on, drives
// Debian's Chromium (/usr/bin/chromium) with playwright-core, restarts the node in the middle, and
// checks what a viewer sees. Every wait is a condition with a timeout; nothing sleeps to synchronise.
// On a failure: a screenshot per page and the node's log under target/e2e/, and exit status 1.
// Last line: "e2e: N passed, M failed".
//
// Environment: CHROMIUM (default /usr/bin/chromium); PUSHGATE_E2E_SERVER, a command line to start
// instead of the jar (e.g. another build), given the same PUSHGATE_* environment.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = path.join(root, 'target/e2e');
const jar = path.join(root, 'target/pushgate.jar');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync'];
const ROOM = 'demo';
const TOTAL_BUDGET_MS = 5 * 60_000;

const log = (...args) => console.log('e2e:', ...args);
const results = [];
const pages = {};
let server = null;
let serverRuns = 0;
let context = null;
let profileDir = null;
let ports = null;

// ---- small helpers ----

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `probe` (async, returns a truthy value when done) every `everyMs` until `timeoutMs`. */
async function until(what, probe, {timeoutMs = 15_000, everyMs = 100} = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (let i = 0; Date.now() < deadline; i++) {
    try {
      const value = await probe();
      if (value) {
        return value;
      }
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ' (last error: ' + last.message + ')' : ''}`);
}

function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({name, ok: true});
    log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({name, ok: false, error: e});
    log(`FAIL ${name} (${Date.now() - t0} ms): ${e.message}`);
    throw e;
  }
}

// ---- the node ----

function startServer() {
  serverRuns++;
  const logFile = path.join(outDir, `server-${serverRuns}.log`);
  const out = fs.openSync(logFile, 'w');
  const env = {
    ...process.env,
    PUSHGATE_PUBLIC_PORT: String(ports.public),
    PUSHGATE_API_PORT: String(ports.api),
    PUSHGATE_PUBLIC_HOST: '127.0.0.1',
    PUSHGATE_API_HOST: '127.0.0.1',
    PUSHGATE_DEMO_PUBLISH: 'true',
  };
  const command = process.env.PUSHGATE_E2E_SERVER ? process.env.PUSHGATE_E2E_SERVER.split(/\s+/).filter(Boolean) : ['java', '-jar', jar];
  const child = spawn(command[0], command.slice(1), {cwd: root, env, stdio: ['ignore', out, out]});
  fs.closeSync(out);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
  child.on('error', (e) => log('cannot start the node:', e.message));
  child.logFile = logFile;
  server = child;
  return child;
}

async function waitReady(child) {
  let exited = null;
  child.exited.then((x) => (exited = x));
  await until(`GET /ready = 200 on port ${ports.public} (log: ${path.relative(root, child.logFile)})`, async () => {
    if (exited) {
      throw new Error(`the node exited (${JSON.stringify(exited)}) before it was ready`);
    }
    const response = await fetch(`http://127.0.0.1:${ports.public}/ready`);
    return response.status === 200;
  }, {timeoutMs: 60_000, everyMs: 200});
}

async function stopServer(child, {timeoutMs = 30_000} = {}) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return child ? {code: child.exitCode, signal: child.signalCode} : null;
  }
  child.kill('SIGTERM');
  const result = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r(null), timeoutMs))]);
  if (!result) {
    child.kill('SIGKILL');
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 5_000))]);
    throw new Error(`the node did not exit within ${timeoutMs} ms of SIGTERM`);
  }
  return result;
}

async function apiPush(room, items) {
  const response = await fetch(`http://127.0.0.1:${ports.api}/push/room`, {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({room, items}),
  });
  const body = await response.text();
  assert(response.status === 200, `POST /push/room answered ${response.status} ${body}`);
  return JSON.parse(body);
}

// ---- the pages ----

async function openDemo(name) {
  const page = await context.newPage();
  page.e2eName = name;
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push('pageerror: ' + e.message));
  page.on('console', (m) => m.type() === 'error' && page.consoleErrors.push('console: ' + m.text()));
  pages[name] = page;
  await page.goto(`http://127.0.0.1:${ports.public}/?room=${encodeURIComponent(ROOM)}`, {timeout: 15_000});
  // Record what the page's client went through, to tell a reconnect apart from a socket that stayed.
  await waitIn(page, 'demo client (window.pushgateDemo)', () => window.pushgateDemo && window.pushgateDemo.client, null);
  await page.evaluate(() => {
    const t = (window.__e2e = {states: [], onlineSinceDrop: []});
    const {client} = window.pushgateDemo;
    client.on('state', (s) => {
      t.states.push(s);
      if (s !== 'open') {
        t.onlineSinceDrop = [];
      }
    });
    client.on('online', ({count}) => t.onlineSinceDrop.push(count));
  });
  return page;
}

const stateOf = (page) => page.evaluate(() => document.documentElement.dataset.pgState ?? '-');
const viewersOf = (page) => page.evaluate(() => document.getElementById('viewers')?.textContent ?? '-');

/** page.waitForFunction, failing with what was awaited, on which page, and what the page shows. */
async function waitIn(page, what, fn, arg, {timeoutMs = 10_000, everyMs = 100} = {}) {
  try {
    await page.waitForFunction(fn, arg, {timeout: timeoutMs, polling: everyMs});
  } catch (e) {
    if (e.name !== 'TimeoutError') {
      throw e;
    }
    const seen = await Promise.all([stateOf(page), viewersOf(page)]).catch(() => ['?', '?']);
    throw new Error(`${page.e2eName}: no ${what} within ${timeoutMs} ms (page shows state ${seen[0]}, viewers ${seen[1]})`);
  }
}

async function waitOpen(page, timeoutMs = 20_000) {
  await waitIn(page, 'open connection', () => document.documentElement.dataset.pgState === 'open', null, {timeoutMs});
}

async function waitViewers(page, count, timeoutMs = 15_000) {
  await waitIn(page, `viewer count ${count}`, (n) => document.getElementById('viewers').textContent === String(n), count, {timeoutMs});
}

async function waitBullet(page, text, timeoutMs = 10_000) {
  await waitIn(page, `bullet "${text}" on the stage`,
    (t) => [...document.querySelectorAll('#lanes .bullet')].some((b) => b.textContent === t && b.style.visibility !== 'hidden'),
    text, {timeoutMs, everyMs: 50});
}

/** Bullets on screen, per lane, overlapping horizontally (what a viewer would see as a pile-up). */
function overlapsNow() {
  const boxes = [...document.querySelectorAll('#lanes .bullet')]
    .filter((b) => b.style.visibility !== 'hidden')
    .map((b) => ({lane: b.dataset.lane, text: b.textContent, r: b.getBoundingClientRect()}));
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r;
      const b = boxes[j].r;
      const horizontal = a.left < b.right - 1 && b.left < a.right - 1;
      const vertical = a.top < b.bottom - 1 && b.top < a.bottom - 1;
      if (horizontal && vertical) {
        found.push(`${boxes[i].text} / ${boxes[j].text}`);
      }
    }
  }
  return {count: boxes.length, found};
}

// ---- the run ----

async function main() {
  fs.mkdirSync(outDir, {recursive: true});
  for (const file of fs.readdirSync(outDir)) { // evidence of an earlier run would mislead
    if (/^(failure-.*\.png|server-\d+\.log|demo\.png)$/.test(file)) {
      fs.rmSync(path.join(outDir, file));
    }
  }
  assert(process.env.PUSHGATE_E2E_SERVER || fs.existsSync(jar), `${jar} is missing: run mvn package (or mvn verify) first`);
  assert(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  ports = {public: await freePort(), api: await freePort()};
  while (ports.api === ports.public) {
    ports.api = await freePort();
  }
  log(`node on 127.0.0.1:${ports.public} (public) and :${ports.api} (api)`);

  await step('node starts and is ready', async () => {
    await waitReady(startServer());
  });

  await step('the node serves the client, its types and the demo page', async () => {
    const base = `http://127.0.0.1:${ports.public}`;
    for (const [file, type, marker] of [
      ['/', /text\/html/, 'id="stage"'],
      ['/pushgate.js', /javascript/, 'export function connect'],
      ['/pushgate.d.ts', /./, 'export function connect'],
    ]) {
      const response = await fetch(base + file);
      const body = await response.text();
      assert(response.status === 200, `GET ${file}: ${response.status}`);
      assert(type.test(response.headers.get('content-type') ?? ''), `GET ${file}: content-type ${response.headers.get('content-type')}`);
      assert(body.includes(marker), `GET ${file}: no "${marker}" in the body`);
    }
  });

  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pushgate-e2e-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: {width: 1200, height: 900},
    timeout: 60_000,
  });

  await step('two pages in one room: both open, both count 2 viewers', async () => {
    await openDemo('pageA');
    await openDemo('pageB');
    await Promise.all([waitOpen(pages.pageA), waitOpen(pages.pageB)]);
    await Promise.all([waitViewers(pages.pageA, 2), waitViewers(pages.pageB, 2)]);
  });

  await step('a comment sent through the box flies on both stages', async () => {
    const text = 'hello from page A ' + Math.random().toString(36).slice(2, 8);
    await pages.pageA.fill('#comment', text);
    await pages.pageA.click('#send');
    await Promise.all([waitBullet(pages.pageA, text), waitBullet(pages.pageB, text)]);
    await waitIn(pages.pageA, 'empty box after sending', () => document.getElementById('comment').value === '', null, {timeoutMs: 5_000});
    const mine = await pages.pageA.evaluate((t) => [...document.querySelectorAll('#lanes .bullet.mine')].some((b) => b.textContent === t), text);
    assert(mine, 'the sender sees its own comment marked as its own');
  });

  await step('30 comments at once fly in lanes without overlapping', async () => {
    const items = Array.from({length: 30}, (_, i) => ({text: `burst ${i} ` + '·'.repeat(i % 7) + (i % 3 ? '' : ' a longer one'), ts: Date.now()}));
    items.push({score: 3, team: 'red'}); // any other JSON shows as text
    await apiPush(ROOM, items);
    await waitBullet(pages.pageB, '{"score":3,"team":"red"}', 30_000);
    for (let i = 0; i < 10; i++) { // ten looks over about two seconds
      const {count, found} = await pages.pageB.evaluate(overlapsNow);
      assert(found.length === 0, `overlapping bullets: ${found.join('; ')}`);
      assert(count > 0, 'bullets on the stage');
      await pages.pageB.waitForTimeout(200); // spacing between looks, not a synchronisation
    }
    await pages.pageB.screenshot({path: path.join(outDir, 'demo.png')});
  });

  await step('the node restarts (SIGTERM, exit, start on the same ports)', async () => {
    const exit = await stopServer(server);
    log(`node exited after SIGTERM: ${JSON.stringify(exit)}`);
    await Promise.all(Object.values(pages).map((page) =>
      waitIn(page, 'state reconnecting', () => window.__e2e.states.includes('reconnecting'), null, {everyMs: 50})));
    await waitReady(startServer());
  });

  await step('both pages reconnect and rejoin by themselves: open again, 2 viewers again', async () => {
    for (const page of Object.values(pages)) {
      await waitOpen(page, 45_000);
      await waitIn(page, 'ONLINE count 2 after the reconnect', () => window.__e2e.onlineSinceDrop.includes(2), null, {timeoutMs: 15_000});
      await waitViewers(page, 2, 5_000);
    }
  });

  await step('an item pushed through the API after the restart appears on both stages', async () => {
    const text = 'after restart ' + Math.random().toString(36).slice(2, 8);
    await apiPush(ROOM, [{text, ts: Date.now()}]);
    await Promise.all([waitBullet(pages.pageA, text), waitBullet(pages.pageB, text)]);
  });

  await step('friendly messages when sending is off (404) or rate limited (429)', async () => {
    const page = pages.pageA;
    for (const [status, expected] of [[404, /switched off/], [429, /slow down/i], [400, /not accepted: text too long/]]) {
      await page.route('**/demo/publish', (route) => route.fulfill({
        status, contentType: 'application/json', headers: status === 429 ? {'Retry-After': '1'} : {},
        body: JSON.stringify({error: {code: 'X', message: 'text too long'}}),
      }));
      await waitIn(page, 'enabled send button', () => !document.getElementById('send').disabled, null, {timeoutMs: 5_000});
      await page.fill('#comment', 'refused ' + status);
      await page.click('#send');
      await waitIn(page, `notice matching ${expected} after a ${status}`, (re) => new RegExp(re, 'i').test(document.getElementById('notice').textContent) &&
        !document.getElementById('notice').hidden, expected.source, {timeoutMs: 5_000});
      await page.unroute('**/demo/publish');
    }
  });

  await step('the five-line example works on a blank page of the same origin', async () => {
    const page = await context.newPage();
    page.e2eName = 'fiveLines';
    page.consoleErrors = [];
    page.on('pageerror', (e) => page.consoleErrors.push('pageerror: ' + e.message));
    page.on('console', (m) => m.type() === 'error' && page.consoleErrors.push('console: ' + m.text()));
    pages.fiveLines = page;
    // A page of the node's origin that has nothing of the demo (its /health), given the five lines.
    await page.goto(`http://127.0.0.1:${ports.public}/health`, {timeout: 15_000});
    await page.evaluate(() => {
      const out = document.body.appendChild(document.createElement('ul'));
      out.id = 'out';
      const script = document.createElement('script');
      script.type = 'module';
      script.textContent = `
        const show = (item) => document.getElementById('out').append(Object.assign(document.createElement('li'), {textContent: item.text}));
        import {connect} from '/pushgate.js';
        const pg = connect('ws://' + location.host + '/connect');
        pg.on('push', ({room, items}) => items.forEach(show));
        await pg.join('lobby', {online: true});
        document.title = 'joined';`;
      document.head.append(script);
    });
    await waitIn(page, 'resolved join (title "joined")', () => document.title === 'joined', null, {timeoutMs: 15_000, everyMs: 50});
    await apiPush('lobby', [{text: 'five lines'}]);
    await waitIn(page, 'pushed item in the list', () => document.getElementById('out').textContent === 'five lines', null, {everyMs: 50});
  });

  await step('no script errors on the pages', async () => {
    const errors = Object.entries(pages).flatMap(([name, page]) => page.consoleErrors
      // a refused WebSocket handshake while the node was down is logged by Chromium itself
      .filter((e) => !/WebSocket connection to .* failed/.test(e))
      // the refusals of the step above, answered by the test itself
      .filter((e) => !/Failed to load resource: the server responded with a status of (404|429|400)/.test(e))
      .map((e) => `${name}: ${e}`));
    assert(errors.length === 0, errors.join('\n'));
  });
}

async function saveFailureEvidence() {
  for (const [name, page] of Object.entries(pages)) {
    const file = path.join(outDir, `failure-${name}.png`);
    try {
      await page.screenshot({path: file, timeout: 10_000});
      log(`screenshot: ${path.relative(root, file)} (state ${await stateOf(page)}, viewers ${await viewersOf(page)})`);
      for (const e of page.consoleErrors ?? []) {
        log(`  ${name}: ${e}`);
      }
    } catch (e) {
      log(`no screenshot of ${name}: ${e.message}`);
    }
  }
  for (let n = 1; n <= serverRuns; n++) {
    const file = path.join(outDir, `server-${n}.log`);
    if (fs.existsSync(file)) {
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(-15);
      log(`last lines of ${path.relative(root, file)}:\n  ${lines.join('\n  ')}`);
    }
  }
}

async function cleanup() {
  await context?.close().catch(() => {});
  await stopServer(server, {timeoutMs: 15_000}).catch((e) => log(e.message));
  if (profileDir) {
    fs.rmSync(profileDir, {recursive: true, force: true});
  }
}

const budget = setTimeout(async () => {
  log(`the whole run took over ${TOTAL_BUDGET_MS / 1000} s: giving up`);
  await saveFailureEvidence();
  server?.kill('SIGKILL');
  console.log(`e2e: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
  process.exit(1);
}, TOTAL_BUDGET_MS);

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  if (!results.some((r) => !r.ok)) {
    results.push({name: 'setup', ok: false, error: e});
    log('FAIL setup:', e.stack ?? e.message);
  }
  await saveFailureEvidence();
} finally {
  await cleanup();
  clearTimeout(budget);
}
const passed = results.filter((r) => r.ok).length;
console.log(`e2e: ${passed} passed, ${results.length - passed} failed`);
process.exit(failed ? 1 : 0);
