package io.pushgate.shard;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node-wide connection budget ({@code maxConnections}). It is the one object the shards share:
 * a single atomic counter touched once per handshake and once per close, never on the delivery
 * path. Splitting the budget per shard instead would refuse clients on a full shard while another
 * has room, because accepted connections are spread round-robin but close unevenly.
 */
public final class ConnectionPermits {

  private final int max;
  private final AtomicInteger used = new AtomicInteger();

  public ConnectionPermits(int max) {
    this.max = max;
  }

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

  public int used() {
    return used.get();
  }
}
