package io.pushgate.api;

/** A token bucket for one owner's event loop: {@code perSecond} tokens a second, bursts up to the same. */
final class TokenBucket {

  private final double perSecond;
  private double tokens;
  private long lastNanos = System.nanoTime();

  TokenBucket(long perSecond) {
    this.perSecond = perSecond;
    this.tokens = perSecond;
  }

  boolean tryTake() {
    long now = System.nanoTime();
    tokens = Math.min(perSecond, tokens + (now - lastNanos) / 1e9 * perSecond);
    lastNanos = now;
    if (tokens < 1) {
      return false;
    }
    tokens--;
    return true;
  }
}
