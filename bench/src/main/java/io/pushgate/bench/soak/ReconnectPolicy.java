package io.pushgate.bench.soak;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a receiver tries again after its socket closed, as pushgate.js decides it (CLOSE_ACTIONS,
 * backoffDelay, #retry): 1001, 4001 and 1008 come back at once spread over a second; 1013 and 4002
 * back off from a wider window; anything else (1006: a node killed, a handshake refused) backs off
 * exponentially with full jitter, from 1 s up to 30 s. A connection that stayed open 5 s resets it.
 */
final class ReconnectPolicy {

  static final long BASE_MILLIS = 1_000;
  static final long MAX_MILLIS = 30_000;
  static final long JITTER_MILLIS = 1_000;
  static final long STABLE_MILLIS = 5_000;
  private static final int OVERLOAD_MIN_ATTEMPT = 2;

  enum Action { SOON, OVERLOAD, BACKOFF }

  private static final Map<Integer, Action> ACTIONS = Map.of(
    1001, Action.SOON, 4001, Action.SOON, 1008, Action.SOON,
    1013, Action.OVERLOAD, 4002, Action.OVERLOAD);

  private ReconnectPolicy() {
  }

  static Action action(int closeCode) {
    return ACTIONS.getOrDefault(closeCode, Action.BACKOFF);
  }

  /** Full jitter: uniformly in [0, min(max, base * 2^attempt)). */
  static long backoff(int attempt) {
    long ceiling = Math.min(MAX_MILLIS, BASE_MILLIS << Math.min(Math.max(attempt, 0), 20));
    return ThreadLocalRandom.current().nextLong(Math.max(1, ceiling));
  }

  /**
   * The delay before the next attempt.
   *
   * @param attempt attempts since the last stable connection, counting from 0
   */
  static long delay(int closeCode, int attempt) {
    Action a = action(closeCode);
    if (a == Action.SOON) {
      return attempt == 0 ? ThreadLocalRandom.current().nextLong(JITTER_MILLIS) : backoff(attempt);
    }
    return backoff(a == Action.OVERLOAD ? Math.max(attempt, OVERLOAD_MIN_ATTEMPT) : attempt);
  }
}
