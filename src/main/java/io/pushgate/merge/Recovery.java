package io.pushgate.merge;

import io.pushgate.history.ReadResult;
import io.pushgate.metrics.DirectMemory;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.NotRecovered;
import io.pushgate.protocol.Position;
import io.pushgate.protocol.PushFrameEncoder;
import io.pushgate.shard.ShardCommand;
import io.pushgate.shard.StreamJoin;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * JOINs of streams, answered by the merger because it alone knows what each shard has been handed:
 * a client that says where it is ({@code since}) gets the items it missed, up to the last offset
 * handed to its shard, then the live frames, nothing in between lost or sent twice. Replays come
 * from the stream's ring (or, when the ring does not reach back, from the history) and are encoded
 * once per position until the next flush, so a reconnect storm of one node's clients costs about one
 * encode per room. A client ahead of this node waits, bounded, for it to catch up.
 */
final class Recovery {

  private final Streams streams;
  private final MergerOptions options;
  private final StreamStats stats;
  /** Sends an answer to the shard (its index, the command). */
  private final BiConsumer<Integer, ShardCommand> toShard;
  /** Streams with joins waiting, so that deadlines are checked without walking every stream. */
  private final Set<StreamState> waitingIn = new LinkedHashSet<>();

  Recovery(Streams streams, MergerOptions options, StreamStats stats, BiConsumer<Integer, ShardCommand> toShard) {
    this.streams = streams;
    this.options = options;
    this.stats = stats;
    this.toShard = toShard;
    streams.onChange = this::retry;
  }

  void join(StreamJoin j) {
    StreamState s = streams.stateForJoin(j.room());
    if (!s.ready() || !tryAnswerOrWait(s, j)) {
      keepWaiting(s, j);
    }
  }

  /** The join is answered when the stream moves ({@link #retry}), or at its deadline ({@link #expire}). */
  private void keepWaiting(StreamState s, StreamJoin j) {
    s.waiting.add(j);
    waitingIn.add(s);
  }

  /** The stream moved (ready, flushed, new epoch, a gap read): its waiting joins try again. */
  private void retry(StreamState s) {
    if (s.waiting.isEmpty() || !s.ready()) {
      return;
    }
    List<StreamJoin> waiting = new ArrayList<>(s.waiting);
    s.waiting.clear();
    for (StreamJoin j : waiting) {
      if (!tryAnswerOrWait(s, j)) {
        s.waiting.add(j);
      }
    }
    if (s.waiting.isEmpty()) {
      waitingIn.remove(s);
    }
  }

  /**
   * Joins that waited past their deadline: the node could not catch up with the client, or learn where
   * the stream stands, or find direct memory for the replay. None of that says the items are gone (a
   * since that no read can reach is answered before, EPOCH_CHANGED): the client is told to retry.
   */
  void expire(long nowNanos) {
    for (Iterator<StreamState> states = waitingIn.iterator(); states.hasNext(); ) {
      StreamState s = states.next();
      for (Iterator<StreamJoin> it = s.waiting.iterator(); it.hasNext(); ) {
        StreamJoin j = it.next();
        if (nowNanos > j.deadlineNanos()) {
          it.remove();
          unavailable(j);
        }
      }
      if (s.waiting.isEmpty()) {
        states.remove();
      }
    }
  }

  /** A replay that cannot be encoded for want of direct memory waits too: for the next frame, or its deadline. */
  private boolean tryAnswerOrWait(StreamState s, StreamJoin j) {
    try {
      return tryAnswer(s, j);
    } catch (OutOfMemoryError e) {
      if (!DirectMemory.isShortage(e)) {
        throw e;
      }
      return false;
    }
  }

