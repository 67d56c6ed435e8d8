package io.pushgate.security;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per key (a token's {@code sub}, or a client address group), node-wide, each key
 * capped. A key exists only while it has connections, so the map is bounded by {@code maxConnections}.
 * Touched once at a handshake and once at a close, never on the delivery path.
 */
final class ConnectionCounts {

  private final int max;
  private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

  /** @param max connections per key; 0 turns the cap off */
  ConnectionCounts(int max) {
    this.max = max;
  }

  boolean enabled() {
    return max > 0;
  }

  /** Counts one more connection of {@code key}; false, counting nothing, when the key is at its cap. */
  boolean tryAcquire(String key) {
    boolean[] admitted = {true};
    counts.compute(key, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= max) {
        admitted[0] = false;
        return n;
      }
      return now + 1;
    });
    return admitted[0];
  }

  void release(String key) {
    counts.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
  }

  /** Keys with at least one connection. */
  int keys() {
    return counts.size();
  }
}
