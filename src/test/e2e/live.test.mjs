// pushgate.js in Node against a real pushgate node (target/pushgate.jar on free loopback ports) with
// limits tighter than the defaults the Kubernetes manifests keep (10 JOINs/s, 20 messages/s per connection), connection
// tokens, and a 3 s heartbeat timeout. Run after `mvn package`:
//   node --experimental-websocket --test src/test/e2e/live.test.mjs     (Node 22+: no flag needed)
// Every wait is a condition with a timeout; the only fixed waits are the spans a test is about
// (a silent client outliving the heartbeat timeout, a token outliving its exp).
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {connect} from '../../main/resources/webroot/pushgate.js';
import {freePort, startNode, token, until} from './pushgate-node.mjs';

const HEARTBEAT_TIMEOUT_MS = 3_000;
const NativeWebSocket = globalThis.WebSocket;

let node;
const clients = [];

before(async () => {
  assert.equal(typeof NativeWebSocket, 'function', 'Node needs a WebSocket: run node --experimental-websocket (Node 20) or Node 22+');
  node = await startNode('live', {
    PUSHGATE_JWT_HS256_SECRET: (await import('./pushgate-node.mjs')).TEST_SECRET,
    PUSHGATE_HEARTBEAT_TIMEOUT_MILLIS: String(HEARTBEAT_TIMEOUT_MS),
    PUSHGATE_MAX_JOINS_PER_SECOND: '10',
    PUSHGATE_MAX_MESSAGES_PER_SECOND: '20',
    PUSHGATE_ONLINE_INTERVAL_MILLIS: '200',
  });
});

after(async () => {
  clients.forEach((c) => c.pg.close());
  await node?.stop();
});

/**
 * A WebSocket class for the client that records what it sends, lets a test cut the current socket,
 * while `blocked` points new sockets at a closed port (a network that is down), and while `holdJoins`
 * keeps JOINs back until `releaseJoins()` (a JOIN still on its way while frames come the other way).
 */
function socketKit() {
  const kit = {sockets: [], blocked: false, deadPort: null, holdJoins: false, held: []};
  kit.WebSocket = class RecordingWebSocket extends NativeWebSocket {
    constructor(url) {
      const u = new URL(url);
      if (kit.blocked) {
        u.port = String(kit.deadPort);
      }
      super(u.toString());
      this.frames = [];
      kit.sockets.push(this);
    }

    send(text) {
      const frame = JSON.parse(text);
      this.frames.push(frame);
      if (kit.holdJoins && frame.type === 'JOIN') {
        kit.held.push(() => super.send(text));
      } else {
        super.send(text);
      }
    }
  };
  kit.releaseJoins = () => {
    kit.holdJoins = false;
    kit.held.splice(0).forEach((send) => send());
  };
  kit.current = () => kit.sockets.at(-1);
  kit.cut = () => kit.current().close(4000, 'cut by the test');
  kit.joinsOn = (ws) => ws.frames.filter((m) => m.type === 'JOIN');
  return kit;
}

/** A client with the kit's WebSocket and a record of its events. */
function liveClient(options = {}) {
  const kit = socketKit();
  const rec = {states: [], rooms: [], errors: [], pushes: [], recovered: [], refreshed: [], serverErrors: []};
  const pg = connect(node.wsUrl, {WebSocket: kit.WebSocket, heartbeatMs: 1_000, backoffBaseMs: 200, backoffMaxMs: 1_000, jitterMs: 200, ...options});
  pg.on('state', (s, d) => rec.states.push({s, ...d}));
  pg.on('room', (name, state, detail) => rec.rooms.push({name, state, code: detail?.code}));
  pg.on('error', (e) => rec.errors.push(e));
  pg.on('push', (p) => rec.pushes.push(p));
  pg.on('recovered', (r) => rec.recovered.push(r));
  pg.on('refreshed', (r) => rec.refreshed.push(r));
  pg.on('message', (m) => m.type === 'ERROR' && rec.serverErrors.push({code: m.data?.code, at: Date.now()}));
  const c = {pg, kit, rec};
  clients.push(c);
  return c;
}

const opens = (rec) => rec.states.filter((x) => x.s === 'open').length;
const itemsOf = (rec, room) => rec.pushes.filter((p) => p.room === room).flatMap((p) => p.items);

/** The room's connections as the node counts them (GET /rooms/{room} on the API port). */
async function online(room) {
  const response = await fetch(`${node.apiUrl}/rooms/${encodeURIComponent(room)}`);
  return (await response.json()).online;
}