  /** @return false when the join must wait (for this node to catch up with the client) */
  private boolean tryAnswer(StreamState s, StreamJoin j) {
    Position since = j.since();
    if (since == null) {
      answer(j, j.id() == null ? null : position(s), List.of());
      return true;
    }
    if (!since.epoch().equals(s.epoch)) {
      if (!heardSince(s, j)) {
        // The client's epoch may be newer than this node's: the stream's first items, or a new numbering
        // after its history was lost, may have come through a node that died before its broadcast
        // reached this one. The history says which is current, not this node's older idea of it.
        streams.checkEpoch(s);
        // A standalone node's history answers at once, before this join waits where the answer
        // would find it: then it is answered now, by what the history said.
        return heardSince(s, j) && tryAnswer(s, j);
      }
      notRecovered(s, j, NotRecovered.EPOCH_CHANGED);
      return true;
    }
    if (since.offset() > s.flushedTop) {
      if (since.offset() < s.skippedThrough) {
        // It lacks offsets this node skipped: it will never hand them to its shards, so waiting cannot
        // help. (One that has every offset up to the skip lacks nothing: it waits for the next frame.)
        notRecovered(s, j, NotRecovered.HISTORY_GONE);
        return true;
      }
      if (heardSince(s, j) && since.offset() > s.historyTop) {
        // A read issued after the client spoke knows every offset it can have: this one was never given out.
        notRecovered(s, j, NotRecovered.EPOCH_CHANGED);
        return true;
      }
      streams.expect(s, since.offset()); // a client from a faster node: wait for this one to catch up
      return false;
    }
    if (s.skippedThrough > s.flushedTop) {
      // Offsets skipped and not handed out yet: the shards' next frame starts past them. Answered from
      // the ring now, the join would be told recovered and then get that frame with a gap before it;
      // at the frame (which clears the ring) it gets HISTORY_GONE at the frame's position instead.
      return false;
    }
    if (since.offset() < s.skippedThrough) {
      // It lacks offsets this node skipped, now behind the stream: neither the ring nor the history has them.
      notRecovered(s, j, NotRecovered.HISTORY_GONE);
      return true;
    }
    long missed = s.flushedTop - since.offset();
    if (missed > streams.options.maxRecoveryItems()) {
      notRecovered(s, j, NotRecovered.TOO_FAR);
    } else if (missed == 0) {
      recovered(s, j, List.of());
    } else if (streams.ring(s) != null && s.ring.first() <= since.offset() + 1) {
      streams.ringUsed(s); // a ring serving a storm of rejoins is kept before one only appended to
      List<EncodedFrame> cached = s.replays.get(since.offset());
      if (cached != null) {
        stats.replayShared.inc();
        cached.forEach(f -> f.retain(1)); // the cache keeps its own reference until the next flush
        recovered(s, j, cached);
      } else {
        List<EncodedFrame> replay = encode(s, since.offset() + 1, s.ring.range(since.offset() + 1, s.flushedTop));
        if (streams.cacheReplay(s, since.offset(), replay)) {
          replay.forEach(f -> f.retain(1));
        }
        recovered(s, j, replay);
      }
    } else {
      readForReplay(s, j);
    }
    return true;
  }

  /** Whether the stream's top was last read from the history by a read issued after the JOIN was sent. */
  private static boolean heardSince(StreamState s, StreamJoin j) {
    return s.historyTop >= 0 && s.historyReadNanos - j.sentNanos() >= 0;
  }

  /** The stream's history could not be read for the JOIN, now or by its deadline: the client tries again (RATE_LIMITED). */
  private void unavailable(StreamJoin j) {
    stats.joinsUnavailable.inc();
    toShard.accept(j.shard(), new ShardCommand.StreamJoined(j, null, List.of(),
      "the stream's history could not be reached in time: retry the JOIN"));
  }

  /**
   * The ring does not reach back to the client: its replay starts from the history, the ring adds what
   * came since. A read that fails or outlasts the JOIN's deadline (the history's owner failing over)
   * says nothing of what the history holds: the client is told to retry, not HISTORY_GONE, and its
   * connection's later requests, which wait behind the JOIN, are not held past the deadline.
   */
  private void readForReplay(StreamState s, StreamJoin j) {
    readForReplay(s, j, false);
  }

  /** @param again a second read, after frames went out during the first and their ring was dropped */
  private void readForReplay(StreamState s, StreamJoin j, boolean again) {
    long since = j.since().offset();
    String epoch = s.epoch;
    long topAtIssue = s.flushedTop;
    stats.historyOps.inc();
    boolean[] answered = {false};
    long timer = streams.vertx.setTimer(Math.max(1, (j.deadlineNanos() - System.nanoTime() + 999_999) / 1_000_000), id -> {
      if (!answered[0]) {
        answered[0] = true;
        unavailable(j);
      }
    });
    s.replayReads++;
    // A read still waiting for its turn when the JOIN was answered at its deadline is not sent.
    streams.reads.read(s.room, since, (int) (s.flushedTop - since), t -> { }, () -> !answered[0]).onComplete(ar -> {
      s.replayReads--;
      if (answered[0]) {
        return; // answered at its deadline
      }
      answered[0] = true;
      streams.vertx.cancelTimer(timer);
      if (!epoch.equals(s.epoch)) {
        notRecovered(s, j, NotRecovered.EPOCH_CHANGED);
        return;
      }
      if (ar.failed()) {
        stats.historyFailures.inc();
        unavailable(j);
        return;
      }
      ReadResult r = ar.result();
      if (!epoch.equals(r.epoch())) {
        // The stream started again (or was let go) since this node last asked, and its state still
        // has the client's epoch: answered from it, the client would be told EPOCH_CHANGED with the
        // epoch it sent, and the node would keep it until the stream's next push. The join waits for
        // the node to learn the current one (put back first: a history that answers at once answers
        // the check before it returns).
        keepWaiting(s, j);
        streams.checkEpoch(s);
        return;
      }
      if (s.skippedThrough > s.flushedTop) {
        // Offsets were skipped during the read and are not handed out yet: as in tryAnswer, answered
        // now the client would be told recovered and get the next frame with a gap before it.
        keepWaiting(s, j);
        return;
      }
      if (r.first() > since + 1) {
        notRecovered(s, j, NotRecovered.HISTORY_GONE);
        return;
      }
      // Up to what this node has handed its shards now, which may have moved during the read.
      List<byte[]> items = new ArrayList<>(r.items().subList(0, (int) Math.min(r.items().size(), s.flushedTop - since)));
      long readTop = since + items.size();
      if (readTop < s.flushedTop) {
        ReplayRing ring = streams.ring(s);
        if (ring == null || ring.first() > readTop + 1) {
          if (!again && readTop == topAtIssue) {
            // The read gave all it was asked, and frames went out meanwhile whose ring was dropped
            // (historyRingBytes): the history has them, just appended. Read once more, up to where the
            // stream stands now, by the JOIN's deadline as any read.
            readForReplay(s, j, true);
            return;
          }
          notRecovered(s, j, NotRecovered.HISTORY_GONE);
          return;
        }
        items.addAll(ring.range(readTop + 1, s.flushedTop));
      }
      List<EncodedFrame> replay;
      try {
        replay = encode(s, since + 1, items);
      } catch (OutOfMemoryError e) {
        if (!DirectMemory.isShortage(e)) {
          throw e;
        }
        keepWaiting(s, j); // tried again at the stream's next frame
        return;
      }
      recovered(s, j, replay);
    });
  }

