// Unit tests of pushgate.js's rooms, retries, streams, tokens and page life, against a scripted
// server (FakeSocket). Run: node --test src/test/e2e/
import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {DEFAULTS, isTemporary, refreshDelay, renewalExpiry, roomProblem, tokenExpiry, tokenIssuedAt, VERSION} from '../../main/resources/webroot/pushgate.js';
import {client, fakePage, FakeSocket, jwt, opened, waitFor, withClockAhead, withWallClock} from './fake-socket.mjs';

const joinsOf = (ws) => ws.sentOf('JOIN');
const ack = (ws, m, data) => ws.deliver(data ? {type: 'ACK', id: m.id, data} : {type: 'ACK', id: m.id});
const refuse = (ws, m, code) => ws.deliver({type: 'ERROR', id: m.id, data: {code, message: code + ' for the test'}});

/** Runs `fn(c)` with a scripted client of `options`, closed after it whatever happens: a failed check leaves no timer running. */
async function withClient(options, fn) {
  const c = client(options);
  try {
    return await fn(c);
  } finally {
    c.pg.close();
  }
}

/** Records every room event of the client: [name, state, code?]. */
function roomLog(pg) {
  const log = [];
  pg.on('room', (name, state, detail) => log.push(detail?.code ? [name, state, detail.code] : [name, state]));
  return log;
}

describe('room ids and helpers', () => {
  test('roomProblem refuses *, format characters and line/paragraph separators, as the server does', () => {
    assert.match(roomProblem('game-*'), /\*/);
    assert.match(roomProblem('a\u200bb'), /format/, 'zero width space (Cf)');
    assert.match(roomProblem('\ufeffa'), /format/, 'byte order mark (Cf)');
    assert.match(roomProblem('a\u2028b'), /separator/, 'line separator (Zl)');
    assert.match(roomProblem('a\u2029b'), /separator/, 'paragraph separator (Zp)');
    assert.match(roomProblem('a\u0000b'), /control/);
    assert.match(roomProblem('tag\udb40\udc01'), /format/, 'a supplementary format character (U+E0001)');
    assert.equal(roomProblem('*a\u0000'), "room contains '*', which token room patterns use as a wildcard", 'the first problem, as the server says it');
    assert.equal(roomProblem('a b\u00a0c'), null, 'spaces (Zs) are fine');
    assert.equal(roomProblem('默认房间'), null);
    assert.equal(roomProblem('game:42/chat'), null);
  });

  test('VERSION has the form the server reads for /pushgate-VERSION.js', () => {
    assert.match(VERSION, /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/);
  });

  test('only RATE_LIMITED (and the client-side TIMEOUT, DISCONNECTED) are temporary', () => {
    for (const code of ['RATE_LIMITED', 'TIMEOUT', 'DISCONNECTED']) {
      assert.equal(isTemporary(code), true, code);
    }
    for (const code of ['FORBIDDEN', 'BAD_ROOM', 'ROOM_LIMIT', 'BAD_REQUEST', 'UNKNOWN_TYPE', 'SOMETHING_NEW']) {
      assert.equal(isTemporary(code), false, code);
    }
  });

  test('refreshDelay: refreshBeforeMs ahead of exp, at 2/3 of a short life', () => {
    assert.equal(refreshDelay(3_600_000, 0, 0, 30_000), 3_570_000, 'an hour-long token: 30 s before');
    assert.equal(refreshDelay(6_000, 0, 0, 30_000), 4_000, 'a 6 s token: after 4 s');
    assert.equal(refreshDelay(6_000, 0, 5_000, 30_000), 0, 'overdue: at once');
    assert.equal(tokenExpiry(jwt({exp: 1_700_000_000})), 1_700_000_000_000);
    assert.equal(tokenExpiry('not.a.jwt'), null);
  });

  test('refreshDelay: a client clock more than a minute off counts the token\'s life (exp - iat) from its arrival', () => {
    const iat = 1_700_000_000_000;
    const exp = iat + 300_000; // a 5-minute token
    const fast = iat + 600_000; // this clock 10 minutes ahead: the token would look expired on arrival
    assert.equal(refreshDelay(exp, fast, fast, 30_000, iat), 270_000, 'clock ahead: 30 s before its life ends, not at once');
    const slow = iat - 600_000;
    assert.equal(refreshDelay(exp, slow, slow, 30_000, iat), 270_000, 'clock behind: not 10 minutes late');
    const close = iat + 20_000; // within a minute: this clock (and a token kept a little) as they are
    assert.equal(refreshDelay(exp, close, close, 30_000, iat), 250_000);
    assert.equal(refreshDelay(exp, fast, fast, 30_000), 0, 'without iat nothing tells the clock is off');
    // An hour-long token an auth library kept for 20 minutes before handing it out (this clock right):
    // the server closes at its exp, so the refresh is 30 s before that, not 20 minutes after.
    const hour = iat + 3_600_000;
    assert.equal(refreshDelay(hour, iat + 1_200_000, iat + 1_200_000, 30_000, iat), 2_370_000, 'a kept token: before its exp');
    // The same token with this clock 5 minutes ahead: exp as it stands, 5 minutes early (safe), not after it.
    assert.equal(refreshDelay(hour, iat + 300_000, iat + 300_000, 30_000, iat), 3_270_000, 'clock ahead, exp still ahead');
    // A clock 59.5 minutes ahead: the first token is renewed early (once), and the next one, whose iat is
    // as far from its arrival, is taken for the clock's offset: its whole life, not another 0.5 s.
    const ahead = 3_569_500;
    assert.equal(refreshDelay(hour, iat + ahead, iat + ahead, 30_000, iat), 500, 'the first: early, once');
    const iat2 = iat + 1_000;
    assert.equal(refreshDelay(iat2 + 3_600_000, iat2 + ahead, iat2 + ahead, 30_000, iat2, ahead), 3_570_000,
      'the next, as far from its arrival: a clock ahead, no renewal every half second');
    // A kept token with less than refreshBeforeMs left (a 24 h token, 90 s left, renewed 120 s ahead): at
    // once, not a day later.
    const day = iat + 86_400_000;
    assert.equal(refreshDelay(day, day - 90_000, day - 90_000, 120_000, iat), 0, 'a kept token near its exp: at once');
    assert.equal(renewalExpiry(day, day - 90_000, iat), day);
    assert.equal(renewalExpiry(day, day - 90_000, iat, 86_313_000), day - 90_000 + 86_400_000,
      'the same offset as the token before (within 5 s): the clock, the life from the arrival');
    // A library that renews its tokens on a schedule of its own (Firebase, 5 min before exp) hands out
    // each one 4.5 minutes old when the client renews 30 s before exp: the same age every time, but
    // most of the life left, so exp as it stands: never after the server's close.
    // A 30 s token and this clock 40 s ahead: exp past at the arrival, inside the minute's tolerance:
    // its life from the arrival (20 s to the renewal), not a renewal at once, again and again.
    assert.equal(refreshDelay(iat + 30_000, iat + 40_000, iat + 40_000, 30_000, iat), 20_000, 'short token, clock a little ahead');
    // This clock 45 s behind: renewed by the life from the arrival, 45 s before exp on this clock, not after the server's close.
    assert.equal(refreshDelay(hour, iat - 45_000, iat - 45_000, 30_000, iat), 3_570_000, 'clock behind, inside the tolerance');
    // A 100 s token, this clock 65 s ahead: the first renewed early (5 s), the next ones by their life (70 s), not every 5 s.
    assert.equal(refreshDelay(iat + 100_000, iat + 65_000, iat + 65_000, 30_000, iat), 5_000);
    assert.equal(refreshDelay(iat + 100_000, iat + 65_000, iat + 65_000, 30_000, iat, 65_000), 70_000);
    const kept = 270_000;
    assert.equal(renewalExpiry(hour, iat + kept, iat, kept), hour, 'a kept age that repeats: exp');
    assert.equal(refreshDelay(hour, iat + kept, iat + kept, 30_000, iat, kept), 3_300_000);
    assert.equal(tokenIssuedAt(jwt({exp: 1_700_000_300, iat: 1_700_000_000})), 1_700_000_000_000);
    assert.equal(tokenIssuedAt(jwt({exp: 1_700_000_300})), null);
  });
});