/** Pushes one marker item to each room, and waits until the client got every one of them. */
async function pushToEach(c, rooms, tag) {
  for (const room of rooms) {
    await node.push(room, [{tag, room}]);
  }
  await until(`a "${tag}" push in each of the ${rooms.length} rooms`, () =>
    rooms.every((room) => itemsOf(c.rec, room).some((i) => i?.tag === tag)), {timeoutMs: 20_000, everyMs: 50});
}

describe('rooms under tight rate limits (10 JOINs/s, 20 messages/s)', {concurrency: false}, () => {
  const rooms = Array.from({length: 40}, (_, i) => 'forty-' + String(i).padStart(2, '0'));
  let c;
  let limitedAfterRestart = null;

  test('40 rooms are all joined, and all joined again after the node restarts: none lost', {timeout: 120_000}, async () => {
    c = liveClient({getToken: () => token('viewer-40', 3_600)});
    rooms.forEach((room) => c.pg.join(room).catch(() => {}));
    await Promise.all(rooms.map((room) => c.pg.room(room).ready(40_000)));
    await pushToEach(c, rooms, 'before');
    const before = c.rec.serverErrors.length;

    const restartedAt = Date.now();
    node = await node.restart(); // SIGTERM: every client gets 1001
    await until('all 40 rooms joined again', () => rooms.every((room) => c.pg.room(room).state === 'joined') && opens(c.rec) === 2,
      {timeoutMs: 40_000, everyMs: 50});
    await pushToEach(c, rooms, 'after');

    assert.deepEqual(c.rec.rooms.filter((r) => r.state === 'failed'), [], 'no room failed');
    assert.deepEqual(c.pg.rooms.sort(), [...rooms].sort());
    assert.ok(c.rec.states.every((x) => x.code !== 1008), 'never closed for flooding (1008)');
    limitedAfterRestart = c.rec.serverErrors.slice(before).filter((e) => e.code === 'RATE_LIMITED' && e.at >= restartedAt).length;
  });

  test('the rejoin right after the handshake meets no RATE_LIMITED (the rejoin allowance)', () => {
    assert.notEqual(limitedAfterRestart, null, 'the test above ran');
    assert.equal(limitedAfterRestart, 0, `${limitedAfterRestart} RATE_LIMITED answers during the rejoin of 40 rooms`);
  });

  test('RATE_LIMITED beyond the allowance is retried: 40 rooms left and 40 others joined, all of them', {timeout: 120_000}, async () => {
    const others = rooms.map((r) => r.replace('forty', 'other'));
    const limitedBefore = c.rec.serverErrors.filter((e) => e.code === 'RATE_LIMITED').length;
    await Promise.all(rooms.map((room) => c.pg.leave(room)));
    others.forEach((room) => c.pg.join(room).catch(() => {}));
    await Promise.all(others.map((room) => c.pg.room(room).ready(40_000)));
    const limited = c.rec.serverErrors.filter((e) => e.code === 'RATE_LIMITED').length - limitedBefore;
    assert.ok(limited > 0, 'the server did refuse some of the 80 requests for now');
    assert.deepEqual(c.pg.rooms.sort(), [...others].sort());
    await until('the node counts the client in none of the left rooms', async () => (await online(rooms[0])) === 0 && (await online(rooms[39])) === 0);
    await pushToEach(c, [others[0], others[39]], 'others');
    assert.equal(opens(c.rec), 2, 'the same connection throughout (no 1008)');
    c.pg.close();
  });
});

describe('final refusals', () => {
  test('FORBIDDEN is final: the room fails, the others stay, and it is not asked for again after a reconnect', {timeout: 60_000}, async () => {
    const c = liveClient({token: token('viewer-f', 3_600, ['ok-*'])});
    const joining = c.pg.join('vip-room');
    await assert.rejects(joining, (e) => e.code === 'FORBIDDEN' && e.room === 'vip-room');
    await c.pg.join('ok-1');
    assert.equal(c.pg.room('vip-room').state, 'failed');
    assert.equal(c.pg.room('vip-room').error.code, 'FORBIDDEN');
    const first = c.kit.current();
    c.kit.cut();
    await until('reconnected and ok-1 joined again', () => c.kit.current() !== first && opens(c.rec) === 2 && c.pg.room('ok-1').state === 'joined');
    assert.deepEqual(c.kit.joinsOn(c.kit.current()).map((m) => m.data.room), ['ok-1']);
    c.pg.close();
  });
});

