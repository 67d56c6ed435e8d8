package io.pushgate.shard;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's own sign that it cannot keep up: when a shard last took longer than a tick to write a
 * tick's frames. Shards set it, the merger reads it to sample low-priority items harder while it
 * lasts (PROTOCOL.md, Priority). One per node; any thread.
 */
public final class FanoutPressure {

  private final AtomicLong lastOverTickNanos = new AtomicLong(Long.MIN_VALUE);

  public void overTick(long nowNanos) {
    lastOverTickNanos.set(nowNanos);
  }

  /** Whether a shard fell behind its tick within the last {@code windowNanos}. */
  public boolean lagging(long nowNanos, long windowNanos) {
    long last = lastOverTickNanos.get();
    return last != Long.MIN_VALUE && nowNanos - last <= windowNanos;
  }
}
