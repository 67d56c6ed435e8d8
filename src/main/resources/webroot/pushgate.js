// pushgate.js: the browser client of pushgate. One dependency-free ES module; load it with
//   import {connect} from '/pushgate.js';
// (or /pushgate-VERSION.js from another origin, or the npm package) . The wire contract it speaks
// is PROTOCOL.md; types are in pushgate.d.ts.
//
//   const pg = connect();                       // '/connect' on the page's host, ws: or wss: like the page
//   pg.on('push', ({room, items}) => items.forEach(show));
//   await pg.join('lobby', {online: true});
//
// It keeps one WebSocket open and every room the page asked for joined:
// - a reconnect with backoff and full jitter whenever the socket drops (what it does depends on the
//   close code, see closePolicy), and every wanted room joined again, a few JOINs at a time;
// - per room: a state (joining, joined, failed, left) with events; temporary refusals (RATE_LIMITED),
//   timeouts and drops are retried, permanent ones (FORBIDDEN, BAD_ROOM, ROOM_LIMIT, ...) end the room;
// - streams: each room's position (offset, epoch) is kept and sent as `since` on every rejoin, and an
//   offset is never handed to the application twice;
// - tokens: with getToken, a REFRESH shortly before the token's exp instead of a reconnect;
// - page life: offline closes the socket, online reconnects at once, a tab waking from the background
//   does not drop a healthy socket.

/** This client's version; the server also serves this file as /pushgate-VERSION.js. Keep this exact form. */
export const VERSION = '0.2.0';

/** Defaults of the numeric options of connect(). */
export const DEFAULTS = Object.freeze({
  /** A PING this often while the socket is open; the server closes a connection silent for 60 s. */
  heartbeatMs: 25_000,
  /** A join() or leave() whose request got no answer this long after it was sent rejects with TIMEOUT. */
  requestTimeoutMs: 10_000,
  /** A socket that has not opened this long after it was created is given up and retried. */
  connectTimeoutMs: 10_000,
  /** First backoff window; it doubles on each failed attempt ... */
  backoffBaseMs: 1_000,
  /** ... up to this. */
  backoffMaxMs: 30_000,
  /** After 1001 (node going away), 4001 or 1008, the reconnect is spread uniformly over this window. */
  jitterMs: 1_000,
  /** A connection that stayed open this long resets the backoff. */
  stableMs: 5_000,
  /** At most this many JOIN and LEAVE requests are awaiting their answer at once. */
  maxInFlight: 16,
  /** After RATE_LIMITED, requests pause for about this long (doubling while refusals go on). */
  rateLimitDelayMs: 1_000,
  /** With getToken, the token is renewed (REFRESH) this long before its exp, or at 2/3 of a shorter life. */
  refreshBeforeMs: 30_000,
  /** A getToken() call that has not given a token this long after it was made counts as failed (TOKEN), and is asked again with backoff. */
  tokenTimeoutMs: 10_000,
});

/** What the client does after each close code (PROTOCOL.md, "Close codes"). */
export const CLOSE_ACTIONS = Object.freeze({
  1000: 'stop', // normal close: by our close(), or the server ended the session
  1001: 'soon', // node shutting down or draining: reconnect (to any node), spread over jitterMs
  1002: 'fatal', // we broke RFC 6455's framing (the browser's WebSocket never does): a bug, retrying would repeat it
  1003: 'fatal', // we sent a binary frame: a client bug, retrying would repeat it
  1007: 'fatal', // we sent something that is not a JSON object
  1008: 'token', // token missing, invalid or expired: get a new one, then reconnect
  1009: 'fatal', // we sent a frame over the server's size limit
  1011: 'backoff', // server internal error
  1013: 'overload', // node at its connection limit or overloaded (items missed): back off, starting from a wider window
  4001: 'soon', // our heartbeat did not arrive in time
  4002: 'overload', // slow consumer: items were missed; back off, starting from a wider window
});

/**
 * Failed handshakes in a row after which a static token past its exp on this clock (kept alive only by
 * the iat correction of a clock that seems ahead) is taken as expired.
 */
const STALE_TOKEN_ATTEMPTS = 3;

/** 1001s in a row (within stableMs of each other) that are each followed at once (within jitterMs). */
const SOON_1001_ATTEMPTS = 3;

/** The backoff step that 'overload' closes (1013, 4002) start from: a window of base * 2^2. */
export const OVERLOAD_MIN_ATTEMPT = 2;

/** ERROR codes that refuse a request only for now: the client sends it again later. Others are final. */
export const TEMPORARY_ERRORS = Object.freeze(['RATE_LIMITED']);

/** Whether an ERROR code (or one of the client's: TIMEOUT, DISCONNECTED) is worth a retry. */
export function isTemporary(code) {
  return TEMPORARY_ERRORS.includes(code) || code === 'TIMEOUT' || code === 'DISCONNECTED';
}

/**
 * What to do after the socket closed with `code`: 'stop' (no reconnect), 'fatal' (no reconnect,
 * emit an error), 'token' (renew the token with getToken, then reconnect), 'soon' (reconnect spread
 * over jitterMs), 'overload' or 'backoff' (reconnect after a backoff delay). Codes not listed (1005,
 * 1006 for a dropped connection or a refused handshake, ...) back off. Without a getToken function,
 * 1008 is 'fatal': the same token would be refused again (the client still reconnects when setToken()
 * gave a token that the connection has not taken and that has not expired).
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

/**
 * Why `room` is not a valid room id (PROTOCOL.md "Room ids"), or null when it is: the server's own
 * check (RoomName), character by character, with its messages. Invisible characters (Cc, Cf, Zl, Zp)
 * would let two rooms look alike; `*` is the wildcard of token room patterns.
 */
export function roomProblem(room) {
  if (typeof room !== 'string' || room.length === 0) {
    return 'room must be a non-empty string';
  }
  if (room.length > 256 || [...room].length > 128) {
    return 'room is longer than 128 characters';
  }
  for (let i = 0; i < room.length; i++) {
    const c = room.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const paired = c <= 0xdbff && i + 1 < room.length && (room.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (!paired) {
        return 'room contains an unpaired surrogate';
      }
      if (FORMAT.test(room.slice(i, i + 2))) {
        return 'room contains an invisible format character';
      }
      i++;
      continue;
    }
    const ch = room[i];
    if (ch === '*') {
      return "room contains '*', which token room patterns use as a wildcard";
    }
    if (CONTROL.test(ch)) {
      return 'room contains a control character';
    }
    if (FORMAT.test(ch)) {
      return 'room contains an invisible format character';
    }
    if (SEPARATOR.test(ch)) {
      return 'room contains a line or paragraph separator';
    }
  }
  return null;
}

const CONTROL = /^\p{Cc}$/u;
const FORMAT = /^\p{Cf}$/u;
const SEPARATOR = /^[\p{Zl}\p{Zp}]$/u;

