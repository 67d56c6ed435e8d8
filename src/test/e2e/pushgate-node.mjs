// A real pushgate node for the tests: `java -jar target/pushgate.jar` on free loopback ports, with the
// PUSHGATE_* settings a test asks for; its API (push, stats) and HS256 connection tokens.
// Traffic goes to 127.0.0.1 only. Used by run.mjs (Chromium) and live.test.mjs (Node).
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const outDir = path.join(root, 'target/e2e');
const jar = path.join(root, 'target/pushgate.jar');

/** A secret for HS256 tokens in tests: 48 bytes, none of the words the node refuses as a placeholder. */
export const TEST_SECRET = 'e2e-hs256-secret-' + crypto.randomBytes(24).toString('hex');

/** Ports this process has handed out: two calls never give the same one, free as it may still be. */
const handedOut = new Set();

/** Whether `port` can be listened on at 127.0.0.1 now (the listener is closed again at once). */
function canListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free port below the kernel's ephemeral range (32768 and up), as TestNode.freePort picks them: a
 * port the kernel hands out for port 0 is one its outgoing sockets draw from too, and one of those
 * (the browser's reconnects, another process's clients) could take it before the node binds it, or
 * while a restarted node binds it again.
 */
export async function freePort() {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 10_000 + crypto.randomInt(22_000);
    if (!handedOut.has(port) && await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port below 32000 in 500 tries');
}

/**
 * Polls `probe` (async, returns a truthy value when done) every `everyMs` until `timeoutMs`. A probe
 * that throws is tried again (e.g. a node not listening yet), but for a failed assertion (an error
 * whose code is ERR_ASSERTION), which ends the wait at once.
 */
export async function until(what, probe, {timeoutMs = 15_000, everyMs = 100} = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) {
        return value;
      }
    } catch (e) {
      if (e?.code === 'ERR_ASSERTION') {
        throw e;
      }
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ' (last error: ' + last.message + ')' : ''}`);
}

/** An HS256 JWT signed with `secret` (default TEST_SECRET). */
export function hs256(claims, secret = TEST_SECRET) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = b64({alg: 'HS256', typ: 'JWT'}) + '.' + b64(claims);
  return body + '.' + crypto.createHmac('sha256', secret).update(body).digest('base64url');
}

/** A token for `sub` that expires `seconds` from now, with an optional rooms claim. */
export function token(sub, seconds, rooms) {
  const claims = {sub, exp: Math.floor(Date.now() / 1000) + seconds};
  if (rooms) {
    claims.rooms = rooms;
  }
  return hs256(claims);
}

let runs = 0;

/**
 * Starts a node with `env` (PUSHGATE_* overrides) and waits until GET /ready answers 200.
 * PUSHGATE_E2E_SERVER, when set, is the command line to start instead of the jar.
 */
export async function startNode(name, env = {}, ports = null) {
  fs.mkdirSync(outDir, {recursive: true});
  if (!process.env.PUSHGATE_E2E_SERVER && !fs.existsSync(jar)) {
    throw new Error(`${jar} is missing: run mvn package (or mvn verify) first`);
  }
  if (!ports) {
    ports = {public: await freePort(), api: await freePort()}; // never the same twice
  }
  const logFile = path.join(outDir, `server-${name}-${++runs}.log`);
  const out = fs.openSync(logFile, 'w');
  const command = process.env.PUSHGATE_E2E_SERVER ? process.env.PUSHGATE_E2E_SERVER.split(/\s+/).filter(Boolean) : ['java', '-jar', jar];
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      PUSHGATE_PUBLIC_PORT: String(ports.public),
      PUSHGATE_API_PORT: String(ports.api),
      PUSHGATE_PUBLIC_HOST: '127.0.0.1',
      PUSHGATE_API_HOST: '127.0.0.1',
      ...env,
    },
  });
  fs.closeSync(out);
  const node = {
    name, env, ports, child, logFile,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal}))),
    publicUrl: `http://127.0.0.1:${ports.public}`,
    wsUrl: `ws://127.0.0.1:${ports.public}/connect`,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    stop: (options) => stopNode(node, options),
    /** Stops it (SIGTERM: clients get 1001) and starts it again on the same ports. */
    restart: async () => {
      await stopNode(node);
      return startNode(name, env, ports);
    },
    push: (room, items, extra) => apiPush(node, room, items, extra),
    lastLog: (lines = 15) => fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n  '),
  };
  child.on('error', (e) => console.error(`cannot start the node ${name}:`, e.message));
  let exited = null;
  node.exited.then((x) => (exited = x));
  await until(`GET /ready = 200 from node ${name} on port ${ports.public} (log: ${path.relative(root, logFile)})`, async () => {
    if (exited) {
      throw new Error(`the node exited (${JSON.stringify(exited)}) before it was ready: ${node.lastLog()}`);
    }
    const response = await fetch(`${node.publicUrl}/ready`);
    return response.status === 200;
  }, {timeoutMs: 60_000, everyMs: 200});
  return node;
}

export async function stopNode(node, {timeoutMs = 30_000} = {}) {
  const child = node?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return child ? {code: child.exitCode, signal: child.signalCode} : null;
  }
  child.kill('SIGTERM');
  const result = await Promise.race([node.exited, new Promise((r) => setTimeout(() => r(null), timeoutMs))]);
  if (!result) {
    child.kill('SIGKILL');
    await Promise.race([node.exited, new Promise((r) => setTimeout(r, 5_000))]);
    throw new Error(`the node did not exit within ${timeoutMs} ms of SIGTERM`);
  }
  return result;
}

/** POST /push/room; returns the parsed 200 answer ({accepted, offset?, epoch?}). */
export async function apiPush(node, room, items, extra = {}) {
  const response = await fetch(`${node.apiUrl}/push/room`, {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({room, items, ...extra}),
  });
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`POST /push/room ${room} answered ${response.status} ${body}`);
  }
  return JSON.parse(body);
}
