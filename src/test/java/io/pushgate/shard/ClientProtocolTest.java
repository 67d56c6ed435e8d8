package io.pushgate.shard;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Each message, error and close code of PROTOCOL.md, over a real socket. */
class ClientProtocolTest {

  private static JsonObject request(String type, Long id, JsonObject data) {
    JsonObject m = new JsonObject().put("type", type);
    if (id != null) {
      m.put("id", id);
    }
    return data == null ? m : m.put("data", data);
  }

  private static JsonObject error(String code, Long id, JsonObject actual) {
    JsonObject expected = new JsonObject().put("type", "ERROR");
    if (id != null) {
      expected.put("id", id);
    }
    return expected.put("data", new JsonObject().put("code", code).put("message", actual.getJsonObject("data").getString("message")));
  }

  @Test
  void pingGetsPongAndRequestsWithIdGetAcks() {
    try (TestNode node = TestNode.start(new JsonObject()); TestClient c = node.client()) {
      c.send(request("PING", null, new JsonObject()));
      assertEquals(new JsonObject().put("type", "PONG").put("data", new JsonObject()), c.next());
      c.send(request("PING", 5L, null));
      assertEquals("PONG", c.next().getString("type"));
      assertEquals(new JsonObject().put("type", "ACK").put("id", 5), c.next());
      c.send(request("JOIN", 6L, new JsonObject().put("room", "r")));
      JsonObject joined = c.next();
      assertTrue(ClientMessages.isAck(joined, 6), joined.encode());
      assertEquals("r", joined.getJsonObject("data").getString("room"), "a stream's JOIN is acknowledged with its position");
      assertEquals(0L, joined.getJsonObject("data").getLong("offset"));
      c.send(request("LEAVE", 7L, new JsonObject().put("room", "never-joined")));
      assertEquals(new JsonObject().put("type", "ACK").put("id", 7), c.next());
    }
  }

