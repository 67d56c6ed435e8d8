// Bullet comments (danmaku) for the demo page: lane placement as pure arithmetic (LaneScheduler,
// unit-tested without a browser) and a small DOM stage that flies comments right to left with
// compositor-driven transforms (Web Animations), queueing what does not fit yet.

/**
 * Chooses a lane for each new bullet so that no two bullets in a lane ever overlap. Every bullet
 * starts with its left edge at the stage's right edge (x = width) and moves left at a constant speed.
 * A lane takes a new bullet when the lane's last bullet has moved fully in, plus `gap`, and, if the new
 * one is faster, when it cannot catch the last one up before that one has left the stage.
 */
export class LaneScheduler {
  constructor({lanes, width, gap = 24}) {
    this.gap = gap;
    this.last = [];
    this.resize({lanes, width});
  }

  resize({lanes, width}) {
    this.lanes = Math.max(1, Math.floor(lanes));
    this.width = width;
    this.last.length = Math.min(this.last.length, this.lanes);
  }

  /** Whether a bullet of width `w` (px) at speed `v` (px/ms) may start at `now` (ms) behind `last`. */
  fits(last, w, v, now) {
    const travelled = (now - last.t0) * last.v;
    if (travelled < last.w + this.gap) {
      return false; // the last bullet's tail is not yet gap px inside the stage
    }
    if (v <= last.v) {
      return true; // not faster: the distance between them never shrinks
    }
    // Faster: the distance shrinks until the last bullet's tail leaves at x = 0; by then the new
    // bullet's head must still be at least gap px right of 0.
    const exitAt = last.t0 + (last.startX + last.w) / last.v;
    return last.startX - v * (exitAt - now) >= this.gap;
  }

  /** The lane (0 = top) the bullet gets, taken from now on, or -1 when every lane is busy. */
  place(w, v, now) {
    for (let i = 0; i < this.lanes; i++) {
      const last = this.last[i];
      if (!last || this.fits(last, w, v, now)) {
        this.last[i] = {t0: now, w, v, startX: this.width};
        return i;
      }
    }
    return -1;
  }
}

/** How an item pushed to the room is shown: an object with a string `text`, else its JSON. */
export function itemText(item) {
  if (item && typeof item === 'object' && typeof item.text === 'string') {
    return {text: item.text, raw: false};
  }
  if (typeof item === 'string') {
    return {text: item, raw: false};
  }
  let text;
  try {
    text = JSON.stringify(item);
  } catch {
    text = String(item);
  }
  return {text: text ?? String(item), raw: true};
}

/** The stage: a lanes container inside a 16:9 box. */
export class DanmakuStage {
  constructor(container, {durationMs = 8000, maxQueue = 300, maxWaitMs = 8000, topPx = 44, bottomPx = 44} = {}) {
    this.container = container;
    this.durationMs = durationMs;
    this.maxQueue = maxQueue;
    this.maxWaitMs = maxWaitMs;
    this.topPx = topPx;
    this.bottomPx = bottomPx;
    this.queue = [];
    this.dropped = 0;
    this.scheduler = new LaneScheduler({lanes: 1, width: 1});
    this.layout();
    new ResizeObserver(() => this.layout()).observe(container);
    this.frame = null;
  }

  layout() {
    const rect = this.container.getBoundingClientRect();
    const size = Math.round(Math.max(15, Math.min(26, rect.width / 34)));
    this.container.style.setProperty('--bullet-size', size + 'px');
    this.laneHeight = Math.round(size * 1.25 + 8);
    this.width = rect.width;
    const usable = rect.height - this.topPx - this.bottomPx;
    this.scheduler.resize({lanes: Math.max(1, Math.floor(usable / this.laneHeight)), width: rect.width});
  }

  /** Queues a comment; it flies as soon as a lane is free. */
  add(text, {mine = false, raw = false} = {}) {
    this.addMany([{text, mine, raw}]);
  }

  /**
   * Queues the comments of one PUSH frame (up to 500 items) with one DOM write and one layout: every
   * bullet goes in through one fragment, then all widths are read, after a single layout. Reading
   * each width right after appending each bullet would lay the page out once per item.
   */
  addMany(comments) {
    // Only the last maxQueue can ever fly: the others would be dropped from the queue at once.
    const kept = comments.length > this.maxQueue ? comments.slice(-this.maxQueue) : comments;
    this.dropped += comments.length - kept.length;
    if (kept.length === 0) {
      return;
    }
    const fragment = document.createDocumentFragment();
    const els = kept.map(({text, mine = false, raw = false}) => {
      const el = document.createElement('div');
      el.className = 'bullet' + (mine ? ' mine' : '') + (raw ? ' raw' : '');
      el.textContent = text.length > 200 ? text.slice(0, 199) + '…' : text;
      el.style.visibility = 'hidden';
      el.style.transform = 'translate(-10000px, 0)'; // measured while hidden, off the visible stage
      fragment.append(el);
      return el;
    });
    this.container.append(fragment); // the one write
    const widths = els.map((el) => el.offsetWidth); // the one layout; the other reads use it
    const at = performance.now();
    els.forEach((el, i) => this.queue.push({el, w: widths[i], at}));
    while (this.queue.length > this.maxQueue) {
      this.queue.shift().el.remove();
      this.dropped++;
    }
    this.pump();
  }

  pump() {
    // Lanes are planned on the animation clock, and each animation is pinned to start at the planned
    // instant (startTime below): a busy main thread or a late first frame then cannot push a bullet
    // behind its plan and into the next one.
    const now = document.timeline.currentTime ?? performance.now();
    const wall = performance.now();
    while (this.queue.length) {
      const next = this.queue[0];
      if (wall - next.at > this.maxWaitMs) { // stale (e.g. the tab was hidden): skip it
        this.queue.shift().el.remove();
        this.dropped++;
        continue;
      }
      const speed = (this.width + next.w) / this.durationMs;
      const lane = this.scheduler.place(next.w, speed, now);
      if (lane < 0) {
        break;
      }
      this.queue.shift();
      this.fly(next.el, next.w, lane, now);
    }
    if (this.queue.length && this.frame == null) {
      this.frame = requestAnimationFrame(() => {
        this.frame = null;
        this.pump();
      });
    }
  }

  fly(el, w, lane, startTime) {
    const y = this.topPx + lane * this.laneHeight;
    const from = `translate(${this.width}px, ${y}px)`;
    const to = `translate(${-w - 8}px, ${y}px)`;
    el.style.transform = from;
    el.style.visibility = '';
    el.dataset.lane = String(lane);
    const animation = el.animate([{transform: from}, {transform: to}], {duration: this.durationMs, easing: 'linear'});
    animation.startTime = startTime;
    animation.onfinish = () => el.remove();
    animation.oncancel = () => el.remove();
  }
}
