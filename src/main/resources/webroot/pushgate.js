// pushgate.js: the browser client of pushgate. One dependency-free ES module; load it with
//   import {connect} from '/pushgate.js';
// or copy it into a bundled app. The wire contract it speaks is PROTOCOL.md; types are in pushgate.d.ts.
//
//   const pg = connect('ws://' + location.host + '/connect');
//   pg.on('push', ({room, items}) => items.forEach(show));
//   await pg.join('lobby', {online: true});
//
// It keeps one WebSocket open: a PING every heartbeatMs, a reconnect with exponential backoff and
// full jitter whenever the socket drops (what it does depends on the close code, see closePolicy),
// and every room joined before a drop is joined again, with its online flag, once the socket reopens.

/** Defaults of every option of connect(). */
export const DEFAULTS = Object.freeze({
  /** A PING this often; the server closes a connection silent for 60 s. */
  heartbeatMs: 25_000,
  /** join() and leave() reject with TIMEOUT when no ACK came this long after the call. */
  requestTimeoutMs: 10_000,
  /** A socket that has not opened this long after it was created is given up and retried. */
  connectTimeoutMs: 10_000,
  /** First backoff window; it doubles on each failed attempt ... */
  backoffBaseMs: 1_000,
  /** ... up to this. */
  backoffMaxMs: 30_000,
  /** After 1001 (node going away) or 4001, the first retry comes within this window. */
  jitterMs: 1_000,
  /** A connection that stayed open this long resets the backoff. */
  stableMs: 5_000,
});

/** What the client does after each close code (PROTOCOL.md, "Close codes"). */
export const CLOSE_ACTIONS = Object.freeze({
  1000: 'stop', // normal close: by our close(), or the server ended the session
  1001: 'soon', // node shutting down: reconnect at once (to any node), with a small jitter
  1003: 'fatal', // we sent a binary frame: a client bug, retrying would repeat it
  1007: 'fatal', // we sent something that is not a JSON object
  1008: 'token', // token missing, invalid or expired: get a new one, then reconnect
  1009: 'fatal', // we sent a frame over the server's size limit
  1011: 'backoff', // server internal error
  1013: 'overload', // node at its connection limit: back off, starting from a wider window
  4001: 'soon', // our heartbeat did not arrive in time (e.g. a throttled background tab)
  4002: 'overload', // slow consumer: items were missed; back off, starting from a wider window
});

/** The backoff step that 'overload' closes (1013, 4002) start from: a window of base * 2^2. */
export const OVERLOAD_MIN_ATTEMPT = 2;

/**
 * What to do after the socket closed with `code`: 'stop' (no reconnect), 'fatal' (no reconnect,
 * emit an error), 'token' (renew the token with getToken, then reconnect at once), 'soon'
 * (reconnect at once, small jitter), 'overload' or 'backoff' (reconnect after a backoff delay).
 * Codes not listed (1005, 1006 for a dropped connection or a refused handshake, ...) back off.
 * Without a getToken function, 1008 is 'fatal': the same token would be refused again.
 */
export function closePolicy(code, {canRenewToken = false} = {}) {
  const action = CLOSE_ACTIONS[code] ?? 'backoff';
  if (action === 'token' && !canRenewToken) {
    return 'fatal';
  }
  return action;
}

/**
 * Exponential backoff with full jitter: a uniformly random delay in [0, min(maxMs, baseMs * 2^attempt)),
 * attempt counting from 0. Full jitter spreads the clients that one node drop disconnected
 * across the whole window instead of bringing them back at the same instants.
 */
export function backoffDelay(attempt, baseMs = DEFAULTS.backoffBaseMs, maxMs = DEFAULTS.backoffMaxMs, random = Math.random) {
  const step = Math.max(0, Math.min(Math.floor(attempt) || 0, 31));
  const ceiling = Math.max(0, Math.min(maxMs, baseMs * 2 ** step));
  return Math.floor(random() * ceiling);
}

/** Why `room` is not a valid room id (PROTOCOL.md "Room ids"), or null when it is. */
export function roomProblem(room) {
  if (typeof room !== 'string' || room.length === 0) {
    return 'room must be a non-empty string';
  }
  if (room.length > 256 || [...room].length > 128) {
    return 'room is longer than 128 characters';
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(room)) {
    return 'room contains a control character';
  }
  if (/\p{Cs}/u.test(room)) {
    return 'room contains an unpaired surrogate';
  }
  return null;
}

