package io.pushgate.shard;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FanoutLagTest {

  @Test
  void bucketsAreCumulativeAndABoundIncludesItsOwnValue() {
    FanoutLag lag = new FanoutLag(100);
    assertFalse(lag.record(1_000_000));        // exactly 1 ms: in "1"
    assertFalse(lag.record(1_500_000));        // in "2"
    assertTrue(lag.record(120_000_000));       // in "150", and longer than the 100 ms tick
    assertTrue(lag.record(9_000_000_000L));    // above every bound
    JsonObject json = lag.toJson();
    JsonObject le = json.getJsonObject("le");
    assertEquals(4, json.getLong("count"));
    assertEquals(2, json.getLong("overTick"));
    assertEquals(1_000 + 1_500 + 120_000 + 9_000_000, json.getLong("sumMicros"));
    assertEquals(1, le.getLong("1"));
    assertEquals(2, le.getLong("2"));
    assertEquals(2, le.getLong("100"));
    assertEquals(3, le.getLong("150"));
    assertEquals(3, le.getLong("5000"));
    assertEquals(4, le.getLong("+Inf"));
    assertEquals(FanoutLag.BOUNDS_MILLIS.length + 1, le.size());
  }
}
