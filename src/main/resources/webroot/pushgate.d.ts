// Type declarations of pushgate.js, the browser client of pushgate (wire contract: PROTOCOL.md).
//
//   import {connect} from '/pushgate.js';         // or from 'pushgate-client' (npm)
//   const pg = connect();                          // '/connect' on the page's host; wss: on https pages
//   pg.on('push', ({room, items}) => items.forEach(show));
//   await pg.join('lobby', {online: true});

/** This client's version (the server also serves the file as /pushgate-VERSION.js). */
export const VERSION: string;

/** The connection: 'connecting' (first attempt), 'open', 'reconnecting' (waiting to retry, or retrying), 'closed' (for good). */
export type PushgateState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * A room: 'joining' (asked for; its JOIN is queued, out, or waiting for a retry), 'joined' (ACKed on the
 * current connection), 'failed' (refused for good: see Room.error), 'left' (leave(), close(), or never joined).
 */
export type RoomState = 'joining' | 'joined' | 'failed' | 'left';

/** What a close code makes the client do; see closePolicy(). */
export type CloseAction = 'stop' | 'fatal' | 'token' | 'soon' | 'overload' | 'backoff';

/** Any JSON value: an item exactly as the pusher sent it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | {[key: string]: JsonValue};

/** A place in a stream: every item up to `offset` of `epoch`. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface ConnectOptions {
  /** A JWT, sent as ?token=JWT on the WebSocket address (PROTOCOL.md, Authentication). */
  token?: string;
  /**
   * Called for a new token: before the first connect when no `token` is given; shortly before the
   * current token's `exp` (the new one is sent as a REFRESH on the open connection, no reconnect);
   * after a close 1008; before a reconnect when the token is about to expire; and once after a
   * handshake that failed (a browser cannot tell an HTTP 401 from a network error), not for every
   * retry. May be async; a call that gives no token within tokenTimeoutMs counts as failed (TOKEN
   * error, asked again with backoff). Without it, an expired token stops the client with an error, and
   * so does a close 1008, unless setToken() gave an unexpired token the connection has not taken yet:
   * the client then reconnects with that one.
   */
  getToken?: () => string | Promise<string>;
  /** A getToken() call that has given no token this long counts as failed (a TOKEN error; asked again with backoff); default 10000. */
  tokenTimeoutMs?: number;
  /** PING interval, default 25000 (the server closes a connection silent for 60 s with 4001). A PING left without any answer for a whole interval drops the socket and reconnects; a heartbeat timer that fires late (a throttled or frozen tab) asks again instead, once: the same PING still unanswered at the next firing, late or not, drops the socket. */
  heartbeatMs?: number;
  /** A join() or leave() rejects with TIMEOUT when its request got no answer this long after it was sent; default 10000. */
  requestTimeoutMs?: number;
  /** A socket not open this long after its creation is dropped and retried; default 10000. */
  connectTimeoutMs?: number;
  /** First backoff window, doubled per failed attempt; default 1000. */
  backoffBaseMs?: number;
  /** Largest backoff window; default 30000. */
  backoffMaxMs?: number;
  /** The window the reconnect after 1001 (node going away or draining), 4001 or 1008 is spread over; default 1000. */
  jitterMs?: number;
  /** A connection open this long resets the backoff; default 5000. */
  stableMs?: number;
  /** JOIN and LEAVE requests awaiting their answer at once, at most; default 16. After RATE_LIMITED the window drops to 1 and grows again by one per answer. */
  maxInFlight?: number;
  /** After RATE_LIMITED, requests pause for about this long (between half and all of it), doubling while refusals go on; default 1000. */
  rateLimitDelayMs?: number;
  /**
   * With getToken: the token is renewed this long before its exp, or after 2/3 of a shorter life;
   * default 30000. When the token's iat is more than a minute from this device's clock at its arrival,
   * its life (exp - iat) counts from then, for this and for every check of whether it has expired.
   */
  refreshBeforeMs?: number;
  /** A WebSocket constructor, for use outside a browser (e.g. Node 22's WebSocket, or the `ws` package). */
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
  /** Ask for ONLINE counts of this room ('online' events): the first at the server's next online interval after the join (onlineIntervalMillis, 1 s by default), then when the count changes; a later join() without it ends them. */
  online?: boolean;
  /**
   * For a stream: the position the page already has (e.g. a page rendered from the history endpoint); what
   * follows it is replayed. On a room already joined, its live items wait for the answer (the replay brings
   * them too), and Room.position moves to `since` with the answer, not with the call.
   */
  since?: StreamPosition;
}

