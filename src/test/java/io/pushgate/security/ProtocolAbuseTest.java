package io.pushgate.security;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.pushgate.testing.RawClient.OP_CONTINUATION;
import static io.pushgate.testing.RawClient.OP_TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each abuse of PROTOCOL.md's contract gets the code it names, over a real socket, while a
 * well-behaved client of the same node keeps working.
 */
class ProtocolAbuseTest {

  private static void assertStillServes(TestClient c) {
    c.send(ClientMessages.ping());
    assertEquals("PONG", c.next().getString("type"));
  }

  private static byte[] bytes(Object... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (Object p : parts) {
      if (p instanceof String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      } else if (p instanceof Integer b) {
        out.write(b);
      }
    }
    return out.toByteArray();
  }

  @Test
  void slowSilentAndIdleConnectionsAreCutAtTheHandshakeTimeoutWhileWebSocketsStay() {
    try (TestNode node = TestNode.start(new JsonObject().put("handshakeTimeoutMillis", 300));
         TestClient ws = node.client()) {
      long start = System.nanoTime();
      try (RawClient silent = RawClient.connect(node.publicPort());
           RawClient slow = RawClient.connect(node.publicPort());
           RawClient idle = RawClient.connect(node.publicPort())) {
        slow.writeRaw("GET /connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
        idle.writeRaw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(200, idle.readStatus());
        assertTrue(silent.awaitEof());
        assertTrue(slow.awaitEof());
        assertTrue(idle.awaitEof());
      }
      long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(elapsedMillis >= 290, "closed after " + elapsedMillis + " ms, before the 300 ms timeout");
      // The WebSocket connected before all of them, so its own timer would have fired by now.
      assertStillServes(ws);
      assertEquals(3, node.stats().getJsonObject("security").getLong("handshakeTimeouts"));
    }
  }

  @Test
  void oversizedHeadersGet431AndOverlongRequestLines414OnBothPorts() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxHeaderBytes", 1_024).put("maxRequestLineBytes", 256));
         TestClient ws = node.client()) {
      try (RawClient c = RawClient.connect(node.publicPort())) {
        assertEquals(431, c.handshake("/connect", "X-Pad: " + "p".repeat(2_000) + "\r\n"));
        assertTrue(c.awaitEof());
      }
      try (RawClient c = RawClient.connect(node.publicPort())) {
        assertEquals(414, c.handshake("/connect?token=" + "t".repeat(300), ""));
        assertTrue(c.awaitEof());
      }
      try (RawClient c = RawClient.connect(node.apiPort())) {
        c.writeRaw("POST /push/all HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p".repeat(2_000) + "\r\nContent-Length: 0\r\n\r\n");
        assertEquals(431, c.readStatus());
      }
      try (RawClient c = RawClient.connect(node.publicPort())) {
        assertEquals(101, c.handshake("/connect?token=" + "t".repeat(100), "X-Pad: " + "p".repeat(500) + "\r\n"), "under both limits");
      }
      assertStillServes(ws);
      JsonObject refused = node.stats().getJsonObject("security").getJsonObject("refused");
      assertEquals(1, refused.getLong("headers_too_large"), refused.encode());
      assertEquals(1, refused.getLong("request_line_too_long"), refused.encode());
    }
  }

  @Test
  void moreFragmentsThanTheLimitAreClosedWith1009AndFewerAreReassembled() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxFragmentsPerMessage", 4));
         TestClient ok = node.client(); TestClient flood = node.client(); TestClient bystander = node.client()) {
      ok.raw().sendText("{\"type\":", false).join();
      ok.raw().sendText("\"PI", false).join();
      ok.raw().sendText("NG\"", false).join();
      ok.raw().sendText("}", true).join();
      assertEquals("PONG", ok.next().getString("type"));
      for (int i = 0; i < 5 && !flood.isClosed(); i++) {
        flood.raw().sendText("", false).join();
      }
      assertEquals(1009, flood.awaitClose());
      assertStillServes(bystander);
    }
  }

  @Test
  void framesThatBreakRfc6455AreClosedWith1002NotThePolicyCode() {
    try (TestNode node = TestNode.start(new JsonObject()); TestClient bystander = node.client()) {
      try (RawClient c = RawClient.connect(node.publicPort())) {
        assertEquals(101, c.handshake());
        c.sendFrame(OP_TEXT, true, bytes("{\"type\":\"PING\"}"), false); // clients must mask (RFC 6455, 5.1)
        assertEquals(1002, c.awaitClose());
      }
      try (RawClient c = RawClient.connect(node.publicPort())) {
        assertEquals(101, c.handshake());
        c.sendFrame(OP_CONTINUATION, true, bytes("\"}")); // nothing to continue
        assertEquals(1002, c.awaitClose());
      }
      JsonObject closed = node.stats().getJsonObject("closed");
      assertEquals(2, closed.getLong("protocol_error"));
      assertEquals(0, closed.getLong("policy_violation", 0L));
      assertStillServes(bystander);
    }
  }

  @Test
  void invalidUtf8IsClosedWith1007EvenAcrossFragmentsAndValidSplitCharactersPass() {
    // A minute's close timeout: the socket must end because the server fails the connection at once
    // (the decoder can no longer read the client's close), not because the timeout cut it.
    try (TestNode node = TestNode.start(new JsonObject().put("closeTimeoutMillis", 60_000)); TestClient bystander = node.client()) {
      List<byte[]> invalid = List.of(
        bytes("{\"type\":\"PING\",\"x\":\"", 0xC3, 0x28, "\"}"),        // a lead byte without its continuation
        bytes("{\"type\":\"PING\",\"x\":\"", 0xC0, 0x80, "\"}"),        // overlong NUL
        bytes("{\"type\":\"PING\",\"x\":\"", 0xED, 0xA0, 0x80, "\"}"),  // a UTF-16 surrogate
        bytes("{\"type\":\"PING\",\"x\":\"", 0xFF, "\"}"));
      for (byte[] frame : invalid) {
        try (RawClient c = RawClient.connect(node.publicPort())) {
          assertEquals(101, c.handshake());
          c.sendFrame(OP_TEXT, true, frame);
          assertEquals(1007, c.awaitClose());
          assertTrue(c.awaitEof());
        }
      }
      try (RawClient c = RawClient.connect(node.publicPort())) {
        assertEquals(101, c.handshake());
        c.sendFrame(OP_TEXT, false, bytes("{\"type\":\"PING\",\"x\":\"", 0xE2, 0x82));
        c.sendFrame(OP_CONTINUATION, true, bytes(0x28, "\"}"));
        assertEquals(1007, c.awaitClose());
      }
      byte[] room = "默认房间".getBytes(StandardCharsets.UTF_8);
      try (RawClient c = RawClient.connect(node.publicPort())) {
        assertEquals(101, c.handshake());
        byte[] head = bytes("{\"type\":\"JOIN\",\"id\":1,\"data\":{\"room\":\"");
        byte[] first = java.util.Arrays.copyOf(head, head.length + 4);
        System.arraycopy(room, 0, first, head.length, 4); // splits the second character after its first byte
        c.sendFrame(OP_TEXT, false, first);
        byte[] rest = java.util.Arrays.copyOfRange(room, 4, room.length);
        byte[] tail = bytes("\"}}");
        byte[] second = java.util.Arrays.copyOf(rest, rest.length + tail.length);
        System.arraycopy(tail, 0, second, rest.length, tail.length);
        c.sendFrame(OP_CONTINUATION, true, second);
        RawClient.Frame ack = c.readFrame();
        assertTrue(ClientMessages.isAck(new JsonObject(ack.text()), 1), ack.text());
      }
      assertEquals(5, node.stats().getJsonObject("closed").getLong("invalid_payload"));
      assertStillServes(bystander);
    }
  }

  @Test
  void deeplyNestedClientMessagesAre1007AndDeepPushBodiesAre400() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxItemDepth", 4));
         TestClient deep = node.client(); TestClient member = node.client().joinAcked("r", 1)) {
      deep.send("{\"type\":\"PING\",\"data\":" + "[".repeat(100) + "]".repeat(100) + "}");
      assertEquals(1007, deep.awaitClose());

      JsonArray atLimit = new JsonArray().add(new JsonArray().add(new JsonArray().add(new JsonArray().add(1))));
      JsonArray overLimit = new JsonArray().add(atLimit);
      assertEquals(200, node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(atLimit))).statusCode());
      assertEquals(List.of(atLimit), member.awaitItems("r", 1));
      for (HttpResponse<String> r : List.of(
        node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(overLimit))),
        node.post("/push/room", "application/x-www-form-urlencoded", "room=r&items=" + java.net.URLEncoder.encode(new JsonArray().add(overLimit).encode(), StandardCharsets.UTF_8)),
        node.post("/push/all", "application/json", "{\"items\":[" + "[".repeat(50_000) + "]".repeat(50_000) + "]}"))) {
        assertEquals(400, r.statusCode(), r.body());
        JsonObject error = new JsonObject(r.body()).getJsonObject("error");
        assertEquals("BAD_REQUEST", error.getString("code"));
        assertTrue(error.getString("message").contains("maxItemDepth=4"), error.getString("message"));
      }
      assertEquals(200, node.post("/push/room", "application/x-www-form-urlencoded",
        "room=r&items=" + java.net.URLEncoder.encode(new JsonArray().add(atLimit).encode(), StandardCharsets.UTF_8)).statusCode());
      assertEquals(List.of(atLimit), member.awaitItems("r", 1));
    }
  }

  /**
   * A JOIN/LEAVE flood meets the message rate: ERROR RATE_LIMITED (with the request's id), then,
   * when it goes on, close 1008. JOINs have their own, lower rate. Another client is unaffected.
   */
  @Test
  void joinLeaveFloodGetsRateLimitedThenClosedWith1008() {
    // The rejoin allowance is maxRoomsPerConnection (11) JOINs and messages on top of each burst.
    try (TestNode node = TestNode.start(new JsonObject().put("maxMessagesPerSecond", 20).put("maxJoinsPerSecond", 5).put("maxRoomsPerConnection", 11));
         TestClient flood = node.client(); TestClient joiner = node.client(); TestClient member = node.client().joinAcked("r", 1)) {
      int sent = 0;
      while (!flood.isClosed() && sent < 5_000) {
        String type = sent % 2 == 0 ? "LEAVE" : "JOIN";
        try {
          flood.send(new JsonObject().put("type", type).put("id", sent).put("data", new JsonObject().put("room", "flood")));
        } catch (RuntimeException closedMeanwhile) {
          break;
        }
        sent++;
      }
      assertEquals(1008, flood.awaitClose());
      List<JsonObject> got = flood.drainReceived();
      JsonObject limited = got.stream().filter(m -> "ERROR".equals(m.getString("type"))
        && "RATE_LIMITED".equals(m.getJsonObject("data").getString("code"))).findFirst().orElseThrow(() -> new AssertionError(got.toString()));
      assertTrue(limited.containsKey("id"), "the refused request's id comes back: " + limited);

      // A reconnecting client's rejoins: the allowance takes ten at once; one is left of it.
      for (int i = 0; i < 10; i++) {
        joiner.send(ClientMessages.join("warm", 90 + i));
      }
      for (int i = 0; i < 10; i++) {
        assertTrue(ClientMessages.isAck(joiner.next(), 90 + i), "rejoins within the allowance");
      }
      for (int i = 0; i < 10; i++) {
        joiner.send(ClientMessages.join("j" + i, 100 + i));
      }
      List<JsonObject> replies = new java.util.ArrayList<>();
      for (int i = 0; i < 10; i++) {
        replies.add(joiner.next());
      }
      // A stream's JOIN is answered after the merger's round trip, a refusal at once: by id, not by arrival.
      replies.sort(java.util.Comparator.comparing(m -> m.getLong("id")));
      for (int i = 0; i < 6; i++) {
        assertEquals("ACK", replies.get(i).getString("type"), "the allowance's last JOIN and the burst of 5: " + replies);
      }
      assertTrue(replies.stream().anyMatch(m -> "ERROR".equals(m.getString("type"))
        && "RATE_LIMITED".equals(m.getJsonObject("data").getString("code"))), replies.toString());
      assertStillServes(joiner);
      node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add("fine")));
      assertEquals(List.of("fine"), member.awaitItems("r", 1));

      JsonObject security = node.stats().getJsonObject("security");
      assertEquals(1, security.getJsonObject("closed").getLong("message_rate"));
      assertTrue(security.getJsonObject("rateLimited").getLong("messages") >= 1, security.encode());
      assertTrue(security.getJsonObject("rateLimited").getLong("joins") >= 1, security.encode());
    }
  }

  /**
   * A flood paced so that one message gets through per refill (5 a refill of 100 ms: 50 a second
   * against 10) is closed all the same: refusals are counted per second, not reset by the one let through.
   */
  @Test
  void aPacedFloodIsClosedToo() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxMessagesPerSecond", 10).put("maxRoomsPerConnection", 1));
         TestClient flood = node.client()) {
      long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
      while (!flood.isClosed() && System.nanoTime() < end) {
        try {
          for (int i = 0; i < 5; i++) {
            flood.send(ClientMessages.ping());
          }
        } catch (RuntimeException closedMeanwhile) {
          break;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // the load's pace, not a wait for anything
      }
      assertEquals(1008, flood.awaitClose());
      assertEquals(1, node.stats().getJsonObject("security").getJsonObject("closed").getLong("message_rate"));
    }
  }

  @Test
  void pingFloodCountsAgainstTheMessageRate() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxMessagesPerSecond", 10)); TestClient flood = node.client()) {
      for (int i = 0; i < 5_000 && !flood.isClosed(); i++) {
        try {
          flood.raw().sendPing(java.nio.ByteBuffer.allocate(0)).join();
        } catch (RuntimeException closedMeanwhile) {
          break;
        }
      }
      assertEquals(1008, flood.awaitClose());
    }
  }

  /**
   * Pings from a client that reads nothing: the shard answers each with a pong, which queue up on the
   * node. Once they pass maxOutboundBytes the client is a slow consumer (4002, socket cut after
   * closeTimeoutMillis) instead of a growing buffer. Bounded at 200,000 pings (25 MB).
   */
  @Test
  void pingsFromAClientThatNeverReadsEndAsASlowConsumer() {
    // The message rate off: what bounds the pongs here is the outbound limit, not the rate limit.
    try (TestNode node = TestNode.start(new JsonObject().put("maxOutboundBytes", 16_384).put("closeTimeoutMillis", 200).put("maxMessagesPerSecond", 0));
         TestClient bystander = node.client();
         RawClient c = RawClient.connect(null, node.publicPort(), 4_096)) {
      assertEquals(101, c.handshake());
      int sent = 0;
      try {
        while (sent < 200_000 && node.stats().getJsonObject("closed").getLong("slow_consumer") == 0) {
          for (int i = 0; i < 1_000; i++, sent++) {
            c.sendFrame(RawClient.OP_PING, true, new byte[125]);
          }
        }
      } catch (AssertionError cut) {
        // the node cut the socket: writes fail
      }
      Eventually.await("the slow consumer counted", () -> node.stats().getJsonObject("closed").getLong("slow_consumer") == 1);
      assertStillServes(bystander);
    }
  }

  /** From 127.0.0.2 until it is refused; 127.0.0.3 has a bucket of its own. */
  @Test
  void handshakesOverThePerIpRateGet429AndOtherAddressesDoNot() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxHandshakesPerSecondPerIp", 3))) {
      int accepted = 0;
      int status = 0;
      for (int i = 0; i < 200 && status != 429; i++) {
        try (RawClient c = RawClient.connect("127.0.0.2", node.publicPort())) {
          status = c.handshake();
          if (status == 101) {
            accepted++;
          }
        }
      }
      assertEquals(429, status);
      assertTrue(accepted >= 3, "the burst of 3 came first: " + accepted);
      try (RawClient other = RawClient.connect("127.0.0.3", node.publicPort())) {
        assertEquals(101, other.handshake());
      }
      JsonObject security = node.stats().getJsonObject("security");
      assertEquals(1, security.getJsonObject("refused").getLong("handshake_rate_ip"));
      assertEquals(2, security.getLong("trackedIps"));
    }
  }

  @Test
  void handshakesOverTheNodeRateGet429WhateverTheirAddress() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxHandshakesPerSecond", 3))) {
      int status = 0;
      for (int i = 0; i < 200 && status != 429; i++) {
        try (RawClient c = RawClient.connect("127.0.0." + (2 + i % 200), node.publicPort())) {
          status = c.handshake();
        }
      }
      assertEquals(429, status);
      assertEquals(1, node.stats().getJsonObject("security").getJsonObject("refused").getLong("handshake_rate_node"));
      // The bucket refills: a handshake gets through again once a token is back (a third of a second).
      // Those refused meanwhile are counted too, each once, and the one let through is not.
      int[] refusedMeanwhile = {0};
      Eventually.await("a handshake token", () -> {
        try (RawClient c = RawClient.connect(node.publicPort())) {
          int answer = c.handshake();
          if (answer == 429) {
            refusedMeanwhile[0]++;
          }
          return answer == 101;
        }
      });
      assertEquals(1 + refusedMeanwhile[0], node.stats().getJsonObject("security").getJsonObject("refused").getLong("handshake_rate_node"),
        "the first refusal and the " + refusedMeanwhile[0] + " while waiting, not the handshake let through");
    }
  }
}
