package io.pushgate.bench;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerFanoutTest {

  private static JsonObject reading(long count, long sumMicros, long le10, long le50, long le100) {
    return new JsonObject().put("count", count).put("sumMicros", sumMicros)
      .put("le", new JsonObject().put("10", le10).put("50", le50).put("100", le100).put("+Inf", count));
  }

  @Test
  void theWindowIsTheDifferenceOfTwoReadings() {
    // Before the window: 10 deliveries, all within 10 ms. In it: 100 more, 90 within 10 ms,
    // 8 more within 50 ms and 2 more within 100 ms: 98% is not 99%, so p99 is the 100 ms bucket.
    JsonObject before = reading(10, 50_000, 10, 10, 10);
    JsonObject after = reading(110, 50_000 + 100 * 8_000, 100, 108, 110);
    JsonObject window = FanoutRun.serverFanout(before, after);
    assertEquals(100, window.getLong("deliveries"));
    assertEquals(8.0, window.getDouble("mean"));
    assertEquals("10", window.getString("p50AtMost"));
    assertEquals("100", window.getString("p99AtMost"));
  }

  @Test
  void aServerWithoutTheCounterGivesNothingToReport() {
    assertTrue(FanoutRun.serverFanout(null, null).isEmpty());
    assertEquals(0, FanoutRun.serverFanout(reading(5, 1, 5, 5, 5), reading(5, 1, 5, 5, 5)).getLong("deliveries"));
  }

  @Test
  void threadsAreGroupedByWhatTheyDo() {
    assertEquals("eventLoops", ProcStats.threadGroup("vert.x-eventloo"));
    assertEquals("jit", ProcStats.threadGroup("C2 CompilerThre"));
    assertEquals("jit", ProcStats.threadGroup("C1 CompilerThre"));
    assertEquals("gc", ProcStats.threadGroup("GC Thread#1"));
    assertEquals("gc", ProcStats.threadGroup("G1 Conc#0"));
    assertEquals("other", ProcStats.threadGroup("nginx"));
  }
}
