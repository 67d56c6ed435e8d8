// Type declarations of pushgate.js, the browser client of pushgate (wire contract: PROTOCOL.md).
//
//   import {connect} from '/pushgate.js';
//   const pg = connect('ws://' + location.host + '/connect');
//   pg.on('push', ({room, items}) => items.forEach(show));
//   await pg.join('lobby', {online: true});

/** The connection: 'connecting' (first attempt), 'open', 'reconnecting' (waiting to retry, or retrying), 'closed' (for good). */
export type PushgateState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a close code makes the client do; see closePolicy(). */
export type CloseAction = 'stop' | 'fatal' | 'token' | 'soon' | 'overload' | 'backoff';

/** Any JSON value: an item exactly as the pusher sent it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | {[key: string]: JsonValue};

export interface ConnectOptions {
  /** A JWT, sent as ?token=JWT on the WebSocket address (PROTOCOL.md, Authentication). */
  token?: string;
  /**
   * Called for a new token: before the first connect when no `token` is given, after a close 1008
   * (token invalid or expired), when the current token's `exp` has passed, and after an attempt whose
   * handshake failed (a browser cannot tell an HTTP 401 from a network error). May be async.
   * Without it, a close 1008 stops the client with a FATAL_CLOSE error.
   */
  getToken?: () => string | Promise<string>;
  /** PING interval, default 25000 (the server closes a connection silent for 60 s with 4001). A PING left without any answer until the next one drops the socket and reconnects. */
  heartbeatMs?: number;
  /** join()/leave() reject with TIMEOUT when not answered this long after the call; default 10000. */
  requestTimeoutMs?: number;
  /** A socket not open this long after its creation is dropped and retried; default 10000. */
  connectTimeoutMs?: number;
  /** First backoff window, doubled per failed attempt; default 1000. */
  backoffBaseMs?: number;
  /** Largest backoff window; default 30000. */
  backoffMaxMs?: number;
  /** Window of the first retry after 1001 (node going away), 4001 or 1008; default 1000. */
  jitterMs?: number;
  /** A connection open this long resets the backoff; default 5000. */
  stableMs?: number;
  /** A WebSocket constructor, for use outside a browser (e.g. the `ws` package in Node). */
  WebSocket?: new (url: string) => WebSocketLike;
}

/** The part of the WebSocket interface the client uses. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: {data: unknown}) => void) | null;
  onclose: ((event: {code: number; reason: string}) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface JoinOptions {
  /** Ask for ONLINE counts of this room ('online' events): once right after the join, then when the count changes. */
  online?: boolean;
}

export interface PushEvent {
  /** The room the items were pushed to; null for a push to every connection (POST /push/all). */
  room: string | null;
  /** The items merged into one frame, each the JSON value a pusher sent, in the order they were accepted. */
  items: JsonValue[];
}

export interface OnlineEvent {
  room: string;
  /** Connections in the room across the whole cluster. */
  count: number;
}

export interface StateDetail {
  /** The close code that caused this state (1006 for a dropped connection or a refused handshake). */
  code?: number;
  reason?: string;
  /** Reconnect attempts since the connection was last stable. */
  attempt?: number;
  /** When reconnecting: the wait before the next attempt. */
  delayMs?: number;
}

/** A message as received, for types this client has no event for. */
export interface ServerMessage {
  type: string;
  id?: number;
  data?: JsonValue;
}

export interface PushgateEvents {
  /** Items pushed to a joined room, or to everyone. */
  push: (event: PushEvent) => void;
  /** A room's viewer count, for rooms joined with {online: true}. */
  online: (event: OnlineEvent) => void;
  /** On every state change, and again for each new reconnect attempt (with its delay). */
  state: (state: PushgateState, detail: StateDetail) => void;
  /**
   * Problems not tied to a call: an ERROR without a waiting call (e.g. a room refused when it was
   * joined again after a reconnect: its `room` is set and the room is dropped), a fatal close
   * (FATAL_CLOSE: 1003/1007/1009, or 1008 without getToken), or a failing getToken (TOKEN).
   */
  error: (error: PushgateError) => void;
  /** Every message from the server, after the events above. */
  message: (message: ServerMessage) => void;
}