export interface PushEvent {
  /** The room the items were pushed to; null for a push to every connection (POST /push/all). */
  room: string | null;
  /** The items of one frame, each the JSON value a pusher sent, in order. For a stream, items already handed over are left out. */
  items: JsonValue[];
  /** For a stream: the offset of the last item (item i of n has offset - (n - 1 - i)). Absent for other rooms and low-priority items. */
  offset?: number;
  epoch?: string;
}

export interface OnlineEvent {
  room: string;
  /** Connections in the room across the whole cluster. */
  count: number;
}

/** A room joined (again): the detail of 'joined' events, join() and ready(). */
export interface JoinedDetail {
  room: string;
  /** True when the room was joined before on this client: a rejoin after a reconnect (or after new options). */
  rejoin: boolean;
  /** For a JOIN with a position (since): whether everything after it was replayed. Absent for a JOIN without one. */
  recovered?: boolean;
  /** When recovered is false: HISTORY_GONE, EPOCH_CHANGED, TOO_FAR, NO_HISTORY. Reload the room's state. */
  reason?: string;
  /** When recovered: how many missed items follow now. */
  missed?: number;
  /** For a stream: the position after which this connection receives every item. */
  offset?: number;
  epoch?: string;
}

/**
 * The outcome of a rejoin with a position ('recovered' events), or (gap: true) what a live frame
 * showed: offsets it skipped (recovered false, reason HISTORY_GONE, skipped how many; for a stream
 * joined while empty, epoch "0", the offsets below its first frame's) or another epoch (recovered
 * false, reason EPOCH_CHANGED: the numbering started again); offset/epoch are the position the room
 * goes on from (that frame's), as a rejoin's answer gives it.
 */
export interface RecoveredEvent {
  room: string;
  recovered: boolean;
  reason?: string;
  missed?: number;
  offset?: number;
  epoch?: string;
  gap?: boolean;
  skipped?: number;
}

export interface RefreshedEvent {
  /** When the new token expires (ms since the epoch), or null when it has no exp. */
  expiresAt: number | null;
  /** Rooms the server left because the new token's rooms claim no longer allows them (each also fails with FORBIDDEN). */
  left: string[];
}

export interface StateDetail {
  /** The close code that caused this state (1006 for a dropped connection, a refused handshake, or offline). */
  code?: number;
  reason?: string;
  /** Reconnect attempts since the connection was last stable. */
  attempt?: number;
  /** When reconnecting: the wait before the next attempt. */
  delayMs?: number;
}

export interface RoomStateDetail {
  /** For 'failed': the error's code (FORBIDDEN, BAD_ROOM, ROOM_LIMIT, ...). */
  code?: string;
  error?: PushgateError;
  reason?: string;
  closeCode?: number;
}

/**
 * A room's new state and its detail, as Room 'state' events give them: for 'joined' the 'joined'
 * detail (JoinedDetail), for the others a RoomStateDetail. A listener that checks the state gets the
 * detail's type narrowed by it.
 */
export type RoomStateChange =
  | [state: 'joined', detail: JoinedDetail]
  | [state: Exclude<RoomState, 'joined'>, detail: RoomStateDetail];

/** The same, after the room's name, as the client's 'room' events give them. */
export type RoomStateEvent =
  | [room: string, state: 'joined', detail: JoinedDetail]
  | [room: string, state: Exclude<RoomState, 'joined'>, detail: RoomStateDetail];

/** A message as received, for types this client has no event for. */
export interface ServerMessage {
  type: string;
  id?: number;
  data?: JsonValue;
}

