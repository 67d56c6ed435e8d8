package io.pushgate.merge;

import io.pushgate.protocol.EncodedFrame;
import io.pushgate.shard.StreamJoin;
import io.pushgate.protocol.Target;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What this node's merger knows of one stream: the epoch it delivers, the next offset it expects,
 * the last offset it handed to the shards, batches that came ahead of their turn, the ring of
 * recent items for replays, and the joins that wait for it. Only the merger's thread touches it.
 */
final class StreamState {

  final String room;
  final Target target;
  /** Null until the stream's head has been read from the history. */
  String epoch;
  long nextExpected;
  /** The last offset handed to the shards: what a joining client has had, if it joins now. */
  long flushedTop;
  /** The highest offset known to exist: from batches ahead of their turn, or a client that has it. */
  long knownTop;
  /**
   * A batch ahead of its turn, and when it came: a gap read issued after that knows whether the
   * stream gave out its offsets, one issued before does not.
   */
  record Early(PushBatch batch, long cameNanos) {
  }

  /** Batches ahead of their turn, by first offset. */
  final TreeMap<Long, Early> early = new TreeMap<>();
  long earlyBytes;
  /** The stream's top as the history last told it, and when that read was issued. */
  long historyTop = -1;
  long historyReadNanos;
  long holeTimer = -1;
  boolean holeReading;
  /** Replays being read from the history for this stream's JOINs: the sweep keeps the state meanwhile. */
  int replayReads;
  /** Null after it was dropped to keep the node's rings in their bound; rebuilt from the next flush. */
  ReplayRing ring;
  /** Batches that came while the head was read (buffered) or with another epoch (foreign). */
  final List<PushBatch> buffered = new ArrayList<>();
  final List<PushBatch> foreign = new ArrayList<>();
  boolean checkingEpoch;
  /** Reads of the head (for a JOIN, or to check the epoch) that failed in a row: the next waits longer. */
  int headFailures;
  /** Let go by the sweep: an answer that comes for it after does nothing. */
  boolean dropped;
  /**
   * Asked to check where the stream stands while a read of its head was already under way (one that
   * may have been answered before what prompted the ask, e.g. a merge after a split): read again then.
   */
  boolean checkAgain;
  /** The last offset this node skipped (gone from the history before it could read it); 0 when none. */
  long skippedThrough;
  /** The first offset of that skip. */
  long skippedFrom;
  /** Joins that wait for the head, or for this node to catch up with the client. */
  final List<StreamJoin> waiting = new ArrayList<>();
  /** Replays encoded for a {@code since}, valid until the next flush: a reconnect storm encodes each once. */
  final Map<Long, List<EncodedFrame>> replays = new HashMap<>();
  /** Wire bytes of the frames in {@link #replays}. */
  long replayBytes;
  long lastActiveNanos;

  StreamState(String room, long nowNanos) {
    this.room = room;
    this.target = Target.room(room);
    this.lastActiveNanos = nowNanos;
  }

  boolean ready() {
    return epoch != null;
  }

  /** A gap: offsets known to exist that have not come. */
  boolean hasHole() {
    return knownTop >= nextExpected;
  }

  /** Starts numbering after {@code top} in {@code epoch}, forgetting everything of before. */
  void reset(String epoch, long top) {
    this.epoch = epoch;
    nextExpected = top + 1;
    flushedTop = top;
    knownTop = top;
    skippedThrough = 0;
    skippedFrom = 0;
    historyTop = -1; // of the old numbering
    early.clear();
    earlyBytes = 0;
    if (ring != null) {
      ring.clear(top);
    } else {
      ring = new ReplayRing(top);
    }
    dropReplays();
  }

  /** @return the wire bytes the cache held */
  long dropReplays() {
    replays.values().forEach(frames -> frames.forEach(EncodedFrame::release));
    replays.clear();
    long dropped = replayBytes;
    replayBytes = 0;
    return dropped;
  }
}
