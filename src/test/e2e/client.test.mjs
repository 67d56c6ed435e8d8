// Unit tests of pushgate.js that need no browser: backoff bounds, the close-code policy, and the
// client's state machine against a scripted stand-in WebSocket. Run: node --test src/test/e2e/
import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay, closePolicy, CLOSE_ACTIONS, connect, DEFAULTS, OVERLOAD_MIN_ATTEMPT, roomProblem, tokenExpired,
} from '../../main/resources/webroot/pushgate.js';
import {client, FAST, FakeSocket, fakePage, opened, waitFor, withWallClock} from './fake-socket.mjs';

describe('backoffDelay (full jitter)', () => {
  test('stays within [0, min(max, base * 2^attempt)) and doubles per attempt', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(30_000, 1_000 * 2 ** attempt);
      assert.equal(backoffDelay(attempt, 1_000, 30_000, () => 0), 0, 'full jitter reaches 0');
      const top = backoffDelay(attempt, 1_000, 30_000, () => 0.999999999);
      assert.ok(top < ceiling && top >= ceiling - 1, `attempt ${attempt}: ${top} vs ceiling ${ceiling}`);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(attempt, 1_000, 30_000);
        assert.ok(Number.isInteger(d) && d >= 0 && d < ceiling, `attempt ${attempt}: ${d}`);
      }
    }
  });

  test('is capped at max, also for absurd attempts', () => {
    assert.equal(backoffDelay(5_000, 1_000, 30_000, () => 0.5), 15_000);
    assert.equal(backoffDelay(Infinity, 1_000, 30_000, () => 0.5), 15_000);
    assert.equal(backoffDelay(-3, 1_000, 30_000, () => 0.5), 500);
    assert.equal(backoffDelay(NaN, 1_000, 30_000, () => 0.5), 500);
  });

  test('spreads clients over the whole window, not around its end', () => {
    const samples = Array.from({length: 2_000}, () => backoffDelay(4, 1_000, 30_000));
    const low = samples.filter((d) => d < 4_000).length;
    const high = samples.filter((d) => d >= 12_000).length;
    assert.ok(low > 300 && high > 300, `low ${low}, high ${high} of 2000 over [0, 16000)`);
  });

  test('defaults: 1 s first window, 30 s cap, heartbeat 25 s inside the 60 s server timeout', () => {
    assert.equal(DEFAULTS.backoffBaseMs, 1_000);
    assert.equal(DEFAULTS.backoffMaxMs, 30_000);
    assert.equal(DEFAULTS.heartbeatMs, 25_000);
    assert.ok(2 * DEFAULTS.heartbeatMs < 60_000, 'even one lost PING leaves time for the next');
  });
});

describe('closePolicy (PROTOCOL.md close codes)', () => {
  test('each code of the contract', () => {
    const expected = {
      1000: 'stop', 1001: 'soon', 1002: 'fatal', 1003: 'fatal', 1007: 'fatal', 1009: 'fatal', 1011: 'backoff',
      1013: 'overload', 4001: 'soon', 4002: 'overload',
    };
    for (const [code, action] of Object.entries(expected)) {
      assert.equal(closePolicy(Number(code)), action, 'close ' + code);
      assert.equal(CLOSE_ACTIONS[code], action, 'CLOSE_ACTIONS ' + code);
    }
  });

  test('1008 renews the token when the page can, else stops', () => {
    assert.equal(closePolicy(1008, {canRenewToken: true}), 'token');
    assert.equal(closePolicy(1008, {canRenewToken: false}), 'fatal');
    assert.equal(closePolicy(1008), 'fatal');
  });

  test('drops and unknown codes back off', () => {
    for (const code of [1005, 1006, 1015, 3000, 4999]) {
      assert.equal(closePolicy(code), 'backoff', 'close ' + code);
    }
  });
});