/** The claims of a JWT, read without verifying anything; null when `token` is not one. */
export function tokenClaims(token) {
  if (typeof token !== 'string') {
    return null;
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    return null;
  }
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/**
 * Milliseconds on a clock that is never set back or forward, for the heartbeat and the pauses: the
 * device's wall clock (Date.now) can jump by hours when it is set, and a pause measured on it would
 * then last hours, or a dead socket go unnoticed as long. Token times stay on the wall clock, which
 * is what exp and iat are read against.
 */
const monotonicNow = typeof performance !== 'undefined' && typeof performance.now === 'function'
  ? () => performance.now()
  : () => Date.now();

/** When `token` expires, in ms since the epoch (its exp claim), or null. */
export function tokenExpiry(token) {
  const exp = tokenClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

/**
 * True when `token` is a JWT whose exp claim has passed, or passes within `withinMs` (read without
 * verifying anything: only to decide whether to ask for a new one).
 */
export function tokenExpired(token, nowMs = Date.now(), withinMs = 0) {
  const expiry = tokenExpiry(token);
  return expiry !== null && expiry <= nowMs + withinMs;
}

/** The epoch of a stream with nothing in it yet (offset 0): its first item's epoch is no change of numbering. */
const NO_EPOCH = '0';

/** How long a PING sent as the page comes back (visible again, online again) waits for any answer. */
const CHECK_MS = 5_000;

/** The longest delay setTimeout keeps (a signed 32-bit count of ms); beyond it browsers fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** How far this client's clock may be from the token issuer's before `iat` is trusted over it. */
const CLOCK_TOLERANCE_MS = 60_000;

/**
 * How long from `nowMs` until a token that expires at `expiryMs` and was received at `receivedMs`
 * should be renewed: `refreshBeforeMs` ahead of when the server will close for it (renewalExpiry),
 * but at the latest after 2/3 of its life (exp - iat, or without iat what is left of it).
 */
export function refreshDelay(expiryMs, receivedMs, nowMs, refreshBeforeMs = DEFAULTS.refreshBeforeMs, issuedAtMs = null, previousOffsetMs = null) {
  const life = typeof issuedAtMs === 'number' && issuedAtMs < expiryMs ? expiryMs - issuedAtMs : Math.max(0, expiryMs - receivedMs);
  const lead = Math.min(refreshBeforeMs, life / 3);
  return Math.max(0, Math.floor(renewalExpiry(expiryMs, receivedMs, issuedAtMs, previousOffsetMs, refreshBeforeMs) - lead - nowMs));
}

/** Two tokens whose iat lies as far from their arrival within this are taken for one clock's offset. */
const SAME_OFFSET_MS = 5_000;

/** iat is in whole seconds: an arrival up to this much before it is this clock, not a clock behind. */
const IAT_ROUNDING_MS = 1_000;

/**
 * When the server will close a connection that holds a token expiring at `expiryMs` (the issuer's
 * clock), received at `receivedMs` and issued at `issuedAtMs`, on this client's clock: what its
 * renewal is scheduled by. Its life (exp - iat) counted from its arrival is right when this clock is
 * off, and late by the token's age when an auth library kept it before handing it out (a cache hands
 * out a token until shortly before it expires); exp as it stands is right for a kept token and early
 * or late by a clock's offset. Nothing in one token tells which, so:
 * - arrival before iat: a clock behind (no token is younger than 0), the life from the arrival, earlier;
 * - exp, unless renewing by it would come within a third of the life of the arrival (a renewal loop,
 *   for a clock ahead by most of a token's life) and either exp was past at the arrival or the token
 *   before had iat as far from its arrival (`previousOffsetMs`, within 5 s: a clock's offset repeats):
 *   then the life from the arrival. A kept token is renewed late by this only when a library hands
 *   out, each time, tokens with less than a third of their life plus refreshBeforeMs left.
 * Without iat, exp as it stands.
 */
export function renewalExpiry(expiryMs, receivedMs, issuedAtMs = null, previousOffsetMs = null, refreshBeforeMs = DEFAULTS.refreshBeforeMs) {
  if (typeof issuedAtMs !== 'number' || issuedAtMs >= expiryMs) {
    return expiryMs;
  }
  const life = expiryMs - issuedAtMs;
  const offset = receivedMs - issuedAtMs;
  const fromArrival = receivedMs + life;
  if (offset < -IAT_ROUNDING_MS) {
    return fromArrival;
  }
  const lead = Math.min(refreshBeforeMs, life / 3);
  const soon = expiryMs - lead - receivedMs < life / 3;
  const repeats = typeof previousOffsetMs === 'number' && Math.abs(offset - previousOffsetMs) <= SAME_OFFSET_MS;
  return soon && (expiryMs <= receivedMs || repeats) ? fromArrival : expiryMs;
}

/** When `token` was issued, in ms since the epoch (its iat claim), or null. */
export function tokenIssuedAt(token) {
  const iat = tokenClaims(token)?.iat;
  return typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 : null;
}

/**
 * `expiryMs` (the issuer's clock) on this client's clock at the latest, for a token received at
 * `receivedMs` and issued at `issuedAtMs`: the later of exp and its life (exp - iat) from its arrival,
 * which is never before the server's close whatever this clock's offset (the token's age only makes it
 * later); for an arrival more than a minute before iat (a clock behind), the life from the arrival
 * alone. What "has it expired?" reads (localExpiry): lenient, so that a clock ahead never refuses a
 * token the server accepts. Renewals go by renewalExpiry.
 */
function skewCorrected(expiryMs, receivedMs, issuedAtMs) {
  if (typeof issuedAtMs !== 'number' || issuedAtMs >= expiryMs) {
    return expiryMs;
  }
  const fromArrival = receivedMs + (expiryMs - issuedAtMs);
  return issuedAtMs - receivedMs > CLOCK_TOLERANCE_MS ? fromArrival : Math.max(expiryMs, fromArrival);
}

/**
 * When `token`, received at `receivedMs`, expires on this client's clock at the latest (skewCorrected),
 * or null without exp: what every "has it expired?" of the client reads, so that a device clock ahead
 * neither refuses a token the server accepts nor gives up its refresh.
 */
function localExpiry(token, receivedMs) {
  const expiry = tokenExpiry(token);
  return expiry === null ? null : skewCorrected(expiry, receivedMs, tokenIssuedAt(token));
}

/** Whether `token`, received at `receivedMs`, has expired on this client's clock by `atMs` (localExpiry). */
function expiredLocally(token, receivedMs, atMs = Date.now()) {
  const expiry = localExpiry(token, receivedMs);
  return expiry !== null && expiry <= atMs;
}

/**
 * An error of the client. `code` is the server's ERROR code (BAD_ROOM, ROOM_LIMIT, FORBIDDEN, ...)
 * or one of the client's own: TIMEOUT, DISCONNECTED, CLOSED, CANCELLED, LEFT, TOKEN, TOKEN_EXPIRED,
 * FATAL_CLOSE.
 */
export class PushgateError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'PushgateError';
    this.code = code;
    Object.assign(this, extra);
  }
}

/** A small listener registry shared by the client and its rooms. */
class Emitter {
  #listeners = new Map();

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

  /** Listeners registered, of every event. */
  get size() {
    let n = 0;
    for (const set of this.#listeners.values()) {
      n += set.size;
    }
    return n;
  }