describe('per-room state and temporary errors', () => {
  test('states: joining, joined on ACK, left on leave(); room() is one object per name', async () => {
    const c = client();
    const log = roomLog(c.pg);
    const room = c.pg.room('lobby');
    const joinedDetails = []; // pushgate.d.ts: for 'joined', the detail of 'room' and Room 'state' events is a JoinedDetail
    c.pg.on('room', (name, state, detail) => state === 'joined' && joinedDetails.push(detail));
    room.on('state', (state, detail) => state === 'joined' && joinedDetails.push(detail));
    assert.equal(room, c.pg.room('lobby'));
    assert.equal(room.state, 'left');
    const joined = c.pg.join('lobby');
    assert.equal(room.state, 'joining');
    const ws = await opened(c);
    ack(ws, joinsOf(ws)[0], {room: 'lobby', offset: 4, epoch: 'e'});
    const detail = await joined;
    assert.deepEqual(detail, {room: 'lobby', rejoin: false, offset: 4, epoch: 'e'});
    assert.deepEqual(joinedDetails, [detail, detail]);
    assert.equal(room.state, 'joined');
    const leaving = c.pg.leave('lobby');
    assert.equal(room.state, 'left');
    ack(ws, ws.sentOf('LEAVE')[0]);
    await leaving;
    assert.deepEqual(log, [['lobby', 'joining'], ['lobby', 'joined'], ['lobby', 'left']]);
    c.pg.close();
  });

  test('leave() lets go of a room nobody listens to; a room with listeners stays the same object', async () => {
    const c = client();
    const ws = await opened(c);
    const plain = c.pg.room('chat-1');
    const watched = c.pg.room('chat-2');
    const pushes = [];
    watched.on('push', (e) => pushes.push(...e.items));
    const joins = [c.pg.join('chat-1'), c.pg.join('chat-2')];
    for (const m of joinsOf(ws)) {
      ack(ws, m);
    }
    await Promise.all(joins);
    const leaving = [c.pg.leave('chat-1'), c.pg.leave('chat-2')];
    for (const m of ws.sentOf('LEAVE')) {
      ack(ws, m);
    }
    await Promise.all(leaving);
    assert.equal(plain.state, 'left');
    assert.notEqual(c.pg.room('chat-1'), plain, 'let go of: a new object, as for a room never seen');
    assert.equal(c.pg.room('chat-1').state, 'left');
    assert.equal(c.pg.room('chat-2'), watched, 'its listener would be lost with a new object');
    const again = c.pg.join('chat-2');
    ack(ws, joinsOf(ws)[2]);
    await again;
    ws.deliver({type: 'PUSH', data: {room: 'chat-2', items: ['back']}});
    await waitFor('the push reaches the listener of the room joined again', () => pushes.length === 1);
    c.pg.close();
  });

  test('join() on a handle leave() let go of takes the name back: its state, events and ready() are the room\'s', () => withClient({}, async (c) => {
    const ws = await opened(c);
    const handle = c.pg.room('chat-3');
    const first = handle.join();
    ack(ws, joinsOf(ws)[0]);
    await first;
    const leaving = handle.leave();
    ack(ws, ws.sentOf('LEAVE')[0]);
    await leaving;
    assert.equal(handle.state, 'left');
    const again = handle.join(); // before any pg.room('chat-3'): that would give a new object
    assert.equal(handle.state, 'joining');
    assert.deepEqual(joinsOf(ws)[1].data, {room: 'chat-3'});
    ack(ws, joinsOf(ws)[1]);
    assert.deepEqual(await again, {room: 'chat-3', rejoin: false});
    assert.equal(handle.state, 'joined');
    assert.equal(c.pg.room('chat-3'), handle, 'the same object for the name again');
    assert.deepEqual(await handle.ready(1_000), {room: 'chat-3', rejoin: false});
    const pushes = [];
    const off = handle.on('push', (e) => pushes.push(e.items));
    ws.deliver({type: 'PUSH', data: {room: 'chat-3', items: ['hi']}});
    assert.deepEqual(pushes, [['hi']]);
    // room(name) gave a new object after the leave: that one is the room, the old handle joins it.
    off(); // no listeners: let go of again
    const leavingAgain = handle.leave();
    ack(ws, ws.sentOf('LEAVE')[1]);
    await leavingAgain;
    const fresh = c.pg.room('chat-3');
    assert.notEqual(fresh, handle);
    const third = handle.join();
    ack(ws, joinsOf(ws)[2]);
    await third;
    assert.equal(fresh.state, 'joined');
    assert.equal(handle.state, 'left');
    assert.equal(c.pg.room('chat-3'), fresh);
  }));

  test('RATE_LIMITED: a wall clock set back an hour during the pause does not stretch it', () => withWallClock(async (setBack) => {
    const c = client({rateLimitDelayMs: 40});
    const ws = await opened(c);
    const joined = c.pg.join('busy');
    const [first] = joinsOf(ws);
    refuse(ws, first, 'RATE_LIMITED');
    setBack();
    const second = await waitFor('the JOIN sent again', () => joinsOf(ws)[1]);
    ack(ws, second);
    await joined;
    c.pg.close();
  }));

  test('RATE_LIMITED is not final: the JOIN is sent again after a pause and the join() resolves', async () => {
    const c = client({rateLimitDelayMs: 40});
    const ws = await opened(c);
    const joined = c.pg.join('busy');
    const [first] = joinsOf(ws);
    const t0 = Date.now();
    refuse(ws, first, 'RATE_LIMITED');
    assert.equal(c.pg.room('busy').state, 'joining');
    const second = await waitFor('the JOIN sent again', () => joinsOf(ws)[1]);
    assert.ok(Date.now() - t0 >= 20, 'after a pause of at least half rateLimitDelayMs, not at once');
    assert.notEqual(second.id, first.id);
    ack(ws, second);
    await joined;
    assert.equal(c.pg.room('busy').state, 'joined');
    assert.equal(c.errors.length, 0, 'a temporary refusal is no error event');
    c.pg.close();
  });

  test('FORBIDDEN, BAD_ROOM, ROOM_LIMIT are final: the room fails with the code and is not joined again', async () => {
    for (const code of ['FORBIDDEN', 'BAD_ROOM', 'ROOM_LIMIT']) {
      const c = client();
      const ws = await opened(c);
      const failed = [];
      c.pg.room('vip').on('failed', (e) => failed.push(e.code));
      const joining = c.pg.join('vip');
      refuse(ws, joinsOf(ws)[0], code);
      await assert.rejects(joining, (e) => e.code === code);
      assert.equal(c.pg.room('vip').state, 'failed');
      assert.equal(c.pg.room('vip').error.code, code);
      assert.deepEqual(failed, [code]);
      await assert.rejects(c.pg.room('vip').ready(50), (e) => e.code === code);
      assert.deepEqual(c.pg.rooms, []);
      ws.drop(1001);
      const ws2 = await opened(c, 1);
      assert.deepEqual(joinsOf(ws2), [], code + ': not joined again after a reconnect');
      c.pg.room('vip').leave().catch(() => {});
      assert.equal(c.pg.room('vip').state, 'left', 'leave() lets go of a failed room');
      assert.equal(c.pg.room('vip').error, null);
      c.pg.close();
    }
  });

  test('a rejoin refused after a reconnect: the room fails, the app hears it from the room and the client', async () => {
    const c = client();
    const log = roomLog(c.pg);
    const ws = await opened(c);
    const joined = Promise.all([c.pg.join('keep'), c.pg.join('vip')]);
    ws.ackAll('JOIN');
    await joined;
    ws.drop(1001);
    const ws2 = await opened(c, 1);
    const rejoin = joinsOf(ws2).find((m) => m.data.room === 'vip');
    refuse(ws2, rejoin, 'FORBIDDEN');
    ack(ws2, joinsOf(ws2).find((m) => m.data.room === 'keep'));
    assert.deepEqual(log.filter(([name]) => name === 'vip'), [['vip', 'joining'], ['vip', 'joined'], ['vip', 'joining'], ['vip', 'failed', 'FORBIDDEN']]);
    assert.deepEqual(c.pg.rooms, ['keep']);
    assert.equal(c.pg.room('keep').state, 'joined');
    c.pg.close();
  });

  test('40 rooms rejoin at most maxInFlight at a time; a RATE_LIMITED round pauses the queue and shrinks the window', async () => {
    const c = client({maxInFlight: 8, rateLimitDelayMs: 30});
    const ws = await opened(c);
    const names = Array.from({length: 40}, (_, i) => 'r' + i);
    names.forEach((n) => c.pg.join(n).catch(() => {}));
    const all = Promise.all(names.map((n) => c.pg.room(n).ready(5_000)));
    assert.equal(joinsOf(ws).length, 8, 'no more than the window before answers');
    // The "server": 10 JOINs allowed, then RATE_LIMITED for each JOIN sent within 20 ms of the last refusal.
    let accepted = 0;
    let refusedAt = -Infinity;
    const answered = new Set();
    let rounds = 0;
    for (let i = 0; i < 2_000 && accepted < 40; i++) {
      for (const m of joinsOf(ws)) {
        if (answered.has(m.id)) {
          continue;
        }
        answered.add(m.id);
        if (accepted < 10 || Date.now() - refusedAt > 20) {
          accepted++;
          ack(ws, m);
        } else {
          rounds++;
          refusedAt = Date.now();
          refuse(ws, m, 'RATE_LIMITED');
        }
        if (accepted === 10 && rounds === 0) {
          rounds++;
          refusedAt = Date.now();
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await all;
    assert.equal(accepted, 40);
    assert.ok(names.every((n) => c.pg.room(n).state === 'joined'));
    const sent = joinsOf(ws).map((m) => m.data.room);
    assert.equal(new Set(sent).size, 40, 'every room joined');
    assert.ok(sent.length < 40 + 20, `few refusals per round thanks to the window of 1 after a refusal: ${sent.length} JOINs`);
    c.pg.close();
  });

  test('after a RATE_LIMITED pause the queue resumes one at a time, whatever answers to earlier JOINs come late', async () => {
    const c = client({maxInFlight: 16, rateLimitDelayMs: 30});
    try {
      const ws = await opened(c);
      const names = Array.from({length: 30}, (_, i) => 'r' + i);
      names.forEach((n) => c.pg.join(n).catch(() => {}));
      const first = joinsOf(ws);
      assert.equal(first.length, 16);
      // The refusals of a message limit come at once; the ACKs of the JOINs it let through come later.
      first.slice(10).forEach((m) => refuse(ws, m, 'RATE_LIMITED'));
      first.slice(0, 10).forEach((m) => ack(ws, m));
      const resumed = await waitFor('the queue resumed', () => joinsOf(ws)[16]);
      await new Promise((r) => setTimeout(r, 20)); // time for more to go out, if the window let them
      assert.equal(joinsOf(ws).length, 17, 'one JOIN after the pause, not the window the late ACKs would reopen');
      ack(ws, resumed);
      await waitFor('the next one, after an answer to one sent since the pause', () => joinsOf(ws)[17]);
    } finally {
      c.pg.close();
    }
  });

  test('a RATE_LIMITED without a request (a PING refused for now) pauses the JOINs and is no error', async () => {
    const c = client({rateLimitDelayMs: 200, backoffMaxMs: 1_000});
    const ws = await opened(c);
    ws.deliver({type: 'ERROR', data: {code: 'RATE_LIMITED', message: 'more than maxMessagesPerSecond'}});
    const t0 = Date.now();
    const joined = c.pg.join('after-pause');
    assert.equal(joinsOf(ws).length, 0, 'held back by the pause');
    const join = await waitFor('the JOIN after the pause', () => joinsOf(ws)[0]);
    assert.ok(Date.now() - t0 >= 90, `sent after ${Date.now() - t0} ms`);
    ack(ws, join);
    await joined;
    assert.deepEqual(c.errors, []);
    c.pg.close();
  });

  test('open is announced after the rejoins went out: joining on open sends no JOIN twice', async () => {
    const c = client();
    const ws = await opened(c);
    const joined = c.pg.join('a');
    ack(ws, joinsOf(ws)[0]);
    await joined;
    let joinsAtOpen = null;
    c.pg.on('state', (s) => {
      if (s === 'open') {
        joinsAtOpen = joinsOf(FakeSocket.all.at(-1)).length;
        c.pg.join('a').catch(() => {});
      }
    });
    ws.drop(1001);
    const ws2 = await opened(c, 1);
    assert.equal(joinsAtOpen, 1, 'the rejoin was out before open was announced');
    assert.equal(joinsOf(ws2).length, 1, 'no second JOIN for the same room');
    c.pg.close();
  });

  test('ready() waits through a reconnect and a retry, and times out when nothing answers', async () => {
    const c = client({rateLimitDelayMs: 10});
    const ws = await opened(c);
    c.pg.join('r').catch(() => {});
    ws.drop(1006); // before any answer
    const ready = c.pg.room('r').ready(2_000);
    const ws2 = await opened(c, 1);
    refuse(ws2, joinsOf(ws2)[0], 'RATE_LIMITED');
    const again = await waitFor('JOIN again', () => joinsOf(ws2)[1]);
    ack(ws2, again);
    assert.equal((await ready).room, 'r');
    c.pg.join('never').catch(() => {});
    await assert.rejects(c.pg.room('never').ready(30), (e) => e.code === 'TIMEOUT');
    await assert.rejects(c.pg.room('unknown').ready(30), (e) => e.code === 'LEFT');
    c.pg.close();
  });

  test("join() timeouts start when the JOIN is sent, not when asked for while disconnected", async () => {
    const c = client({requestTimeoutMs: 60});
    let settled = null;
    c.pg.join('late').then(() => (settled = 'resolved'), (e) => (settled = e.code));
    await waitFor('first socket', () => c.socket(0));
    await new Promise((r) => setTimeout(r, 150)); // the page is offline for longer than the timeout
    assert.equal(settled, null, 'no TIMEOUT while the JOIN could not be sent');
    const ws = await opened(c);
    ack(ws, joinsOf(ws)[0]);
    await waitFor('settled', () => settled);
    assert.equal(settled, 'resolved');
    c.pg.close();
  });

  test('a JOIN without answer rejects join() with TIMEOUT and is asked again; the room stays joining', async () => {
    const c = client({requestTimeoutMs: 40});
    const ws = await opened(c);
    await assert.rejects(c.pg.join('slow'), (e) => e.code === 'TIMEOUT');
    assert.equal(c.pg.room('slow').state, 'joining');
    const again = await waitFor('JOIN again', () => joinsOf(ws)[1]);
    ack(ws, again);
    await c.pg.room('slow').ready(1_000);
    c.pg.close();
  });
});

describe('late answers', () => {
  test('a late ACK of a timed-out JOIN cancels its retry: the room is joined, no second JOIN goes out', async () => {
    const c = client({requestTimeoutMs: 40, backoffBaseMs: 150, backoffMaxMs: 150});
    const ws = await opened(c);
    await assert.rejects(c.pg.join('s'), (e) => e.code === 'TIMEOUT');
    ack(ws, joinsOf(ws)[0], {room: 's', offset: 0, epoch: '0'});
    assert.equal(c.pg.room('s').state, 'joined');
    // Absence can only be watched for: past the retry's backoff (150 ms) twice over.
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(joinsOf(ws).length, 1, 'a second JOIN would take the connection out of the room until answered');
    assert.equal(c.pg.room('s').state, 'joined');
    c.pg.close();
  });
});

describe('late answers, a room left and joined again', () => {
  test('a late ACK of a JOIN sent before leave() is no answer to the next join() of that name (a new Room)', () => withClient({maxInFlight: 2}, async (c) => {
    const ws = await opened(c);
    c.pg.join('a').catch(() => {}); // CANCELLED by the leave()
    c.pg.join('b').catch(() => {});
    const [joinA, joinB] = joinsOf(ws);
    c.pg.leave('a').catch(() => {}); // its LEAVE waits for a slot; nobody listens to the room: let go of
    let settled = null;
    const again = c.pg.join('a'); // a new Room object; its JOIN waits behind the LEAVE
    again.then(() => (settled = 'resolved'), (e) => (settled = e.code));
    ack(ws, joinA, {room: 'a', offset: 0, epoch: '0'}); // the answer to the JOIN of the earlier life
    assert.equal(c.pg.room('a').state, 'joining', 'the server took it out again with the LEAVE that follows');
    await Promise.resolve();
    assert.equal(settled, null);
    assert.deepEqual(ws.sent.map((m) => [m.type, m.data.room]), [['JOIN', 'a'], ['JOIN', 'b'], ['LEAVE', 'a']]);
    ack(ws, ws.sentOf('LEAVE')[0]);
    const rejoin = joinsOf(ws)[2];
    assert.deepEqual(rejoin.data, {room: 'a'});
    ack(ws, rejoin, {room: 'a', offset: 0, epoch: '0'});
    assert.deepEqual(await again, {room: 'a', rejoin: false, offset: 0, epoch: '0'});
    assert.equal(c.pg.room('a').state, 'joined');
    ack(ws, joinB);
  }));
});

describe('late answers, new options', () => {
  test('a late ACK does not cancel a queued retry that now carries new options', async () => {
    const c = client({requestTimeoutMs: 300, backoffBaseMs: 10, backoffMaxMs: 10, maxInFlight: 1});
    const ws = await opened(c);
    c.pg.join('s').catch(() => {});
    c.pg.join('x').catch(() => {}); // waits for the one slot
    await waitFor('x sent after s timed out', () => joinsOf(ws).find((m) => m.data.room === 'x'), 1_000);
    // s's retry (10 ms backoff) queues behind x, which has 300 ms to be answered: absence of a send is all there is to see.
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(joinsOf(ws).filter((m) => m.data.room === 's').length, 1);
    const online = c.pg.join('s', {online: true}); // new options while the retry waits for the slot
    ack(ws, joinsOf(ws)[0], {room: 's', offset: 0, epoch: '0'}); // the late answer to the first JOIN of s
    ack(ws, joinsOf(ws).find((m) => m.data.room === 'x'), {room: 'x', offset: 0, epoch: '0'});
    const again = await waitFor('s joined again with online', () => joinsOf(ws).filter((m) => m.data.room === 's')[1], 1_000);
    assert.equal(again.data.online, true);
    ack(ws, again, {room: 's', offset: 0, epoch: '0'});
    await online;
    c.pg.close();
  });
});

describe('options changed while a JOIN is out, then the JOIN refused for now', () => {
  test('the JOIN sent again carries the new options, and no third follows its answer', async () => {
    const c = client({rateLimitDelayMs: 20});
    try {
      const ws = await opened(c);
      const first = c.pg.join('s');
      const online = c.pg.join('s', {online: true}); // marks s to be sent again after the answer
      const [sent] = joinsOf(ws);
      refuse(ws, sent, 'RATE_LIMITED');
      const again = await waitFor('the JOIN sent again', () => joinsOf(ws)[1]);
      assert.equal(again.data.online, true, 'the retry carries the options as they are now');
      ack(ws, again, {room: 's', offset: 0, epoch: '0'});
      await Promise.all([first, online]);
      // Absence can only be watched for: past the pause (rateLimitDelayMs 20 ms) several times over.
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(joinsOf(ws).length, 2, 'a third JOIN would take the connection out of the room until answered');
      assert.equal(c.pg.room('s').state, 'joined');
    } finally {
      c.pg.close();
    }
  });
});

describe('streams: positions, since, no offset twice', () => {
  test('the ACK position, PUSH offsets, since on the rejoin, duplicates dropped, recovered reported', async () => {
    const c = client();
    const ws = await opened(c);
    const pushes = [];
    const recovered = [];
    c.pg.on('push', (p) => pushes.push(p));
    c.pg.on('recovered', (r) => recovered.push(r));
    const joined = c.pg.join('s');
    assert.equal(joinsOf(ws)[0].data.since, undefined, 'a first JOIN has no since');
    ack(ws, joinsOf(ws)[0], {room: 's', offset: 10, epoch: 'e1'});
    assert.deepEqual(await joined, {room: 's', rejoin: false, offset: 10, epoch: 'e1'});
    assert.deepEqual(c.pg.room('s').position, {offset: 10, epoch: 'e1'});
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['i11', 'i12'], offset: 12, epoch: 'e1'}});
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['low'], epoch: 'e1'}}); // low priority: no offset
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['i12', 'i13'], offset: 13, epoch: 'e1'}}); // overlaps
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['i12'], offset: 12, epoch: 'e1'}}); // all seen
    assert.deepEqual(pushes.map((p) => p.items), [['i11', 'i12'], ['low'], ['i13']]);
    assert.equal(pushes[2].offset, 13);
    ws.drop(1006);
    const ws2 = await opened(c, 1);
    assert.deepEqual(joinsOf(ws2)[0].data, {room: 's', since: {offset: 13, epoch: 'e1'}});
    ack(ws2, joinsOf(ws2)[0], {room: 's', recovered: true, offset: 15, epoch: 'e1'});
    ws2.deliver({type: 'PUSH', data: {room: 's', items: ['i13', 'i14', 'i15'], offset: 15, epoch: 'e1'}});
    assert.deepEqual(recovered, [{room: 's', recovered: true, reason: undefined, missed: 2, offset: 15, epoch: 'e1'}]);
    assert.deepEqual(pushes.at(-1).items, ['i14', 'i15']);
    assert.equal(c.pg.room('s').state, 'joined');
    // The stream's history is gone: a new epoch; its numbering starts again and nothing of it is dropped.
    ws2.drop(1001);
    const ws3 = await opened(c, 2);
    assert.deepEqual(joinsOf(ws3)[0].data.since, {offset: 15, epoch: 'e1'});
    ack(ws3, joinsOf(ws3)[0], {room: 's', recovered: false, reason: 'EPOCH_CHANGED', offset: 3, epoch: 'e2'});
    ws3.deliver({type: 'PUSH', data: {room: 's', items: ['n4'], offset: 4, epoch: 'e2'}});
    assert.deepEqual(recovered.at(-1), {room: 's', recovered: false, reason: 'EPOCH_CHANGED', missed: undefined, offset: 3, epoch: 'e2'});
    assert.deepEqual(pushes.at(-1).items, ['n4']);
    assert.deepEqual(c.pg.room('s').position, {offset: 4, epoch: 'e2'});
    c.pg.close();
  });

  /** A client (of `options`) in stream room s, joined at `position`, with what it hands over. */
  async function inStream(position, options = {}) {
    const c = client(options);
    const ws = await opened(c);
    const pushes = [];
    const recovered = [];
    c.pg.on('push', (p) => pushes.push(p.items));
    c.pg.on('recovered', (r) => recovered.push(r));
    const joined = c.pg.join('s');
    ack(ws, joinsOf(ws)[0], {room: 's', ...position});
    await joined;
    return {c, ws, pushes, recovered};
  }

  test('a live frame that skips offsets is reported (recovered: false, HISTORY_GONE, gap) and handed over', async () => {
    const {c, ws, pushes, recovered} = await inStream({offset: 10, epoch: 'e1'});
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['i11'], offset: 11, epoch: 'e1'}});
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['i15', 'i16'], offset: 16, epoch: 'e1'}}); // 12-14 skipped
    assert.deepEqual(recovered, [{room: 's', recovered: false, reason: 'HISTORY_GONE', skipped: 3, offset: 16, epoch: 'e1', gap: true}]);
    assert.deepEqual(pushes, [['i11'], ['i15', 'i16']]);
    assert.deepEqual(c.pg.room('s').position, {offset: 16, epoch: 'e1'});
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['i17'], offset: 17, epoch: 'e1'}});
    assert.equal(recovered.length, 1, 'contiguous again: nothing more to tell');
    c.pg.close();
  });

  test('a live frame of another epoch is reported (recovered: false, EPOCH_CHANGED, gap), an empty stream\'s first is not', async () => {
    const {c, ws, pushes, recovered} = await inStream({offset: 0, epoch: '0'}); // nothing pushed to it yet
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['a1', 'a2'], offset: 2, epoch: 'e1'}});
    assert.deepEqual(recovered, [], 'the first items of an empty stream change no numbering');
    // The numbering starts again (a split's halves both numbered items): offset 1 of e2 is not a duplicate.
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['b1'], offset: 1, epoch: 'e2'}});
    assert.deepEqual(recovered, [{room: 's', recovered: false, reason: 'EPOCH_CHANGED', offset: 1, epoch: 'e2', gap: true}]);
    assert.deepEqual(pushes, [['a1', 'a2'], ['b1']]);
    assert.deepEqual(c.pg.room('s').position, {offset: 1, epoch: 'e2'});
    ws.deliver({type: 'PUSH', data: {room: 's', items: ['b2'], offset: 2, epoch: 'e2'}});
    assert.equal(recovered.length, 1, 'the same numbering again: nothing more to tell');
    c.pg.close();
  });

  test('a stream joined while empty (offset 0, epoch "0") whose first live frame starts above offset 1 reports the skipped offsets', async () => {
    const {c, ws, pushes, recovered} = await inStream({offset: 0, epoch: '0'}); // nothing pushed to it yet
    try {
      ws.deliver({type: 'PUSH', data: {room: 's', items: ['a3', 'a4'], offset: 4, epoch: 'e1'}}); // 1-2 skipped
      assert.deepEqual(recovered, [{room: 's', recovered: false, reason: 'HISTORY_GONE', skipped: 2, offset: 4, epoch: 'e1', gap: true}]);
      assert.deepEqual(pushes, [['a3', 'a4']]);
      assert.deepEqual(c.pg.room('s').position, {offset: 4, epoch: 'e1'});
      ws.deliver({type: 'PUSH', data: {room: 's', items: ['a5'], offset: 5, epoch: 'e1'}});
      assert.equal(recovered.length, 1, 'contiguous again: nothing more to tell');
    } finally {
      c.pg.close();
    }
  });

  test('a room that is not a stream: no position, no since, pushes pass through', async () => {
    const c = client();
    const ws = await opened(c);
    const joined = c.pg.join('plain');
    ack(ws, joinsOf(ws)[0]);
    await joined;
    ws.deliver({type: 'PUSH', data: {room: 'plain', items: [1]}});
    ws.drop(1006);
    const ws2 = await opened(c, 1);
    assert.deepEqual(joinsOf(ws2)[0].data, {room: 'plain'});
    assert.equal(c.pg.room('plain').position, null);
    c.pg.close();
  });

  test('NO_HISTORY (with the position 0 of epoch "0" the server gives it) leaves no position to rejoin with', async () => {
    const c = client();
    const ws = await opened(c);
    const joined = c.pg.join('plain', {since: {offset: 5, epoch: 'e1'}});
    ack(ws, joinsOf(ws)[0], {room: 'plain', recovered: false, reason: 'NO_HISTORY', offset: 0, epoch: '0'});
    assert.equal((await joined).reason, 'NO_HISTORY');
    assert.equal(c.pg.room('plain').position, null);
    ws.drop(1006);
    const ws2 = await opened(c, 1);
    assert.deepEqual(joinsOf(ws2)[0].data, {room: 'plain'}, 'no since: nothing to recover in a room without history');
    c.pg.close();
  });

  test('join() with a since that is no position is refused (BAD_REQUEST), not sent without it', async () => {
    const c = client();
    const ws = await opened(c);
    for (const since of [{offset: '7', epoch: 'e'}, {offset: -1, epoch: 'e'}, {offset: 1.5, epoch: 'e'}, {offset: 7}]) {
      await assert.rejects(c.pg.join('s', {since}), (e) => e.code === 'BAD_REQUEST' && /since/.test(e.message), JSON.stringify(since));
    }
    assert.equal(joinsOf(ws).length, 0);
    assert.equal(c.pg.room('s').position, null);
    c.pg.close();
  });

  test('join() with since (a page rendered at a position) sends it; leave() forgets the position', async () => {
    const c = client();
    const ws = await opened(c);
    const joined = c.pg.join('s', {since: {offset: 7, epoch: 'e'}});
    assert.deepEqual(joinsOf(ws)[0].data, {room: 's', since: {offset: 7, epoch: 'e'}});
    ack(ws, joinsOf(ws)[0], {room: 's', recovered: true, offset: 9, epoch: 'e'});
    assert.equal((await joined).missed, 2);
    c.pg.leave('s').catch(() => {});
    assert.equal(c.pg.room('s').position, null);
    c.pg.close();
  });

  /** The items i`from` ... i`to` of stream s. */
  const items = (from, to) => Array.from({length: to - from + 1}, (_, k) => 'i' + (from + k));
  const joinsOfS = (ws) => joinsOf(ws).filter((m) => m.data.room === 's');

  /** Pauses the client's queue for rateLimitDelayMs: a JOIN of another room refused RATE_LIMITED. */
  function pauseQueue(c, ws) {
    c.pg.join('other').catch(() => {});
    refuse(ws, joinsOf(ws).at(-1), 'RATE_LIMITED');
  }

  test('join() with an earlier since on a joined stream: live frames wait for its answer, then the items after since come once, in order', async () => {
    const {c, ws, pushes, recovered} = await inStream({offset: 100, epoch: 'E'});
    try {
      const again = c.pg.join('s', {since: {offset: 50, epoch: 'E'}});
      const sent = joinsOf(ws)[1];
      assert.deepEqual(sent.data, {room: 's', since: {offset: 50, epoch: 'E'}});
      assert.deepEqual(c.pg.room('s').position, {offset: 100, epoch: 'E'}, 'the position moves with the answer, not with the call');
      // Sent before the server read the JOIN: within what its replay brings.
      ws.deliver({type: 'PUSH', data: {room: 's', items: ['i101'], offset: 101, epoch: 'E'}});
      assert.deepEqual(pushes, [], 'held back: handed over now, it would come before 51 ... 100');
      assert.deepEqual(recovered, [], 'no gap: 101 does not follow 50, but the replay comes first');
      ack(ws, sent, {room: 's', recovered: true, offset: 101, epoch: 'E'});
      const detail = await again;
      assert.equal(detail.recovered, true);
      assert.equal(detail.missed, 51);
      assert.deepEqual(recovered, [{room: 's', recovered: true, reason: undefined, missed: 51, offset: 101, epoch: 'E'}]);
      assert.deepEqual(c.pg.room('s').position, {offset: 50, epoch: 'E'});
      ws.deliver({type: 'PUSH', data: {room: 's', items: items(51, 101), offset: 101, epoch: 'E'}});
      ws.deliver({type: 'PUSH', data: {room: 's', items: ['i102'], offset: 102, epoch: 'E'}});
      assert.deepEqual(pushes, [items(51, 101), ['i102']]);
      assert.equal(recovered.length, 1, 'no gap reported');
      assert.deepEqual(c.pg.room('s').position, {offset: 102, epoch: 'E'});
      assert.equal(joinsOf(ws).length, 2);
    } finally {
      c.pg.close();
    }
  });

  test('join() with an earlier since while the queue is paused (RATE_LIMITED): the JOIN carries that since, not the position live frames reached', async () => {
    const {c, ws, pushes, recovered} = await inStream({offset: 100, epoch: 'E'}, {rateLimitDelayMs: 100});
    try {
      pauseQueue(c, ws);
      const again = c.pg.join('s', {since: {offset: 50, epoch: 'E'}});
      assert.equal(joinsOfS(ws).length, 1, 'paused: the JOIN waits in the queue');
      ws.deliver({type: 'PUSH', data: {room: 's', items: ['i101', 'i102'], offset: 102, epoch: 'E'}}); // live, the room still in
      assert.deepEqual(pushes, []);
      const sent = await waitFor('the JOIN of s after the pause', () => joinsOfS(ws)[1]);
      assert.deepEqual(sent.data, {room: 's', since: {offset: 50, epoch: 'E'}});
      ack(ws, sent, {room: 's', recovered: true, offset: 102, epoch: 'E'});
      assert.equal((await again).missed, 52);
      ws.deliver({type: 'PUSH', data: {room: 's', items: items(51, 102), offset: 102, epoch: 'E'}});
      assert.deepEqual(pushes, [items(51, 102)]);
      assert.deepEqual(recovered.map((r) => [r.recovered, r.missed, r.gap]), [[true, 52, undefined]]);
    } finally {
      c.pg.close();
    }
  });

  test('a reconnect while a JOIN with an asked-for since is queued or out: the rejoin carries that since', async () => {
    const {c, ws, pushes} = await inStream({offset: 100, epoch: 'E'}, {rateLimitDelayMs: 60_000});
    try {
      pauseQueue(c, ws); // a pause far longer than the test
      c.pg.join('s', {since: {offset: 50, epoch: 'E'}}).catch(() => {});
      ws.deliver({type: 'PUSH', data: {room: 's', items: ['i101'], offset: 101, epoch: 'E'}});
      ws.drop(1006);
      const ws2 = await opened(c, 1);
      const queued = joinsOfS(ws2)[0];
      assert.deepEqual(queued.data, {room: 's', since: {offset: 50, epoch: 'E'}}, 'queued when the socket dropped');
      ws2.drop(1006); // out, unanswered
      const ws3 = await opened(c, 2);
      const out = joinsOfS(ws3)[0];
      assert.deepEqual(out.data, {room: 's', since: {offset: 50, epoch: 'E'}}, 'sent but not answered when the socket dropped');
      ack(ws3, out, {room: 's', recovered: true, offset: 101, epoch: 'E'});
      ws3.deliver({type: 'PUSH', data: {room: 's', items: items(51, 101), offset: 101, epoch: 'E'}});
      assert.deepEqual(pushes, [items(51, 101)]);
      await c.pg.room('s').ready(2_000);
      ws3.drop(1006);
      const ws4 = await opened(c, 3);
      assert.deepEqual(joinsOfS(ws4)[0].data, {room: 's', since: {offset: 101, epoch: 'E'}}, 'answered: the position again');
    } finally {
      c.pg.close();
    }
  });

  test('a second since asked for while the first one\'s JOIN is out: only the second is answered to the app', async () => {
    const {c, ws, pushes, recovered} = await inStream({offset: 100, epoch: 'E'});
    try {
      const first = c.pg.join('s', {since: {offset: 50, epoch: 'E'}});
      const second = c.pg.join('s', {since: {offset: 80, epoch: 'E'}});
      assert.equal(joinsOf(ws).length, 2, 'one JOIN out at a time');
      ack(ws, joinsOf(ws)[1], {room: 's', recovered: true, offset: 100, epoch: 'E'});
      ws.deliver({type: 'PUSH', data: {room: 's', items: items(51, 100), offset: 100, epoch: 'E'}}); // its replay
      const resent = await waitFor('the JOIN with the second since', () => joinsOf(ws)[2]);
      assert.deepEqual(resent.data, {room: 's', since: {offset: 80, epoch: 'E'}});
      assert.deepEqual(pushes, [], 'the replay of a since no longer asked for is held back too');
      assert.deepEqual(recovered, []);
      ack(ws, resent, {room: 's', recovered: true, offset: 100, epoch: 'E'});
      ws.deliver({type: 'PUSH', data: {room: 's', items: items(81, 100), offset: 100, epoch: 'E'}});
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.missed, 20);
      assert.equal(b.missed, 20);
      assert.deepEqual(pushes, [items(81, 100)]);
      assert.deepEqual(recovered.map((r) => r.missed), [20]);
    } finally {
      c.pg.close();
    }
  });
});

