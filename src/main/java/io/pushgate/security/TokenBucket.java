package io.pushgate.security;

/**
 * A token bucket holding at most one second's worth of tokens ({@code perSecond}), refilled
 * continuously. Kept as two longs in nanoseconds of credit, so a million of them stay small.
 * Not thread-safe: each bucket belongs to one event loop, or is guarded by its owner's lock.
 */
public final class TokenBucket {

  private static final long SECOND = 1_000_000_000L;

  private final long nanosPerToken;
  private final long capacityNanos;
  private long credit;
  private long last;

  /** @param perSecond tokens per second, also the burst; at least 1 */
  public TokenBucket(long perSecond, long nowNanos) {
    this(perSecond, 0, nowNanos);
  }

  /**
   * @param perSecond tokens per second, also the burst; at least 1
   * @param extra one-time tokens on top of a full bucket, spent before any other and never refilled
   */
  public TokenBucket(long perSecond, long extra, long nowNanos) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("perSecond must be at least 1, got " + perSecond);
    }
    this.nanosPerToken = Math.max(1, SECOND / perSecond);
    this.capacityNanos = nanosPerToken * perSecond;
    this.credit = capacityNanos + nanosPerToken * Math.max(0, extra);
    this.last = nowNanos;
  }

  /** Takes one token if there is one. */
  public boolean tryTake(long nowNanos) {
    long elapsed = nowNanos - last;
    if (elapsed > 0) {
      // Refills up to a full bucket; credit above it (the one-time extra) is kept, not clipped.
      if (credit < capacityNanos) {
        credit = elapsed >= capacityNanos ? capacityNanos : Math.min(capacityNanos, credit + elapsed);
      }
      last = nowNanos;
    }
    if (credit >= nanosPerToken) {
      credit -= nanosPerToken;
      return true;
    }
    return false;
  }

  /** True when the bucket would be full at {@code nowNanos}: forgetting it then loses nothing. */
  public boolean isFull(long nowNanos) {
    return credit + Math.max(0, nowNanos - last) >= capacityNanos;
  }
}
