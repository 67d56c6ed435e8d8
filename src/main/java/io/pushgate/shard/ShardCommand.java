package io.pushgate.shard;

import io.pushgate.protocol.EncodedFrame;

import java.util.List;

/** What the merger sends a shard, in order, on {@code Addresses.shard(i)}. */
public sealed interface ShardCommand {

  /**
   * Frames of one tick (or one early flush), each to be written to the members of its room. The
   * receiving shard owns one reference to each frame and must release it.
   */
  record Deliver(List<EncodedFrame> frames) implements ShardCommand {
  }

  /** The node is stopping and everything pending was delivered: close every client with 1001. */
  record Drain() implements ShardCommand {
  }
}
