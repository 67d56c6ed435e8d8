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

function addRecent(text, {mine, raw, ts}) {
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
  recent.prepend(li);
  while (recent.children.length > 50) {
    recent.lastElementChild.remove();
  }
  $('recent-empty').hidden = true;
}

function show(item) {
  const {text, raw} = itemText(item);
  const sentAt = mineRecently.get(text);
  const mine = sentAt !== undefined && performance.now() - sentAt < 15_000;
  if (mine) {
    mineRecently.delete(text);
  }
  stage.add(text, {mine, raw});
  addRecent(text, {mine, raw, ts: item && typeof item === 'object' ? item.ts : undefined});
  $('empty-hint').classList.add('gone');
}

// ---- the five lines a page needs, plus state and errors ----
const problem = roomProblem(room);
const pg = connect('/connect'); // ws: or wss: like the page, same host
window.pushgateDemo = {client: pg, room};
setState(pg.state);
pg.on('state', setState);
pg.on('push', ({items}) => items.forEach(show));
pg.on('online', ({count}) => ($('viewers').textContent = String(count)));
pg.on('error', (e) => showNotice('error', `Connection problem: ${e.message}`));
if (problem) {
  showNotice('error', `“${room}” cannot be a room: ${problem}.`);
} else {
  pg.join(room, {online: true}).catch((e) => {
    if (e.code !== 'DISCONNECTED' && e.code !== 'TIMEOUT') {
      showNotice('error', `Could not join “${room}”: ${e.message} (${e.code})`);
    } // else: joined again by itself once the connection is back
  });
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
