package io.pushgate.node;

import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public port's plain HTTP: health, readiness, the browser client and the demo page. */
class PublicRoutesTest {

  @Test
  void servesHealthReadinessClientAndPage() {
    try (TestNode node = TestNode.start(new JsonObject())) {
      assertEquals(new JsonObject().put("status", "UP"), new JsonObject(node.get(node.publicPort(), "/health").body()));
      HttpResponse<String> ready = node.get(node.publicPort(), "/ready");
      assertEquals(200, ready.statusCode());
      assertEquals(true, new JsonObject(ready.body()).getBoolean("ready"));

      HttpResponse<String> client = node.get(node.publicPort(), "/pushgate.js");
      assertEquals(200, client.statusCode());
      assertTrue(client.headers().firstValue("Content-Type").orElse("").contains("javascript"), client.headers().toString());
      assertTrue(client.body().contains("export function connect"), "the ES module exports connect");
      assertEquals("no-cache", client.headers().firstValue("Cache-Control").orElse(""));

      HttpResponse<String> types = node.get(node.publicPort(), "/pushgate.d.ts");
      assertEquals("text/plain; charset=utf-8", types.headers().firstValue("Content-Type").orElse(""));
      assertTrue(types.body().contains("connect("));

      HttpResponse<String> page = node.get(node.publicPort(), "/");
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("pushgate"), "the demo page");

      HttpResponse<String> missing = node.get(node.publicPort(), "/nope.html");
      assertEquals(404, missing.statusCode());
      assertEquals("NOT_FOUND", new JsonObject(missing.body()).getJsonObject("error").getString("code"));
    }
  }
}