/**
 * True when `token` is a JWT whose exp claim has passed (read without verifying anything: only to
 * decide whether to ask for a new one before a reconnect).
 */
export function tokenExpired(token, nowMs = Date.now()) {
  if (typeof token !== 'string') {
    return false;
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    return false;
  }
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)));
    return typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs;
  } catch {
    return false;
  }
}

/**
 * An error of the client. `code` is the server's ERROR code (BAD_ROOM, ROOM_LIMIT, FORBIDDEN, ...)
 * or one of the client's own: TIMEOUT, DISCONNECTED, CLOSED, CANCELLED, TOKEN, FATAL_CLOSE.
 */
export class PushgateError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'PushgateError';
    this.code = code;
    Object.assign(this, extra);
  }
}

const OPEN = 1; // WebSocket.OPEN, also for stand-ins that do not define the constant

/** The ws:/wss: address to open: relative and http(s) addresses resolve against the page. */
function socketUrl(url, token) {
  const base = globalThis.location ? globalThis.location.href : undefined;
  const u = new URL(url ?? '/connect', base);
  if (u.protocol === 'http:') {
    u.protocol = 'ws:';
  } else if (u.protocol === 'https:') {
    u.protocol = 'wss:';
  }
  if (token) {
    u.searchParams.set('token', token);
  }
  return u.toString();
}

/**
 * Opens a client. `url` is the WebSocket address (ws://host:7777/connect); a relative or http(s)
 * address resolves against the page, and no address means '/connect' on the page's host.
 */
export function connect(url, options = {}) {
  return new PushgateClient(url, options);
}

export class PushgateClient {
  #url;
  #opts;
  #token;
  #getToken;
  #WebSocket;
  #state = 'connecting';
  #listeners = new Map();
  #ws = null;
  #wsOpened = false;
  #attempt = 0;
  #nextId = 1;
  /** room -> {online}: what the page asked for; joined again on every open. */
  #wanted = new Map();
  /** id -> {type, room, want, waiters}: requests sent on the current socket, awaiting ACK/ERROR. */
  #pending = new Map();
  /** join() calls made while no socket was open: bound to the JOIN sent at the next open. */
  #queued = [];
  #timers = {retry: null, heartbeat: null, stable: null, connect: null};
  #lastPingAt = 0;
  #lastReceivedAt = 0;
  #windowListeners = [];

  constructor(url, options = {}) {
    this.#opts = {...DEFAULTS};
    for (const key of Object.keys(DEFAULTS)) {
      if (options[key] != null) {
        const value = Number(options[key]);
        if (!Number.isFinite(value) || value < 0 || (value === 0 && key !== 'jitterMs')) {
          throw new RangeError('pushgate: option ' + key + ' must be a positive number of milliseconds, not ' + options[key]);
        }
        this.#opts[key] = value;
      }
    }
    this.#url = url;
    this.#token = options.token ?? null;
    this.#getToken = typeof options.getToken === 'function' ? options.getToken : null;
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.#WebSocket !== 'function') {
      throw new TypeError('pushgate: no WebSocket implementation (pass options.WebSocket outside a browser)');
    }
    socketUrl(url, null); // throws now on an address that can never work
    this.#watchPage();
    // Start on the next microtask, so that listeners added right after connect() miss no event.
    queueMicrotask(() => this.#start(!this.#token && !!this.#getToken));
  }

  /** 'connecting' | 'open' | 'reconnecting' | 'closed' */
  get state() {
    return this.#state;
  }

