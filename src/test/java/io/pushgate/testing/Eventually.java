package io.pushgate.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits on a condition with a deadline; the way tests wait instead of sleeping. */
public final class Eventually {

  private Eventually() {
  }

  public static void await(String what, BooleanSupplier condition) {
    await(what, condition, TestClient.TIMEOUT);
  }

  public static void await(String what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.onSpinWait();
      try {
        Thread.sleep(10); // polling interval of the wait, not a synchronization
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  public static <T> T value(String what, Supplier<T> supplier, java.util.function.Predicate<T> ok) {
    Object[] last = new Object[1];
    await(what, () -> {
      T v = supplier.get();
      last[0] = v;
      return ok.test(v);
    });
    @SuppressWarnings("unchecked") T v = (T) last[0];
    return v;
  }
}
