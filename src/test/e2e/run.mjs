// Real-browser tests of pushgate.js and the demo page, against the packaged node.
//
//   node src/test/e2e/run.mjs            (from the repository root; .ci/e2e.sh installs what it needs)
//
// Starts `java -jar target/pushgate.jar` on free loopback ports (a "demo" node with the demo endpoint
// on, and later an "edge" node with connection tokens and a 3 s heartbeat timeout), drives Debian's
// Chromium (/usr/bin/chromium) with playwright-core, and checks what a viewer sees: the demo, a node
// restart, a 500-item frame, a page cut off while 50 items are pushed, offline/online, a hidden tab,
// tokens refreshed in place, the versioned client imported from another origin.
// Every wait is a condition with a timeout; nothing sleeps to synchronise. A failing step is reported
// and the next ones still run (but for the setup). On a failure: a screenshot per page and the nodes'
// logs under target/e2e/, and exit status 1. Last line: "e2e: N passed, M failed".
//
// Environment: CHROMIUM (default /usr/bin/chromium); PUSHGATE_E2E_SERVER, a command line to start
// instead of the jar (e.g. another build), given the same PUSHGATE_* environment.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {chromium} from 'playwright-core';
import {VERSION} from '../../main/resources/webroot/pushgate.js';
import {freePort, outDir, root, startNode, TEST_SECRET, token, until} from './pushgate-node.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync'];
const ROOM = 'demo';
const EDGE_HEARTBEAT_TIMEOUT_MS = 3_000;
const TOTAL_BUDGET_MS = 9 * 60_000;
const CSP = "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; img-src 'self' data:";

const log = (...args) => console.log('e2e:', ...args);
const results = [];
const pages = {};
const nodes = {};
let context = null;
let profileDir = null;
let crossOrigin = null;

function assert(condition, message) {
  if (!condition) {
    throw Object.assign(new Error(message), {code: 'ERR_ASSERTION'}); // also ends an until() at once
  }
}

/**
 * Runs one check, for at most `timeoutMs`; a failure is recorded and the run goes on, unless the step
 * is `fatal` (setup).
 */
