package io.pushgate.merge;

import io.pushgate.history.HistoryOptions;
import io.pushgate.history.ReadResult;
import io.pushgate.history.Sequencer;
import io.pushgate.metrics.Throttle;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Position;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The merger's streams: each delivered in offset order only. A batch that comes early waits for
 * the ones before it; one already delivered is dropped; a gap that stays open for historyHoleMillis
 * (its items were appended by a node that died before it broadcast them) is read from the history.
 * A batch of another epoch makes the node ask the history which epoch is current, and start over
 * in it if it is new (the old history was lost whole, or let go). A stream the node has no state for
 * starts from the history's head, so that its first delivery is where a joining client stands; a
 * stream with no entry stands at {@link Position#NONE} and takes the epoch of its first batch quietly.
 * Rings of recent items, for replays, are bounded together by historyRingBytes.
 */
final class Streams {

  private static final Logger log = Logger.getLogger(Streams.class.getName());
  /** After a member left, how many streams ask the history where they stand at once, and how far apart. */
  private static final int RECHECKS_PER_TURN = 256;
  /**
   * When a node leaves, the streams with members here ask where they stand, and of the others those
   * active here within this long: a bound on the work. Such a stream whose first push in a while
   * went through the node that left learns of the item at its next push, a gap read from the history,
   * or skips it if that comes after historyTtlMillis; nobody here was owed it meanwhile.
   */
  private static final long RECHECK_WINDOW_MILLIS = 600_000;
  private static final long RECHECK_SPACING_MILLIS = 50;

  /** What the streams hand back to the merger. */
  interface Outlet {
    /** Items in offset order, for the tick's batch of their stream. */
    void take(PushBatch numbered);

    /**
     * Hands the stream's waiting batches to the shards now, before its numbering changes.
     *
     * @return false when some are still waiting (direct memory short): the numbering must not change yet
     */
    boolean flushNow(StreamState stream);

    /** The stream's numbering started again: the shards forget where it stood (and ask this merger). */
    void restarted(StreamState stream);

    /** Whether frames of the stream wait in the merger's batches for the shards. */
    default boolean waiting(StreamState stream) {
      return false;
    }
  }

  final Vertx vertx;
  final HistoryOptions options;
  final Sequencer sequencer;
  /** Reads of items, at most maxHistoryReads at once (heads go to the sequencer directly). */
  final HistoryReads reads;
  final StreamStats stats;
  private final Outlet outlet;
  /** Restarts held back while direct memory keeps an old epoch's frame: one line a minute at most. */
  private final Throttle restartsHeld = new Throttle(60_000);
  /** Batches dropped at offsets the stream never gave out: one line a minute at most. */
  private final Throttle neverGiven = new Throttle(60_000);
  /**
   * Offsets gone from the history before this node read them, and streams whose numbering started
   * again: one line a minute at most each, since another member can cause either for every room it
   * makes up (history.itemsSkipped and history.epochChanges count each one).
   */
  private final Throttle skipped = new Throttle(60_000);
  private final Throttle restarts = new Throttle(60_000);
  /** Streams in order of last activity, so that the sweep meets the least active first. */
  final LinkedHashMap<String, StreamState> states = new LinkedHashMap<>(16, 0.75f, true);
  private long ringBytes;
  /**
   * Streams whose rings may hold items, least recently used first (appended to, or serving a
   * replay): where the ring bound looks for rings to drop, instead of walking every state (most of
   * them quiet, their rings gone).
   */
  private final LinkedHashSet<StreamState> ringOrder = new LinkedHashSet<>();
  /** Streams still to ask where they stand after a member left (at most one entry per state). */
  private final Set<String> toRecheck = new LinkedHashSet<>();
  private long earlyBytes;
  /** Item bytes in the streams' buffered and foreign lists: pending like the early ones. */
  private long heldBytes;
  /** Wire bytes of the replays cached for positions, all streams: bounded by historyRingBytes like the rings. */
  private long replayBytes;
  /** Told when a stream's state becomes ready or changes epoch: its waiting joins can be answered. */
  Consumer<StreamState> onChange = s -> { };

  /** @param maxReads reads of items in flight at once at most (maxHistoryReads) */
  Streams(Vertx vertx, HistoryOptions options, Sequencer sequencer, int maxReads, StreamStats stats, Outlet outlet) {
    this.vertx = vertx;
    this.options = options;
    this.sequencer = sequencer;
    this.reads = new HistoryReads(sequencer, maxReads, stats);
    this.stats = stats;
    this.outlet = outlet;
  }

  /** Bytes of batches waiting for their turn, all streams together (read by gauges on other threads: one field). */
  long earlyBytes() {
    return earlyBytes;
  }

  /** What this holds for later (early, buffered while the head is read, of another epoch), as {@link #heldCost} counts it: part of maxPendingBytes. */
  long pendingBytes() {
    return earlyBytes + heldBytes;
  }

  /**
   * What a batch kept for later costs the heap beside its items: its entry, and the stream state and
   * hole timer that a batch to a stream new here makes (about a kilobyte). Counted against
   * maxPendingBytes, so that batches of a few bytes each to many streams (a broken or hostile member's)
   * are bounded in the heap as well as in bytes.
   */
  static final long HELD_BATCH_OVERHEAD_BYTES = 1_024;

  /** What {@code b} counts against maxPendingBytes while this keeps it. */
  static long heldCost(PushBatch b) {
    return b.cost() + HELD_BATCH_OVERHEAD_BYTES;
  }

  /** Keeps a batch until its stream's head (or current epoch) is known: a stream's buffered or foreign list. */
  private void hold(List<PushBatch> list, PushBatch b) {
    list.add(b);
    heldBytes += heldCost(b);
  }

  /** Takes back what {@link #hold} kept in {@code list}. */
  private List<PushBatch> release(List<PushBatch> list) {
    List<PushBatch> out = new ArrayList<>(list);
    list.clear();
    heldBytes -= out.stream().mapToLong(Streams::heldCost).sum();
    return out;
  }

  long ringBytes() {
    return ringBytes;
  }

  /**
   * Keeps a replay encoded for the JOINs at {@code since} until the stream's next frame, if the
   * node's cached replays stay within historyRingBytes: a storm of JOINs at many positions of a
   * quiet stream could otherwise hold a replay for each, from one frame to the next, however long.
   * @return false when it was not kept (its JOIN alone sends it)
   */
  boolean cacheReplay(StreamState s, long since, List<EncodedFrame> frames) {
    long bytes = EncodedFrame.wireLength(frames);
    if (replayBytes + bytes > options.ringBytes()) {
      stats.replaysNotCached.inc();
      return false;
    }
    s.replays.put(since, frames);
    s.replayBytes += bytes;
    replayBytes += bytes;
    return true;
  }

  private void dropReplays(StreamState s) {
    replayBytes -= s.dropReplays();
  }

  /**
   * The stream's state for a JOIN: created, when the node has none, from the history's head, so that
   * the joining client's position is the stream's top and it gets everything after it.
   */
  StreamState stateForJoin(String room) {
    StreamState s = states.get(room);
    if (s == null) {
      s = new StreamState(room, System.nanoTime());
      states.put(room, s);
      readHead(s);
    }
    s.lastActiveNanos = System.nanoTime();
    return s;
  }

  StreamState stateIfAny(String room) {
    return states.get(room);
  }

  private void readHead(StreamState s) {
    stats.historyOps.inc();
    long issued = System.nanoTime();
    sequencer.head(s.room).onComplete(ar -> {
      if (!kept(s)) {
        return; // swept meanwhile: a JOIN of the room makes a state of its own
      }
      if (ar.failed()) {
        stats.historyFailures.inc();
        vertx.setTimer(retryMillis(s), id -> {
          if (kept(s)) {
            readHead(s); // the cluster is unsure: ask again
          }
        });
        return;
      }
      s.headFailures = 0;
      reset(s, ar.result().epoch(), ar.result().offset());
      heard(s, ar.result().offset(), issued);
      release(s.buffered).forEach(this::receive);
      onChange.accept(s);
      checkAgainIfAsked(s);
    });
  }

  /**
   * Whether {@code s} is still the room's state: one the sweep let go answers nothing. (A flag, not a
   * look-up: a get would count as a use in the states' access order.)
   */
  private static boolean kept(StreamState s) {
    return !s.dropped;
  }

  /**
   * How long after a failed read of its head a stream asks again: historyHoleMillis, doubled with each
   * failure in a row up to eight times that, so that while the history cannot be read every stream
   * does not ask every historyHoleMillis.
   */
  private long retryMillis(StreamState s) {
    s.headFailures++;
    return options.holeMillis() << Math.min(s.headFailures - 1, 3);
  }

  /** A check asked for while a head read was under way: that read may predate its reason. */
  private void checkAgainIfAsked(StreamState s) {
    if (s.checkAgain && s.ready()) {
      checkEpoch(s);
    }
  }

  /** The history said the stream's top was {@code top}, in a read issued at {@code issuedNanos}. */
  private static void heard(StreamState s, long top, long issuedNanos) {
    if (issuedNanos - s.historyReadNanos >= 0 || s.historyTop < 0) {
      s.historyTop = top;
      s.historyReadNanos = issuedNanos;
    }
  }

  private void reset(StreamState s, String epoch, long top) {
    replayBytes -= s.replayBytes; // reset drops them
    earlyBytes -= s.earlyBytes;
    ringBytes -= s.ring == null ? 0 : s.ring.bytes();
    s.reset(epoch, top);
  }

  /**
   * A numbered batch, this node's or another's. A stream the node has no state for starts with it:
   * no client of this node is in it (every JOIN of a stream makes its state), so nothing before it
   * is owed to anyone here.
   */
  void receive(PushBatch b) {
    StreamState s = states.get(b.target().room());
    if (s == null) {
      s = new StreamState(b.target().room(), System.nanoTime());
      states.put(s.room, s);
      reset(s, b.first().epoch(), b.first().offset() - 1);
    }
    s.lastActiveNanos = System.nanoTime();
    if (!s.ready()) {
      hold(s.buffered, b);
    } else if (!b.first().epoch().equals(s.epoch)) {
      hold(s.foreign, b);
      checkEpoch(s);
    } else {
      order(s, b);
    }
  }

  private void order(StreamState s, PushBatch b) {
    if (b.lastOffset() < s.nextExpected) {
      stats.duplicateItems.add(b.items().size());
      return;
    }
    if (b.first().offset() > s.nextExpected) {
      if (s.early.putIfAbsent(b.first().offset(), new StreamState.Early(b, System.nanoTime())) == null) {
        s.earlyBytes += heldCost(b);
        earlyBytes += heldCost(b);
      }
      s.knownTop = Math.max(s.knownTop, b.lastOffset());
      armHole(s);
      return;
    }
    advance(s, b);
    drain(s);
    moved(s);
  }

  /** Hands on a batch that starts at or before the next expected offset, without what was delivered. */
  private void advance(StreamState s, PushBatch b) {
    int skip = (int) (s.nextExpected - b.first().offset());
    if (skip > 0) {
      stats.duplicateItems.add(skip);
      List<byte[]> rest = b.items().subList(skip, b.items().size());
      b = new PushBatch(b.target(), rest, rest.stream().mapToLong(i -> i.length).sum(), b.key(), new Position(s.nextExpected, s.epoch));
    }
    outlet.take(b);
    s.nextExpected = b.lastOffset() + 1;
    s.knownTop = Math.max(s.knownTop, b.lastOffset());
  }

  /**
   * The stream moved on, so the gap it waited at is closed: a gap left now is another one, with a
   * historyHoleMillis of its own. (Nodes' broadcasts overtake each other all the time; without this,
   * a wait armed for a gap closed milliseconds later would read the history for whichever brief
   * gap happened to be open when it ran out.)
   */
  private void moved(StreamState s) {
    if (s.holeTimer >= 0) {
      vertx.cancelTimer(s.holeTimer);
      s.holeTimer = -1;
    }
    armHole(s);
  }

  /** Delivers the early batches whose turn has come (all of them, one move of the stream). */
  private void drain(StreamState s) {
    while (!s.early.isEmpty() && s.early.firstKey() <= s.nextExpected) {
      PushBatch next = s.early.pollFirstEntry().getValue().batch();
      s.earlyBytes -= heldCost(next);
      earlyBytes -= heldCost(next);
      if (next.lastOffset() < s.nextExpected) {
        stats.duplicateItems.add(next.items().size());
      } else {
        advance(s, next);
      }
    }
  }

  /**
   * Another node's numbered batch this node had no room for (maxPendingBytes): its items are in the
   * stream's history, so they are a gap to fill from there once the wait is over, not a loss; with
   * nothing after them, nothing else would tell this node they exist. Only for a stream with clients
   * here (one this node has state for). Of another epoch (the stream's first items, or a new
   * numbering), the history says which is current and where it stands.
   *
   * @param last the position of the push's last item, all that this needs of it
   */
  void refused(String room, Position last) {
    StreamState s = states.get(room);
    if (s == null) {
      return; // no clients here
    }
    if (!s.ready()) {
      // Its first head read is under way, and may have been answered before these items' append.
      s.checkAgain = true;
      return;
    }
    if (last.epoch().equals(s.epoch)) {
      expect(s, last.offset());
    } else {
      checkEpoch(s);
    }
  }

  /**
   * A client knows of offsets up to {@code top}: if this node has not seen them, they are a gap to fill.
   * Arms the read whether or not {@code top} is news: a gap read in flight when it was news (of an
   * epoch since replaced) arms nothing when it comes back.
   */
  void expect(StreamState s, long top) {
    if (top > s.knownTop) {
      s.knownTop = top;
    }
    armHole(s);
  }

  private void armHole(StreamState s) {
    if (s.holeTimer < 0 && !s.holeReading && s.hasHole()) {
      s.holeTimer = vertx.setTimer(options.holeMillis(), id -> {
        s.holeTimer = -1;
        fillHole(s);
      });
    }
  }

  private void fillHole(StreamState s) {
    if (!s.hasHole() || !s.ready()) {
      return;
    }
    s.holeReading = true;
    String epoch = s.epoch;
    long after = s.nextExpected - 1;
    int limit = (int) Math.min(options.size(), s.knownTop - after);
    stats.historyOps.inc();
    long[] issued = {0}; // when the read is sent: it may wait its turn (maxHistoryReads)
    reads.read(s.room, after, limit, t -> issued[0] = t, () -> true).onComplete(ar -> {
      s.holeReading = false;
      if (ar.failed()) {
        stats.historyFailures.inc();
        armHole(s);
        return;
      }
      ReadResult r = ar.result();
      if (!epoch.equals(s.epoch)) {
        armHole(s); // started over meanwhile: the new epoch may have a gap of its own, which this read held up
        return;
      }
      if (r.epoch() == null || !r.epoch().equals(s.epoch)) {
        checkEpoch(s);
        return;
      }
      heard(s, r.top(), issued[0]);
      long before = s.nextExpected;
      if (r.first() > s.nextExpected) {
        // Trimmed or expired before this node could read them: the clients of this node miss them.
        long lost = Math.min(r.first(), s.early.isEmpty() ? r.first() : s.early.firstKey()) - s.nextExpected;
        stats.itemsSkipped.add(lost);
        long n = skipped.occurred();
        if (n > 0) {
          log.warning("stream " + s.room + ": offsets " + s.nextExpected + ".." + (s.nextExpected + lost - 1)
            + " were gone from the history before this node got them; its clients skip them (" + n
            + " such skip(s) since the last line; history.itemsSkipped)");
        }
        s.skippedFrom = s.nextExpected;
        s.nextExpected += lost;
        s.skippedThrough = s.nextExpected - 1;
        drain(s);
        onChange.accept(s); // joins waiting for the skipped offsets are answered now
      }
      if (!r.items().isEmpty()) {
        stats.holeItemsRead.add(r.items().size());
        order(s, PushBatch.fromHistory(s.target, r.items(), new Position(r.from(), s.epoch)));
      }
      if (passSkip(s)) {
        onChange.accept(s);
      }
      if (s.nextExpected > before) {
        stats.holesFilled.inc(); // not a read that found the gap closed, or nothing past the top
      }
      dropNeverGiven(s, r.top(), issued[0]);
      if (s.knownTop > r.top()) {
        // A client said it had offsets the stream never gave out: nothing will fill that. A batch past
        // the top that stays (it came after the read was issued) still shows a gap before it.
        long earlyTop = s.early.values().stream().mapToLong(e -> e.batch().lastOffset()).max().orElse(0);
        s.knownTop = Math.max(Math.max(r.top(), s.nextExpected - 1), earlyTop);
        onChange.accept(s);
      }
      armHole(s);
    });
  }

  /**
   * Drops the early batches that start past {@code top}, the stream's top as told by a read issued
   * after they came: the stream never gave out their offsets (a broken or hostile member sent them),
   * so nothing would ever deliver them, and their bytes would stay pending until the node restarted,
   * refusing every push once they filled maxPendingBytes. A batch that came after the read was issued
   * may be an append newer than the read: it waits for the next read.
   */
  private void dropNeverGiven(StreamState s, long top, long issuedNanos) {
    for (Iterator<StreamState.Early> it = s.early.tailMap(top, false).values().iterator(); it.hasNext(); ) {
      StreamState.Early e = it.next();
      if (e.cameNanos() - issuedNanos < 0) {
        it.remove();
        PushBatch b = e.batch();
        s.earlyBytes -= heldCost(b);
        earlyBytes -= heldCost(b);
        stats.itemsNeverGiven.add(b.items().size());
        long n = neverGiven.occurred();
        if (n > 0) {
          log.warning("stream " + s.room + ": dropped offsets " + b.first().offset() + ".." + b.lastOffset() + " of epoch " + s.epoch
            + ", which the stream never gave out (its top is " + top + "): a cluster member sent them (" + n
            + " such batch(es) since the last line; history.itemsNeverGiven)");
        }
      }
    }
  }

  /** Another epoch came (or a client has one this node has not seen): ask the history which is current, once at a time. */
  void checkEpoch(StreamState s) {
    if (s.checkingEpoch) {
      s.checkAgain = true;
      return;
    }
    s.checkingEpoch = true;
    s.checkAgain = false; // this read answers every ask before it
    stats.historyOps.inc();
    long issued = System.nanoTime();
    sequencer.head(s.room).onComplete(ar -> {
      if (!kept(s)) {
        return; // swept meanwhile: its answer would tell the shards of a state no longer kept
      }
      if (ar.failed()) {
        stats.historyFailures.inc();
        // Still checking while it waits to ask again: a check asked for meanwhile is this one, not
        // a second chain of retries.
        vertx.setTimer(retryMillis(s), id -> {
          s.checkingEpoch = false;
          if (kept(s)) {
            checkEpoch(s);
          }
        });
        return;
      }
      s.headFailures = 0;
      String current = ar.result().epoch();
      long top = ar.result().offset();
      boolean restart = !s.epoch.equals(Position.NO_EPOCH) && !current.equals(s.epoch);
      if (restart && !outlet.flushNow(s)) {
        // The old epoch's last frame is kept back (direct memory short). Until it has gone, the shards
        // and the joins keep the old numbering, so no client answered in the new epoch gets a frame
        // of the old one: ask again in a while, still checking meanwhile.
        long n = restartsHeld.occurred();
        if (n > 0) {
          log.warning("stream " + s.room + ": its history started again, but direct memory keeps the old epoch's last frame back;"
            + " its new epoch waits until that frame has gone (" + n + " such wait(s) since the last line; merger.encodeFailures)");
        }
        vertx.setTimer(options.holeMillis(), id -> {
          s.checkingEpoch = false;
          if (kept(s)) {
            checkEpoch(s);
          }
        });
        return;
      }
      s.checkingEpoch = false;
      List<PushBatch> foreign = release(s.foreign);
      if (s.epoch.equals(Position.NO_EPOCH) && !current.equals(Position.NO_EPOCH)) {
        reset(s, current, 0); // the stream's first items: its clients stood at offset 0 and get them all
        expect(s, top);
      } else if (restart) {
        long n = restarts.occurred();
        if (n > 0) {
          log.info("stream " + s.room + ": its numbering starts again (its history was lost whole, or let go as idle or at historyMaxStreams) "
            + (current.equals(Position.NO_EPOCH) ? "with its next item" : "in epoch " + current)
            + " (was " + s.epoch + "); its clients are told EPOCH_CHANGED when they rejoin (" + n
            + " such restart(s) since the last line; history.epochChanges)");
        }
        stats.epochChanges.inc();
        reset(s, current, 0);
        outlet.restarted(s);
        expect(s, top);
      } else {
        expect(s, top); // items this node was not sent (their node died first, or its append failed late)
      }
      heard(s, top, issued);
      for (PushBatch b : foreign) {
        if (b.first().epoch().equals(s.epoch)) {
          order(s, b);
        } else {
          // Of an epoch that is no longer current, or of one newer than this answer: then a check
          // was asked for when it came (checkAgain), and the next read makes its items a gap to fill.
          // Either way no copy of these items was delivered: they are no duplicates.
          stats.otherEpochItems.add(b.items().size());
        }
      }
      onChange.accept(s);
      checkAgainIfAsked(s);
    });
  }

  /**
   * Asks the history where {@code room} stands, if this node keeps its state: after an append that
   * failed late (it may have numbered its items all the same) or that turned out a repeat (its first
   * broadcast may never have gone out), what this node was not sent becomes a gap to fill.
   */
  void recheck(String room) {
    StreamState s = states.get(room);
    if (s == null) {
      return;
    }
    if (s.ready()) {
      checkEpoch(s);
    } else {
      s.checkAgain = true; // its first head read is under way: read again once it is answered
    }
  }

  /**
   * A pushgate node left the cluster: it may have numbered items and died before it broadcast them,
   * and for a stream gone quiet nothing else would tell this node of them. The streams this node
   * keeps state for ask the history where they stand, {@link #RECHECKS_PER_TURN} at a time: those
   * whose rooms have members here ({@code hasMembers}), and the others active here within
   * {@link #RECHECK_WINDOW_MILLIS}; never one quiet for historyIdleMillis, which the history has let
   * go (reading it would only find it gone and start it again).
   */
  void recheckAll(java.util.function.Predicate<String> hasMembers) {
    boolean idle = toRecheck.isEmpty();
    long now = System.nanoTime();
    long live = now - options.idleMillis() * 1_000_000L;
    long recent = now - Math.min(options.idleMillis(), RECHECK_WINDOW_MILLIS) * 1_000_000L;
    states.values().forEach(s -> {
      if (s.lastActiveNanos - recent > 0 || (s.lastActiveNanos - live > 0 && hasMembers.test(s.room))) {
        toRecheck.add(s.room);
      }
    });
    if (idle) {
      recheckSome();
    }
  }

  /** {@link #recheck}, in turn with others ({@link #RECHECKS_PER_TURN} at a time): a merge names every stream at once. */
  void recheckSoon(String room) {
    if (states.containsKey(room)) {
      boolean idle = toRecheck.isEmpty();
      toRecheck.add(room);
      if (idle) {
        recheckSome();
      }
    }
  }

  private void recheckSome() {
    Iterator<String> it = toRecheck.iterator();
    for (int i = 0; i < RECHECKS_PER_TURN && it.hasNext(); i++) {
      String room = it.next();
      it.remove();
      recheck(room);
    }
    if (!toRecheck.isEmpty()) {
      vertx.setTimer(RECHECK_SPACING_MILLIS, id -> recheckSome());
    }
  }

  /**
   * The merger handed frames to the shards, all in one command: what a joining client has now, and
   * the rings. A stream's joins are told only once all of its frames are counted: told between two,
   * a join would be answered at the first one's position while its shard already had the second, and
   * its client would miss those items.
   */
  void flushed(List<RoomBatch> frames) {
    Set<StreamState> moved = new LinkedHashSet<>();
    for (RoomBatch b : frames) {
      StreamState s = b.isStream() ? states.get(b.target().room()) : null;
      // A frame behind where the stream stands moves nothing back (it cannot come after a later one
      // of a kept state: the sweep keeps states whose frames wait).
      if (s != null && b.epoch().equals(s.epoch) && b.lastOffset() > s.flushedTop) {
        handed(s, b.lastOffset(), b.items());
        moved.add(s);
      }
    }
    moved.forEach(this::passSkip);
    boundRings();
    moved.forEach(onChange);
  }

  /**
   * Offsets skipped, with everything before them handed out and nothing after them taken yet: no
   * frame is coming that would carry the stream past them, so it stands past them now, as if an empty
   * frame had gone (the shards' next frame starts after them anyway). Else a JOIN answered only at
   * the next frame (Recovery) would wait until the stream's next push, however long.
   *
   * @return whether it moved
   */
  private boolean passSkip(StreamState s) {
    if (s.skippedThrough > s.flushedTop && s.flushedTop == s.skippedFrom - 1 && s.nextExpected - 1 == s.skippedThrough) {
      handed(s, s.skippedThrough, List.of());
      return true;
    }
    return false;
  }

  /** What a joining client of {@code s} has now, and the ring, after a frame of its items. */
  private void handed(StreamState s, long lastOffset, List<byte[]> items) {
    s.flushedTop = lastOffset;
    dropReplays(s);
    long firstOffset = lastOffset - items.size() + 1;
    if (s.ring == null) {
      s.ring = new ReplayRing(firstOffset - 1);
    } else if (s.ring.next() != firstOffset) {
      // Offsets were skipped (gone from the history): the ring holds contiguous items only.
      ringBytes -= s.ring.bytes();
      s.ring.clear(firstOffset - 1);
    }
    long before = s.ring.bytes();
    s.ring.append(items, System.nanoTime(), options.size(), options.streamBytes(), options.ttlMillis() * 1_000_000L);
    ringBytes += s.ring.bytes() - before;
    ringUsed(s);
  }

  /** The stream's ring was appended to or served a replay: it goes last at the ring bound. */
  void ringUsed(StreamState s) {
    ringOrder.remove(s);
    ringOrder.add(s);
  }

  /**
   * The stream's ring, without items older than historyTtlMillis: a replay never serves what the
   * history has let go, so a client gets the same answer on every node. Null when it was dropped.
   */
  ReplayRing ring(StreamState s) {
    if (s.ring != null) {
      long before = s.ring.bytes();
      s.ring.trim(System.nanoTime(), options.size(), options.streamBytes(), options.ttlMillis() * 1_000_000L);
      if (s.ring.bytes() != before) {
        ringBytes += s.ring.bytes() - before;
        dropReplays(s);
      }
    }
    return s.ring;
  }

  /** Drops whole rings, least recently used first, until they fit historyRingBytes together. */
  private void boundRings() {
    for (Iterator<StreamState> it = ringOrder.iterator(); ringBytes > options.ringBytes() && it.hasNext(); ) {
      StreamState s = it.next();
      it.remove();
      if (s.ring != null && s.ring.bytes() > 0) {
        ringBytes -= s.ring.bytes();
        s.ring = null;
        stats.ringEvictions.inc();
      }
    }
  }

  /**
   * Streams quiet for historyTtlMillis keep their numbering but drop their rings (every item in them
   * is past its age, which the history forgets too). Only past {@code maxStates} streams are the least recently active forgotten
   * whole, and never one whose room has members on this node ({@code hasMembers}): its next batch
   * would start its numbering again, and what came before it out of order would be dropped as old.
   * States of streams with no members here (every node keeps one for each stream pushed anywhere)
   * are enough to go. Quiet ones too go only at the bound, so each state forgotten is the bound at work,
   * and counted (history.streamsForgotten).
   */
  void sweep(long nowNanos, int maxStates, java.util.function.Predicate<String> hasMembers) {
    for (Iterator<Map.Entry<String, StreamState>> it = states.entrySet().iterator(); it.hasNext(); ) {
      StreamState s = it.next().getValue();
      boolean quiet = nowNanos - s.lastActiveNanos >= options.ttlMillis() * 1_000_000L;
      if (!quiet && states.size() <= maxStates) {
        break; // access order: the rest were active more recently
      }
      // Not while a gap's wait or read is pending: its answer would hand items on for a state no
      // longer kept, beside a new one for the same room. A read of the head, for a JOIN or an epoch
      // check, is no reason to keep one: its answer finds the state gone and does nothing (kept), so
      // while the history cannot be read, states of rooms nobody is in still go.
      // Nor while its frames wait for the tick or a replay is being read: a new state for the room
      // would answer JOINs from the history's head, and the old frames, handed on after, would give
      // its new members items they had (and move where the stream stands back).
      boolean pending = s.holeTimer >= 0 || s.holeReading || s.replayReads > 0 || outlet.waiting(s);
      if (s.early.isEmpty() && s.waiting.isEmpty() && s.buffered.isEmpty() && s.foreign.isEmpty() && !pending) {
        ringBytes -= s.ring == null ? 0 : s.ring.bytes();
        s.ring = null;
        ringOrder.remove(s);
        dropReplays(s);
        if (states.size() > maxStates && !hasMembers.test(s.room)) {
          it.remove();
          s.dropped = true;
          stats.streamsForgotten.inc();
        }
      }
    }
  }
}