export interface PushgateEvents {
  /** Items pushed to a wanted room, or to everyone. */
  push: (event: PushEvent) => void;
  /** A room's viewer count, for rooms whose last join() asked for {online: true} (counts for others are dropped). */
  online: (event: OnlineEvent) => void;
  /** On every state change, and again for each new reconnect attempt (with its delay). 'open' comes after the rejoins went out. */
  state: (state: PushgateState, detail: StateDetail) => void;
  /** Every change of a room's state. */
  room: (...event: RoomStateEvent) => void;
  /** A room joined (again). */
  joined: (detail: JoinedDetail) => void;
  /** The answer to a rejoin with a position: recovered, or why not (then reload the room's state). */
  recovered: (event: RecoveredEvent) => void;
  /** A REFRESH answered: the connection now lives until the new token's exp. */
  refreshed: (event: RefreshedEvent) => void;
  /**
   * Problems not tied to a waiting call: a rejoin refused for good (its room also fails), an ERROR
   * without a request, a fatal close (FATAL_CLOSE: 1002/1003/1007/1009, or 1008 without getToken), an
   * expired token without getToken (TOKEN_EXPIRED), a failing or hung getToken (TOKEN), a refused
   * REFRESH. With no 'error' listener, they go to console.warn.
   */
  error: (error: PushgateError) => void;
  /** Every message from the server, after the events above. */
  message: (message: ServerMessage) => void;
}

export interface RoomEvents {
  state: (...change: RoomStateChange) => void;
  joined: (detail: JoinedDetail) => void;
  failed: (error: PushgateError) => void;
  left: (detail: RoomStateDetail) => void;
  push: (event: PushEvent) => void;
  online: (event: OnlineEvent) => void;
  recovered: (event: RecoveredEvent) => void;
}

/**
 * code: the server's ERROR code (BAD_REQUEST, UNKNOWN_TYPE, BAD_ROOM, ROOM_LIMIT, FORBIDDEN; RATE_LIMITED
 * is retried, never reported to a join()) or the client's own: TIMEOUT (no answer in requestTimeoutMs),
 * DISCONNECTED (the socket closed before the answer; the room is joined again after the reconnect),
 * CLOSED (the client is closed), CANCELLED (leave() before the join was answered), LEFT (ready() on a
 * room not joined), TOKEN (getToken failed or gave no newer token), TOKEN_EXPIRED (a static token
 * expired), FATAL_CLOSE (the client stopped; see closeCode). BAD_ROOM is also checked before sending.
 */
export type PushgateErrorCode =
  | 'BAD_REQUEST' | 'UNKNOWN_TYPE' | 'BAD_ROOM' | 'ROOM_LIMIT' | 'FORBIDDEN' | 'RATE_LIMITED'
  | 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'CANCELLED' | 'LEFT' | 'TOKEN' | 'TOKEN_EXPIRED' | 'FATAL_CLOSE'
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

/**
 * One room of a client: client.room(name) gives the same object for the same name, until leave()
 * lets go of a room with no listeners of its own; room(name) then gives a new one, and join() on the
 * old one takes the name back, unless room(name) gave that new one first.
 */
export class Room {
  readonly name: string;
  readonly state: RoomState;
  /** Why the room failed, or null. */
  readonly error: PushgateError | null;
  /** For a stream: the position of the last item handed to the application, or null. */
  readonly position: StreamPosition | null;
  on<E extends keyof RoomEvents>(event: E, listener: RoomEvents[E]): () => void;
  off<E extends keyof RoomEvents>(event: E, listener: RoomEvents[E]): void;
  /**
   * Resolves once the room is joined (at once when it is), through any reconnects and retries; rejects
   * with the room's error when it fails, LEFT when it is left, TIMEOUT after timeoutMs (no limit when absent).
   */
  ready(timeoutMs?: number): Promise<JoinedDetail>;
  /** client.join(name, options), for this object: a handle leave() let go of is the name's room again. */
  join(options?: JoinOptions): Promise<JoinedDetail>;
  leave(): Promise<void>;
}