describe('tokens', () => {
  test('a REFRESH refused for now is sent again before the connection\'s token expires, the same token too', async () => {
    const fresh = jwt({sub: 'u', exp: (Date.now() + 3_600_000) / 1000}); // getToken's cache: the same token each time
    const c = client({token: jwt({sub: 'u', exp: (Date.now() + 1_500) / 1000}), getToken: () => fresh});
    const ws = await opened(c);
    const first = await waitFor('REFRESH', () => ws.sentOf('REFRESH')[0], 2_000);
    assert.equal(first.data.token, fresh);
    ws.deliver({type: 'ERROR', id: first.id, data: {code: 'RATE_LIMITED', message: 'more than maxMessagesPerSecond'}});
    // The server still holds the first token: the retry must come before it expires, not before the new one does.
    const second = await waitFor('REFRESH again', () => ws.sentOf('REFRESH')[1], 500);
    assert.equal(second.data.token, fresh);
    ws.deliver({type: 'ACK', id: second.id, data: {}});
    assert.deepEqual(c.errors.map((e) => e.code), []);
    c.pg.close();
  });

  test('setToken() without getToken: a REFRESH refused for now is sent again after its pause, with the token held now', () => withClient({
    token: jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600}), rateLimitDelayMs: 20,
  }, async (c) => {
    const ws = await opened(c);
    const refreshed = [];
    c.pg.on('refreshed', (r) => refreshed.push(r));
    const fresh = jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 7200});
    c.pg.setToken(fresh);
    const [first] = ws.sentOf('REFRESH');
    assert.equal(first.data.token, fresh);
    refuse(ws, first, 'RATE_LIMITED');
    const second = await waitFor('the REFRESH sent again', () => ws.sentOf('REFRESH')[1]);
    assert.equal(second.data.token, fresh);
    ack(ws, second, {left: []});
    assert.deepEqual(refreshed, [{expiresAt: tokenExpiry(fresh), left: []}]);
    assert.deepEqual(c.errors, [], 'a refusal for now is no error');
  }));

  test('1008 without getToken, the connection never took the token setToken() gave since: reconnects with it, not FATAL_CLOSE', () => withClient({
    token: jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600}),
  }, async (c) => {
    const ws = await opened(c);
    const fresh = jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 7200});
    c.pg.setToken(fresh);
    refuse(ws, ws.sentOf('REFRESH')[0], 'RATE_LIMITED');
    ws.drop(1008, 'token expired'); // the old token's exp came before the REFRESH went through
    const ws2 = await opened(c, 1);
    assert.equal(new URL(ws2.url).searchParams.get('token'), fresh);
    assert.equal(c.pg.state, 'open');
    assert.deepEqual(c.errors, []);
    assert.deepEqual(ws2.sentOf('REFRESH'), [], 'opened with the token it would have sent');
    ws2.drop(1008, 'token refused'); // now the token the connection holds: the same would be refused again
    assert.equal(c.pg.state, 'closed');
    assert.deepEqual(c.errors.map((e) => [e.code, e.closeCode]), [['FATAL_CLOSE', 1008]]);
  }));

  test('1008 without getToken, the token set since has expired too: TOKEN_EXPIRED, no reconnect', () => withClient({
    token: jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600}),
  }, async (c) => {
    const ws = await opened(c);
    c.pg.setToken(jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) - 10}));
    ws.drop(1008, 'token expired');
    assert.equal(c.pg.state, 'closed');
    assert.deepEqual(c.errors.map((e) => [e.code, e.closeCode]), [['TOKEN_EXPIRED', 1008]]);
    assert.equal(FakeSocket.all.length, 1);
  }));

  test('a REFRESH refused for now pauses no JOIN and leaves the window whole (its limit is not the JOINs\')', () => withClient({
    token: jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600}), maxInFlight: 4, rateLimitDelayMs: 5_000,
  }, async (c) => {
    const ws = await opened(c);
    c.pg.setToken(jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 7200}));
    refuse(ws, ws.sentOf('REFRESH')[0], 'RATE_LIMITED');
    for (const name of ['a', 'b', 'c']) {
      c.pg.join(name).catch(() => {});
    }
    assert.deepEqual(joinsOf(ws).map((m) => m.data.room), ['a', 'b', 'c'], 'sent at once, three at a time');
    assert.deepEqual(c.errors, []);
  }));

  test('a getToken that never settles is given up after tokenTimeoutMs: a TOKEN error, then asked again with backoff', () => {
    let calls = 0;
    const token = jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600});
    return withClient({tokenTimeoutMs: 50, getToken: () => (++calls === 1 ? new Promise(() => {}) : token)}, async (c) => {
      const ws = await waitFor('a socket', () => c.socket(0));
      assert.equal(new URL(ws.url).searchParams.get('token'), token);
      assert.equal(calls, 2);
      assert.deepEqual(c.errors.map((e) => e.code), ['TOKEN']);
      assert.equal(c.errors[0].message, 'pushgate: getToken() failed: no token within 50 ms (tokenTimeoutMs)');
    });
  });

  test('a getToken that never settles during a refresh is given up: the refresh asks again and sends its REFRESH', () => {
    let calls = 0;
    const fresh = jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600});
    return withClient({
      tokenTimeoutMs: 50, token: jwt({sub: 'u', exp: (Date.now() + 1_500) / 1000}), getToken: () => (++calls === 1 ? new Promise(() => {}) : fresh),
    }, async (c) => {
      const ws = await opened(c);
      const refresh = await waitFor('the REFRESH after the hung getToken', () => ws.sentOf('REFRESH')[0]);
      assert.equal(refresh.data.token, fresh);
      assert.equal(calls, 2);
      assert.deepEqual(c.errors.map((e) => e.code), ['TOKEN']);
    });
  });

  for (const [outcome, settle] of [
    ['fails', (asked) => asked.reject(new Error('auth server down'))],
    ['gives a token no newer', (asked, current) => asked.resolve(current)],
  ]) {
    test(`a getToken of a refresh that ${outcome} after close(): no TOKEN error, no REFRESH`, async () => {
      const current = jwt({sub: 'u', exp: (Date.now() + 1_500) / 1000}); // refreshed after 2/3 of its life
      let asked = null;
      const c = client({token: current, getToken: () => new Promise((resolve, reject) => (asked = {resolve, reject}))});
      const ws = await opened(c);
      await waitFor('getToken asked for the refresh', () => asked, 3_000);
      c.pg.close();
      settle(asked, current);
      await new Promise((r) => setImmediate(r)); // the refresh's continuation runs in the microtasks before this
      assert.equal(c.pg.state, 'closed');
      assert.deepEqual(c.errors, []);
      assert.deepEqual(ws.sentOf('REFRESH'), []);
    });
  }

  test('a device clock 2 h ahead: a static token the server accepts (its iat tells the skew) connects, and a 1008 is no TOKEN_EXPIRED', () => {
    const issued = Math.floor(Date.now() / 1000);
    const token = jwt({sub: 'u', iat: issued, exp: issued + 3600});
    return withClockAhead(2 * 3_600_000, () => withClient({token}, async (c) => {
      const ws = await opened(c);
      assert.equal(new URL(ws.url).searchParams.get('token'), token);
      assert.equal(c.pg.state, 'open');
      assert.deepEqual(c.errors, []);
      ws.drop(1008, 'origin not allowed'); // not for an expired token: its life has 59 minutes to go
      assert.equal(c.pg.state, 'closed');
      assert.deepEqual(c.errors.map((e) => [e.code, e.closeCode]), [['FATAL_CLOSE', 1008]]);
    }));
  });

  test('a static token kept past its exp (its iat hours before it arrived): three failed handshakes, then TOKEN_EXPIRED, not retries for ever', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = jwt({sub: 'u', iat: now - 7200, exp: now - 3600}); // the iat correction alone says it has an hour
    await withClient({token}, async (c) => {
      for (let n = 0; n < 3; n++) {
        const ws = await waitFor('handshake ' + (n + 1), () => c.socket(n));
        ws.drop(1006, 'refused'); // a browser sees a refused handshake (401) as a dropped connection
      }
      await waitFor('closed', () => c.pg.state === 'closed');
      assert.equal(c.socket(3), undefined, 'no fourth handshake');
      assert.deepEqual(c.errors.map((e) => e.code), ['TOKEN_EXPIRED']);
    });
  });

  test('a device clock 40 s ahead, no getToken: a reconnect in the token\'s last 40 s still uses it (the server accepts it)', async () => {
    const realNow = Date.now;
    const real = realNow();
    const token = jwt({sub: 'u', iat: Math.floor(real / 1000), exp: Math.floor(real / 1000) + 60});
    let c;
    try {
      Date.now = () => realNow() + 40_000; // received 40 s "after" its iat on this clock, inside the minute's tolerance
      c = client({token});
      const ws = await opened(c);
      Date.now = () => realNow() + 70_000; // past exp on this clock; 60 s of life left on the server's
      ws.drop(1006);
      const again = await waitFor('a second socket', () => c.socket(1));
      assert.equal(new URL(again.url).searchParams.get('token'), token);
      assert.deepEqual(c.errors.map((e) => e.code), [], 'no TOKEN_EXPIRED');
    } finally {
      Date.now = realNow;
      c?.pg.close();
    }
  });

  test('a device clock 2 h ahead: a refresh that failed is tried again before the exp corrected from iat', () => {
    const issued = Date.now();
    const initial = jwt({sub: 'u', iat: Math.floor(issued / 1000), exp: (issued + 1_500) / 1000});
    const fresh = jwt({sub: 'u', iat: Math.floor(issued / 1000), exp: Math.floor(issued / 1000) + 3600});
    let calls = 0;
    const getToken = () => {
      if (++calls === 1) {
        throw new Error('auth server down');
      }
      return fresh;
    };
    return withClockAhead(2 * 3_600_000, () => withClient({token: initial, getToken}, async (c) => {
      const ws = await opened(c);
      assert.equal(new URL(ws.url).searchParams.get('token'), initial, 'not renewed first: it has 1.5 s to go');
      const refresh = await waitFor('the REFRESH after the failed one', () => ws.sentOf('REFRESH')[0]);
      assert.equal(refresh.data.token, fresh);
      assert.equal(calls, 2);
      assert.deepEqual(c.errors.map((e) => e.code), ['TOKEN']);
    }));
  });

  test('setToken() while the socket is connecting reaches that connection as a REFRESH when it opens', async () => {
    const old = jwt({sub: 'u', exp: Date.now() / 1000 + 60});
    const c = client({token: old});
    const ws = await waitFor('socket', () => c.socket(0));
    assert.equal(new URL(ws.url).searchParams.get('token'), old);
    const fresh = jwt({sub: 'u', exp: Date.now() / 1000 + 3600});
    c.pg.setToken(fresh);
    ws.open();
    assert.deepEqual(ws.sentOf('REFRESH').map((m) => m.data.token), [fresh]);
    c.pg.close();
  });

  test('online after a failed getToken asks getToken again: never a handshake without a token', async () => {
    const page = fakePage();
    try {
      let calls = 0;
      const c = client({backoffBaseMs: 60_000, backoffMaxMs: 60_000, getToken: () => {
        if (++calls === 1) {
          throw new Error('the network is down');
        }
        return jwt({sub: 'u', exp: Date.now() / 1000 + 3600});
      }});
      await waitFor('the TOKEN error', () => c.errors.length === 1);
      assert.equal(c.pg.state, 'reconnecting');
      page.online(); // retries now instead of after the 60 s backoff
      const ws = await waitFor('a socket', () => c.socket(0));
      assert.equal(calls, 2);
      assert.match(new URL(ws.url).searchParams.get('token') ?? 'none', /\./);
      c.pg.close();
    } finally {
      page.restore();
    }
  });

  test('REFRESH before exp with getToken; a narrowed claim fails the rooms the ACK lists', async () => {
    let n = 0;
    const c = client({getToken: () => jwt({sub: 'u', exp: (Date.now() + 900) / 1000, n: ++n})});
    const ws = await opened(c);
    const refreshed = [];
    c.pg.on('refreshed', (r) => refreshed.push(r));
    const both = Promise.all([c.pg.join('a'), c.pg.join('b')]);
    ws.ackAll('JOIN');
    await both;
    const refresh = await waitFor('REFRESH', () => ws.sentOf('REFRESH')[0], 2_000);
    assert.equal(typeof refresh.id, 'number');
    assert.equal(JSON.parse(Buffer.from(refresh.data.token.split('.')[1], 'base64url')).n, 2, 'a fresh token from getToken');
    ws.deliver({type: 'ACK', id: refresh.id, data: {left: ['b']}});
    assert.equal(c.pg.room('b').state, 'failed');
    assert.equal(c.pg.room('b').error.code, 'FORBIDDEN');
    assert.equal(c.pg.room('a').state, 'joined');
    assert.deepEqual(refreshed.map((r) => r.left), [['b']]);
    assert.equal(FakeSocket.all.length, 1, 'no reconnect');
    await waitFor('the next REFRESH, for the new token', () => ws.sentOf('REFRESH')[1], 2_000);
    c.pg.close();
  });

  test('a server without REFRESH (UNKNOWN_TYPE): no more REFRESH on that socket', async () => {
    const c = client({getToken: () => jwt({sub: 'u', exp: (Date.now() + 600) / 1000})});
    const ws = await opened(c);
    const refresh = await waitFor('REFRESH', () => ws.sentOf('REFRESH')[0]);
    ws.deliver({type: 'ERROR', id: refresh.id, data: {code: 'UNKNOWN_TYPE', message: 'unknown type REFRESH'}});
    await new Promise((r) => setTimeout(r, 700)); // past the exp: the old server closes with 1008 then
    assert.equal(ws.sentOf('REFRESH').length, 1);
    assert.equal(c.errors.length, 0);
    c.pg.close();
  });

  test('an expired static token is reported (TOKEN_EXPIRED) and not retried', async () => {
    const c = client({token: jwt({sub: 'u', exp: Math.floor(Date.now() / 1000) - 10})});
    await waitFor('closed', () => c.pg.state === 'closed');
    assert.equal(FakeSocket.all.length, 0, 'no handshake with a token known to be refused');
    assert.deepEqual(c.errors.map((e) => e.code), ['TOKEN_EXPIRED']);
  });

  test('with getToken, refused handshakes ask for one new token, not one per retry', async () => {
    let calls = 0;
    const c = client({token: jwt({sub: 'u', exp: Date.now() / 1000 + 3600}), getToken: () => jwt({sub: 'u', exp: Date.now() / 1000 + 3600, n: ++calls})});
    for (let n = 0; n < 6; n++) {
      const ws = await waitFor('attempt ' + n, () => c.socket(n));
      ws.drop(1006); // the handshake failed: a browser cannot tell a 401 from a network error
    }
    await waitFor('attempt 6', () => c.socket(6));
    assert.equal(calls, 1);
    c.pg.close();
  });

  test('an expiring token is renewed before a reconnect', async () => {
    let calls = 0;
    const c = client({token: jwt({sub: 'u', exp: Date.now() / 1000 + 0.5}), getToken: () => jwt({sub: 'u', exp: Date.now() / 1000 + 3600, n: ++calls})});
    const ws = await opened(c);
    ws.drop(1001);
    const ws2 = await waitFor('reconnect', () => c.socket(1));
    assert.equal(calls, 1);
    assert.match(new URL(ws2.url).searchParams.get('token'), /\./);
    c.pg.close();
  });
});