describe('helpers', () => {
  test('roomProblem follows PROTOCOL.md room ids', () => {
    assert.equal(roomProblem('默认房间'), null);
    assert.equal(roomProblem('a'.repeat(128)), null);
    assert.equal(roomProblem('😀'.repeat(128)), null, '128 code points, 256 UTF-16 units');
    assert.match(roomProblem('a'.repeat(129)), /longer/);
    assert.match(roomProblem(''), /non-empty/);
    assert.match(roomProblem(42), /non-empty string/);
    assert.match(roomProblem('a\nb'), /control/);
    assert.match(roomProblem('a\u0085b'), /control/);
    assert.match(roomProblem('a\ud800b'), /surrogate/);
  });

  test('tokenExpired reads exp without verifying', () => {
    const jwt = (claims) => 'e30.' + Buffer.from(JSON.stringify(claims)).toString('base64url') + '.sig';
    assert.equal(tokenExpired(jwt({exp: 100}), 100_001), true);
    assert.equal(tokenExpired(jwt({exp: 100}), 99_000), false);
    assert.equal(tokenExpired(jwt({sub: 'u'}), 1e15), false, 'no exp');
    assert.equal(tokenExpired('opaque-token', 1e15), false);
    assert.equal(tokenExpired(undefined), false);
  });
});