  /** The replay as frames of at most maxBatchItems items and maxBatchBytes, each saying where its last item stands. */
  private List<EncodedFrame> encode(StreamState s, long firstOffset, List<byte[]> items) {
    List<EncodedFrame> frames = new ArrayList<>();
    int from = 0;
    try {
      while (from < items.size()) {
        int to = from;
        long bytes = 0;
        while (to < items.size() && (to == from || (to - from < options.maxBatchItems() && bytes + items.get(to).length <= options.maxBatchBytes()))) {
          bytes += items.get(to).length;
          to++;
        }
        frames.add(PushFrameEncoder.encode(s.target, items.subList(from, to), bytes, new Position(firstOffset + to - 1, s.epoch)));
        stats.replayEncodes.inc();
        from = to;
      }
    } catch (OutOfMemoryError e) {
      frames.forEach(EncodedFrame::release); // the replay is all or nothing
      throw e;
    }
    return frames;
  }

  /** @param replay frames of which the shard gets one reference each */
  private void recovered(StreamState s, StreamJoin j, List<EncodedFrame> replay) {
    stats.recovered.inc();
    replay.forEach(f -> stats.replayedItems.add(f.items()));
    answer(j, position(s).put("recovered", true), replay);
  }

  private void notRecovered(StreamState s, StreamJoin j, NotRecovered reason) {
    stats.notRecovered.get(reason).inc();
    JsonObject ack = s.ready() ? position(s) : new JsonObject().put("room", s.room);
    answer(j, ack.put("recovered", false).put("reason", reason.name()), List.of());
  }

  /** The position after which the joining connection gets every item: the last one handed to its shard. */
  private static JsonObject position(StreamState s) {
    return new JsonObject().put("room", s.room).put("offset", s.flushedTop).put("epoch", s.epoch);
  }

  private void answer(StreamJoin j, JsonObject ack, List<EncodedFrame> replay) {
    toShard.accept(j.shard(), new ShardCommand.StreamJoined(j, ack, List.copyOf(replay)));
  }

  /**
   * GET /rooms/{room}/history (PROTOCOL.md): the items after {@code since} when it can be served, else the last {@code limit}.
   * @param deadlineNanos when the API stops waiting for the answer: a read still waiting for its turn
   *                      (maxHistoryReads) then is not sent, so a backlog of pages nobody waits for any
   *                      longer holds up no gap's read or JOIN's replay
   */
  Future<HistoryPage> history(String room, Position since, int limit, long deadlineNanos) {
    java.util.function.BooleanSupplier awaited = () -> System.nanoTime() - deadlineNanos < 0;
    stats.historyOps.inc();
    return streams.reads.read(room, since == null ? -1 : since.offset(), limit, t -> { }, awaited).compose(r -> {
      if (r.epoch() == null) {
        // No entry (nothing pushed yet, or forgotten): nothing is created for a reader.
        HistoryPage none = HistoryPage.none(room);
        return Future.succeededFuture(since == null ? none : Position.NONE.equals(since) ? none.with("recovered", true)
          : none.with("recovered", false).with("reason", NotRecovered.EPOCH_CHANGED.name()));
      }
      if (since == null) {
        return Future.succeededFuture(HistoryPage.of(room, r.epoch(), r.top(), r.from(), r.items()));
      }
      // More missed than the page holds is TOO_FAR: a page of the first L would claim the stream's top
      // while the items after it are missing from it, and a backend that renders it would skip them.
      NotRecovered reason = !since.epoch().equals(r.epoch()) || since.offset() > r.top() ? NotRecovered.EPOCH_CHANGED
        : r.first() > since.offset() + 1 ? NotRecovered.HISTORY_GONE
        : r.top() - since.offset() > limit ? NotRecovered.TOO_FAR : null;
      if (reason == null) {
        return Future.succeededFuture(HistoryPage.of(room, r.epoch(), r.top(), r.from(), r.items()).with("recovered", true));
      }
      stats.historyOps.inc();
      return streams.reads.read(room, -1, limit, t -> { }, awaited)
        .map(last -> HistoryPage.of(room, last.epoch(), last.top(), last.from(), last.items()).with("recovered", false).with("reason", reason.name()));
    });
  }
}
