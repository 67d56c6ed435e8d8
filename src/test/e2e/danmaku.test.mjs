// Unit tests of the demo stage's lane placement: bullets in one lane never overlap.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {LaneScheduler, itemText} from '../../main/resources/webroot/danmaku.js';

const position = (b, t) => b.x0 - b.v * (t - b.t0); // left edge at time t

test('the first bullets take the lanes from the top', () => {
  const s = new LaneScheduler({lanes: 3, width: 1000});
  assert.deepEqual([0, 1, 2, 3].map(() => s.place(100, 0.1, 0)), [0, 1, 2, -1]);
});

test('a lane is free again once its last bullet is fully in, plus the gap', () => {
  const s = new LaneScheduler({lanes: 1, width: 1000, gap: 20});
  assert.equal(s.place(100, 0.1, 0), 0);
  assert.equal(s.place(100, 0.1, 1_000), -1, '100 px travelled: tail just at the edge');
  assert.equal(s.place(100, 0.1, 1_200), 0, '120 px = width + gap');
});

test('a faster bullet waits until it cannot catch up the one ahead', () => {
  const s = new LaneScheduler({lanes: 1, width: 1000, gap: 20});
  s.place(50, 0.1, 0); // leaves the stage at t = 10500
  // 1 px/ms from t = 1000 would hit x = 0 at t = 2000, long before the slow one leaves
  assert.equal(s.place(300, 1, 1_000), -1);
  // starting at t = 9600, its head is at 1000 - 900 = 100 px when the slow one's tail leaves
  assert.equal(s.place(300, 1, 9_600), 0);
});

test('random traffic never overlaps within a lane (simulated, constant crossing time)', () => {
  const width = 960;
  const gap = 24;
  const duration = 8_000;
  const s = new LaneScheduler({lanes: 8, width, gap});
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const flying = [];
  const queue = [];
  for (let t = 0; t < 60_000; t += 16) { // one minute of 60 fps frames
    if (rand() < 0.25) {
      queue.push(20 + Math.floor(rand() * 500)); // widths 20..520 px
    }
    while (queue.length) {
      const w = queue[0];
      const v = (width + w) / duration;
      const lane = s.place(w, v, t);
      if (lane < 0) {
        break;
      }
      queue.shift();
      flying.push({lane, w, v, t0: t, x0: width});
    }
    assert.ok(queue.length < 1_000);
  }
  assert.ok(flying.length > 150, `placed ${flying.length}`);
  for (let lane = 0; lane < 8; lane++) {
    const inLane = flying.filter((b) => b.lane === lane);
    for (let i = 1; i < inLane.length; i++) {
      const a = inLane[i - 1];
      const b = inLane[i];
      const end = a.t0 + (a.x0 + a.w) / a.v; // a has left
      for (let t = b.t0; t <= end; t += 10) {
        assert.ok(position(b, t) >= position(a, t) + a.w + gap - 1e-6,
          `lane ${lane}: bullet ${i} overlaps the one ahead at t=${t}`);
      }
    }
  }
});

test('items show as their text, anything else as JSON', () => {
  assert.deepEqual(itemText({text: 'hi', ts: 1}), {text: 'hi', raw: false});
  assert.deepEqual(itemText('plain'), {text: 'plain', raw: false});
  assert.deepEqual(itemText({score: 3}), {text: '{"score":3}', raw: true});
  assert.deepEqual(itemText(42), {text: '42', raw: true});
  assert.deepEqual(itemText(null), {text: 'null', raw: true});
  assert.deepEqual(itemText({text: 5}), {text: '{"text":5}', raw: true});
});
