package io.pushgate.security;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections that would hold a socket for ever without being a WebSocket or finishing a request:
 * each is cut at its deadline, on either port, and a well-behaved client of the node stays.
 */
class SlowClientsTest {

  private static long handshakeTimeouts(TestNode node) {
    return node.stats().getJsonObject("security").getLong("handshakeTimeouts");
  }

  /** Writes one byte at a time, {@code gapMillis} apart, until the server cuts the socket or {@code bytes} went out. */
  private static boolean trickle(RawClient c, String text, long gapMillis, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    for (byte b : text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        c.writeRaw(new byte[] {b});
      } catch (AssertionError cut) {
        return true;
      }
      try {
        Thread.sleep(gapMillis); // the pace of the trickle is what is under test, not a wait for the node
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    return false;
  }

  @Test
  void aResponseTheClientNeverReadsDoesNotHoldThePublicPortOpen() {
    try (TestNode node = TestNode.start(new JsonObject().put("handshakeTimeoutMillis", 500));
         TestClient ws = node.client();
         RawClient reader = RawClient.connect(null, node.publicPort(), 1_024)) {
      long start = System.nanoTime();
      // Forty pipelined requests for the 20 KB client script, none read: the server's writes back up.
      reader.writeRaw("GET /pushgate.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(40));
      Eventually.await("the unread connection cut", () -> handshakeTimeouts(node) == 1, Duration.ofSeconds(10));
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      assertTrue(elapsed >= 450, "cut after " + elapsed + " ms, before the 500 ms deadline");
      ws.send(ClientMessages.ping());
      assertEquals("PONG", ws.next().getString("type"));
    }
  }

  @Test
  void aTrickledBodyOnThePublicPortIsCutAtTheHandshakeDeadline() {
    try (TestNode node = TestNode.start(new JsonObject().put("handshakeTimeoutMillis", 500).put("demoPublish", true));
         RawClient slow = RawClient.connect(node.publicPort())) {
      String body = "{\"room\":\"demo\",\"text\":\"" + "x".repeat(200) + "\"}";
      slow.writeRaw("POST /demo/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n");
      assertTrue(trickle(slow, body, 50, Duration.ofSeconds(10)), "the node cut a body trickled for longer than its deadline");
      assertEquals(1, handshakeTimeouts(node));
    }
  }

  @Test
  void aTrickledBodyOnTheApiPortIsCutAtTheRequestDeadline() {
    try (TestNode node = TestNode.start(new JsonObject().put("apiRequestTimeoutMillis", 500));
         TestClient member = node.client().joinAcked("r", 1);
         RawClient slow = RawClient.connect(node.apiPort())) {
      String body = "{\"room\":\"r\",\"items\":[\"" + "x".repeat(200) + "\"]}";
      slow.writeRaw("POST /push/room HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n");
      assertTrue(trickle(slow, body, 50, Duration.ofSeconds(10)), "the node cut a body trickled for longer than its deadline");
      assertEquals(1, node.stats().getJsonObject("api").getLong("requestTimeouts"));
      // Requests that finish in time are untouched, on a connection kept alive across them.
      try (RawClient fast = RawClient.connect(node.apiPort())) {
        for (int i = 0; i < 3; i++) {
          String push = "{\"room\":\"r\",\"items\":[" + i + "]}";
          fast.writeRaw("POST /push/room HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + push.length() + "\r\n\r\n" + push);
          assertEquals(200, fast.readResponse());
        }
      }
      assertEquals(java.util.List.of(0, 1, 2), member.awaitItems("r", 3));
    }
  }

  @Test
  void aTrickledRequestHeadOnTheApiPortIsCutAtTheRequestDeadline() {
    try (TestNode node = TestNode.start(new JsonObject().put("apiRequestTimeoutMillis", 500));
         RawClient slow = RawClient.connect(node.apiPort())) {
      assertTrue(trickle(slow, "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "y".repeat(200) + "\r\n\r\n", 50, Duration.ofSeconds(10)));
      assertEquals(1, node.stats().getJsonObject("api").getLong("requestTimeouts"));
    }
  }
}
