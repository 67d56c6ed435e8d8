package io.pushgate.metrics;

/**
 * A count kept by the one event loop that owns it: a plain field, so counting costs the delivery
 * path nothing. Metrics scrapes and /stats read it from other threads, a racy but harmless read
 * of one long.
 */
public final class Counter {

  private long value;

  public void inc() {
    value++;
  }

  public void add(long n) {
    value += n;
  }

  public long get() {
    return value;
  }
}
