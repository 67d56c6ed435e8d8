package io.pushgate.shard;

import io.pushgate.protocol.EncodedFrame;

import java.util.List;
import java.util.Map;

/** What the merger sends a shard, in order, on {@code Addresses.shard(i)}. */
public sealed interface ShardCommand {

  /**
   * Frames of one tick (or one early or leading flush: {@code tick} false), each to be written to the
   * members of its room. The receiving shard owns one reference to each frame and must release it,
   * and tells {@link FanoutPressure#tickWritten()} once it has written a tick's. {@code tickNanos} is
   * the {@link System#nanoTime()} at which the merger began the tick, for the fan-out lag.
   */
  record Deliver(List<EncodedFrame> frames, long tickNanos, boolean tick) implements ShardCommand {
  }

  /** Cluster-wide connection counts per room: send ONLINE to watchers of rooms whose count changed, and to new watchers. */
  record Online(Map<String, Integer> totals, long spacingNanos) implements ShardCommand {
  }

  /**
   * The merger's answer to a {@link StreamJoin}: the ACK's data (null when the JOIN gets no ACK)
   * and the replay frames to write before any live frame, after which the connection is in the room.
   * The shard owns one reference to each frame and must release it. {@code retryLater}, when not
   * null, says why the JOIN could not be answered yet: the client gets RATE_LIMITED with it and is
   * not in the room.
   */
  record StreamJoined(StreamJoin join, io.vertx.core.json.JsonObject ack, List<EncodedFrame> replay, String retryLater) implements ShardCommand {

    public StreamJoined(StreamJoin join, io.vertx.core.json.JsonObject ack, List<EncodedFrame> replay) {
      this(join, ack, replay, null);
    }
  }

  /**
   * A stream's numbering started again (its history was lost whole): the position the shard learnt
   * from its frames is of the old epoch, so its JOINs go to the merger until a frame says anew.
   */
  record StreamRestarted(String room) implements ShardCommand {
  }

  /**
   * Items for {@code target} (a room that is not a stream, or every connection) were broadcast by
   * another node and this node could not take them: its clients there would miss them without
   * knowing, so they are closed with 1013 and come back (PROTOCOL: never left silently missing).
   */
  record Missed(io.pushgate.protocol.Target target) implements ShardCommand {
  }

  /**
   * The node is stopping and everything pending was delivered: close every client with 1001, spread
   * over {@code windowNanos} but at least {@code minClosesPerSecond} a second (this shard's share).
   */
  record Drain(long windowNanos, double minClosesPerSecond) implements ShardCommand {
  }
}