  emit(event, ...args) {
    const listeners = this.#listeners.get(event);
    if (!listeners || listeners.size === 0) {
      if (event === 'error' && typeof console !== 'undefined') {
        // Nobody listens to errors (a fatal close, a failing getToken, a refused rejoin): not lost in silence.
        console.warn('pushgate: an error event nobody listens to:', ...args);
      }
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

/**
 * One room of a client, as `client.room(name)` returns it: the same object for the same name, until
 * leave() lets go of a room that has no listeners of its own (a page that visits a room per
 * conversation would otherwise keep every one); room(name) then gives a new one, and this one's join()
 * takes the name back, unless room(name) gave that new one first. States: 'joining' (asked for; a JOIN is queued, sent, or waiting for a retry),
 * 'joined' (the server ACKed it on the current connection), 'failed' (refused for good: see
 * `error.code`), 'left' (leave(), close(), or never joined).
 */
export class Room {
  /** The room id. */
  name;
  #client;
  #events = new Emitter();
  /** Internal state, written only by the client (module-private through the `internals` map). */
  #s = {
    state: 'left',
    error: null,
    online: false,
    /** {offset, epoch} of the last stream item handed to the application, or null. */
    position: null,
    /**
     * The {offset, epoch} a join() asked for as `since` whose JOIN has not been answered yet, or null:
     * every JOIN of the room carries it instead of the position (also after a reconnect), and the
     * room's stream frames are held back until its answer, whose replay brings them again in order.
     */
    since: null,
    /** The detail of the last 'joined', for ready() after the fact. */
    joined: null,
    /** JOIN attempts since the room last was joined (per-room backoff of temporary refusals). */
    attempt: 0,
    retryTimer: null,
    /** The id of the JOIN awaiting its answer on the current socket, or null. */
    pendingId: null,
    /** join() calls waiting for this room's next answer. */
    waiters: [],
    everJoined: false,
    /** join() changed the room's options while its JOIN was out: it is sent again after the answer. */
    resend: false,
    /** Bumped when the room ends: answers to JOINs of an earlier life are ignored. */
    gen: 0,
  };

  constructor(client, name) {
    this.#client = client;
    this.name = name;
    internals.set(this, {s: this.#s, events: this.#events});
  }

  /** 'joining' | 'joined' | 'failed' | 'left' */
  get state() {
    return this.#s.state;
  }

  /** Why the room failed (a PushgateError with the server's code), or null. */
  get error() {
    return this.#s.error;
  }

  /** For streams: the position {offset, epoch} of the last item handed to the application, or null. */
  get position() {
    return this.#s.position ? {...this.#s.position} : null;
  }

  /** Adds a listener ('state', 'joined', 'failed', 'left', 'push', 'online', 'recovered'); returns its remover. */
  on(event, listener) {
    return this.#events.on(event, listener);
  }

  off(event, listener) {
    this.#events.off(event, listener);
  }

  /**
   * Resolves with the 'joined' detail once the room is joined (at once when it is), whatever
   * reconnects and retries it takes; rejects with the room's error when it fails, with LEFT when it is
   * left, and with TIMEOUT after `timeoutMs` (no limit when absent).
   */
  ready(timeoutMs) {
    const s = this.#s;
    if (s.state === 'joined') {
      return Promise.resolve(s.joined);
    }
    if (s.state === 'failed') {
      return Promise.reject(s.error);
    }
    if (s.state === 'left') {
      return Promise.reject(new PushgateError('LEFT', 'pushgate: ' + this.name + ' is not joined', {room: this.name}));
    }
    return new Promise((resolve, reject) => {
      let timer = null;
      const offs = [];
      const done = (fn, value) => {
        clearTimeout(timer);
        offs.forEach((off) => off());
        fn(value);
      };
      offs.push(this.on('joined', (detail) => done(resolve, detail)));
      offs.push(this.on('failed', (error) => done(reject, error)));
      offs.push(this.on('left', () => done(reject, new PushgateError('LEFT', 'pushgate: left ' + this.name + ' before it was joined', {room: this.name}))));
      if (timeoutMs != null && Number.isFinite(Number(timeoutMs))) {
        timer = setTimeout(() => done(reject, new PushgateError('TIMEOUT', 'pushgate: ' + this.name + ' not joined within ' + timeoutMs + ' ms', {room: this.name, roomState: s.state})), Number(timeoutMs));
      }
    });
  }

  /** Same as client.join(name, options), for this object: a handle leave() let go of takes its name back. */
  join(options) {
    this.#client[ADOPT](this);
    return this.#client.join(this.name, options);
  }

  /** Same as client.leave(name). */
  leave() {
    return this.#client.leave(this.name);
  }
}

/** Room -> {s, events}: how the client reaches a room's private state. */
const internals = new WeakMap();

/** The client's method (module-private) by which Room.join() puts a handle let go of back in its place. */
const ADOPT = Symbol('pushgate.adopt');

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
 * Opens a client. `url` is the WebSocket address (wss://host/connect); a relative or http(s)
 * address resolves against the page (https pages get wss:), and no address means '/connect' on the
 * page's host.
 */
export function connect(url, options = {}) {
  return new PushgateClient(url, options);
}

export class PushgateClient {
  #url;
  #opts;
  /** The token for the next connect: the newest the page or getToken gave. */
  #token;
  #tokenReceivedAt = 0;
  /** The token the current socket was opened with, and when it was received. */
  #socketToken = null;
  #socketTokenAt = 0;
  /**
   * The token the server holds for the open connection (the socket's, or the last REFRESH it
   * accepted): its exp is the connection's deadline, which refreshes must beat, whatever newer token
   * the client has but could not hand over yet (a REFRESH refused for now, a socket still connecting).
   */
  #connToken = null;
  #connTokenAt = 0;
  /** How far the connection's token's iat was from its arrival, and the one's before it (renewalExpiry). */
  #connTokenOffset = null;
  #previousTokenOffset = null;
  /** getToken was asked since the last socket opened: a refused handshake does not ask it again. */
  #renewedSinceOpen = false;
  #getToken;
  #WebSocket;
  #state = 'connecting';
  #events = new Emitter();
  #ws = null;
  #wsOpened = false;
  #attempt = 0;
  /** The close action that scheduled the pending retry ('overload' keeps its wider window). */
  #retryAction = null;
  /** Whether the pending retry asks getToken first: an early retry (online, a visible tab) must too. */
  #retryRenew = false;
  #nextId = 1;
  /** name -> Room, every room the page ever named; the wanted ones are in state joining or joined. */
  #rooms = new Map();
  /** id -> request awaiting its ACK or ERROR on the current socket. */
  #pending = new Map();
  /** JOIN and LEAVE requests waiting for a free slot: {type, room, waiter?}. */
  #queue = [];
  #inFlight = 0;
  #window;
  #pausedUntil = 0;
  #pauseRound = 0;
  #rateLimitedRounds = 0;
  #timers = {retry: null, heartbeat: null, stable: null, connect: null, pause: null, refresh: null, check: null};
  #lastPingAt = 0;
  #lastReceivedAt = 0;
  #heartbeatDueAt = 0;
  /** The #lastPingAt of the PING whose late heartbeat was forgiven once: late again, it drops the socket. */
  #forgivenPingAt = -1;
  #refreshing = false;
  #refreshUnsupported = false;
  #refreshFailures = 0;
  /** REFRESHes refused for now (RATE_LIMITED) in a row: their own pause doubles with each. */
  #refreshRefusals = 0;
  /**
   * Handshakes in a row that failed with a static token past its exp on this clock, which only the
   * iat correction keeps alive: a clock ahead would have let one of them open, so after
   * STALE_TOKEN_ATTEMPTS the token is taken as expired (it may have been kept that long), not retried for ever.
   */
  #staleTokenFailures = 0;
  #pageListeners = [];

  constructor(url, options = {}) {
    this.#opts = {...DEFAULTS};
    for (const key of Object.keys(DEFAULTS)) {
      if (options[key] != null) {
        const value = Number(options[key]);
        // At most what a timer takes (2^31 - 1 ms, about 24.8 days): a browser fires a longer
        // setTimeout at once, so a heartbeatMs "off" of Number.MAX_SAFE_INTEGER would ping non-stop.
        if (!Number.isFinite(value) || value < 0 || (value === 0 && key !== 'jitterMs') || value > MAX_TIMER_MS) {
          throw new RangeError('pushgate: option ' + key + ' must be a positive number of at most ' + MAX_TIMER_MS + ', not ' + options[key]);
        }
        this.#opts[key] = value;
      }
    }
    this.#window = this.#opts.maxInFlight;
    this.#url = url;
    this.#token = options.token ?? null;
    this.#tokenReceivedAt = Date.now();
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

  /** The rooms this client is in, or is joining (again). */
  get rooms() {
    return [...this.#rooms.values()].filter((r) => wanted(r)).map((r) => r.name);
  }

  /** Adds a listener; returns a function that removes it. */
  on(event, listener) {
    return this.#events.on(event, listener);
  }

  off(event, listener) {
    this.#events.off(event, listener);
  }

  /**
   * The token for the next (re)connect. With a socket open, it is also sent at once as a REFRESH, so
   * the connection lives on past the old token's exp.
   */
  setToken(token) {
    this.#token = token;
    this.#tokenReceivedAt = Date.now();
    this.#staleTokenFailures = 0;
    if (this.#isOpen() && token) {
      this.#sendRefresh(token);
    }
  }

  /** The room's handle (state, events, ready()); the same object for the same name (see Room for when a new one). */
  room(name) {
    let room = this.#rooms.get(name);
    if (!room) {
      room = new Room(this, name);
      this.#rooms.set(name, room);
    }
    return room;
  }

  /**
   * Room.join() of a handle whose name this client let go of (leave()): it is that name's room again,
   * so its state, events and ready() are the room's. A name room() gave a new object since keeps it.
   */
  [ADOPT](room) {
    if (!this.#rooms.has(room.name)) {
      this.#rooms.set(room.name, room);
    }
  }

  /**
   * Joins `room`: with {online: true}, ONLINE counts are sent for it; with {since: {offset, epoch}}
   * (a stream position, e.g. from the history endpoint), the server replays what came after it.
   * Resolves with the 'joined' detail on the server's ACK. The room stays wanted, and is joined again
   * after every reconnect, until leave() or close(), or until the server refuses it for good
   * (FORBIDDEN, BAD_ROOM, ROOM_LIMIT, ...: the promise rejects and the room becomes 'failed').
   * RATE_LIMITED is retried, not reported; the promise rejects with TIMEOUT when the JOIN sent got
   * no answer within requestTimeoutMs (counted from when it was sent), and with DISCONNECTED when
   * the socket closed before the answer: in both cases the room is still being joined (see ready()).
   */
  join(name, {online = false, since} = {}) {
    if (this.#state === 'closed') {
      return Promise.reject(new PushgateError('CLOSED', 'pushgate: client is closed', {room: name}));
    }
    const problem = roomProblem(name);
    if (problem) {
      return Promise.reject(new PushgateError('BAD_ROOM', 'pushgate: ' + problem, {room: name}));
    }
    if (since != null && !(Number.isSafeInteger(since.offset) && since.offset >= 0 && typeof since.epoch === 'string')) {
      // Joining without it would skip the items after it without a word: refused, as the server would.
      return Promise.reject(new PushgateError('BAD_REQUEST', 'pushgate: since must be {offset: a whole number from 0, epoch: a string}, not '
        + JSON.stringify(since), {room: name}));
    }
    const room = this.room(name);
    const s = internals.get(room).s;
    const changed = !wanted(room) || s.online !== !!online || (since && !samePosition(since, s.since ?? s.position));
    if (since && !samePosition(since, s.since ?? s.position)) {
      // Not the position yet: that moves when the JOIN carrying it is answered (#onJoinAnswer). A
      // joined room's live frames meanwhile are no gap after it: #onPush holds them back.
      s.since = {offset: since.offset, epoch: since.epoch};
    }
    if (!changed && s.state === 'joined') {
      return Promise.resolve(s.joined);
    }
    s.online = !!online;
    return new Promise((resolve, reject) => {
      s.waiters.push({resolve, reject, timer: null});
      if (changed) {
        if (s.state !== 'joining') {
          s.attempt = 0;
          s.error = null;
          this.#setRoomState(room, 'joining', {});
        }
        this.#scheduleJoin(room, true);
      } else if (s.pendingId !== null) {
        this.#armWaiters(room); // the JOIN is out already: its timeout runs
      }
    });
  }

  /**
   * Leaves `room`: no more items or counts for it, and it is not joined again after a reconnect (a
   * failed room becomes 'left' too). Resolves on the server's ACK, at once when no socket is open
   * (nothing to leave then), and when the socket drops before the ACK (a new connection starts in no room).
   */
  leave(name) {
    const room = this.#rooms.get(name);
    if (room && (wanted(room) || room.state === 'failed')) {
      this.#endRoom(room, 'left', null, {reason: 'leave()'}); // a failed room is let go of too
    }
    if (room && internals.get(room).events.size === 0) {
      this.#rooms.delete(name); // nobody listens to it: nothing is lost by a new object next time
    }
    this.#queue = this.#queue.filter((q) => !(q.type === 'JOIN' && q.room === name));
    if (!this.#isOpen()) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({type: 'LEAVE', room: name, waiter: {resolve, reject}});
      this.#pump();
    });
  }

  /** Closes for good (code 1000): no reconnect; rooms become 'left', pending join() calls reject with CLOSED. */
  close(reason = 'client close') {
    if (this.#state === 'closed') {
      return;
    }
    this.#stop({code: 1000, reason}, new PushgateError('CLOSED', 'pushgate: client closed'), 'left');
  }

  // ---- connection lifecycle ----

  async #start(renewToken) {
    if (this.#state === 'closed') {
      return;
    }
    if (this.#getToken && (renewToken || expiredLocally(this.#token, this.#tokenReceivedAt, Date.now() + 1_000))) {
      if (!(await this.#renewToken())) {
        return;
      }
    } else if (!this.#getToken && this.#token && expiredLocally(this.#token, this.#tokenReceivedAt)) {
      const error = new PushgateError('TOKEN_EXPIRED', 'pushgate: the token expired at ' + new Date(localExpiry(this.#token, this.#tokenReceivedAt)).toISOString() +
        ' and there is no getToken() to renew it: call setToken() and connect again, or pass getToken', {closeCode: 1008});
      this.#emit('error', error);
      this.#stop({code: 1008, reason: 'token expired'}, error, 'failed');
      return;
    }
    let ws;
    try {
      this.#socketToken = this.#token;
      this.#socketTokenAt = this.#tokenReceivedAt;
      ws = new this.#WebSocket(socketUrl(this.#url, this.#token));
    } catch (e) {
      const error = new PushgateError('FATAL_CLOSE', 'pushgate: cannot open ' + this.#url + ': ' + e.message, {cause: e});
      this.#emit('error', error);
      this.#stop({code: 1006, reason: e.message}, error, 'failed');
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

  /**
   * getToken(), given up after tokenTimeoutMs: a call that never settles (a hung auth request) is a
   * failure like any other, so it neither stalls the reconnects nor the refreshes for good. What it
   * gives after that is ignored: the retry asks again.
   */
  #askToken() {
    const ms = this.#opts.tokenTimeoutMs;
    let timer = null;
    const timeout = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('no token within ' + ms + ' ms (tokenTimeoutMs)')), ms);
    });
    let asked;
    try {
      asked = Promise.resolve(this.#getToken());
    } catch (e) {
      asked = Promise.reject(e);
    }
    return Promise.race([asked, timeout]).finally(() => clearTimeout(timer));
  }

  /** Asks getToken for a token; false (and a retry scheduled) when it failed. */
  async #renewToken() {
    this.#renewedSinceOpen = true;
    try {
      const token = await this.#askToken();
      if (this.#state === 'closed') {
        return false;
      }
      if (typeof token !== 'string' || !token) {
        throw new Error('getToken() returned ' + (token === '' ? 'an empty string' : typeof token));
      }
      this.#token = token;
      this.#tokenReceivedAt = Date.now();
      return true;
    } catch (e) {
      if (this.#state === 'closed') {
        return false;
      }
      this.#emit('error', new PushgateError('TOKEN', 'pushgate: getToken() failed: ' + (e?.message ?? e), {cause: e}));
      this.#retry({code: 1008, reason: 'token renewal failed'}, 'backoff', true);
      return false;
    }
  }

  #onOpen() {
    clearTimeout(this.#timers.connect);
    this.#wsOpened = true;
    this.#renewedSinceOpen = false;
    this.#refreshUnsupported = false;
    this.#refreshFailures = 0;
    this.#refreshRefusals = 0;
    this.#staleTokenFailures = 0;
    this.#retryAction = null;
    this.#lastReceivedAt = this.#lastPingAt = monotonicNow();
    this.#forgivenPingAt = -1;
    this.#timers.stable = setTimeout(() => (this.#attempt = 0), this.#opts.stableMs);
    this.#scheduleHeartbeat();
    this.#adoptConnToken(this.#socketToken, this.#socketTokenAt);
    if (this.#token && this.#token !== this.#connToken) {
      this.#sendRefresh(this.#token); // given (setToken, getToken) while the socket was connecting
    } else {
      this.#scheduleRefresh();
    }
    // Every wanted room is joined again before 'open' is announced: a page that joins on 'open' finds
    // its rooms already on their way and sends no JOIN twice.
    for (const room of this.#rooms.values()) {
      const s = internals.get(room).s;
      if (wanted(room)) {
        clearTimeout(s.retryTimer);
        s.retryTimer = null;
        s.attempt = 0;
        this.#queue.push({type: 'JOIN', room: room.name});
      }
    }
    this.#pump();
    this.#setState('open', {});
  }

  #onMessage(data) {
    this.#lastReceivedAt = monotonicNow();
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
        this.#onPush(d);
        break;
      case 'ONLINE': {
        const room = this.#rooms.get(d.room);
        // Only rooms joined with {online: true} now: a later join() without it cannot make the server
        // stop (its watch of a room only adds), so the counts it still sends end here.
        if (room && wanted(room) && internals.get(room).s.online) {
          this.#emitBoth(room, 'online', {room: d.room, count: d.count});
        }
        break;
      }
      case 'ACK':
        this.#answer(msg.id, null, d);
        break;
      case 'ERROR': {
        const error = new PushgateError(String(d.code ?? 'UNKNOWN'), d.message ?? String(d.code), {id: msg.id});
        if (this.#answer(msg.id, error, d)) {
          break;
        }
        if (TEMPORARY_ERRORS.includes(error.code)) {
          this.#pauseRequests(this.#pauseRound); // e.g. a PING refused for now: this connection sends too fast
        } else {
          this.#emit('error', error);
        }
        break;
      }
      default:
        break;
    }
    this.#emit('message', msg);
  }

  /** A PUSH: to everyone (no room), or to a wanted room; stream items at or below the room's position are dropped. */
  #onPush(d) {
    if (!Array.isArray(d.items)) {
      return;
    }
    if (d.room == null) {
      this.#emit('push', {room: null, items: d.items});
      return;
    }
    const room = this.#rooms.get(d.room);
    if (!room || !wanted(room)) {
      return;
    }
    const s = internals.get(room).s;
    let items = d.items;
    const event = {room: d.room, items};
    if (typeof d.offset === 'number' && typeof d.epoch === 'string' && items.length > 0) {
      if (s.since) {
        // A JOIN with the since join() asked for is queued or out: the server replays everything after
        // it once it answers, this frame too (it was sent before the server read the JOIN, or the JOIN
        // has not gone out yet, so its offset is at most the answer's). Handed over now, it would come
        // before the items it follows, and be dropped from the replay as seen.
        return;
      }
      const first = d.offset - items.length + 1;
      // The offset this frame should follow: the position's, and 0 for a stream joined while it had
      // no items (epoch "0"): its clients stand at offset 0 and get its first items from offset 1 on.
      const follows = !s.position ? null
        : s.position.epoch === d.epoch ? s.position.offset
          : s.position.epoch === NO_EPOCH ? 0 : null;
      if (follows !== null && first > follows + 1) {
        // Offsets skipped: the node could not get them before the history let them go (README,
        // "What survives what"). Told as a rejoin that could not recover is: reload the state; the
        // room goes on from this frame (offset, as in a rejoin's answer), `skipped` says how many.
        const gap = {room: d.room, recovered: false, reason: 'HISTORY_GONE', skipped: first - follows - 1,
          offset: d.offset, epoch: d.epoch, gap: true};
        this.#emitBoth(room, 'recovered', gap);
      } else if (s.position && s.position.epoch !== d.epoch && s.position.epoch !== NO_EPOCH) {
        // The stream's numbering started again (its history was lost whole, or both halves of a
        // split cluster numbered items): what this client holds may differ from what others do and
        // items may be gone. Told as a rejoin answered EPOCH_CHANGED is: reload the state; the room
        // goes on from this frame.
        this.#emitBoth(room, 'recovered', {room: d.room, recovered: false, reason: 'EPOCH_CHANGED', offset: d.offset, epoch: d.epoch, gap: true});
      }
      if (s.position && s.position.epoch === d.epoch && first <= s.position.offset) {
        const skip = s.position.offset - first + 1;
        if (skip >= items.length) {
          return; // every item of it was handed over already
        }
        items = items.slice(skip);
        event.items = items;
      }
      s.position = {offset: d.offset, epoch: d.epoch};
      event.offset = d.offset;
      event.epoch = d.epoch;
    }
    this.#emitBoth(room, 'push', event);
  }

  #onClose(code, reason) {
    const opened = this.#wsOpened;
    this.#ws = null;
    this.#stopSocketTimers();
    this.#dropRequests(code);
    let action = closePolicy(code, {canRenewToken: !!this.#getToken});
    if (action === 'fatal' && code === 1008 && this.#token && this.#token !== (opened ? this.#connToken : this.#socketToken)
      && !expiredLocally(this.#token, this.#tokenReceivedAt)) {
      // No getToken, but setToken() gave a token the connection did not take (its REFRESH refused for
      // now, or not answered before the old token's exp) and that has not expired: reconnect with it.
      action = 'token';
    }
    if (action === 'stop') {
      this.#stop({code, reason}, new PushgateError('CLOSED', 'pushgate: closed by the server (' + code + ')', {closeCode: code}), 'failed');
    } else if (action === 'fatal') {
      const why = code === 1008 ? 'token refused and no getToken() to renew it' : 'the server refused what this client sent';
      // A static token that expired while connected: the same error as when it is found expired before a connect.
      const expired = code === 1008 && expiredLocally(this.#token, this.#tokenReceivedAt);
      const error = new PushgateError(expired ? 'TOKEN_EXPIRED' : 'FATAL_CLOSE', 'pushgate: closed with ' + code + ' (' + why + (reason ? ': ' + reason : '') + ')', {closeCode: code, reason});
      this.#emit('error', error);
      this.#stop({code, reason}, error, 'failed');
    } else if (!opened && !this.#getToken && this.#token && tokenExpired(this.#token)
      && ++this.#staleTokenFailures >= STALE_TOKEN_ATTEMPTS) {
      const error = new PushgateError('TOKEN_EXPIRED', 'pushgate: the token\'s exp (' + new Date(tokenExpiry(this.#token)).toISOString()
        + ') has passed on this clock and ' + STALE_TOKEN_ATTEMPTS + ' handshakes with it failed: call setToken() and connect again, or pass getToken',
        {closeCode: code});
      this.#emit('error', error);
      this.#stop({code, reason}, error, 'failed');
    } else {
      // A browser cannot tell a refused handshake (HTTP 401 for a bad token) from a network error:
      // after a handshake that failed, a fresh token is asked for once, not for every retry (unless
      // the token is about to expire, which #start checks).
      const renew = !!this.#getToken && (action === 'token' || (!opened && !this.#renewedSinceOpen));
      this.#retry({code, reason}, action, renew);
    }
  }

  /** The socket is gone: requests on it are answered by the drop, joined rooms go back to joining. */
  #dropRequests(code) {
    const requests = [...this.#pending.values()];
    this.#pending.clear();
    for (const q of this.#queue) {
      q.waiter?.resolve(); // a LEAVE not sent yet: a new connection starts in no room
    }
    this.#queue = [];
    this.#inFlight = 0;
    this.#window = this.#opts.maxInFlight;
    this.#pausedUntil = 0;
    this.#rateLimitedRounds = 0;
    for (const req of requests) {
      clearTimeout(req.timer);
      if (req.type === 'LEAVE') {
        req.waiter?.resolve(); // a new connection starts in no room
      }
    }
    for (const room of this.#rooms.values()) {
      const s = internals.get(room).s;
      s.pendingId = null;
      s.resend = false;
      if (wanted(room)) {
        // Only the calls whose JOIN went out on this socket: the others wait for the next one.
        this.#rejectWaiters(room, new PushgateError('DISCONNECTED', 'pushgate: connection closed (' + code + ') before ' + room.name + ' was joined', {room: room.name, closeCode: code}), true);
        if (s.state === 'joined') {
          this.#setRoomState(room, 'joining', {closeCode: code, reason: 'reconnecting'});
        }
      }
    }
  }

  #retry(detail, action, renewToken = false) {
    if (this.#state === 'closed') {
      return; // close() from a listener of what led here (an 'error', a 'state'): closed stays closed
    }
    let delayMs;
    if (action === 'soon' || action === 'token') {
      // 1001 (a draining node), 4001, 1008: back at once, but spread over the window so that the
      // clients of one node do not all arrive elsewhere in the same instant. A 1001 so up to three
      // times in a row (PROTOCOL.md): a rolling restart can drain the node a client just moved to,
      // and that is no reason to wait longer; past that (a proxy that closes every connection with
      // 1001 at once, say), backed off like any failure.
      delayMs = this.#attempt === 0 || (detail.code === 1001 && this.#attempt < SOON_1001_ATTEMPTS) ? Math.floor(Math.random() * this.#opts.jitterMs)
        : backoffDelay(this.#attempt, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
    } else {
      if (action === 'overload') {
        this.#attempt = Math.max(this.#attempt, OVERLOAD_MIN_ATTEMPT);
      }
      delayMs = backoffDelay(this.#attempt, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
    }
    this.#attempt++;
    this.#retryAction = action;
    this.#retryRenew = renewToken;
    this.#setState('reconnecting', {...detail, attempt: this.#attempt, delayMs}, true);
    if (this.#state === 'closed') {
      return; // closed by a listener of that 'reconnecting'
    }
    clearTimeout(this.#timers.retry);
    this.#timers.retry = setTimeout(() => {
      this.#timers.retry = null;
      if (this.#state === 'closed') {
        return;
      }
      if (globalThis.navigator?.onLine === false) {
        // Offline: no attempt can work; wait for 'online' (with the next backoff as a safety net).
        this.#retry({code: 1006, reason: 'offline'}, 'backoff', renewToken);
        return;
      }
      this.#start(renewToken);
    }, delayMs);
  }

  // ---- heartbeat: PING every heartbeatMs; a PING unanswered for a whole interval drops the socket ----

  #scheduleHeartbeat() {
    clearTimeout(this.#timers.heartbeat);
    this.#heartbeatDueAt = monotonicNow() + this.#opts.heartbeatMs;
    this.#timers.heartbeat = setTimeout(() => this.#heartbeat(), this.#opts.heartbeatMs);
  }

  #heartbeat() {
    const ws = this.#ws;
    if (!ws || !this.#wsOpened) {
      return;
    }
    const now = monotonicNow();
    // A timer that fires far later than planned ran in a throttled or frozen tab: the answer to the
    // last PING may be queued right behind it, so it is no evidence of a dead socket. Ask again, once:
    // if that same PING is still unanswered at the next firing, late or not (a background tab's
    // timers are late every time), the socket is dead (half-open), and is dropped.
    const late = now - this.#heartbeatDueAt > Math.max(1_000, this.#opts.heartbeatMs / 2);
    const unanswered = this.#lastReceivedAt < this.#lastPingAt && now - this.#lastPingAt >= this.#opts.heartbeatMs * 0.9;
    if (unanswered && (!late || this.#forgivenPingAt === this.#lastPingAt)) {
      this.#drop(ws, 'no answer to a PING within ' + this.#opts.heartbeatMs + ' ms');
      return;
    }
    if (unanswered) {
      this.#forgivenPingAt = this.#lastPingAt;
    }
    this.#ping();
    this.#scheduleHeartbeat();
  }

  #ping() {
    if (this.#lastReceivedAt >= this.#lastPingAt) {
      this.#lastPingAt = monotonicNow(); // an outstanding PING keeps its time: the answer is due from then
    }
    this.#send({type: 'PING'});
  }

  /**
   * A PING now, and the socket given up if nothing at all came back by CHECK_MS later (at most 0.9 of
   * heartbeatMs): when a tab comes back into view or the network returns, a laptop may have slept or
   * the network changed under a socket that is now half-open without a close event, which the
   * heartbeat alone would find only one or two intervals later while the page shows 'open'.
   */
  #checkSocket() {
    const ws = this.#ws;
    this.#ping();
    const pingAt = this.#lastPingAt;
    const ms = Math.min(CHECK_MS, this.#opts.heartbeatMs * 0.9);
    let waits = 1;
    const check = () => {
      this.#timers.check = null;
      if (ws !== this.#ws || this.#lastReceivedAt >= pingAt) {
        return;
      }
      if (waits === 1 && this.#pending.size > 0) {
        // A server before 2026-12 answers a heartbeat PING in line, after a JOIN of a stream that may
        // wait about 5 s for the node to catch up (a failover's rejoins): one wait more for it.
        waits++;
        this.#timers.check = setTimeout(check, ms);
        return;
      }
      this.#drop(ws, 'no answer within ' + Math.round(ms * waits) + ' ms to a PING sent as the page came back');
    };
    clearTimeout(this.#timers.check);
    this.#timers.check = setTimeout(check, ms);
  }

  /** Gives up a socket that is dead without a close event (no open in time, no PONG, offline) and retries. */
  #drop(ws, reason) {
    if (ws !== this.#ws) {
      return;
    }
    detach(ws);
    closeQuietly(ws, 4000);
    this.#onClose(1006, reason);
  }

  /** The client stops for good: rooms end as `roomState` ('left' or 'failed' with `error`). */
  #stop(detail, error, roomState) {
    if (this.#state === 'closed') {
      return; // a listener of the error that led here closed the client already: one 'closed' only
    }
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      detach(ws);
      closeQuietly(ws, 1000, detail.reason);
    }
    this.#stopSocketTimers();
    for (const req of this.#pending.values()) {
      clearTimeout(req.timer);
      if (req.type === 'LEAVE') {
        req.waiter?.resolve();
      }
    }
    this.#pending.clear();
    for (const q of this.#queue) {
      q.waiter?.resolve?.();
    }
    this.#queue = [];
    clearTimeout(this.#timers.retry);
    this.#timers.retry = null;
    this.#unwatchPage();
    this.#state = 'closed';
    for (const room of this.#rooms.values()) {
      if (wanted(room)) {
        this.#rejectWaiters(room, error);
        this.#endRoom(room, roomState, roomState === 'failed' ? error : null, {reason: detail.reason, closeCode: detail.code});
      }
    }
    this.#emit('state', 'closed', detail);
  }

  #stopSocketTimers() {
    for (const name of ['connect', 'stable', 'heartbeat', 'pause', 'refresh', 'check']) {
      clearTimeout(this.#timers[name]);
      this.#timers[name] = null;
    }
  }

  /** Network and page life: offline closes, online reconnects at once, a visible tab checks its socket. */
  #watchPage() {
    const target = globalThis;
    if (typeof target.addEventListener !== 'function') {
      return;
    }
    const retryNow = () => {
      if (this.#state === 'reconnecting' && this.#timers.retry) {
        clearTimeout(this.#timers.retry);
        this.#timers.retry = null;
        this.#start(this.#retryRenew);
      }
    };
    const onOffline = () => {
      if (this.#ws) {
        this.#drop(this.#ws, 'offline');
      }
    };
    const onVisible = () => {
      if (globalThis.document?.visibilityState !== 'visible') {
        return;
      }
      if (this.#isOpen()) {
        this.#checkSocket(); // timers may have been throttled while hidden: check the socket now
      } else if (this.#retryAction !== 'overload') {
        retryNow(); // but a node that said it is overloaded (1013, 4002) keeps its wider window
      }
    };
    this.#listen(target, 'online', () => (this.#isOpen() ? this.#checkSocket() : retryNow()));
    this.#listen(target, 'offline', onOffline);
    if (globalThis.document?.addEventListener) {
      this.#listen(globalThis.document, 'visibilitychange', onVisible);
    }
  }

  #listen(target, event, fn) {
    target.addEventListener(event, fn);
    this.#pageListeners.push([target, event, fn]);
  }

  #unwatchPage() {
    for (const [target, event, fn] of this.#pageListeners) {
      target.removeEventListener(event, fn);
    }
    this.#pageListeners = [];
  }

  // ---- tokens: REFRESH shortly before exp ----

  /** The token the server holds for this connection now, received at `at`. */
  #adoptConnToken(token, at) {
    if (token !== this.#connToken) {
      const iat = tokenIssuedAt(token);
      this.#previousTokenOffset = this.#connTokenOffset;
      this.#connTokenOffset = iat === null ? null : at - iat;
    }
    this.#connToken = token;
    this.#connTokenAt = at;
  }

  /** When the server closes this connection for its token's exp, on this clock (renewalExpiry), or null. */
  #renewalDeadline() {
    const expiry = tokenExpiry(this.#connToken);
    return expiry === null ? null : renewalExpiry(expiry, this.#connTokenAt, tokenIssuedAt(this.#connToken), this.#previousTokenOffset,
      this.#opts.refreshBeforeMs);
  }

  #scheduleRefresh() {
    clearTimeout(this.#timers.refresh);
    this.#timers.refresh = null;
    const expiry = tokenExpiry(this.#connToken);
    if (!this.#getToken || expiry === null || this.#refreshUnsupported || this.#state === 'closed') {
      return;
    }
    let delay = refreshDelay(expiry, this.#connTokenAt, Date.now(), this.#opts.refreshBeforeMs, tokenIssuedAt(this.#connToken), this.#previousTokenOffset);
    if (this.#refreshFailures > 0) {
      // After a failure: again after a backoff, as long as that is before exp on this clock (else the
      // server's 1008 at exp makes the client reconnect with a new token).
      delay = Math.max(delay, backoffDelay(this.#refreshFailures, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs));
      if (Date.now() + delay >= this.#renewalDeadline() - 200) {
        return;
      }
    }
    this.#timers.refresh = setTimeout(() => this.#refresh(), Math.min(delay, 2 ** 31 - 1));
  }

  async #refresh() {
    this.#timers.refresh = null;
    if (this.#refreshing || !this.#isOpen()) {
      return;
    }
    this.#refreshing = true;
    let token;
    try {
      token = await this.#askToken();
      if (typeof token !== 'string' || !token) {
        throw new Error('getToken() returned ' + (token === '' ? 'an empty string' : typeof token));
      }
    } catch (e) {
      this.#refreshing = false;
      if (this.#state === 'closed') {
        return; // close() while getToken ran: nothing to tell, nothing to renew (as #renewToken)
      }
      this.#emit('error', new PushgateError('TOKEN', 'pushgate: getToken() failed: ' + (e?.message ?? e), {cause: e}));
      this.#refreshFailures++;
      this.#afterRefreshAttempt();
      return;
    }
    this.#refreshing = false;
    if (this.#state === 'closed') {
      return; // nor is a token that came after close() checked or kept
    }
    // Newer than what the server holds: a token sent before but refused for now (RATE_LIMITED) is
    // newer still, and is sent again.
    const newExpiry = tokenExpiry(token);
    const heldExpiry = tokenExpiry(this.#connToken);
    if (token === this.#connToken || (newExpiry !== null && heldExpiry !== null && newExpiry <= heldExpiry)) {
      // Not newer: sending it gains nothing, and asking again at once would loop.
      this.#emit('error', new PushgateError('TOKEN', 'pushgate: getToken() returned a token that expires no later than the current one'));
      this.#refreshFailures++;
      this.#afterRefreshAttempt();
      return;
    }
    this.#token = token; // also the token of the next reconnect
    this.#tokenReceivedAt = Date.now();
    if (this.#isOpen()) {
      this.#sendRefresh(token); // on the socket open now, also one that opened while getToken ran
    }
  }

  /** A refresh that sent nothing: the open socket (if any, maybe not the one it began on) tries again before its deadline. */
  #afterRefreshAttempt() {
    if (this.#isOpen()) {
      this.#scheduleRefresh();
    }
  }

  #sendRefresh(token) {
    clearTimeout(this.#timers.refresh);
    this.#timers.refresh = null;
    this.#request('REFRESH', {token}, {token, sentAt: Date.now()});
  }

  #onRefreshAnswer(req, error, data) {
    if (error) {
      if (error.code === 'UNKNOWN_TYPE') {
        // A server without REFRESH closes with 1008 at exp; the client then reconnects with the new token.
        this.#refreshUnsupported = true;
        return;
      }
      this.#refreshFailures++;
      error.message = 'pushgate: the server refused the refreshed token: ' + error.message;
      this.#emit('error', error);
      this.#scheduleRefresh();
      return;
    }
    this.#refreshFailures = 0;
    this.#refreshRefusals = 0;
    this.#adoptConnToken(req.token, req.sentAt);
    const left = Array.isArray(data.left) ? data.left.filter((r) => typeof r === 'string') : [];
    for (const name of left) {
      const room = this.#rooms.get(name);
      if (room && wanted(room)) {
        const e = new PushgateError('FORBIDDEN', 'pushgate: the refreshed token no longer allows ' + name, {room: name});
        this.#rejectWaiters(room, e);
        this.#endRoom(room, 'failed', e, {reason: 'token'});
      }
    }
    this.#emit('refreshed', {expiresAt: tokenExpiry(req.token), left});
    if (req.token === this.#token) {
      this.#scheduleRefresh();
    }
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

  /** Queues a JOIN of `room` now (`now`) or after the room's backoff (a retry). */
  #scheduleJoin(room, now) {
    const s = internals.get(room).s;
    clearTimeout(s.retryTimer);
    s.retryTimer = null;
    if (!this.#isOpen()) {
      return; // joined when the socket opens
    }
    const enqueue = () => {
      s.retryTimer = null;
      if (!wanted(room) || !this.#isOpen()) {
        return;
      }
      const queued = this.#queue.find((q) => q.type === 'JOIN' && q.room === room.name);
      if (queued) {
        // A retry waiting for a slot now also carries the room's new options: a late answer to the
        // JOIN before must not cancel it (it answered the old ones).
        queued.retry = queued.retry && !now;
        return;
      }
      this.#queue.push({type: 'JOIN', room: room.name, retry: !now});
      this.#pump();
    };
    if (now) {
      enqueue();
    } else {
      s.retryTimer = setTimeout(enqueue, backoffDelay(s.attempt, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs));
    }
  }

  /** Sends queued JOINs and LEAVEs while fewer than the window are awaiting their answer and no pause runs. */
  #pump() {
    while (this.#queue.length && this.#isOpen() && this.#inFlight < this.#window) {
      const wait = this.#pausedUntil - monotonicNow();
      if (wait > 0) {
        if (!this.#timers.pause) {
          this.#timers.pause = setTimeout(() => {
            this.#timers.pause = null;
            this.#pump();
          }, wait);
        }
        return;
      }
      const q = this.#queue.shift();
      if (q.type === 'JOIN') {
        const room = this.#rooms.get(q.room);
        const s = room && internals.get(room).s;
        if (!room || !wanted(room)) {
          continue;
        }
        if (s.pendingId !== null) {
          s.resend = true; // its options changed while a JOIN was out: sent again after the answer
          continue;
        }
        const data = {room: room.name};
        if (s.online) {
          data.online = true;
        }
        const from = s.since ?? s.position;
        if (from) {
          data.since = {offset: from.offset, epoch: from.epoch};
        }
        s.pendingId = this.#request('JOIN', data, {room: room.name, since: data.since ?? null, asked: s.since !== null, gen: s.gen, handle: room,
          sentId: q.sentId}, true);
        this.#armWaiters(room);
      } else {
        this.#request('LEAVE', {room: q.room}, {room: q.room, waiter: q.waiter, sentId: q.sentId}, true);
      }
    }
  }

  /** Sends a request with a fresh id; `counted` ones take a slot of the window until answered. */
  #request(type, data, extra, counted = false) {
    const id = this.#nextId++;
    const req = {type, id, counted, round: this.#pauseRound, timer: null, ...extra};
    if (counted) {
      this.#inFlight++;
      req.timer = setTimeout(() => this.#timeout(req), this.#opts.requestTimeoutMs);
    }
    this.#pending.set(id, req);
    this.#send({type, id, data});
    return id;
  }

  #release(req) {
    clearTimeout(req.timer);
    if (req.counted) {
      req.counted = false;
      this.#inFlight--;
    }
  }

  /** A request got no answer in time: its slot is freed, its callers told, a JOIN retried with backoff. */
  #timeout(req) {
    this.#release(req);
    const error = new PushgateError('TIMEOUT', 'pushgate: no answer to ' + req.type + ' ' + req.room + ' within ' + this.#opts.requestTimeoutMs + ' ms', {room: req.room});
    if (req.type === 'LEAVE') {
      this.#pending.delete(req.id);
      req.waiter?.reject(error);
    } else if (req.type === 'JOIN') {
      // The request stays pending: a late answer still counts. The room is asked for again meanwhile.
      const room = this.#rooms.get(req.room);
      const s = room && internals.get(room).s;
      if (s && s.pendingId === req.id) {
        s.pendingId = null;
        this.#rejectWaiters(room, error);
        s.attempt++;
        s.resend = false; // the JOIN asked for again carries the room's options as they are now
        this.#scheduleJoin(room, false);
      }
    }
    this.#pump();
  }

  /** ACK (error null) or ERROR for request `id`; false when no request of ours has that id. */
  #answer(id, error, data) {
    const req = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (!req) {
      return false;
    }
    this.#pending.delete(id);
    this.#release(req);
    if (error) {
      error.room ??= req.room;
    }
    if (error && TEMPORARY_ERRORS.includes(error.code)) {
      this.#rateLimited(req);
    } else if (req.type === 'REFRESH') {
      this.#onRefreshAnswer(req, error, data);
    } else if (req.type === 'LEAVE') {
      this.#opened(req.round);
      if (error) {
        req.waiter?.reject(error);
      } else {
        req.waiter?.resolve();
      }
    } else if (req.type === 'JOIN') {
      this.#onJoinAnswer(req, error, data);
    }
    this.#pump();
    return true;
  }