export class PushgateClient {
  constructor(url?: string, options?: ConnectOptions);
  /** The current state. */
  readonly state: PushgateState;
  /** Rooms this client is in or is joining (again). */
  readonly rooms: string[];
  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof PushgateEvents>(event: E, listener: PushgateEvents[E]): () => void;
  off<E extends keyof PushgateEvents>(event: E, listener: PushgateEvents[E]): void;
  /** The handle of a room (its state, events, ready()). */
  room(name: string): Room;
  /**
   * Joins `room`; resolves on the server's ACK. The room stays wanted (joined again after every
   * reconnect, with its options and, for streams, its position) until leave() or close(), or until the
   * server refuses it for good: then this rejects with the server's code and the room fails.
   * RATE_LIMITED is retried. Rejects with TIMEOUT (no answer requestTimeoutMs after the JOIN was sent)
   * or DISCONNECTED, and the room is still being joined then (see Room.ready()).
   */
  join(room: string, options?: JoinOptions): Promise<JoinedDetail>;
  /**
   * Leaves `room`; resolves on the ACK, at once when no socket is open, and when the socket closes
   * before the ACK (a new connection starts in no room). Rejects on ERROR or TIMEOUT.
   */
  leave(room: string): Promise<void>;
  /**
   * Sets the token for the next (re)connect, and sends it as a REFRESH when a socket is open (again
   * after a pause when refused for now: RATE_LIMITED). Without getToken, a close 1008 before the
   * connection took it reconnects with it, while it has not expired.
   */
  setToken(token: string): void;
  /** Closes with 1000 for good: no reconnect; rooms are left, pending join() calls reject with CLOSED. */
  close(reason?: string): void;
}

/**
 * Opens a client and starts connecting at once. `url`: wss://host/connect or ws://...; a relative or
 * http(s) address resolves against the page (http→ws, https→wss); default '/connect'.
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
  maxInFlight: number;
  rateLimitDelayMs: number;
  refreshBeforeMs: number;
  tokenTimeoutMs: number;
}>;

/** The action for each close code PROTOCOL.md defines; others are 'backoff'. */
export const CLOSE_ACTIONS: Readonly<Record<number, CloseAction>>;

/** 'overload' closes (1013, 4002) back off from at least this attempt (a window of base * 2^n). */
export const OVERLOAD_MIN_ATTEMPT: number;

/** ERROR codes that refuse a request only for now (retried): RATE_LIMITED. */
export const TEMPORARY_ERRORS: readonly string[];

/** Whether a code is worth a retry (TEMPORARY_ERRORS, TIMEOUT, DISCONNECTED). */
export function isTemporary(code: string): boolean;

/** What the client does after close `code`; 1008 is 'fatal' unless a token can be renewed. */
export function closePolicy(code: number, options?: {canRenewToken?: boolean}): CloseAction;

/** Full-jitter backoff: uniform in [0, min(maxMs, baseMs * 2^attempt)). */
export function backoffDelay(attempt: number, baseMs?: number, maxMs?: number, random?: () => number): number;

/** Why `room` is not a valid room id (empty, over 128 characters, Cc/Cf/Zl/Zp characters, `*`), or null. */
export function roomProblem(room: unknown): string | null;

/** The claims of a JWT, read without verifying; null when it is not one. */
export function tokenClaims(token: unknown): Record<string, unknown> | null;

/** A JWT's exp in ms since the epoch, or null. */
export function tokenExpiry(token: unknown): number | null;

/** Whether `token` is a JWT whose `exp` has passed, or passes within `withinMs` (not verified). */
export function tokenExpired(token: unknown, nowMs?: number, withinMs?: number): boolean;

/**
 * How long until a token expiring at expiryMs, received at receivedMs, should be renewed:
 * refreshBeforeMs (or a third of its life) before renewalExpiry.
 */
export function refreshDelay(expiryMs: number, receivedMs: number, nowMs: number, refreshBeforeMs?: number, issuedAtMs?: number | null,
  previousOffsetMs?: number | null): number;

/**
 * When the server closes a connection holding this token, on this device's clock, as the renewal is
 * scheduled by: the life (exp - iat) from the arrival for a clock behind (arrival before iat), and
 * where renewing by exp would come within a third of the life of the arrival while exp was past at
 * the arrival or the token before was as far from its arrival (previousOffsetMs, within 5 s); else exp.
 */
export function renewalExpiry(expiryMs: number, receivedMs: number, issuedAtMs?: number | null, previousOffsetMs?: number | null,
  refreshBeforeMs?: number): number;

/** A JWT's iat in ms since the epoch, or null. */
export function tokenIssuedAt(token: unknown): number | null;
