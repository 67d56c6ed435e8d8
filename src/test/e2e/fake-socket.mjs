// A scripted WebSocket for the client's unit tests: the test plays the server.
import assert from 'node:assert/strict';
import {connect} from '../../main/resources/webroot/pushgate.js';

export class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closedWith = null;
    FakeSocket.all.push(this);
  }
  send(text) {
    if (this.readyState !== 1) {
      throw new Error('not open');
    }
    this.sent.push(JSON.parse(text));
  }
  close(code, reason) {
    this.closedWith = {code, reason};
    this.readyState = 3;
  }
  // ---- server side ----
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(message) {
    this.onmessage?.({data: JSON.stringify(message)});
  }
  drop(code, reason = '') {
    this.readyState = 3;
    this.onclose?.({code, reason});
  }
  sentOf(type) {
    return this.sent.filter((m) => m.type === type);
  }
  ackAll(type) {
    for (const m of this.sentOf(type)) {
      this.deliver({type: 'ACK', id: m.id});
    }
  }
}

export const FAST = {backoffBaseMs: 10, backoffMaxMs: 40, jitterMs: 5, stableMs: 10_000, requestTimeoutMs: 300, connectTimeoutMs: 2_000, heartbeatMs: 60_000};

/**
 * Runs `fn(setBack)` and restores Date.now after it, whatever happens; `setBack()` stops the device's
 * wall clock an hour behind, as a clock set back by hand (timers and performance.now() go on).
 */
export async function withWallClock(fn) {
  const realNow = Date.now;
  try {
    return await fn(() => {
      const behind = realNow() - 3_600_000;
      Date.now = () => behind;
    });
  } finally {
    Date.now = realNow;
  }
}

/**
 * Runs `fn()` with the device's wall clock (Date.now) `offsetMs` ahead of the real one, and still
 * running, as on a phone whose clock is set wrong; restores Date.now after it, whatever happens.
 */
export async function withClockAhead(offsetMs, fn) {
  const realNow = Date.now;
  try {
    Date.now = () => realNow() + offsetMs;
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

/**
 * The real monotonic clock, taken before any test can replace performance.now (which the client reads
 * for its heartbeat, and a test may speed up to play a throttled tab).
 */
const monotonic = performance.now.bind(performance);

/** Polls `condition` until it gives a value, for `timeoutMs` of the monotonic clock (tests set Date.now back). */
export async function waitFor(what, condition, timeoutMs = 2_000) {
  const deadline = monotonic() + timeoutMs;
  while (monotonic() < deadline) {
    const value = condition();
    if (value) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.fail('timed out waiting for ' + what);
}

export function client(options = {}) {
  FakeSocket.all = [];
  const states = [];
  const errors = [];
  const pg = connect('ws://127.0.0.1:7777/connect', {WebSocket: FakeSocket, ...FAST, ...options});
  pg.on('state', (s, d) => states.push({s, ...d}));
  pg.on('error', (e) => errors.push(e));
  return {pg, states, errors, socket: (n) => FakeSocket.all[n]};
}

export async function opened(c, n = 0) {
  const ws = await waitFor('socket ' + n, () => c.socket(n));
  ws.open();
  return ws;
}


/** An unsigned JWT with these claims: the client only reads exp, it never verifies. */
export function jwt(claims) {
  return 'e30.' + Buffer.from(JSON.stringify(claims)).toString('base64url') + '.sig';
}

/**
 * A stand-in for the browser's window and document events (online, offline, visibilitychange), set up
 * before connect() and removed by restore().
 */
export function fakePage() {
  const win = new EventTarget();
  const doc = new EventTarget();
  doc.visibilityState = 'visible';
  const nav = {onLine: true};
  const saved = Object.getOwnPropertyDescriptors(globalThis);
  Object.defineProperty(globalThis, 'addEventListener', {value: win.addEventListener.bind(win), configurable: true, writable: true});
  Object.defineProperty(globalThis, 'removeEventListener', {value: win.removeEventListener.bind(win), configurable: true, writable: true});
  Object.defineProperty(globalThis, 'document', {value: doc, configurable: true, writable: true});
  Object.defineProperty(globalThis, 'navigator', {value: nav, configurable: true, writable: true});
  return {
    offline() {
      nav.onLine = false;
      win.dispatchEvent(new Event('offline'));
    },
    online() {
      nav.onLine = true;
      win.dispatchEvent(new Event('online'));
    },
    visibility(state) {
      doc.visibilityState = state;
      doc.dispatchEvent(new Event('visibilitychange'));
    },
    restore() {
      for (const name of ['addEventListener', 'removeEventListener', 'document', 'navigator']) {
        if (saved[name]) {
          Object.defineProperty(globalThis, name, saved[name]);
        } else {
          delete globalThis[name];
        }
      }
    },
  };
}
