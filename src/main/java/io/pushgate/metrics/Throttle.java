package io.pushgate.metrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a repeated warning through at most once per interval, and counts the occurrences it held back,
 * so a log says how often something happens without a line per time. Safe from any thread.
 */
public final class Throttle {

  private final long intervalNanos;
  private final AtomicLong last;
  private final AtomicLong since = new AtomicLong();

  public Throttle(long intervalMillis) {
    this.intervalNanos = intervalMillis * 1_000_000L;
    this.last = new AtomicLong(System.nanoTime() - intervalNanos);
  }

  /**
   * Counts one occurrence.
   *
   * @return 0 to stay quiet; else the occurrences since the last line (this one included): log now
   */
  public long occurred() {
    long n = since.incrementAndGet();
    long at = last.get();
    long now = System.nanoTime();
    if (now - at >= intervalNanos && last.compareAndSet(at, now)) {
      since.addAndGet(-n);
      return n;
    }
    return 0;
  }
}
