package io.pushgate.shard;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's own signs that it cannot keep up, shared by the shards and the merger (any thread):
 * when a shard last took longer than a tick to write a tick's frames (the merger then samples
 * low-priority items harder, PROTOCOL.md Priority), and how many shards have a tick's frames
 * handed to them and not yet written (the merger then holds its next tick, so that a node short of
 * CPU writes fewer, fuller frames instead of queueing one tick behind another).
 */
public final class FanoutPressure {

  private final AtomicLong lastOverTickNanos = new AtomicLong(Long.MIN_VALUE);
  private final AtomicInteger ticksUnwritten = new AtomicInteger();

  public void overTick(long nowNanos) {
    lastOverTickNanos.set(nowNanos);
  }

  /** Whether a shard fell behind its tick within the last {@code windowNanos}. */
  public boolean lagging(long nowNanos, long windowNanos) {
    long last = lastOverTickNanos.get();
    return last != Long.MIN_VALUE && nowNanos - last <= windowNanos;
  }

  /** The merger handed a tick's frames to {@code shards} shards. */
  public void tickHandedOut(int shards) {
    ticksUnwritten.addAndGet(shards);
  }

  /** A shard has written (or, failing, dropped) a tick's frames. */
  public void tickWritten() {
    ticksUnwritten.decrementAndGet();
  }

  /** Ticks' frames handed to shards and not written yet, counted once per shard. */
  public int ticksUnwritten() {
    return ticksUnwritten.get();
  }
}