  /** The rooms this client is in, or will join again when its socket reopens. */
  get rooms() {
    return [...this.#wanted.keys()];
  }

  /** Adds a listener; returns a function that removes it. */
  on(event, listener) {
    if (!this.#listeners.has(event)) {
      this.#listeners.set(event, new Set());
    }
    this.#listeners.get(event).add(listener);
    return () => this.off(event, listener);
  }

  off(event, listener) {
    this.#listeners.get(event)?.delete(listener);
  }

  /** The token for the next (re)connect; the open socket keeps the one it opened with. */
  setToken(token) {
    this.#token = token;
  }

  /**
   * Joins `room` (with {online: true}, ONLINE counts are sent for it). Resolves on the server's ACK.
   * The room stays joined across reconnects until leave(room) or close(), also when this promise
   * rejects with TIMEOUT or DISCONNECTED; a refusal by the server (ERROR) drops it.
   */
  join(room, {online = false} = {}) {
    if (this.#state === 'closed') {
      return Promise.reject(new PushgateError('CLOSED', 'pushgate: client is closed', {room}));
    }
    const problem = roomProblem(room);
    if (problem) {
      return Promise.reject(new PushgateError('BAD_ROOM', 'pushgate: ' + problem, {room}));
    }
    const want = {online: !!online};
    this.#wanted.set(room, want);
    return new Promise((resolve, reject) => {
      const waiter = this.#waiter(room, resolve, reject, 'JOIN');
      if (this.#isOpen()) {
        this.#request('JOIN', room, want, [waiter]);
      } else {
        this.#queued.push(waiter);
      }
    });
  }

  /**
   * Leaves `room`: no more items or counts for it, and it is not joined again after a reconnect.
   * Resolves on the server's ACK, or at once when no socket is open (nothing to leave then); a socket
   * that drops before the ACK also resolves it, since a new connection starts in no room.
   */
  leave(room) {
    this.#wanted.delete(room);
    for (const w of this.#queued.filter((w) => w.room === room)) {
      w.fail(new PushgateError('CANCELLED', 'pushgate: left ' + room + ' before it was joined', {room}));
    }
    this.#queued = this.#queued.filter((w) => w.room !== room);
    if (!this.#isOpen()) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.#request('LEAVE', room, null, [this.#waiter(room, resolve, reject, 'LEAVE')]);
    });
  }

  /** Closes for good (code 1000): no reconnect; pending join/leave calls reject with CLOSED. */
  close(reason = 'client close') {
    if (this.#state === 'closed') {
      return;
    }
    const ws = this.#ws;
    this.#ws = null;
    this.#stopSocketTimers();
    this.#failPending(new PushgateError('CLOSED', 'pushgate: client closed'));
    if (ws) {
      detach(ws);
      closeQuietly(ws, 1000, reason);
    }
    this.#finish({code: 1000, reason});
  }

  // ---- connection lifecycle ----