  @Test
  void badRequestsGetErrorsAndTheConnectionStaysUsable() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxRoomsPerConnection", 2)); TestClient c = node.client()) {
      c.send(request("DANCE", 1L, new JsonObject()));
      JsonObject m = c.next();
      assertEquals(error("UNKNOWN_TYPE", 1L, m), m);
      c.send(request("JOIN", 2L, null));
      m = c.next();
      assertEquals(error("BAD_REQUEST", 2L, m), m);
      c.send(request("JOIN", 3L, new JsonObject().put("room", "")));
      m = c.next();
      assertEquals(error("BAD_ROOM", 3L, m), m);
      c.send(request("JOIN", 4L, new JsonObject().put("room", "a\u0001b")));
      m = c.next();
      assertEquals(error("BAD_ROOM", 4L, m), m);
      c.send(request("JOIN", 5L, new JsonObject().put("room", "x".repeat(129))));
      m = c.next();
      assertEquals(error("BAD_ROOM", 5L, m), m);
      c.send(request("JOIN", null, new JsonObject().put("room", "r1")));
      c.send(request("JOIN", null, new JsonObject().put("room", "r2")));
      c.send(request("JOIN", 8L, new JsonObject().put("room", "r3")));
      m = c.next();
      assertEquals(error("ROOM_LIMIT", 8L, m), m);
      // Without an id the error still comes, without one.
      c.send(request("NOPE", null, null));
      m = c.next();
      assertEquals(error("UNKNOWN_TYPE", null, m), m);
      // Still a member of r1 and r2, still delivering.
      node.pushJson("/push/room", new JsonObject().put("room", "r2").put("items", new JsonArray().add("ok")));
      assertEquals(java.util.List.of("ok"), c.awaitItems("r2", 1));
      JsonObject errors = node.stats().getJsonObject("errors");
      assertEquals(1, errors.getLong("ROOM_LIMIT"));
      assertEquals(2, errors.getLong("UNKNOWN_TYPE"));
      assertEquals(3, errors.getLong("BAD_ROOM"));
    }
  }

  @Test
  void binaryFrameIsClosedWith1003() {
    try (TestNode node = TestNode.start(new JsonObject()); TestClient c = node.client()) {
      c.raw().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
      assertEquals(1003, c.awaitClose());
    }
  }

  @Test
  void textThatIsNotAJsonObjectIsClosedWith1007() {
    try (TestNode node = TestNode.start(new JsonObject()); TestClient c = node.client(); TestClient d = node.client()) {
      c.send("[1,2]");
      assertEquals(1007, c.awaitClose());
      d.send("{\"type\":\"PING\"");
      assertEquals(1007, d.awaitClose());
    }
  }

  @Test
  void frameOverMaxFrameBytesIsClosedWith1009AndFragmentsAreReassembled() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxFrameBytes", 256));
         TestClient big = node.client(); TestClient fragmented = node.client(); TestClient tooManyFragments = node.client()) {
      big.send(request("PING", null, new JsonObject().put("pad", "x".repeat(400))));
      assertEquals(1009, big.awaitClose());

      fragmented.raw().sendText("{\"type\":\"PI", false).join();
      fragmented.raw().sendText("NG\",\"id\":9}", true).join();
      assertEquals("PONG", fragmented.next().getString("type"));
      assertEquals(9, fragmented.next().getLong("id"));

      for (int i = 0; i < 3; i++) {
        tooManyFragments.raw().sendText("x".repeat(100), false).join();
      }
      assertEquals(1009, tooManyFragments.awaitClose());
    }
  }

  /**
   * Silent means sending nothing at all, not even the pong every WebSocket client answers the
   * server's ping with: a raw socket that reads and never answers.
   */
  @Test
  void silentConnectionIsClosedWith4001WhileAPingingOneStays() throws InterruptedException {
    try (TestNode node = TestNode.start(new JsonObject().put("heartbeatTimeoutMillis", 1_500));
         io.pushgate.testing.RawClient silent = io.pushgate.testing.RawClient.connect(node.publicPort()); TestClient alive = node.client()) {
      assertEquals(101, silent.handshake());
      // The live client pings every 100 ms, 15 times a timeout, so a loaded machine cannot starve it.
      for (int i = 0; i < 200 && node.stats().getJsonObject("closed").getLong("heartbeat_timeout") == 0; i++) {
        alive.raw().sendPing(ByteBuffer.allocate(0)).join();
        Thread.sleep(100); // the client's ping interval, not a synchronisation
      }
      assertEquals(4001, silent.awaitClose());
      alive.send(request("PING", 1L, null));
      assertEquals("PONG", alive.next().getString("type"));
      assertFalse(alive.isClosed());
      assertEquals(1, node.stats().getJsonObject("closed").getLong("heartbeat_timeout"));
    }
  }

  @Test
  void connectionsBeyondMaxConnectionsAreClosedWith1013() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxConnections", 2));
         TestClient a = node.client(); TestClient b = node.client(); TestClient refused = node.client()) {
      assertEquals(1013, refused.awaitClose());
      a.send(request("PING", null, null));
      assertEquals("PONG", a.next().getString("type"));
      b.close();
      // The node has let b go (its shard frees the slot in the same turn it forgets the connection):
      // the freed slot is available again, to one new client, at the first try.
      Eventually.await("b's connection forgotten", () -> node.stats().getInteger("connections") == 1);
      try (TestClient c = node.client()) {
        c.send(request("PING", null, null));
        assertEquals("PONG", c.next().getString("type"));
      }
      assertEquals(1, node.stats().getJsonObject("refused").getLong("connection_limit"));
    }
  }

  /** A client that stops reading is cut off with 4002 at the outbound limit; the others keep receiving. */
  @Test
  void slowConsumerIsClosedWith4002AndOthersKeepReceiving() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxOutboundBytes", 65_536).put("closeTimeoutMillis", 20_000));
         TestClient slow = TestClient.connect(node.publicPort(), true);
         TestClient fast = node.client().joinAcked("r", 1)) {
      slow.send(request("JOIN", null, new JsonObject().put("room", "r")));
      Eventually.await("both joined", () -> node.stats().getLong("joins") == 2);
      String pad = "p".repeat(15_000);
      int pushed = 0;
      // Kernel socket buffers on loopback hold megabytes, so push until the server gives up on the
      // client: bounded at 4,000 pushes (60 MB).
      while (node.stats().getJsonObject("closed").getLong("slow_consumer") == 0 && pushed < 4_000) {
        for (int i = 0; i < 50; i++, pushed++) {
          node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(new JsonObject().put("seq", pushed).put("pad", pad))));
        }
      }
      assertEquals(1, node.stats().getJsonObject("closed").getLong("slow_consumer"));
      java.util.List<Object> got = fast.awaitItems("r", pushed);
      for (int i = 0; i < pushed; i++) {
        assertEquals(i, ((JsonObject) got.get(i)).getInteger("seq"));
      }
      slow.resume();
      assertEquals(4002, slow.awaitClose());
    }
  }

  /** A slow client that never reads again cannot hold its socket (or its buffers) past closeTimeoutMillis. */
  @Test
  void slowConsumerThatNeverReadsIsCutAfterTheCloseTimeout() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxOutboundBytes", 65_536).put("closeTimeoutMillis", 500));
         TestClient stuck = TestClient.connect(node.publicPort(), true);
         TestClient other = node.client()) {
      stuck.send(request("JOIN", null, new JsonObject().put("room", "r")));
      Eventually.await("joined", () -> node.stats().getLong("joins") == 1);
      String pad = "p".repeat(15_000);
      for (int pushed = 0; node.stats().getJsonObject("closed").getLong("slow_consumer") == 0 && pushed < 4_000; pushed++) {
        node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(pad)));
      }
      assertEquals(1, node.stats().getJsonObject("closed").getLong("slow_consumer"));
      Eventually.await("the stuck socket is cut and forgotten", () -> node.stats().getInteger("connections") == 1 && node.stats().getInteger("rooms") == 0);
      other.send(request("PING", null, null));
      assertEquals("PONG", other.next().getString("type"));
    }
  }

  /**
   * A client that sends its close and stops reading, with megabytes it has not read ahead of the echo:
   * nothing more is written after the echo, and the socket is cut after closeTimeoutMillis, counted as
   * the client's close, instead of being held (rooms, place, buffers) until the outbound limit cuts it
   * with 4002 or the heartbeat with 4001.
   */
  @Test
  void aClientThatClosesAndStopsReadingIsCutAtTheCloseTimeout() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxOutboundBytes", 64_000_000).put("closeTimeoutMillis", 500));
         RawClient raw = RawClient.connect(null, node.publicPort(), 1_024)) {
      assertEquals(101, raw.handshake());
      raw.sendText(request("JOIN", null, new JsonObject().put("room", "r")).encode());
      Eventually.await("joined", () -> node.stats().getLong("joins") == 1);
      String pad = "p".repeat(15_000);
      // More than the kernel's buffers on loopback take (tcp_wmem's 4 MB here): the rest waits in the node.
      for (int pushed = 0; pushed < 700; pushed++) {
        node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(pad)));
      }
      raw.sendFrame(RawClient.OP_CLOSE, true, new byte[] {0x03, (byte) 0xE8}); // 1000
      for (int pushed = 0; pushed < 100; pushed++) {
        node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(pad)));
      }
      Eventually.await("the socket cut and forgotten", () -> node.stats().getInteger("connections") == 0 && node.stats().getInteger("rooms") == 0,
        java.time.Duration.ofSeconds(10));
      JsonObject closed = node.stats().getJsonObject("closed");
      assertEquals(1, closed.getLong("by_client"), closed.encode());
      assertEquals(0, closed.getLong("slow_consumer"), closed.encode());
    }
  }

  /**
   * The shard answers WebSocket control frames itself once it holds the socket: a ping gets a pong
   * with the same payload, and the client's close is echoed with its code before the server ends
   * the TCP connection, counted as a client close and forgotten.
   */
  @Test
  void controlFramesAreAnsweredAndTheClientsCloseIsEchoed() {
    try (TestNode node = TestNode.start(new JsonObject()); RawClient raw = RawClient.connect(node.publicPort())) {
      assertEquals(101, raw.handshake());
      raw.sendText(request("JOIN", 1L, new JsonObject().put("room", "r")).encode());
      assertTrue(ClientMessages.isAck(new JsonObject(raw.readFrame().text()), 1));
      byte[] payload = "are-you-there".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      raw.sendFrame(RawClient.OP_PING, true, payload);
      RawClient.Frame pong = raw.readFrame();
      assertEquals(RawClient.OP_PONG, pong.opcode());
      assertEquals("are-you-there", new String(pong.payload(), java.nio.charset.StandardCharsets.US_ASCII));
      raw.sendFrame(RawClient.OP_PONG, true, new byte[0]); // unsolicited: ignored, no answer
      byte[] close = ByteBuffer.allocate(2 + 3).putShort((short) 4000).put("bye".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).array();
      raw.sendFrame(RawClient.OP_CLOSE, true, close);
      assertEquals(4000, raw.awaitClose());
      raw.awaitEof();
      Eventually.await("the connection is forgotten", () -> node.stats().getInteger("connections") == 0 && node.stats().getInteger("rooms") == 0);
      assertEquals(1, node.stats().getJsonObject("closed").getLong("by_client"));
    }
  }
}
