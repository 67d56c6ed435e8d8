package io.pushgate.shard;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node-wide bound shared by the shards ({@code maxConnections}, {@code maxRooms}): a single
 * atomic counter touched when something is taken or given back, never on the delivery path.
 * Splitting a budget per shard instead would refuse on a full shard while another has room,
 * because accepted connections are spread round-robin but close unevenly.
 */
public final class Budget {

  private final int max;
  private final AtomicInteger used = new AtomicInteger();

  public Budget(int max) {
    this.max = max;
  }

  /** Takes one unit; false, taking nothing, when the budget is spent. */
  public boolean tryAcquire() {
    while (true) {
      int now = used.get();
      if (now >= max) {
        return false;
      }
      if (used.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  public void release() {
    used.decrementAndGet();
  }

  int used() {
    return used.get();
  }
}
