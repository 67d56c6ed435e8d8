// The demo page: one room (?room=, default "demo"), its bullet comments on the stage, its viewer
// count, the connection state, and a box that publishes through POST /demo/publish.
import {connect, roomProblem} from './pushgate.js';
import {DanmakuStage, itemText} from './danmaku.js';

const $ = (id) => document.getElementById(id);
const room = new URLSearchParams(location.search).get('room') || 'demo';
const stageEl = $('stage');
const stage = new DanmakuStage($('lanes'));
const recent = $('recent');
const notice = $('notice');
const mineRecently = new Map(); // text -> time sent, to mark our own comments when they come back

$('room-name').textContent = room;
$('stage-title').textContent = 'Live room · ' + room;
document.title = room + ' · pushgate live';

const CLOSE_WORDS = {
  1000: 'closed',
  1001: 'server restarting',
  1006: 'connection lost',
  1008: 'token refused',
  1011: 'server error',
  1013: 'server busy',
  4001: 'heartbeat missed',
  4002: 'fell behind',
};

function showNotice(kind, text) {
  notice.dataset.kind = kind;
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(showNotice.timer);
  if (kind !== 'error') {
    showNotice.timer = setTimeout(() => (notice.hidden = true), 6000);
  }
}

let countdown = null;

function setState(state, detail = {}) {
  clearInterval(countdown);
  const el = $('state');
  el.dataset.state = state;
  stageEl.dataset.state = state;
  document.documentElement.dataset.pgState = state;
  // The count is only known while connected: keep the last one, dimmed, until ONLINE comes again.
  document.querySelector('.viewers-badge').classList.toggle('stale', state !== 'open');
  let text;
  if (state === 'open') {
    text = 'live';
  } else if (state === 'connecting') {
    text = 'connecting…';
  } else if (state === 'reconnecting') {
    const why = CLOSE_WORDS[detail.code] ?? (detail.code ? 'closed ' + detail.code : 'connection lost');
    const retryAt = Date.now() + (detail.delayMs ?? 0);
    const tick = () => {
      const left = Math.ceil((retryAt - Date.now()) / 1000);
      $('state-text').textContent = left >= 1 ? `${why} · retrying in ${left} s` : `${why} · reconnecting…`;
      if (left < 1) {
        clearInterval(countdown);
      }
    };
    countdown = setInterval(tick, 250);
    tick();
    text = $('state-text').textContent;
  } else {
    text = 'disconnected';
  }
  $('state-text').textContent = text;
  el.title = detail.code ? `state ${state}, close code ${detail.code}${detail.reason ? ' (' + detail.reason + ')' : ''}` : 'state ' + state;
}

function formatTime(ts) {
  const d = typeof ts === 'number' ? new Date(ts) : new Date();
  return d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
}

/** The newest comments on top; one prepend per frame, at most 50 kept. */
function addRecent(comments) {
  const fragment = document.createDocumentFragment();
  for (const {text, mine, raw, ts} of comments.slice(-50).reverse()) {
    const li = document.createElement('li');
    if (mine) {
      li.className = 'mine';
    }
    const time = document.createElement('time');
    time.textContent = formatTime(ts);
    const span = document.createElement('span');
    span.className = 'txt' + (raw ? ' raw' : '');
    span.textContent = text;
    span.title = text;
    li.append(time, span);
    fragment.append(li);
  }
  recent.prepend(fragment);
  while (recent.children.length > 50) {
    recent.lastElementChild.remove();
  }
  $('recent-empty').hidden = true;
}

/** The items of one PUSH frame, on the stage and in the list, with one DOM write for the whole frame. */
function showItems(items) {
  const comments = items.map((item) => {
    const {text, raw} = itemText(item);
    const sentAt = mineRecently.get(text);
    const mine = sentAt !== undefined && performance.now() - sentAt < 15_000;
    if (mine) {
      mineRecently.delete(text);
    }
    return {text, raw, mine, ts: item && typeof item === 'object' ? item.ts : undefined};
  });
  stage.addMany(comments);
  addRecent(comments);
  $('empty-hint').classList.add('gone');
}

function showToast(kind, text) {
  const toast = $('toast');
  toast.dataset.kind = kind;
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => (toast.hidden = true), 5000);
}

const REASON_WORDS = {
  HISTORY_GONE: 'they are no longer kept',
  EPOCH_CHANGED: 'the room started over',
  TOO_FAR: 'too many were missed',
};

// ---- the five lines a page needs, plus state and errors ----
const problem = roomProblem(room);
const pg = connect(); // '/connect' on this host: ws: or wss: like the page
window.pushgateDemo = {client: pg, room, showItems};
setState(pg.state);
pg.on('state', setState);
pg.on('push', ({room: r, items}) => (r === room || r === null) && showItems(items));
pg.on('online', ({count}) => ($('viewers').textContent = String(count)));
pg.on('error', (e) => e.room === undefined && showNotice('error', `Connection problem: ${e.message}`));
// After a reconnect the room is joined again from its position: what was missed comes back, once.
pg.on('recovered', ({room: r, recovered, missed, reason}) => {
  if (r !== room) {
    return;
  }
  if (recovered && missed > 0) {
    showToast('ok', `Recovered ${missed} missed comment${missed === 1 ? '' : 's'}`);
  } else if (!recovered && reason in REASON_WORDS) {
    showToast('warn', `Some comments were missed: ${REASON_WORDS[reason]}`);
  }
});
if (problem) {
  showNotice('error', `“${room}” cannot be a room: ${problem}.`);
} else {
  // Joined again by itself after every reconnect; a refusal for good (e.g. FORBIDDEN) fails the room.
  pg.room(room).on('failed', (e) => showNotice('error', `Could not join “${room}”: ${e.message} (${e.code})`));
  pg.join(room, {online: true}).catch(() => {}); // TIMEOUT, DISCONNECTED: still joining; failures: above
}

// ---- sending ----
const form = $('composer');
const input = $('comment');
const button = $('send');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text || button.disabled) {
    return;
  }
  button.disabled = true;
  let reenableAt = 0;
  mineRecently.set(text, performance.now()); // before the request: the push may come before its answer
  try {
    const response = await fetch('/demo/publish', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({room, text}),
    });
    const body = await response.json().catch(() => null);
    const message = body?.error?.message;
    if (!response.ok) {
      mineRecently.delete(text);
    }
    if (response.ok) {
      input.value = '';
      notice.hidden = true;
    } else if (response.status === 404) {
      showNotice('info', 'Sending is switched off on this server: it is a demo-only endpoint. ' +
        'Start the node with PUSHGATE_DEMO_PUBLISH=true to try it. Comments pushed through the API still show up here.');
    } else if (response.status === 429) {
      const retry = Number(response.headers.get('Retry-After'));
      const wait = Number.isFinite(retry) && retry > 0 ? retry : 2;
      reenableAt = Date.now() + wait * 1000;
      showNotice('warn', `Whoa, slow down: too many comments. You can send again in ${wait} s.`);
    } else if (response.status === 400 || response.status === 413) {
      showNotice('warn', `That comment was not accepted${message ? ': ' + message : '.'}`);
    } else {
      showNotice('error', `Could not send (HTTP ${response.status}${message ? ': ' + message : ''}). Please try again.`);
    }
  } catch (e) {
    mineRecently.delete(text);
    showNotice('error', `Could not reach the server to send: ${e.message}`);
  } finally {
    setTimeout(() => {
      button.disabled = false;
      input.focus();
    }, Math.max(0, reenableAt - Date.now()));
  }
});
