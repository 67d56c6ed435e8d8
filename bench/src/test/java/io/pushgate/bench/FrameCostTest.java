package io.pushgate.bench;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cost of one frame written, from /stats framesWritten at both ends of the window and the server's CPU. */
class FrameCostTest {

  @Test
  void cpuIsSplitOverTheFramesOfTheWindow() {
    JsonObject cost = FanoutRun.frameCost(new JsonObject().put("framesWritten", 1_000.0),
      new JsonObject().put("framesWritten", 1_001_000.0), new JsonObject().put("cpuSeconds", 9.0).put("sysSeconds", 7.0));
    assertEquals(1_000_000, cost.getLong("written"));
    assertEquals(9.0, cost.getDouble("cpuMicrosPerFrame"), 1e-9);
    assertEquals(2.0, cost.getDouble("userMicrosPerFrame"), 1e-9);
    assertEquals(7.0, cost.getDouble("sysMicrosPerFrame"), 1e-9);
  }

  @Test
  void aServerWithoutTheCounterGivesNothing() {
    assertTrue(FanoutRun.frameCost(new JsonObject(), new JsonObject(), new JsonObject().put("cpuSeconds", 1.0).put("sysSeconds", 0.5)).isEmpty());
  }
}