async function step(name, fn, {fatal = false, timeoutMs = 90_000} = {}) {
  const t0 = Date.now();
  let timer;
  try {
    await Promise.race([fn(), new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the step took over ${timeoutMs / 1000} s`)), timeoutMs);
    })]);
    results.push({name, ok: true});
    log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({name, ok: false, error: e});
    log(`FAIL ${name} (${Date.now() - t0} ms): ${e.message}`);
    if (fatal) {
      throw e;
    }
  } finally {
    clearTimeout(timer);
  }
}

// ---- the pages ----

async function newPage(name) {
  const page = await context.newPage();
  page.e2eName = name;
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push('pageerror: ' + e.message));
  page.on('console', (m) => m.type() === 'error' && page.consoleErrors.push('console: ' + m.text()));
  pages[name] = page;
  return page;
}

async function openDemo(name) {
  const page = await newPage(name);
  await page.goto(`${nodes.demo.publicUrl}/?room=${encodeURIComponent(ROOM)}`, {timeout: 15_000});
  // Record what the page's client went through, to tell a reconnect apart from a socket that stayed.
  await waitIn(page, 'demo client (window.pushgateDemo)', () => window.pushgateDemo && window.pushgateDemo.client, null);
  await page.evaluate(() => {
    const t = (window.__e2e = {states: [], onlineSinceDrop: [], items: [], recovered: []});
    const {client} = window.pushgateDemo;
    client.on('state', (s) => {
      t.states.push(s);
      if (s !== 'open') {
        t.onlineSinceDrop = [];
      }
    });
    client.on('online', ({count}) => t.onlineSinceDrop.push(count));
    client.on('push', ({items}) => t.items.push(...items));
    client.on('recovered', (r) => t.recovered.push(r));
  });
  return page;
}

/**
 * A page of `node`'s origin that has nothing of the demo (its /health), with a pushgate client made by
 * `setup` (a function of the module and `arg`, run in the page); window.__t records its states, items,
 * REFRESH answers and errors. The client is made through the DevTools protocol, to which the node's
 * CSP (no inline script, no eval) does not apply; the page itself stays the node's, so Chromium lets
 * it reach loopback (a page fulfilled by the test would count as public and be blocked).
 */
async function openClientPage(name, node, setup, arg, {beforeGoto} = {}) {
  const page = await newPage(name);
  await beforeGoto?.(page);
  await page.goto(`${node.publicUrl}/health`, {timeout: 15_000});
  await page.evaluate(`(async () => {
    const pushgate = await import('/pushgate.js');
    const t = (window.__t = {states: [], items: [], refreshed: [], errors: []});
    const pg = (window.__pg = (${setup.toString()})(pushgate, ${JSON.stringify(arg)}));
    pg.on('state', (s, d) => t.states.push({s, at: Date.now(), reason: d.reason, code: d.code}));
    pg.on('push', ({items}) => t.items.push(...items));
    pg.on('refreshed', (r) => t.refreshed.push(r));
    pg.on('error', (e) => t.errors.push(e.code + ': ' + e.message));
  })()`);
  return page;
}

/** The page's client joins `room`; fails after `timeoutMs` instead of waiting for ever. */
async function joinIn(page, room, timeoutMs = 10_000) {
  await page.evaluate(([room, timeoutMs]) => {
    window.__pg.join(room).catch(() => {});
    return window.__pg.room(room).ready(timeoutMs);
  }, [room, timeoutMs]);
}

const stateOf = (page) => page.evaluate(() => document.documentElement.dataset.pgState ?? window.__pg?.state ?? '-');
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

/** Emulates the network of one page going down or coming back (fires offline / online in it). */
async function setPageOffline(page, offline) {
  page.cdp ??= await context.newCDPSession(page);
  await page.cdp.send('Network.emulateNetworkConditions', {offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1});
}

/** The room's connections as the node counts them (GET /rooms/{room} on the API port). */
async function onlineIn(node, room) {
  const response = await fetch(`${node.apiUrl}/rooms/${encodeURIComponent(room)}`);
  return (await response.json()).online;
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
    if (/^(failure-.*\.png|server-.*\.log|demo\.png)$/.test(file)) {
      fs.rmSync(path.join(outDir, file));
    }
  }
  assert(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);

  await step('the demo node starts and is ready', async () => {
    nodes.demo = await startNode('demo', {PUSHGATE_DEMO_PUBLISH: 'true'});
    log(`demo node on ${nodes.demo.publicUrl} (public) and ${nodes.demo.apiUrl} (api)`);
  }, {fatal: true});
  const demo = () => nodes.demo;

  await step('the node serves the client, its types and the demo page', async () => {
    for (const [file, type, marker] of [
      ['/', /text\/html/, 'id="stage"'],
      ['/pushgate.js', /javascript/, 'export function connect'],
      ['/pushgate.d.ts', /./, 'export function connect'],
    ]) {
      const response = await fetch(demo().publicUrl + file);
      const body = await response.text();
      assert(response.status === 200, `GET ${file}: ${response.status}`);
      assert(type.test(response.headers.get('content-type') ?? ''), `GET ${file}: content-type ${response.headers.get('content-type')}`);
      assert(body.includes(marker), `GET ${file}: no "${marker}" in the body`);
    }
  });

  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pushgate-e2e-chromium-'));
  await step('Chromium starts', async () => {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: {width: 1200, height: 900},
      timeout: 60_000,
    });
    // Every page records the Content-Security-Policy violations it meets (checked at the end).
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
    });
  }, {fatal: true});

  await step(`the demo page is served with its Content-Security-Policy`, async () => {
    const response = await fetch(demo().publicUrl + '/');
    const policy = response.headers.get('content-security-policy');
    const directives = (s) => (s ?? '').split(';').map((d) => d.trim().replace(/\s+/g, ' ')).filter(Boolean);
    const missing = directives(CSP).filter((d) => !directives(policy).includes(d));
    assert(missing.length === 0, `Content-Security-Policy: ${policy} (missing: ${missing.join('; ')})`);
  });

  await step(`GET /pushgate-${VERSION}.js: the same file, importable from another origin (CORS)`, async () => {
    const [plain, versioned] = await Promise.all(['/pushgate.js', `/pushgate-${VERSION}.js`].map((f) => fetch(demo().publicUrl + f)));
    const body = await versioned.text();
    assert(versioned.status === 200, `GET /pushgate-${VERSION}.js: ${versioned.status}`);
    assert(/javascript/.test(versioned.headers.get('content-type') ?? ''), `content-type ${versioned.headers.get('content-type')}`);
    assert(versioned.headers.get('access-control-allow-origin') === '*', `Access-Control-Allow-Origin: ${versioned.headers.get('access-control-allow-origin')}`);
    assert(body === await plain.text(), 'the versioned file differs from /pushgate.js');
    // A page of another origin (this test's own server, another loopback port) imports it and joins.
    const port = await freePort();
    const html = `<!doctype html><title>loading</title><script type="module">
      import {connect, VERSION} from '${demo().publicUrl}/pushgate-${VERSION}.js';
      const pg = connect('${demo().wsUrl}');
      await pg.join('cross-origin');
      document.title = 'joined ' + VERSION;
    </script>`;
    crossOrigin = http.createServer((req, res) => res.writeHead(200, {'Content-Type': 'text/html'}).end(html));
    await new Promise((resolve) => crossOrigin.listen(port, '127.0.0.1', resolve));
    const page = await newPage('crossOrigin');
    await page.goto(`http://127.0.0.1:${port}/`, {timeout: 15_000});
    await waitIn(page, `title "joined ${VERSION}"`, (v) => document.title === 'joined ' + v, VERSION, {timeoutMs: 15_000});
    await page.close();
    delete pages.crossOrigin;
  });

  await step('two pages in one room: both open, both count 2 viewers', async () => {
    await openDemo('pageA');
    await openDemo('pageB');
    await Promise.all([waitOpen(pages.pageA), waitOpen(pages.pageB)]);
    await Promise.all([waitViewers(pages.pageA, 2), waitViewers(pages.pageB, 2)]);
  }, {fatal: true});

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
    await demo().push(ROOM, items);
    await waitBullet(pages.pageB, '{"score":3,"team":"red"}', 30_000);
    for (let i = 0; i < 10; i++) { // ten looks over about two seconds
      const {count, found} = await pages.pageB.evaluate(overlapsNow);
      assert(found.length === 0, `overlapping bullets: ${found.join('; ')}`);
      assert(count > 0, 'bullets on the stage');
      await pages.pageB.waitForTimeout(200); // spacing between looks, not a synchronisation
    }
    await pages.pageB.screenshot({path: path.join(outDir, 'demo.png')});
  });

  await step('a 500-item frame goes on the stage with one layout, not one per item', async () => {
    const page = pages.pageB;
    page.cdp ??= await context.newCDPSession(page);
    await page.cdp.send('Performance.enable');
    const layouts = async () => (await page.cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'LayoutCount').value;
    const before = await layouts();
    await page.evaluate(() => window.pushgateDemo.showItems(Array.from({length: 500}, (_, i) => ({text: 'frame item ' + i}))));
    const spent = (await layouts()) - before;
    assert(spent <= 3, `${spent} layouts for one 500-item frame`);
    // And through the node: one push of 500 items arrives as one frame and is shown, newest on top.
    await demo().push(ROOM, Array.from({length: 500}, (_, i) => ({text: 'pushed item ' + i})));
    await waitIn(page, 'the 500th pushed item on top of the list', () => document.querySelector('#recent li .txt')?.textContent === 'pushed item 499',
      null, {timeoutMs: 10_000});
    const listed = await page.evaluate(() => document.querySelectorAll('#recent li').length);
    assert(listed === 50, `${listed} comments listed, not the last 50`);
  });

  await step('the node restarts (SIGTERM, exit, start on the same ports)', async () => {
    const restarting = demo().restart();
    await Promise.all(Object.values(pages).map((page) =>
      waitIn(page, 'state reconnecting', () => window.__e2e.states.includes('reconnecting'), null, {everyMs: 50, timeoutMs: 30_000})));
    nodes.demo = await restarting;
  }, {fatal: true});

  await step('both pages reconnect and rejoin by themselves: open again, 2 viewers again', async () => {
    for (const page of Object.values(pages)) {
      await waitOpen(page, 45_000);
      await waitIn(page, 'ONLINE count 2 after the reconnect', () => window.__e2e.onlineSinceDrop.includes(2), null, {timeoutMs: 15_000});
      await waitViewers(page, 2, 5_000);
    }
  });

  await step('an item pushed through the API after the restart appears on both stages', async () => {
    const text = 'after restart ' + Math.random().toString(36).slice(2, 8);
    await demo().push(ROOM, [{text, ts: Date.now()}]);
    // Behind what is left of the 500-item frames in the lanes' queue (dropped after maxWaitMs, 8 s).
    await Promise.all([waitBullet(pages.pageA, text, 20_000), waitBullet(pages.pageB, text, 20_000)]);
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

  await step('a page cut off while 50 items are pushed shows all 50 after it reconnects, once each, in order', async () => {
    const page = pages.pageB;
    const seen = await page.evaluate(() => window.__e2e.items.length);
    await setPageOffline(page, true);
    await waitIn(page, 'state reconnecting once offline', () => document.documentElement.dataset.pgState === 'reconnecting', null, {timeoutMs: 5_000});
    await until('the node no longer counts page B in the room', async () => (await onlineIn(demo(), ROOM)) === 1);
    const expected = Array.from({length: 50}, (_, i) => `missed ${i + 1}`);
    for (let i = 0; i < 50; i += 10) {
      await demo().push(ROOM, expected.slice(i, i + 10).map((text) => ({text})));
    }
    // Accepted is not yet delivered: page A, which stayed, has them all once the node fanned them out.
    await waitIn(pages.pageA, 'the 50 items on page A', () => window.__e2e.items.some((i) => i.text === 'missed 50'), null, {timeoutMs: 10_000});
    await setPageOffline(page, false);
    await waitOpen(page, 30_000);
    await waitIn(page, 'the 50 missed items', (n) => window.__e2e.items.length >= n + 50, seen, {timeoutMs: 15_000});
    const got = await page.evaluate((n) => window.__e2e.items.slice(n).map((i) => i.text), seen);
    assert(JSON.stringify(got) === JSON.stringify(expected), `items after the cut: ${got.length}: ${got.slice(0, 5).join(', ')} ...`);
    const listed = await page.evaluate(() => [...document.querySelectorAll('#recent li .txt')].map((s) => s.textContent));
    assert(JSON.stringify(listed) === JSON.stringify([...expected].reverse()), `the list shows ${listed.slice(0, 3).join(', ')} ...`);
    await waitIn(page, 'the toast "Recovered 50 missed comments"', () => !document.getElementById('toast').hidden &&
      document.getElementById('toast').textContent === 'Recovered 50 missed comments', null, {timeoutMs: 5_000});
  });

  await step('offline closes the socket at once; online reconnects at once, not after the backoff', async () => {
    const page = await openClientPage('offline', demo(), ({connect}) => connect(undefined, {backoffBaseMs: 60_000, backoffMaxMs: 60_000}), null);
    await joinIn(page, 'offline-room');
    const offlineAt = Date.now();
    await setPageOffline(page, true);
    await waitIn(page, 'reconnecting once offline', () => window.__pg.state === 'reconnecting', null, {timeoutMs: 2_000, everyMs: 20});
    assert(Date.now() - offlineAt < 2_000, 'closed on the offline event');
    await until('the node no longer counts the page', async () => (await onlineIn(demo(), 'offline-room')) === 0);
    const onlineAt = Date.now();
    await setPageOffline(page, false);
    await waitIn(page, 'open and joined again', () => window.__pg.state === 'open' && window.__pg.room('offline-room').state === 'joined',
      null, {timeoutMs: 5_000, everyMs: 20});
    const took = Date.now() - onlineAt;
    assert(took < 1_500, `reconnected ${took} ms after online (the backoff window is 60 s)`);
    await page.close();
    delete pages.offline;
  });

  await step('the five-line example works on a blank page of the same origin', async () => {
    const page = await newPage('fiveLines');
    // A page of the node's origin that has nothing of the demo (its /health), given the five lines as a
    // module of the same origin (the node's CSP allows those, not inline scripts); the test serves it.
    await page.route(`${demo().publicUrl}/e2e/five-lines.js`, (route) => route.fulfill({contentType: 'text/javascript', body: `
      const show = (item) => document.getElementById('out').append(Object.assign(document.createElement('li'), {textContent: item.text}));
      import {connect} from '/pushgate.js';
      const pg = connect();
      pg.on('push', ({room, items}) => items.forEach(show));
      await pg.join('lobby', {online: true});
      document.title = 'joined';`}));
    await page.goto(`${demo().publicUrl}/health`, {timeout: 15_000});
    await page.evaluate(() => {
      document.body.appendChild(document.createElement('ul')).id = 'out';
      document.head.append(Object.assign(document.createElement('script'), {type: 'module', src: '/e2e/five-lines.js'}));
    });
    await waitIn(page, 'resolved join (title "joined")', () => document.title === 'joined', null, {timeoutMs: 15_000, everyMs: 50});
    await demo().push('lobby', [{text: 'five lines'}]);
    await waitIn(page, 'pushed item in the list', () => document.getElementById('out').textContent === 'five lines', null, {everyMs: 50});
  });

  await step('the edge node (tokens, 3 s heartbeat timeout) starts', async () => {
    nodes.edge = await startNode('edge', {
      PUSHGATE_JWT_HS256_SECRET: TEST_SECRET,
      PUSHGATE_HEARTBEAT_TIMEOUT_MILLIS: String(EDGE_HEARTBEAT_TIMEOUT_MS),
      PUSHGATE_ONLINE_INTERVAL_MILLIS: '200',
    });
  }, {fatal: true});

  await step('getToken with 3 s tokens: several expiries, no disconnect', async () => {
    const expiries = [];
    const page = await openClientPage('tokens', nodes.edge, ({connect}) => connect(undefined, {getToken: () => window.mintToken(), heartbeatMs: 1_000}), null, {
      beforeGoto: (p) => p.exposeFunction('mintToken', () => {
        const t = token('token-viewer', 3);
        expiries.push(JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).exp * 1000);
        return t;
      }),
    });
    await joinIn(page, 'token-room');
    await until('the third token\'s exp passed', async () => {
      const opens = await page.evaluate(() => window.__t.states.filter((x) => x.s !== 'open').length);
      assert(opens === 0, `the connection dropped: ${JSON.stringify(await page.evaluate(() => window.__t))}`);
      return expiries.length >= 3 && Date.now() > expiries[2] + 500;
    }, {timeoutMs: 20_000, everyMs: 100});
    const {refreshed, errors} = await page.evaluate(() => ({refreshed: window.__t.refreshed.length, errors: window.__t.errors}));
    assert(refreshed >= 2, `${refreshed} REFRESH answered`);
    assert(errors.length === 0, errors.join('; '));
    await nodes.edge.push('token-room', ['after the expiries']);
    await waitIn(page, 'an item after the expiries', () => window.__t.items.includes('after the expiries'), null, {timeoutMs: 5_000});
    await page.close();
    delete pages.tokens;
  });

  // Last of the page tests: playwright's clock is the whole context's, and once paused and resumed the
  // pages' Date.now() lags the real time (a token's exp would be read wrong).
  await step('a hidden page whose timers never fire stays connected past the heartbeat timeout', async () => {
    const page = await openClientPage('hidden', nodes.edge, ({connect}, token) => connect(undefined, {token}), token('hidden-viewer', 3_600),
      {beforeGoto: (p) => p.clock.install()});
    await joinIn(page, 'hidden-room');
    await until('the node counts the page in its room', async () => (await onlineIn(nodes.edge, 'hidden-room')) === 1);
    // The tab goes to the background: hidden, and from now on no timer of the page fires.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
      Object.defineProperty(document, 'hidden', {value: true, configurable: true});
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.clock.pauseAt(await page.evaluate(() => Date.now() + 50));
    await page.evaluate(() => setTimeout(() => (window.__timerFired = true), 1));
    const t0 = Date.now();
    await until('three heartbeat timeouts with the page still counted in its room', async () => {
      assert(await onlineIn(nodes.edge, 'hidden-room') === 1, `the node dropped the hidden page after ${Date.now() - t0} ms`);
      return Date.now() - t0 > 3 * EDGE_HEARTBEAT_TIMEOUT_MS;
    }, {timeoutMs: 4 * EDGE_HEARTBEAT_TIMEOUT_MS, everyMs: 250});
    await nodes.edge.push('hidden-room', ['while hidden']);
    await waitIn(page, 'the item pushed while hidden', () => window.__t.items.includes('while hidden'), null, {timeoutMs: 5_000});
    const {states, timerFired} = await page.evaluate(() => ({states: window.__t.states.map((x) => x.s), timerFired: !!window.__timerFired}));
    assert(!timerFired, 'page timers were not stopped: the test proves nothing');
    assert(JSON.stringify(states) === JSON.stringify(['open']), `states: ${states.join(', ')}`);
    await page.clock.resume();
    await page.close();
    delete pages.hidden;
  });

  await step('no script errors and no Content-Security-Policy violation on the pages', async () => {
    const errors = [];
    for (const [name, page] of Object.entries(pages)) {
      errors.push(...page.consoleErrors
        // a refused WebSocket handshake while a node was down or the page offline is logged by Chromium itself
        .filter((e) => !/WebSocket connection to .* failed/.test(e))
        // the refusals of the friendly-messages step, answered by the test itself
        .filter((e) => !/Failed to load resource: the server responded with a status of (404|429|400)/.test(e))
        .map((e) => `${name}: ${e}`));
      const violations = await page.evaluate(() => window.__cspViolations ?? []);
      errors.push(...violations.map((v) => `${name}: CSP violation ${v}`));
    }
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
  for (const node of Object.values(nodes)) {
    if (fs.existsSync(node.logFile)) {
      log(`last lines of ${path.relative(root, node.logFile)}:\n  ${node.lastLog()}`);
    }
  }
}

async function cleanup() {
  await context?.close().catch(() => {});
  crossOrigin?.close();
  for (const node of Object.values(nodes)) {
    await node.stop({timeoutMs: 15_000}).catch((e) => log(e.message));
  }
  if (profileDir) {
    fs.rmSync(profileDir, {recursive: true, force: true});
  }
}

const budget = setTimeout(async () => {
  log(`the whole run took over ${TOTAL_BUDGET_MS / 1000} s: giving up`);
  await saveFailureEvidence();
  Object.values(nodes).forEach((node) => node.child.kill('SIGKILL'));
  console.log(`e2e: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
  process.exit(1);
}, TOTAL_BUDGET_MS);

try {
  await main();
} catch (e) {
  if (!results.some((r) => !r.ok)) {
    results.push({name: 'setup', ok: false, error: e});
    log('FAIL setup:', e.stack ?? e.message);
  }
}
if (results.some((r) => !r.ok)) {
  await saveFailureEvidence();
}
await cleanup();
clearTimeout(budget);
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (failed) {
  log('failed: ' + results.filter((r) => !r.ok).map((r) => r.name).join(' | '));
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