describe('server pings', () => {
  test('a client that sends nothing stays connected past the heartbeat timeout (the node pings, the socket pongs)', {timeout: 60_000}, async () => {
    const c = liveClient({token: token('viewer-quiet', 3_600), heartbeatMs: 600_000});
    await c.pg.join('quiet');
    const t0 = Date.now();
    const sentBefore = c.kit.current().frames.length;
    // Three heartbeat timeouts: the span under test, watched for a close all along.
    await until('3 heartbeat timeouts', () => {
      const drop = c.rec.states.find((x) => x.s !== 'open');
      assert.equal(drop, undefined, `the socket closed after ${Date.now() - t0} ms: ${JSON.stringify(drop)}`);
      return Date.now() - t0 > 3 * HEARTBEAT_TIMEOUT_MS;
    }, {timeoutMs: 4 * HEARTBEAT_TIMEOUT_MS, everyMs: 100});
    assert.equal(c.kit.current().frames.length, sentBefore, 'the client itself sent nothing');
    assert.equal(opens(c.rec), 1);
    await pushToEach(c, ['quiet'], 'still-there');
    c.pg.close();
  });
});

describe('REFRESH', () => {
  test('tokens of a few seconds are refreshed in place: the connection outlives three expiries', {timeout: 60_000}, async () => {
    const expiries = [];
    const c = liveClient({getToken: () => {
      const t = token('viewer-r', 3);
      expiries.push(JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).exp * 1000);
      return t;
    }});
    await c.pg.join('refresh-room');
    await until('past the third token\'s exp', () => {
      assert.equal(opens(c.rec), 1, `reconnected: ${JSON.stringify(c.rec.states.at(-1))}`);
      return expiries.length >= 3 && Date.now() > expiries[2] + 500;
    }, {timeoutMs: 20_000, everyMs: 50});
    assert.ok(c.rec.refreshed.length >= 2, `${c.rec.refreshed.length} REFRESH answered`);
    assert.deepEqual(c.rec.refreshed.slice(0, 2).map((r) => r.expiresAt), expiries.slice(1, 3), 'each ACK for the token just fetched');
    assert.deepEqual(c.rec.errors, []);
    await pushToEach(c, ['refresh-room'], 'after-refreshes');
    assert.equal(opens(c.rec), 1);
    c.pg.close();
  });

  test('a narrowed rooms claim leaves the room: the client says so for that room only', {timeout: 60_000}, async () => {
    let rooms = ['nar-*'];
    const c = liveClient({getToken: () => token('viewer-n', 4, rooms)});
    await Promise.all([c.pg.join('nar-a'), c.pg.join('nar-b')]);
    rooms = ['nar-a'];
    await until('a REFRESH that left nar-b', () => c.rec.refreshed.some((r) => r.left.includes('nar-b')), {timeoutMs: 15_000, everyMs: 50});
    assert.equal(c.pg.room('nar-b').state, 'failed');
    assert.equal(c.pg.room('nar-b').error.code, 'FORBIDDEN');
    assert.equal(c.pg.room('nar-a').state, 'joined');
    assert.deepEqual(c.pg.rooms, ['nar-a']);
    await until('the node has the client in nar-a only', async () => (await online('nar-b')) === 0 && (await online('nar-a')) === 1);
    assert.equal(opens(c.rec), 1);
    c.pg.close();
  });
});

