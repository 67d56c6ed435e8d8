package io.pushgate.metrics;

import java.util.concurrent.atomic.LongAdder;

/** A count that several event loops add to (the node's security refusals): rare events, so a LongAdder costs nothing. */
public final class SharedCounter {

  private final LongAdder value = new LongAdder();

  public void inc() {
    value.increment();
  }

  public long get() {
    return value.sum();
  }
}
