package io.pushgate.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThrottleTest {

  /**
   * The first occurrence is let through at once; the next ones within the interval are held back and
   * counted, and the first after it is let through with the count of all since the last line.
   */
  @Test
  void letsOneThroughPerIntervalWithTheCountSinceTheLast() {
    Throttle throttle = new Throttle(50);
    assertEquals(1, throttle.occurred(), "the first is logged at once");
    long started = System.nanoTime();
    assertEquals(0, throttle.occurred(), "the second, right after, is held back");
    long held = 1;
    long deadline = System.nanoTime() + 5_000_000_000L;
    long n;
    while ((n = throttle.occurred()) == 0 && System.nanoTime() < deadline) {
      held++;
    }
    assertEquals(held + 1, n, "the one let through counts itself and every one held back");
    assertTrue(System.nanoTime() - started >= 40_000_000L, "not before the interval");
    assertEquals(0, throttle.occurred(), "and the interval starts again");
  }
}
