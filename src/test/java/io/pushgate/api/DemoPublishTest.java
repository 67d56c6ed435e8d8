package io.pushgate.api;

import io.pushgate.testing.TestClient;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /demo/publish on the public port: off by default, rate limited when on. */
class DemoPublishTest {

  private static HttpResponse<String> publish(TestNode node, String body) {
    return Http.send("POST", node.publicPort(), "/demo/publish", "application/json", body, Map.of());
  }

  @Test
  void offByDefault() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject())) {
      HttpResponse<String> r = publish(node, "{\"room\":\"demo\",\"text\":\"hi\"}");
      assertEquals(404, r.statusCode());
      assertEquals("NOT_FOUND", new JsonObject(r.body()).getJsonObject("error").getString("code"));
    }
  }

  @Test
  void commentsReachTheRoomAndTheRateLimitAnswers429() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("demoPublish", true).put("demoPublishPerSecond", 1));
         TestClient viewer = node.client().joinAcked("demo", 1)) {
      HttpResponse<String> badRoom = publish(node, "{\"room\":\"\",\"text\":\"x\"}");
      assertEquals(400, badRoom.statusCode());
      assertEquals(new JsonObject().put("code", "BAD_ROOM").put("message", "room must be a non-empty string"),
        new JsonObject(badRoom.body()).getJsonObject("error"), "README's error table: a bad room is BAD_ROOM, not BAD_REQUEST");
      HttpResponse<String> blank = publish(node, "{\"room\":\"demo\",\"text\":\"\"}");
      assertEquals(400, blank.statusCode());
      assertEquals("BAD_REQUEST", new JsonObject(blank.body()).getJsonObject("error").getString("code"));
      assertEquals(400, publish(node, "not json").statusCode());
      HttpResponse<String> first = publish(node, "{\"room\":\"demo\",\"text\":\" 666 \"}");
      assertEquals(200, first.statusCode(), first.body());
      JsonObject item = (JsonObject) viewer.awaitItems("demo", 1).get(0);
      assertEquals("666", item.getString("text"));
      assertTrue(Math.abs(System.currentTimeMillis() - item.getLong("ts")) < 60_000, "ts is the server's clock in ms: " + item);
      HttpResponse<String> real = publish(node, "{\"room\":\"lobby\",\"text\":\"spam\"}");
      assertEquals(403, real.statusCode(), "the demo may not publish into a real room: " + real.body());
      assertEquals("FORBIDDEN", new JsonObject(real.body()).getJsonObject("error").getString("code"));
      HttpResponse<String> second = publish(node, "{\"room\":\"demo\",\"text\":\"again\"}");
      assertEquals(429, second.statusCode(), second.body());
      assertEquals("RATE_LIMITED", new JsonObject(second.body()).getJsonObject("error").getString("code"));
    }
  }
}