  /**
   * The window grows by one per answered request after a rate limit shrank it, counting only requests
   * sent since the last pause: answers to those sent before it (stream ACKs come later than the
   * refusals of their neighbours) say nothing about the pace the server takes now.
   */
  #opened(round) {
    if (round !== this.#pauseRound) {
      return;
    }
    this.#rateLimitedRounds = 0;
    this.#window = Math.min(this.#opts.maxInFlight, this.#window + 1);
  }

  /**
   * RATE_LIMITED: the connection sends faster than the server allows. The request goes back to the
   * front of the queue, the queue pauses (longer while refusals go on) and resumes one at a time. A
   * REFRESH has a limit of its own (one a second): it is sent again after a pause of its own, and the
   * JOINs and LEAVEs go on.
   */
  #rateLimited(req) {
    if (req.type !== 'REFRESH') {
      this.#pauseRequests(req.round);
    }
    if (req.type === 'JOIN') {
      const room = this.#rooms.get(req.room);
      const s = room && internals.get(room).s;
      if (s && s.pendingId === req.id) {
        s.pendingId = null;
        for (const w of s.waiters) {
          clearTimeout(w.timer); // a refusal for now is an answer: the timeout starts again when it is resent
          w.timer = null;
        }
        s.resend = false; // the JOIN sent again carries the room's options as they are now
        if (wanted(room)) {
          this.#requeue({type: 'JOIN', room: room.name}, req.sentId ?? req.id);
        }
      }
    } else if (req.type === 'LEAVE') {
      if (!this.#rooms.has(req.room) || !wanted(this.#rooms.get(req.room))) {
        this.#requeue({type: 'LEAVE', room: req.room, waiter: req.waiter}, req.sentId ?? req.id);
      } else {
        req.waiter?.resolve(); // joined again meanwhile: nothing to leave
      }
    } else if (req.type === 'REFRESH') {
      this.#refreshRefused(req);
    }
  }

  /**
   * A request refused for now goes back to the front of the queue, in the order it was first sent
   * among the others refused (`id`, the id of its first sending, kept through each sending again):
   * refusals of one round come oldest first, and each put first would send a LEAVE and the JOIN
   * after it in reverse (the JOIN then refused at maxRoomsPerConnection, for good); so would one
   * refused again after the pause, ahead of those still waiting from its first round.
   */
  #requeue(entry, id) {
    entry.sentId = id;
    let i = 0;
    while (i < this.#queue.length && this.#queue[i].sentId !== undefined && this.#queue[i].sentId < id) {
      i++;
    }
    this.#queue.splice(i, 0, entry);
  }

  /**
   * A REFRESH refused for now: the server kept the connection's token. The token the client holds now
   * (setToken's or getToken's, whichever came last) is sent again after about rateLimitDelayMs
   * (doubling while refusals go on), but before the connection's token expires on this clock; past
   * that, the server's 1008 at exp makes the client reconnect with it.
   */
  #refreshRefused(req) {
    this.#refreshRefusals++;
    if (req.token !== this.#token) {
      return; // a newer token went out since, as a REFRESH of its own: its answer counts
    }
    let delay = this.#rateLimitPause(this.#refreshRefusals);
    const deadline = this.#renewalDeadline();
    if (deadline !== null) {
      const latest = deadline - 200 - Date.now();
      if (latest <= 0) {
        return;
      }
      delay = Math.min(delay, latest);
    }
    clearTimeout(this.#timers.refresh);
    this.#timers.refresh = setTimeout(() => {
      this.#timers.refresh = null;
      if (this.#isOpen() && this.#token && this.#token !== this.#connToken) {
        this.#sendRefresh(this.#token);
      }
    }, delay);
  }

  /**
   * A refusal for now of something sent in pause round `round`: the first of a round pauses the queue
   * (about rateLimitDelayMs, doubling while rounds of refusals go on) and shrinks the window to one;
   * refusals of requests sent before that pause began do not pause it again.
   */
  #pauseRequests(round) {
    if (round !== this.#pauseRound) {
      return;
    }
    this.#pauseRound++;
    this.#rateLimitedRounds++;
    this.#pausedUntil = monotonicNow() + this.#rateLimitPause(this.#rateLimitedRounds);
    this.#window = 1;
  }

  /** The pause after the `n`th RATE_LIMITED in a row: about rateLimitDelayMs, doubling with each, up to backoffMaxMs, jittered in its upper half. */
  #rateLimitPause(n) {
    const ceiling = Math.min(this.#opts.backoffMaxMs, this.#opts.rateLimitDelayMs * 2 ** Math.min(n - 1, 16));
    return Math.floor(ceiling / 2 + Math.random() * ceiling / 2);
  }

  #onJoinAnswer(req, error, data) {
    const room = this.#rooms.get(req.room);
    if (!room) {
      return;
    }
    const s = internals.get(room).s;
    if (req.handle !== room || req.gen !== s.gen || !wanted(room)) {
      // Left meanwhile (the LEAVE that followed takes it out again), also when joined again since with
      // a new Room object, whose life counts its generations from 0 again: not an answer for it.
      return;
    }
    const current = s.pendingId === req.id;
    if (current) {
      s.pendingId = null;
    } else if (s.state === 'joined' || s.pendingId !== null) {
      return; // a late answer to a JOIN that timed out and was asked again: that one's answer counts
    } else {
      // A late answer to a JOIN that timed out, before its retry went out: the answer counts, the retry goes.
      clearTimeout(s.retryTimer);
      s.retryTimer = null;
      this.#queue = this.#queue.filter((q) => !(q.type === 'JOIN' && q.room === room.name && q.retry));
    }
    // Whether it answers the since join() asked for (and still asks for).
    const asked = req.asked && samePosition(req.since, s.since);
    if (!error && s.since && !asked) {
      // The answer to a JOIN sent before join() asked for this since: no answer to that call, whose
      // JOIN goes out now (or is queued). The join() calls wait for it, their timeouts from its sending.
      this.#opened(req.round);
      for (const w of s.waiters) {
        clearTimeout(w.timer);
        w.timer = null;
      }
      s.resend = false;
      this.#scheduleJoin(room, true);
      return;
    }
    if (error) {
      // Final for this room: FORBIDDEN, BAD_ROOM, ROOM_LIMIT, BAD_REQUEST, ... Joining again would be refused again.
      if (s.waiters.length === 0) {
        this.#emit('error', error); // a rejoin nobody awaits: told here too, besides the room's 'failed'
        if (this.#state === 'closed') {
          return; // closed by a listener of that error: the room ended 'left' with the client
        }
      }
      this.#rejectWaiters(room, error);
      this.#endRoom(room, 'failed', error, {reason: error.message});
      return;
    }
    this.#opened(req.round);
    s.attempt = 0;
    const detail = {room: room.name, rejoin: s.everJoined};
    const hasPosition = typeof data.offset === 'number' && typeof data.epoch === 'string';
    if (req.since) {
      const recovered = data.recovered === true && hasPosition && data.epoch === req.since.epoch;
      detail.recovered = recovered;
      if (recovered) {
        detail.missed = Math.max(0, data.offset - req.since.offset); // the items that follow now, as PUSH frames
        if (asked) {
          s.position = {offset: req.since.offset, epoch: req.since.epoch}; // they follow it (frames held back since)
        }
      } else {
        detail.reason = typeof data.reason === 'string' ? data.reason : 'NO_HISTORY';
        // A room without history has no position to come back with (its offset 0, epoch "0" says so).
        s.position = hasPosition && detail.reason !== 'NO_HISTORY' ? {offset: data.offset, epoch: data.epoch} : null;
      }
    } else if (hasPosition && !s.position) {
      s.position = {offset: data.offset, epoch: data.epoch};
    } else if (hasPosition && s.position.epoch !== data.epoch) {
      s.position = {offset: data.offset, epoch: data.epoch};
    }
    if (hasPosition) {
      detail.offset = data.offset;
      detail.epoch = data.epoch;
    }
    if (asked) {
      s.since = null;
    }
    s.everJoined = true;
    s.joined = detail;
    this.#setRoomState(room, 'joined', detail);
    if (req.since) {
      const event = {room: room.name, recovered: detail.recovered, reason: detail.reason, missed: detail.missed, offset: detail.offset, epoch: detail.epoch};
      this.#emitBoth(room, 'recovered', event);
    }
    this.#emitBoth(room, 'joined', detail);
    for (const w of s.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(detail);
    }
    if (s.resend) {
      s.resend = false;
      this.#scheduleJoin(room, true);
    }
  }

  /** join() waiters of `room` start their timeout now that its JOIN went out. */
  #armWaiters(room) {
    for (const w of internals.get(room).s.waiters) {
      if (!w.timer) {
        w.timer = setTimeout(() => {
          const s = internals.get(room).s;
          s.waiters = s.waiters.filter((x) => x !== w);
          w.reject(new PushgateError('TIMEOUT', 'pushgate: no answer to JOIN ' + room.name + ' within ' + this.#opts.requestTimeoutMs + ' ms', {room: room.name}));
        }, this.#opts.requestTimeoutMs);
      }
    }
  }

  #rejectWaiters(room, error, onlySent = false) {
    const s = internals.get(room).s;
    const rejected = onlySent ? s.waiters.filter((w) => w.timer !== null) : s.waiters;
    s.waiters = onlySent ? s.waiters.filter((w) => w.timer === null) : [];
    for (const w of rejected) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  /** A wanted room ends: 'left' (leave(), close()) or 'failed' (refused for good, with `error`). */
  #endRoom(room, state, error, detail) {
    const s = internals.get(room).s;
    clearTimeout(s.retryTimer);
    s.retryTimer = null;
    s.pendingId = null;
    s.resend = false;
    s.gen++;
    s.error = error;
    s.joined = null;
    s.position = null;
    s.since = null;
    s.everJoined = false;
    if (state === 'left') {
      this.#rejectWaiters(room, new PushgateError('CANCELLED', 'pushgate: left ' + room.name + ' before it was joined', {room: room.name}));
    }
    this.#setRoomState(room, state, error ? {...detail, code: error.code, error} : detail);
    if (state === 'failed') {
      internals.get(room).events.emit('failed', error);
    } else {
      internals.get(room).events.emit('left', detail);
    }
  }

  // ---- events ----

  #setRoomState(room, state, detail) {
    const s = internals.get(room).s;
    if (s.state === state) {
      return;
    }
    s.state = state;
    internals.get(room).events.emit('state', state, detail);
    this.#emit('room', room.name, state, detail);
  }

  #setState(state, detail, always = false) {
    if ((state === this.#state && !always) || this.#state === 'closed') {
      return; // 'closed' is for good: only #stop enters it, and nothing leaves it
    }
    this.#state = state;
    this.#emit('state', state, detail);
  }

  #emit(event, ...args) {
    this.#events.emit(event, ...args);
  }

  /** An event of one room: to the client's listeners, then to the room handle's. */
  #emitBoth(room, event, detail) {
    this.#emit(event, detail);
    internals.get(room).events.emit(event, detail);
  }
}

function wanted(room) {
  const state = internals.get(room).s.state;
  return state === 'joining' || state === 'joined';
}

function samePosition(a, b) {
  return !!a && !!b && a.offset === b.offset && a.epoch === b.epoch;
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
