package io.pushgate.node;

import io.pushgate.testing.Http;
import io.pushgate.testing.RawClient;
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
      assertEquals(new JsonObject().put("ready", true), new JsonObject(ready.body()), "readiness says nothing about the node");

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

  /** No response of the public port may be sniffed into a script, and the page loads only its own files. */
  @Test
  void everyResponseForbidsSniffingAndThePageHasAPolicy() {
    try (TestNode node = TestNode.start(new JsonObject())) {
      for (String path : new String[] {"/", "/pushgate.js", "/health", "/nope.html"}) {
        HttpResponse<String> r = node.get(node.publicPort(), path);
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""), path);
        assertEquals(io.pushgate.security.PublicPortHeaders.CONTENT_SECURITY_POLICY, r.headers().firstValue("Content-Security-Policy").orElse(""), path);
      }
      String probe = "/%3Cscript%3Ealert(1)%3C%2Fscript%3E.html";
      HttpResponse<String> missing = node.get(node.publicPort(), probe);
      assertEquals(404, missing.statusCode());
      assertTrue(!missing.body().contains("script") && !missing.body().contains("alert"), "the 404 repeats what it was sent: " + missing.body());
      assertEquals("*", node.get(node.publicPort(), "/pushgate.js").headers().firstValue("Access-Control-Allow-Origin").orElse(""),
        "another origin's page may import the client");
    }
  }

  @Test
  void theClientsVersionComesFromItsOwnConstant() {
    assertEquals("1.4.0", ClientScript.version("// x\nexport const VERSION = '1.4.0';\nexport function connect() {}"));
    assertEquals(null, ClientScript.version("export function connect() {}"));
  }

  /** HEAD is GET without the body on the health, readiness and versioned client routes. */
  @Test
  void headIsAnsweredAsGetWithoutABody() {
    try (TestNode node = TestNode.start(new JsonObject())) {
      String version = ClientScript.version(node.get(node.publicPort(), "/pushgate.js").body());
      for (String path : new String[] {"/health", "/ready", "/pushgate-" + version + ".js"}) {
        String answer = Http.raw(node.publicPort(), "HEAD " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 200"), path + ": " + answer);
        assertTrue(answer.endsWith("\r\n\r\n"), path + " has no body: " + answer);
        assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("x-content-type-options: nosniff"), answer);
      }
    }
  }

  /**
   * The shards' handshake refusals are written on the socket before Vert.x-web sees the request:
   * they carry the same headers as every other answer of the port.
   */
  @Test
  void handshakeRefusalsCarryThePortsHeaders() {
    try (TestNode node = TestNode.start(new JsonObject()); RawClient raw = RawClient.connect(node.publicPort())) {
      // The connection stays open after a refusal (the client may ask again): only the head is read.
      raw.writeRaw("GET /nope HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: cHVzaGdhdGUtcmF3LWtleQ==\r\n\r\n");
      String answer = raw.readHead();
      assertTrue(answer.startsWith("HTTP/1.1 404"), answer);
      String head = answer.toLowerCase(java.util.Locale.ROOT);
      assertTrue(head.contains("content-type: text/plain; charset=utf-8"), answer);
      assertTrue(head.contains("x-content-type-options: nosniff"), answer);
      assertTrue(answer.contains("Content-Security-Policy: " + io.pushgate.security.PublicPortHeaders.CONTENT_SECURITY_POLICY), answer);
    }
  }
}