describe('network and page life', () => {
  test('offline closes the socket; online reconnects at once, whatever the backoff', async () => {
    const page = fakePage();
    try {
      const c = client({backoffBaseMs: 60_000, backoffMaxMs: 60_000});
      const ws = await opened(c);
      page.offline();
      assert.equal(ws.closedWith?.code, 4000);
      assert.equal(c.pg.state, 'reconnecting');
      assert.equal(c.states.at(-1).reason, 'offline');
      const t0 = Date.now();
      page.online();
      const ws2 = await opened(c, 1);
      assert.ok(Date.now() - t0 < 500, 'not after the 60 s backoff');
      assert.equal(c.pg.state, 'open');
      assert.ok(ws2);
      c.pg.close();
    } finally {
      page.restore();
    }
  });

  test('after 1013 or 4002 a tab coming back into view keeps the wider backoff; after 1006 it retries at once', async () => {
    const page = fakePage();
    try {
      for (const [code, expectNow] of [[1013, false], [4002, false], [1006, true]]) {
        await withClient({backoffBaseMs: 400, backoffMaxMs: 400}, async (c) => {
          const ws = await opened(c);
          page.visibility('hidden');
          ws.drop(code);
          const delay = c.states.at(-1).delayMs;
          page.visibility('visible');
          // Looked at before any timer can run (only microtasks since the drop): a second socket now is
          // the visible tab's retry, never the backoff's, whatever delay the backoff drew. (Waiting 30 ms
          // and comparing with the delay misjudged a delay of 30 ms or a little more: its timer, due as
          // the wait's or a moment before, ran first, about one run in 45 on a loaded machine.)
          await new Promise((r) => queueMicrotask(r));
          assert.equal(FakeSocket.all.length, expectNow ? 2 : 1, `${code}: retried at once on visible (backoff delay ${delay} ms)`);
          if (!expectNow) {
            assert.equal(c.pg.state, 'reconnecting', `${code}: the backoff still pending`);
            await waitFor(`${code}: the retry once its backoff (${delay} ms) is over`, () => FakeSocket.all.length === 2);
          }
        });
      }
    } finally {
      page.restore();
    }
  });

  test('a tab coming back into view finds a half-open socket within 5 s, not at the next heartbeats', {timeout: 15_000}, async () => {
    const page = fakePage();
    let c;
    try {
      c = client(); // heartbeatMs 60 s: the heartbeat alone would take a minute or two
      const ws = await opened(c);
      page.visibility('hidden');
      const shownAt = performance.now();
      page.visibility('visible'); // the laptop woke: the socket is dead, and no close event comes
      assert.equal(ws.sentOf('PING').length, 1, 'a PING at once');
      await waitFor('the socket given up', () => ws.closedWith, 8_000);
      const after = performance.now() - shownAt;
      assert.ok(after >= 4_900 && after < 7_000, 'dropped about 5 s after the tab came back: ' + Math.round(after) + ' ms');
      await waitFor('reconnecting', () => c.states.some((x) => x.s === 'reconnecting'));
    } finally {
      c?.pg.close();
      page.restore();
    }
  });

  test('with a request out (a JOIN of a stream the server answers first) the check waits twice as long', {timeout: 20_000}, async () => {
    const page = fakePage();
    let c;
    try {
      c = client({requestTimeoutMs: 20_000});
      const ws = await opened(c);
      c.pg.join('s').catch(() => {});
      await waitFor('the JOIN', () => ws.sentOf('JOIN').length === 1);
      const shownAt = performance.now();
      page.visibility('visible');
      const firstCheckPassed = shownAt + 6_000;
      await waitFor('past the first 5 s', () => performance.now() >= firstCheckPassed, 8_000);
      assert.equal(ws.closedWith, null, 'not dropped while the JOIN is out');
      await waitFor('the socket given up', () => ws.closedWith, 6_000);
      const after = performance.now() - shownAt;
      assert.ok(after >= 9_900 && after < 12_000, 'dropped about 10 s after: ' + Math.round(after) + ' ms');
    } finally {
      c?.pg.close();
      page.restore();
    }
  });

  test('a PING sent as the tab woke is not taken for a dead socket by the heartbeat that fires right after', async () => {
    const page = fakePage();
    let c;
    try {
      // The wake comes 300 ms into a 1 s interval: its PING is 700 ms old when the next heartbeat
      // finds it unanswered, under the 900 ms (0.9 of the interval) that would drop the socket. The
      // wake may come up to 700 ms late and still be before that heartbeat; if it comes after it,
      // the test fails rather than pass without the heartbeat meeting the wake's PING.
      c = client({heartbeatMs: 1_000});
      const ws = await opened(c);
      await waitFor('first PING', () => ws.sentOf('PING').length === 1, 3_000);
      ws.deliver({type: 'PONG', data: {}});
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(ws.sentOf('PING').length, 1, 'the next heartbeat has not fired yet: the wake comes before it');
      page.visibility('visible'); // the tab wakes: a PING goes out at once
      assert.equal(ws.sentOf('PING').length, 2, "the wake's PING");
      await waitFor('the heartbeat after the wake', () => ws.sentOf('PING').length >= 3, 3_000);
      assert.equal(ws.closedWith, null, 'not dropped');
      ws.deliver({type: 'PONG', data: {}});
    } finally {
      c?.pg.close(); // also when it failed: a client left reconnecting keeps the run from ending
      page.restore();
    }
  });

  test('a heartbeat that fires late (a frozen tab) asks again instead of dropping the socket', async () => {
    const c = client({heartbeatMs: 40});
    const ws = await opened(c);
    await waitFor('first PING', () => ws.sentOf('PING').length === 1);
    const until = Date.now() + 1_300; // the tab is frozen: no task runs, the PONG waits in the queue
    while (Date.now() < until) {
      // busy: nothing else runs
    }
    await waitFor('the late heartbeat', () => ws.sentOf('PING').length === 2, 1_000);
    assert.equal(ws.closedWith, null, 'a late timer is no evidence of a dead socket');
    ws.deliver({type: 'PONG', data: {}}); // the queued answer
    await waitFor('the next PING', () => ws.sentOf('PING').length === 3, 1_000);
    assert.equal(ws.closedWith, null);
    await waitFor('dropped once a PING really goes unanswered', () => ws.closedWith, 1_000);
    c.pg.close();
  });

  test('a heartbeat late again for the same unanswered PING drops the socket (a half-open socket in a throttled tab)', async () => {
    // A background tab: every timer fires far later than planned (the monotonic clock runs 50 times
    // faster than the timers here, so each 40 ms heartbeat comes 2 s late).
    const realNow = performance.now.bind(performance);
    const t0 = realNow();
    performance.now = () => t0 + (realNow() - t0) * 50;
    try {
      await withClient({heartbeatMs: 40}, async (c) => {
        const ws = await opened(c);
        await waitFor('the socket dropped', () => ws.closedWith, 2_000);
        assert.equal(ws.closedWith.code, 4000);
        assert.equal(ws.sentOf('PING').length, 2, 'a PING, one more when the late heartbeat found it unanswered, then the drop');
        assert.equal(c.states.find((s) => s.s === 'reconnecting').reason, 'no answer to a PING within 40 ms');
      });
    } finally {
      delete performance.now;
    }
  });

  test("1001: reconnects spread over jitterMs (a draining node's clients do not arrive together)", async () => {
    const delays = [];
    for (let i = 0; i < 200; i++) {
      const c = client({jitterMs: 1_000, backoffBaseMs: 60_000});
      const ws = await opened(c);
      ws.drop(1001);
      delays.push(c.states.at(-1).delayMs);
      c.pg.close();
    }
    assert.ok(delays.every((d) => d >= 0 && d < 1_000), 'within the window');
    const quarters = [0, 1, 2, 3].map((q) => delays.filter((d) => d >= q * 250 && d < (q + 1) * 250).length);
    assert.ok(quarters.every((n) => n > 20), `spread over the whole window: ${quarters}`);
  });

  test('1001 again on a connection younger than stableMs: back within jitterMs again, backed off only past three', async () => {
    const random = Math.random;
    Math.random = () => 0.5; // the middle of each window: the jitter's 100 ms, the backoff's half of a minute or more
    const c = client({jitterMs: 200, backoffBaseMs: 60_000, backoffMaxMs: 120_000, stableMs: 60_000});
    try {
      let ws = await opened(c);
      for (let attempt = 1; attempt <= 3; attempt++) {
        ws.drop(1001); // the node it moved to drains too (a rolling restart)
        const last = c.states.at(-1);
        assert.equal(last.attempt, attempt);
        assert.ok(last.delayMs >= 0 && last.delayMs < 200, `attempt ${attempt} within the window: ${last.delayMs}`);
        if (attempt < 3) {
          ws = await opened(c, attempt);
        }
      }
      ws = await opened(c, 3);
      ws.drop(1001); // a fourth in a row: something closes every connection at once
      assert.ok(c.states.at(-1).delayMs >= 30_000, `backed off: ${c.states.at(-1).delayMs}`);
    } finally {
      Math.random = random;
      c.pg.close();
    }
  });

  test('defaults keep the heartbeat inside the 60 s server timeout and the window below the default message rate', () => {
    assert.ok(2 * DEFAULTS.heartbeatMs < 60_000);
    assert.ok(DEFAULTS.maxInFlight <= 20, 'a full window of refusals stays below a 20/s message limit');
  });
});