describe('client against a scripted server', () => {
  test('join resolves on ACK, sends numeric ids and the online flag, token in the URL', async () => {
    const c = client({token: 'a.b.c'});
    const ws = await opened(c);
    assert.equal(new URL(ws.url).searchParams.get('token'), 'a.b.c');
    assert.equal(new URL(ws.url).pathname, '/connect');
    const joined = c.pg.join('lobby', {online: true});
    const [join] = ws.sentOf('JOIN');
    assert.equal(typeof join.id, 'number');
    assert.deepEqual(join.data, {room: 'lobby', online: true});
    ws.deliver({type: 'ACK', id: join.id});
    await joined;
    assert.equal(c.pg.state, 'open');
    c.pg.close();
  });

  test('join called before the socket opens is sent on open', async () => {
    const c = client();
    const joined = c.pg.join('early');
    const ws = await opened(c);
    ws.ackAll('JOIN');
    await joined;
    assert.deepEqual(ws.sentOf('JOIN').map((m) => m.data), [{room: 'early'}]);
    c.pg.close();
  });

  test('ERROR with the id rejects with its code and drops the room', async () => {
    const c = client();
    const ws = await opened(c);
    const joining = c.pg.join('vip');
    const [join] = ws.sentOf('JOIN');
    ws.deliver({type: 'ERROR', id: join.id, data: {code: 'FORBIDDEN', message: 'not for you'}});
    await assert.rejects(joining, (e) => e.code === 'FORBIDDEN' && e.room === 'vip' && /not for you/.test(e.message));
    assert.deepEqual(c.pg.rooms, []);
    assert.equal(c.errors.length, 0, 'the rejection reports it, not an error event too');
    c.pg.close();
  });

  test('an invalid room is refused without a round trip', async () => {
    const c = client();
    await assert.rejects(c.pg.join(''), (e) => e.code === 'BAD_ROOM');
    c.pg.close();
  });

  test('no ACK in time rejects with TIMEOUT, the room stays wanted', async () => {
    const c = client();
    await opened(c);
    await assert.rejects(c.pg.join('slow'), (e) => e.code === 'TIMEOUT');
    assert.deepEqual(c.pg.rooms, ['slow']);
    c.pg.close();
  });

  test('a drop before the ACK rejects with DISCONNECTED; leave resolves', async () => {
    const c = client();
    const ws = await opened(c);
    const joining = c.pg.join('a');
    const leaving = c.pg.leave('b');
    ws.drop(1006);
    await assert.rejects(joining, (e) => e.code === 'DISCONNECTED' && e.closeCode === 1006);
    await leaving;
    c.pg.close();
  });

  test('pushes and ONLINE of joined rooms reach the listeners; others are dropped', async () => {
    const c = client();
    const ws = await opened(c);
    const pushes = [];
    const counts = [];
    c.pg.on('push', (p) => pushes.push(p));
    c.pg.on('online', (o) => counts.push(o));
    const joined = c.pg.join('r', {online: true});
    ws.ackAll('JOIN');
    await joined;
    ws.deliver({type: 'PUSH', data: {room: 'r', items: [{text: 'hi', ts: 1}, 2]}});
    ws.deliver({type: 'PUSH', data: {room: 'other', items: ['no']}});
    ws.deliver({type: 'PUSH', data: {items: ['to all']}});
    ws.deliver({type: 'ONLINE', data: {room: 'r', count: 3}});
    ws.deliver({type: 'ONLINE', data: {room: 'other', count: 9}});
    assert.deepEqual(pushes, [{room: 'r', items: [{text: 'hi', ts: 1}, 2]}, {room: null, items: ['to all']}]);
    assert.deepEqual(counts, [{room: 'r', count: 3}]);
    await c.pg.leave('r').catch(() => {});
    c.pg.close();
  });

  test('join() with {online: false} after {online: true}: the counts the server still sends are no events', async () => {
    const c = client();
    try {
      const ws = await opened(c);
      const counts = [];
      const roomCounts = [];
      c.pg.on('online', (o) => counts.push(o.count));
      c.pg.room('r').on('online', (o) => roomCounts.push(o.count));
      const watched = c.pg.join('r', {online: true});
      ws.ackAll('JOIN');
      await watched;
      ws.deliver({type: 'ONLINE', data: {room: 'r', count: 3}});
      const unwatched = c.pg.join('r', {online: false});
      const second = ws.sentOf('JOIN')[1];
      assert.deepEqual(second.data, {room: 'r'});
      ws.deliver({type: 'ONLINE', data: {room: 'r', count: 4}}); // before the answer: no longer asked for either
      ws.deliver({type: 'ACK', id: second.id});
      await unwatched;
      ws.deliver({type: 'ONLINE', data: {room: 'r', count: 7}}); // the server's watch only adds
      assert.deepEqual(counts, [3]);
      assert.deepEqual(roomCounts, [3]);
      const rewatched = c.pg.join('r', {online: true});
      ws.deliver({type: 'ACK', id: ws.sentOf('JOIN')[2].id});
      await rewatched;
      ws.deliver({type: 'ONLINE', data: {room: 'r', count: 8}});
      assert.deepEqual(counts, [3, 8]);
    } finally {
      c.pg.close();
    }
  });

  test('1001: reconnects at once (within the jitter) and joins every room again with its flag', async () => {
    const c = client({jitterMs: 50, backoffBaseMs: 5_000});
    const ws = await opened(c);
    const a = c.pg.join('a', {online: true});
    const b = c.pg.join('b');
    ws.ackAll('JOIN');
    await Promise.all([a, b]);
    const t0 = Date.now();
    ws.drop(1001, 'node shutting down');
    const retry = c.states.at(-1);
    assert.equal(retry.s, 'reconnecting');
    assert.equal(retry.code, 1001);
    assert.ok(retry.delayMs >= 0 && retry.delayMs < 50, 'delay ' + retry.delayMs);
    const ws2 = await opened(c, 1);
    assert.ok(Date.now() - t0 < 1_000, 'not the 5 s backoff');
    assert.deepEqual(ws2.sentOf('JOIN').map((m) => m.data), [{room: 'a', online: true}, {room: 'b'}]);
    const ids = [...ws.sent, ...ws2.sent].map((m) => m.id).filter((id) => id !== undefined);
    assert.equal(new Set(ids).size, ids.length, 'ids are never reused');
    assert.equal(c.pg.state, 'open');
    c.pg.close();
  });

  test('a room refused when joined again after a reconnect is dropped and reported as an error event', async () => {
    const c = client();
    const ws = await opened(c);
    const joined = Promise.all([c.pg.join('keep'), c.pg.join('vip')]);
    ws.ackAll('JOIN');
    await joined;
    ws.drop(1001);
    const ws2 = await opened(c, 1);
    const rejoin = ws2.sentOf('JOIN').find((m) => m.data.room === 'vip');
    ws2.deliver({type: 'ERROR', id: rejoin.id, data: {code: 'FORBIDDEN', message: 'token no longer allows vip'}});
    assert.deepEqual(c.errors.map((e) => [e.code, e.room]), [['FORBIDDEN', 'vip']]);
    assert.deepEqual(c.pg.rooms, ['keep']);
    c.pg.close();
  });

  test('repeated failures back off within the growing full-jitter windows', async () => {
    const c = client({backoffBaseMs: 4, backoffMaxMs: 16});
    let ws = await opened(c);
    ws.drop(1006);
    for (let n = 1; n <= 5; n++) {
      ws = await waitFor('attempt ' + n, () => c.socket(n));
      ws.drop(1006); // handshake refused: never opened
    }
    const delays = c.states.filter((s) => s.s === 'reconnecting').map((s) => [s.attempt, s.delayMs]);
    delays.forEach(([attempt, delay]) => {
      assert.ok(delay >= 0 && delay < Math.min(16, 4 * 2 ** (attempt - 1)), `attempt ${attempt} delay ${delay}`);
    });
    assert.deepEqual(delays.map(([a]) => a), [1, 2, 3, 4, 5, 6]);
    c.pg.close();
  });

  test('1013 and 4002 back off from a wider window', async () => {
    for (const code of [1013, 4002]) {
      const c = client({backoffBaseMs: 3, backoffMaxMs: 1_000});
      const ws = await opened(c);
      ws.drop(code);
      const retry = c.states.at(-1);
      assert.equal(retry.s, 'reconnecting');
      assert.ok(retry.delayMs < 3 * 2 ** OVERLOAD_MIN_ATTEMPT, `${code}: ${retry.delayMs}`);
      assert.equal(retry.attempt, OVERLOAD_MIN_ATTEMPT + 1);
      await waitFor('retry after ' + code, () => c.socket(1));
      c.pg.close();
    }
  });

  test('1008: asks getToken (async) for a new token, then reconnects with it', async () => {
    let calls = 0;
    const c = client({token: 'old', getToken: async () => 'new-' + ++calls});
    const ws = await opened(c);
    ws.drop(1008, 'token expired');
    const ws2 = await waitFor('reconnect', () => c.socket(1));
    assert.equal(calls, 1);
    assert.equal(new URL(ws2.url).searchParams.get('token'), 'new-1');
    c.pg.close();
  });

  test('getToken is used for the first connect when no token is given', async () => {
    const c = client({getToken: () => 'fresh'});
    const ws = await waitFor('socket', () => c.socket(0));
    assert.equal(new URL(ws.url).searchParams.get('token'), 'fresh');
    c.pg.close();
  });

  test('a failing getToken is reported and retried with backoff', async () => {
    let calls = 0;
    const c = client({getToken: () => {
      if (++calls < 3) {
        throw new Error('auth server down');
      }
      return 'ok';
    }});
    const ws = await waitFor('socket', () => c.socket(0));
    assert.equal(calls, 3);
    assert.equal(new URL(ws.url).searchParams.get('token'), 'ok');
    assert.deepEqual(c.errors.map((e) => e.code), ['TOKEN', 'TOKEN']);
    c.pg.close();
  });

  test('requests refused with RATE_LIMITED go out again in the order they were first sent', async () => {
    const c = client({token: 't', rateLimitDelayMs: 20});
    const ws = await opened(c);
    const a = c.pg.join('a');
    await waitFor('JOIN a', () => ws.sentOf('JOIN').length === 1);
    ws.ackAll('JOIN');
    await a;
    const left = c.pg.leave('a');
    const b = c.pg.join('b');
    await waitFor('LEAVE a and JOIN b', () => ws.sentOf('LEAVE').length === 1 && ws.sentOf('JOIN').length === 2);
    const sent = ws.sent.length;
    for (const m of ws.sent.slice(sent - 2)) {
      ws.deliver({type: 'ERROR', id: m.id, data: {code: 'RATE_LIMITED', message: 'too fast'}});
    }
    // After the pause the queue resumes one request at a time: the first sent again is the LEAVE.
    const first = await waitFor('the first sent again', () => ws.sent[sent]);
    assert.equal(first.type + ' ' + first.data.room, 'LEAVE a', 'the LEAVE first, as the page asked: the JOIN could otherwise meet maxRoomsPerConnection');
    // Refused again (the server's bucket still empty): it stays ahead of the JOIN that waited meanwhile.
    ws.deliver({type: 'ERROR', id: first.id, data: {code: 'RATE_LIMITED', message: 'too fast'}});
    const again = await waitFor('the LEAVE sent a third time', () => ws.sent[sent + 1]);
    assert.equal(again.type + ' ' + again.data.room, 'LEAVE a', 'still before the JOIN');
    ws.deliver({type: 'ACK', id: again.id});
    await left;
    const second = await waitFor('the JOIN sent again', () => ws.sent[sent + 2]);
    assert.equal(second.type + ' ' + second.data.room, 'JOIN b');
    ws.deliver({type: 'ACK', id: second.id});
    await b;
    c.pg.close();
  });

  test('close() from a listener of a getToken failure stays closed: no retry, no more getToken', async () => {
    let calls = 0;
    const c = client({getToken: () => {
      calls++;
      throw new Error('401');
    }});
    c.pg.on('error', (e) => e.code === 'TOKEN' && c.pg.close());
    await waitFor('the first getToken', () => calls === 1);
    await waitFor('closed', () => c.states.some((x) => x.s === 'closed'));
    // Longer than FAST's whole backoff (40 ms at most): a retry armed after the close would have asked again.
    const until = performance.now() + 150;
    await waitFor('time for a retry to show', () => performance.now() >= until);
    assert.equal(calls, 1, 'getToken asked once');
    assert.deepEqual(c.states.map((x) => x.s), ['closed'], 'no reconnecting after the close: ' + JSON.stringify(c.states));
    assert.equal(FakeSocket.all.length, 0, 'no socket opened');
  });

  test('close() from a listener of reconnecting stays closed, offline too, and closed is told once', async () => {
    const page = fakePage();
    try {
      const c = client({token: 't'});
      await opened(c);
      c.pg.on('state', (s) => s === 'reconnecting' && c.pg.close());
      page.offline(); // drops the socket; the retry then finds the browser offline
      await waitFor('closed', () => c.states.some((x) => x.s === 'closed'));
      const until = performance.now() + 150;
      await waitFor('time for a retry to show', () => performance.now() >= until);
      assert.equal(FakeSocket.all.length, 1, 'no second socket');
      assert.equal(c.states.filter((x) => x.s === 'closed').length, 1);
      assert.equal(c.states.at(-1).s, 'closed', JSON.stringify(c.states));
    } finally {
      page.restore();
    }
  });

  test('close() from a listener of a fatal close\'s error: one closed', async () => {
    const c = client({token: 't'});
    const ws = await opened(c);
    c.pg.on('error', () => c.pg.close());
    ws.drop(1003);
    await waitFor('closed', () => c.states.some((x) => x.s === 'closed'));
    assert.equal(c.states.filter((x) => x.s === 'closed').length, 1, JSON.stringify(c.states));
  });

  test('1008 without getToken stops with an error', async () => {
    const c = client({token: 't'});
    const ws = await opened(c);
    ws.drop(1008);
    assert.equal(c.pg.state, 'closed');
    assert.equal(c.errors[0].code, 'FATAL_CLOSE');
    assert.equal(c.errors[0].closeCode, 1008);
  });

  test('1008 without getToken for a static token that expired while connected: TOKEN_EXPIRED, as before a connect', async () => {
    const expiresAt = Date.now() + 300;
    const token = 'e30.' + Buffer.from(JSON.stringify({exp: expiresAt / 1000})).toString('base64url') + '.sig';
    const c = client({token});
    const ws = await opened(c);
    await waitFor('the token past its exp', () => Date.now() > expiresAt || null);
    ws.drop(1008, 'token expired');
    assert.equal(c.pg.state, 'closed');
    assert.deepEqual(c.errors.map((e) => [e.code, e.closeCode]), [['TOKEN_EXPIRED', 1008]]);
  });

  for (const code of [1002, 1003, 1007, 1009]) {
    test(`${code}: a client bug, stops and emits an error, pending calls reject`, async () => {
      const c = client();
      const ws = await opened(c);
      c.pg.leave('x');
      ws.drop(code, 'bad frame');
      assert.equal(c.pg.state, 'closed');
      assert.equal(c.errors.length, 1);
      assert.equal(c.errors[0].code, 'FATAL_CLOSE');
      assert.equal(c.errors[0].closeCode, code);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(FakeSocket.all.length, 1, 'no reconnect');
      await assert.rejects(c.pg.join('y'), (e) => e.code === 'CLOSED');
    });
  }

  test('close(): code 1000, state closed, no reconnect, queued joins reject with CLOSED', async () => {
    const c = client();
    const joining = c.pg.join('x'); // queued: the socket is not open yet
    const ws = await opened(c);
    ws.sent.length = 0;
    c.pg.close();
    assert.equal(ws.closedWith.code, 1000);
    assert.equal(c.pg.state, 'closed');
    await assert.rejects(joining, (e) => e.code === 'CLOSED');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(FakeSocket.all.length, 1);
  });

  test('a server 1000 is a normal end: no reconnect', async () => {
    const c = client();
    const ws = await opened(c);
    ws.drop(1000);
    assert.equal(c.pg.state, 'closed');
    assert.equal(c.errors.length, 0);
  });

  test('heartbeat: a PING each interval; a PING left unanswered drops the socket and reconnects', async () => {
    const c = client({heartbeatMs: 20});
    const ws = await opened(c);
    await waitFor('first PING', () => ws.sentOf('PING').length === 1);
    ws.deliver({type: 'PONG', data: {}});
    await waitFor('second PING', () => ws.sentOf('PING').length === 2);
    // no PONG this time: the next tick gives the socket up
    const ws2 = await waitFor('reconnect after a silent server', () => c.socket(1));
    assert.equal(ws.closedWith.code, 4000);
    assert.ok(ws2);
    c.pg.close();
  });

  test('heartbeat: a wall clock set back an hour does not hide a silent server', () => withWallClock(async (setBack) => {
    const c = client({heartbeatMs: 20});
    const ws = await opened(c);
    await waitFor('first PING', () => ws.sentOf('PING').length === 1);
    setBack(); // no PONG, and the device's clock is set back
    const ws2 = await waitFor('reconnect after a silent server', () => c.socket(1));
    assert.equal(ws.closedWith.code, 4000);
    assert.ok(ws2);
    c.pg.close();
  }));

  test('a socket that never opens is given up after connectTimeoutMs', async () => {
    const c = client({connectTimeoutMs: 20});
    await waitFor('first socket', () => c.socket(0));
    await waitFor('second socket', () => c.socket(1));
    assert.equal(c.states.find((s) => s.s === 'reconnecting').code, 1006);
    c.pg.close();
  });

  test("an 'error' event nobody listens to goes to console.warn; with a listener, to the listener alone", async () => {
    const warned = [];
    const warn = console.warn;
    console.warn = (...args) => warned.push(args);
    FakeSocket.all = [];
    const pg = connect('ws://127.0.0.1:7777/connect', {WebSocket: FakeSocket, ...FAST}); // no 'error' listener
    try {
      const ws = await waitFor('socket', () => FakeSocket.all[0]);
      ws.open();
      ws.deliver({type: 'ERROR', data: {code: 'BAD_REQUEST', message: 'data missing'}});
      assert.deepEqual(warned.map(([text, e]) => [text, e.code, e.message]), [['pushgate: an error event nobody listens to:', 'BAD_REQUEST', 'data missing']]);
      const heard = [];
      pg.on('error', (e) => heard.push(e.code));
      ws.deliver({type: 'ERROR', data: {code: 'UNKNOWN_TYPE', message: 'unknown type X'}});
      assert.deepEqual(heard, ['UNKNOWN_TYPE']);
      assert.equal(warned.length, 1, 'no warning when someone listens');
    } finally {
      pg.close();
      console.warn = warn;
    }
  });

  test('options are validated', () => {
    assert.throws(() => connect('ws://h/connect', {WebSocket: FakeSocket, heartbeatMs: 0}), RangeError);
    assert.throws(() => connect('ws://h/connect', {WebSocket: FakeSocket, backoffMaxMs: -1}), RangeError);
    assert.throws(() => connect('ws://h/connect', {WebSocket: FakeSocket, heartbeatMs: Number.MAX_SAFE_INTEGER}), RangeError,
      'more than a timer holds: a browser would fire it at once');
    assert.throws(() => connect('ws://h/connect', {WebSocket: FakeSocket, requestTimeoutMs: 2 ** 31}), RangeError);
    connect('ws://h/connect', {WebSocket: FakeSocket, heartbeatMs: 2 ** 31 - 1}).close();
    assert.throws(() => connect('/connect', {WebSocket: FakeSocket}), TypeError, 'relative address without a page');
  });
});