describe('streams', () => {
  test('the position is kept, the rejoin says since, missed items come once and in order', {timeout: 60_000}, async () => {
    const c = liveClient({token: token('viewer-s', 3_600)});
    const watcher = liveClient({token: token('watcher-s', 3_600)}); // stays: tells when the node fanned items out
    await watcher.pg.join('stream-1');
    c.kit.deadPort = await freePort(); // nobody listens there
    const joined = await c.pg.join('stream-1');
    assert.equal(typeof joined.offset, 'number', 'the ACK of a stream JOIN carries its position');
    assert.equal(typeof joined.epoch, 'string');
    const start = joined.offset;
    let epoch; // a stream nothing was pushed to has none yet: its first item gives it one
    for (let i = 1; i <= 3; i++) {
      epoch = (await node.push('stream-1', [`live-${i}`])).epoch;
    }
    await until('3 live items', () => itemsOf(c.rec, 'stream-1').length === 3);
    assert.deepEqual(c.pg.room('stream-1').position, {offset: start + 3, epoch});

    c.kit.blocked = true; // the network is down: the client cannot come back yet
    c.kit.cut();
    await until('reconnecting', () => c.pg.state === 'reconnecting');
    const missed = [];
    for (let i = 1; i <= 5; i++) {
      const answer = await node.push('stream-1', [`missed-${i}`]);
      missed.push(answer.offset);
    }
    assert.deepEqual(missed, [start + 4, start + 5, start + 6, start + 7, start + 8], 'the push API answers each item\'s offset');
    // Accepted is not yet delivered: once the watcher has them, the node has fanned them out.
    await until('the missed items delivered to the watcher', () => itemsOf(watcher.rec, 'stream-1').includes('missed-5'));
    c.kit.blocked = false;
    await until('the missed items', () => itemsOf(c.rec, 'stream-1').length >= 8, {timeoutMs: 20_000, everyMs: 50});
    await node.push('stream-1', ['live-after']);
    await until('the live item after them', () => itemsOf(c.rec, 'stream-1').includes('live-after'));

    const rejoin = c.kit.joinsOn(c.kit.current()).find((m) => m.data.room === 'stream-1');
    assert.deepEqual(rejoin.data.since, {offset: start + 3, epoch});
    assert.deepEqual(c.rec.recovered, [{room: 'stream-1', recovered: true, reason: undefined, missed: 5, offset: start + 8, epoch}]);
    assert.deepEqual(itemsOf(c.rec, 'stream-1'), ['live-1', 'live-2', 'live-3', 'missed-1', 'missed-2', 'missed-3', 'missed-4', 'missed-5', 'live-after']);
    const offsets = c.rec.pushes.filter((p) => p.room === 'stream-1').flatMap((p) => p.items.map((_, i) => p.offset - (p.items.length - 1 - i)));
    assert.deepEqual(offsets, Array.from({length: 9}, (_, i) => start + 1 + i), 'every offset once, in order');
    c.pg.close();
    watcher.pg.close();
  });

  test('join() with an earlier since on the joined stream, pushes going on: the items after it come once, in order, no gap told', {timeout: 60_000}, async () => {
    const c = liveClient({token: token('rewind-s', 3_600)});
    const joined = await c.pg.join('stream-2');
    const start = joined.offset;
    let epoch;
    for (let i = 1; i <= 5; i++) {
      epoch = (await node.push('stream-2', [`a-${i}`])).epoch;
    }
    await until('5 live items', () => itemsOf(c.rec, 'stream-2').length === 5);
    const before = c.rec.pushes.length;
    const arrived = []; // what the socket brought, whether the client hands it over yet or not
    c.pg.on('message', (m) => m.type === 'PUSH' && m.data.room === 'stream-2' && arrived.push(...m.data.items));
    c.kit.holdJoins = true; // the JOIN on its way while the node sends live frames: they come before its answer
    const again = c.pg.join('stream-2', {since: {offset: start + 2, epoch}});
    for (let i = 1; i <= 3; i++) {
      await node.push('stream-2', [`b-${i}`]);
    }
    await until('the live frames at the client, the JOIN not out yet', () => arrived.includes('b-3'));
    c.kit.releaseJoins();
    const detail = await again;
    assert.equal(detail.recovered, true);
    assert.equal(detail.missed, 6, 'a-3 ... a-5 and b-1 ... b-3');
    for (let i = 4; i <= 5; i++) {
      await node.push('stream-2', [`b-${i}`]);
    }
    await node.push('stream-2', ['after']);
    await until('the item pushed last', () => itemsOf(c.rec, 'stream-2').includes('after'));
    assert.deepEqual(c.rec.recovered.map((r) => [r.recovered, r.gap]), [[true, undefined]], 'no gap told');
    const since = c.rec.pushes.slice(before).filter((p) => p.room === 'stream-2');
    assert.deepEqual(since.flatMap((p) => p.items), ['a-3', 'a-4', 'a-5', 'b-1', 'b-2', 'b-3', 'b-4', 'b-5', 'after']);
    const offsets = since.flatMap((p) => p.items.map((_, i) => p.offset - (p.items.length - 1 - i)));
    assert.deepEqual(offsets, Array.from({length: 9}, (_, i) => start + 3 + i), 'every offset after since once, in order');
    c.pg.close();
  });
});