  async #start(renewToken) {
    if (this.#state === 'closed') {
      return;
    }
    if (this.#getToken && (renewToken || tokenExpired(this.#token))) {
      try {
        const token = await this.#getToken();
        if (this.#state === 'closed') {
          return;
        }
        if (typeof token !== 'string' || !token) {
          throw new Error('getToken() returned ' + (token === '' ? 'an empty string' : typeof token));
        }
        this.#token = token;
      } catch (e) {
        if (this.#state === 'closed') {
          return;
        }
        this.#emit('error', new PushgateError('TOKEN', 'pushgate: getToken() failed: ' + (e?.message ?? e), {cause: e}));
        this.#retry({code: 1008, reason: 'token renewal failed'}, 'backoff', true);
        return;
      }
    }
    let ws;
    try {
      ws = new this.#WebSocket(socketUrl(this.#url, this.#token));
    } catch (e) {
      this.#emit('error', new PushgateError('FATAL_CLOSE', 'pushgate: cannot open ' + this.#url + ': ' + e.message, {cause: e}));
      this.#failPending(new PushgateError('CLOSED', 'pushgate: client stopped: ' + e.message));
      this.#finish({code: 1006, reason: e.message});
      return;
    }
    this.#ws = ws;
    this.#wsOpened = false;
    ws.onopen = () => ws === this.#ws && this.#onOpen();
    ws.onmessage = (event) => ws === this.#ws && this.#onMessage(event.data);
    ws.onclose = (event) => ws === this.#ws && this.#onClose(event.code, event.reason);
    ws.onerror = () => {}; // a close event always follows, with the code that matters
    this.#timers.connect = setTimeout(() => this.#drop(ws, 'no open within ' + this.#opts.connectTimeoutMs + ' ms'), this.#opts.connectTimeoutMs);
  }

  #onOpen() {
    clearTimeout(this.#timers.connect);
    this.#wsOpened = true;
    this.#lastReceivedAt = this.#lastPingAt = Date.now();
    this.#timers.stable = setTimeout(() => (this.#attempt = 0), this.#opts.stableMs);
    this.#timers.heartbeat = setInterval(() => this.#heartbeat(), this.#opts.heartbeatMs);
    this.#setState('open', {});
    const queued = this.#queued;
    this.#queued = [];
    for (const [room, want] of this.#wanted) {
      this.#request('JOIN', room, want, queued.filter((w) => w.room === room));
    }
    for (const w of queued.filter((w) => !this.#wanted.has(w.room))) {
      w.fail(new PushgateError('CANCELLED', 'pushgate: ' + w.room + ' was left before it was joined', {room: w.room}));
    }
  }

  #onMessage(data) {
    this.#lastReceivedAt = Date.now();
    if (typeof data !== 'string') {
      return;
    }
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object') {
      return;
    }
    const d = msg.data && typeof msg.data === 'object' ? msg.data : {};
    switch (msg.type) {
      case 'PUSH':
        if ((d.room == null || this.#wanted.has(d.room)) && Array.isArray(d.items)) {
          this.#emit('push', {room: d.room ?? null, items: d.items});
        }
        break;
      case 'ONLINE':
        if (this.#wanted.has(d.room)) {
          this.#emit('online', {room: d.room, count: d.count});
        }
        break;
      case 'ACK':
        this.#settle(msg.id, null);
        break;
      case 'ERROR': {
        const error = new PushgateError(String(d.code ?? 'UNKNOWN'), d.message ?? String(d.code), {id: msg.id});
        if (!this.#settle(msg.id, error)) {
          this.#emit('error', error);
        }
        break;
      }
      default:
        break;
    }
    this.#emit('message', msg);
  }

  #onClose(code, reason) {
    const opened = this.#wsOpened;
    this.#ws = null;
    this.#stopSocketTimers();
    for (const entry of this.#pending.values()) {
      for (const w of entry.waiters) {
        if (entry.type === 'LEAVE') {
          w.done();
        } else {
          w.fail(new PushgateError('DISCONNECTED', 'pushgate: connection closed (' + code + ') before the ACK', {room: w.room, closeCode: code}));
        }
      }
    }
    this.#pending.clear();
    const action = closePolicy(code, {canRenewToken: !!this.#getToken});
    if (action === 'stop') {
      this.#failPending(new PushgateError('CLOSED', 'pushgate: closed by the server (' + code + ')', {closeCode: code}));
      this.#finish({code, reason});
    } else if (action === 'fatal') {
      const why = code === 1008 ? 'token refused and no getToken() to renew it' : 'the server refused what this client sent';
      this.#emit('error', new PushgateError('FATAL_CLOSE', 'pushgate: closed with ' + code + ' (' + why + (reason ? ': ' + reason : '') + ')', {closeCode: code, reason}));
      this.#failPending(new PushgateError('CLOSED', 'pushgate: client stopped after close ' + code, {closeCode: code}));
      this.#finish({code, reason});
    } else {
      // A browser cannot tell a refused handshake (HTTP 401 for a bad token) from a network error:
      // when the socket never opened, a fresh token is asked for before the next try.
      this.#retry({code, reason}, action, action === 'token' || (!opened && !!this.#getToken));
    }
  }

  #retry(detail, action, renewToken = false) {
    let delayMs;
    if ((action === 'soon' || action === 'token') && this.#attempt === 0) {
      delayMs = Math.floor(Math.random() * this.#opts.jitterMs);
    } else {
      if (action === 'overload') {
        this.#attempt = Math.max(this.#attempt, OVERLOAD_MIN_ATTEMPT);
      }
      delayMs = backoffDelay(this.#attempt, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
    }
    this.#attempt++;
    this.#setState('reconnecting', {...detail, attempt: this.#attempt, delayMs}, true);
    this.#timers.retry = setTimeout(() => {
      this.#timers.retry = null;
      this.#start(renewToken);
    }, delayMs);
  }

  #heartbeat() {
    const ws = this.#ws;
    if (!ws || !this.#wsOpened) {
      return;
    }
    if (this.#lastReceivedAt < this.#lastPingAt) {
      // The server answers every PING; nothing at all since the last one means a dead connection.
      this.#drop(ws, 'no PONG within ' + this.#opts.heartbeatMs + ' ms');
      return;
    }
    this.#lastPingAt = Date.now();
    this.#send({type: 'PING'});
  }

  /** Gives up a socket that is dead without a close event (no open in time, no PONG) and retries. */
  #drop(ws, reason) {
    if (ws !== this.#ws) {
      return;
    }
    detach(ws);
    closeQuietly(ws, 4000);
    this.#onClose(1006, reason);
  }

  #finish(detail) {
    this.#stopSocketTimers();
    clearTimeout(this.#timers.retry);
    this.#timers.retry = null;
    this.#unwatchPage();
    this.#setState('closed', detail);
  }

  #stopSocketTimers() {
    clearTimeout(this.#timers.connect);
    clearTimeout(this.#timers.stable);
    clearInterval(this.#timers.heartbeat);
    this.#timers.connect = this.#timers.stable = this.#timers.heartbeat = null;
  }

  /** Coming back online or to the foreground: retry now rather than at the end of a long backoff. */
  #watchPage() {
    const target = globalThis;
    if (typeof target.addEventListener !== 'function') {
      return;
    }
    const retryNow = () => {
      if (this.#state === 'reconnecting' && this.#timers.retry) {
        clearTimeout(this.#timers.retry);
        this.#timers.retry = null;
        this.#start(false);
      }
    };
    const onVisible = () => {
      if (globalThis.document?.visibilityState !== 'visible') {
        return;
      }
      if (this.#isOpen()) {
        this.#lastPingAt = Date.now(); // timers may have been throttled while hidden
        this.#send({type: 'PING'});
      } else {
        retryNow();
      }
    };
    target.addEventListener('online', retryNow);
    this.#windowListeners.push(['online', retryNow]);
    if (globalThis.document?.addEventListener) {
      globalThis.document.addEventListener('visibilitychange', onVisible);
      this.#windowListeners.push(['visibilitychange', onVisible, globalThis.document]);
    }
  }

  #unwatchPage() {
    for (const [event, fn, target = globalThis] of this.#windowListeners) {
      target.removeEventListener(event, fn);
    }
    this.#windowListeners = [];
  }

  // ---- requests ----

  #isOpen() {
    return !!this.#ws && this.#wsOpened && this.#ws.readyState === OPEN;
  }

  #send(message) {
    try {
      this.#ws.send(JSON.stringify(message));
      return true;
    } catch {
      return false; // closing: the close event will follow
    }
  }

  #request(type, room, want, waiters) {
    const id = this.#nextId++;
    const data = {room};
    if (want?.online) {
      data.online = true;
    }
    this.#pending.set(id, {type, room, want, waiters});
    this.#send({type, id, data});
  }

  #waiter(room, resolve, reject, type) {
    const w = {room, type, settled: false};
    const timer = setTimeout(() => {
      w.fail(new PushgateError('TIMEOUT', 'pushgate: no ACK for ' + type + ' ' + room + ' within ' + this.#opts.requestTimeoutMs + ' ms', {room}));
    }, this.#opts.requestTimeoutMs);
    w.done = () => {
      if (!w.settled) {
        w.settled = true;
        clearTimeout(timer);
        resolve();
      }
    };
    w.fail = (error) => {
      if (!w.settled) {
        w.settled = true;
        clearTimeout(timer);
        this.#queued = this.#queued.filter((q) => q !== w);
        reject(error);
      }
    };
    return w;
  }

  /** ACK (error null) or ERROR for request `id`; false when no request of ours has that id. */
  #settle(id, error) {
    const entry = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (!entry) {
      return false;
    }
    this.#pending.delete(id);
    if (error) {
      error.room = entry.room;
      if (entry.type === 'JOIN' && this.#wanted.get(entry.room) === entry.want) {
        this.#wanted.delete(entry.room); // refused: joining it again would be refused again
      }
      if (entry.waiters.length === 0) {
        return false; // a rejoin after a reconnect: reported as an 'error' event
      }
      entry.waiters.forEach((w) => w.fail(error));
    } else {
      entry.waiters.forEach((w) => w.done());
    }
    return true;
  }

  #failPending(error) {
    // A LEAVE that cannot be answered any more is done all the same: no connection, no room.
    for (const entry of this.#pending.values()) {
      entry.waiters.forEach((w) => (w.type === 'LEAVE' ? w.done() : w.fail(error)));
    }
    this.#pending.clear();
    for (const w of [...this.#queued]) {
      w.fail(error);
    }
    this.#queued = [];
  }

  // ---- events ----

  #setState(state, detail, always = false) {
    if (state === this.#state && !always) {
      return;
    }
    this.#state = state;
    this.#emit('state', state, detail);
  }

  #emit(event, ...args) {
    const listeners = this.#listeners.get(event);
    if (!listeners) {
      return;
    }
    for (const listener of [...listeners]) {
      try {
        listener(...args);
      } catch (e) {
        // A faulty listener must not break the connection; report it where the page's errors go.
        setTimeout(() => {
          throw e;
        });
      }
    }
  }
}

function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}

function closeQuietly(ws, code, reason) {
  try {
    ws.close(code, reason); // throws on a reason over 123 bytes ...
  } catch {
    try {
      ws.close(code); // ... so try once more without one
    } catch {
      // already closed
    }
  }
}
