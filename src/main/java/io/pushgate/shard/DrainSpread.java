package io.pushgate.shard;

import io.pushgate.protocol.CloseCode;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;

/**
 * A drain's 1001s, spread evenly over its window: every {@link #SLICE_MILLIS} the share due by then
 * is closed, so that a node's clients reconnect elsewhere over seconds, not in one burst that meets
 * the other nodes' handshake limits. The window shrinks to what the minimum close rate needs, so a
 * node with few clients is done at once. New handshakes are refused meanwhile (the shard is draining).
 */
final class DrainSpread {

  static final long SLICE_MILLIS = 50;

  private final Vertx vertx;
  private final List<Connection> toClose;
  private final long windowNanos;
  private long startNanos;
  private int closed;

  DrainSpread(Vertx vertx, Hub hub, ShardCommand.Drain d) {
    this.vertx = vertx;
    this.toClose = new ArrayList<>(hub.connections);
    long needed = (long) (toClose.size() / d.minClosesPerSecond() * 1e9);
    this.windowNanos = Math.max(0, Math.min(d.windowNanos(), needed));
  }

  void start() {
    startNanos = System.nanoTime();
    if (!closeDue()) {
      vertx.setPeriodic(SLICE_MILLIS, SLICE_MILLIS, id -> {
        if (closeDue()) {
          vertx.cancelTimer(id);
        }
      });
    }
  }

  /** Closes the connections due by the end of the current slice; true once all are closed. */
  private boolean closeDue() {
    int n = toClose.size();
    long elapsed = System.nanoTime() - startNanos + SLICE_MILLIS * 1_000_000L;
    int due = windowNanos <= 0 ? n : (int) Math.min(n, Math.ceil((double) n * elapsed / windowNanos));
    while (closed < due) {
      Connection c = toClose.get(closed++);
      c.close(CloseCode.GOING_AWAY); // one already closing (or closed) ignores it
    }
    return closed >= n;
  }
}