/**
 * code: the server's ERROR code (BAD_REQUEST, UNKNOWN_TYPE, BAD_ROOM, ROOM_LIMIT, FORBIDDEN,
 * RATE_LIMITED) or the client's own: TIMEOUT (no answer in requestTimeoutMs), DISCONNECTED (the
 * socket closed before the answer; the room is joined again after the reconnect), CLOSED (the
 * client is closed), CANCELLED (leave() before the join was sent), TOKEN (getToken failed),
 * FATAL_CLOSE (the client stopped; see closeCode). BAD_ROOM is also checked before sending.
 */
export type PushgateErrorCode =
  | 'BAD_REQUEST' | 'UNKNOWN_TYPE' | 'BAD_ROOM' | 'ROOM_LIMIT' | 'FORBIDDEN' | 'RATE_LIMITED'
  | 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'CANCELLED' | 'TOKEN' | 'FATAL_CLOSE'
  | (string & {});

export class PushgateError extends Error {
  constructor(code: PushgateErrorCode, message: string, extra?: object);
  readonly name: 'PushgateError';
  readonly code: PushgateErrorCode;
  /** The room of the request, when there is one. */
  room?: string;
  /** The request id the server's ERROR answered. */
  id?: number;
  /** The WebSocket close code, for DISCONNECTED, CLOSED and FATAL_CLOSE. */
  closeCode?: number;
  reason?: string;
}

export class PushgateClient {
  constructor(url?: string, options?: ConnectOptions);
  /** The current state. */
  readonly state: PushgateState;
  /** Rooms this client is in, or will join again as soon as its socket is open. */
  readonly rooms: string[];
  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof PushgateEvents>(event: E, listener: PushgateEvents[E]): () => void;
  off<E extends keyof PushgateEvents>(event: E, listener: PushgateEvents[E]): void;
  /**
   * Joins `room`; resolves on the server's ACK. The room is kept across reconnects (joined again,
   * with the same online flag) until leave() or close(), even when this promise rejects with
   * TIMEOUT or DISCONNECTED. An ERROR from the server rejects it and drops the room.
   */
  join(room: string, options?: JoinOptions): Promise<void>;
  /**
   * Leaves `room`; resolves on the ACK, at once when no socket is open, and when the socket closes
   * before the ACK (a new connection starts in no room). Rejects on ERROR or TIMEOUT.
   */
  leave(room: string): Promise<void>;
  /** Sets the token for the next (re)connect. */
  setToken(token: string): void;
  /** Closes with 1000 for good: no reconnect; pending join() calls reject with CLOSED. */
  close(reason?: string): void;
}

/**
 * Opens a client and starts connecting at once. `url`: ws://host:port/connect or wss://...; a relative
 * or http(s) address resolves against the page (http→ws, https→wss); default '/connect'.
 */
export function connect(url?: string, options?: ConnectOptions): PushgateClient;

/** Defaults of the numeric options. */
export const DEFAULTS: Readonly<{
  heartbeatMs: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  jitterMs: number;
  stableMs: number;
}>;

/** The action for each close code PROTOCOL.md defines; others are 'backoff'. */
export const CLOSE_ACTIONS: Readonly<Record<number, CloseAction>>;

/** 'overload' closes (1013, 4002) back off from at least this attempt (a window of base * 2^n). */
export const OVERLOAD_MIN_ATTEMPT: number;

/** What the client does after close `code`; 1008 is 'fatal' unless a token can be renewed. */
export function closePolicy(code: number, options?: {canRenewToken?: boolean}): CloseAction;

/** Full-jitter backoff: uniform in [0, min(maxMs, baseMs * 2^attempt)). */
export function backoffDelay(attempt: number, baseMs?: number, maxMs?: number, random?: () => number): number;

/** Why `room` is not a valid room id, or null. */
export function roomProblem(room: unknown): string | null;

/** Whether `token` is a JWT whose `exp` has passed (not verified; only to decide on renewal). */
export function tokenExpired(token: unknown, nowMs?: number): boolean;
