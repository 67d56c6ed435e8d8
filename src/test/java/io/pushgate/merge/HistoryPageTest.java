package io.pushgate.merge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A history page's JSON, spliced from the items' bytes: the same object a tree of them would give. */
class HistoryPageTest {

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theFieldsThenTheItemsAsTheyWereKept() {
    HistoryPage page = new HistoryPage(new JsonObject().put("room", "s").put("epoch", "e1").put("offset", 3).put("first", 1),
      List.of(json("{\"n\":1,\"t\":\"弹幕 \\\"quoted\\\"\"}"), json("[1,2]"), json("\"x\"")))
      .with("recovered", true);
    JsonObject parsed = new JsonObject(page.toJson());
    assertEquals(new JsonObject().put("room", "s").put("epoch", "e1").put("offset", 3).put("first", 1).put("recovered", true)
      .put("items", new JsonArray().add(new JsonObject().put("n", 1).put("t", "弹幕 \"quoted\"")).add(new JsonArray().add(1).add(2)).add("x")), parsed);
  }

  @Test
  void anEmptyPage() {
    HistoryPage page = new HistoryPage(new JsonObject().put("room", "s"), List.of());
    assertEquals("{\"room\":\"s\",\"items\":[]}", page.toJson().toString());
    assertEquals("{\"items\":[]}", new HistoryPage(new JsonObject(), List.of()).toJson().toString());
  }
}
