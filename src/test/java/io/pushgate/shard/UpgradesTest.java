package io.pushgate.shard;

import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public port answers WebSocket upgrades itself, below Vert.x's HTTP server ({@link Upgrades}),
 * and hands plain requests to Vert.x: what RFC 6455 asks of the answer, in order on a keep-alive
 * connection, and an HTTP answer for each malformed upgrade, after which the connection may ask again.
 */
class UpgradesTest {

  private static final String KEY = Base64.getEncoder().encodeToString("pushgate-raw-key".getBytes(StandardCharsets.US_ASCII));

  /** RFC 6455, 4.2.2: base64(SHA-1(key + the protocol's GUID)). */
  private static String accept(String key) throws Exception {
    byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
    return Base64.getEncoder().encodeToString(sha1);
  }

  private static String upgrade(String method, String target, String connection, String version, boolean key) {
    return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: " + connection + "\r\n"
      + (key ? "Sec-WebSocket-Key: " + KEY + "\r\n" : "") + "Sec-WebSocket-Version: " + version + "\r\n"
      // What every browser offers: the 101 must not take it, as each frame is encoded once for all.
      + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
  }

  /** A ping answered with its payload: the connection speaks WebSocket. */
  private static void assertWebSocket(RawClient raw) {
    byte[] payload = {7, 8, 9};
    raw.sendFrame(RawClient.OP_PING, true, payload);
    RawClient.Frame pong = raw.readFrame();
    assertEquals(RawClient.OP_PONG, pong.opcode());
    assertArrayEquals(payload, pong.payload());
  }

  @Test
  void anUpgradeSentBehindAPlainRequestIsAnsweredAfterIt() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject()); RawClient raw = RawClient.connect(node.publicPort())) {
      // A file (written as a head, the file's region, then its end) and /ready (answered after a trip over
      // the event bus): the upgrade arrives while Vert.x still owes both answers.
      raw.writeRaw("GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        + upgrade("GET", "/connect", "Upgrade", "13", true));
      String page = raw.readHead();
      assertTrue(page.startsWith("HTTP/1.1 200 "), page);
      assertTrue(new String(raw.readBytes(contentLength(page)), StandardCharsets.UTF_8).contains("pushgate.js"), "the demo page");
      String first = raw.readHead();
      assertTrue(first.startsWith("HTTP/1.1 200 "), first);
      int length = Integer.parseInt(first.replaceAll("(?is).*\r\ncontent-length: *([0-9]+).*", "$1"));
      assertEquals("{\"ready\":true}", new String(raw.readBytes(length), StandardCharsets.UTF_8));
      String second = raw.readHead();
      assertTrue(second.startsWith("HTTP/1.1 101 "), second);
      assertTrue(second.toLowerCase().contains("\r\nsec-websocket-accept: " + accept(KEY).toLowerCase() + "\r\n"), second);
      assertFalse(second.toLowerCase().contains("sec-websocket-extensions"), "no extension taken: " + second);
      assertWebSocket(raw);
      raw.sendText("{\"type\":\"PING\",\"id\":1}");
      assertEquals("PONG", new io.vertx.core.json.JsonObject(raw.readFrame().text()).getString("type"), "frames go uncompressed both ways");
    }
  }

  @Test
  void malformedUpgradesAreAnsweredAndTheConnectionMayAskAgain() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject()); RawClient raw = RawClient.connect(node.publicPort())) {
      raw.writeRaw(upgrade("GET", "/connect", "Upgrade", "8", true));
      String head = raw.readHead();
      assertTrue(head.startsWith("HTTP/1.1 426 "), head);
      assertTrue(head.toLowerCase().contains("\r\nsec-websocket-version: 13\r\n"), head);
      raw.readBytes(contentLength(head));

      raw.writeRaw(upgrade("GET", "/connect", "Upgrade", "13", false));
      assertEquals(400, status(raw));
      raw.writeRaw(upgrade("POST", "/connect", "Upgrade", "13", true));
      assertEquals(405, status(raw));
      raw.writeRaw(upgrade("GET", "/connect", "keep-alive", "13", true));
      assertEquals(400, status(raw));
      raw.writeRaw(upgrade("GET", "/elsewhere", "Upgrade", "13", true));
      assertEquals(404, status(raw));

      raw.writeRaw(upgrade("GET", "/connect?x=1", "keep-alive, Upgrade", "13", true));
      head = raw.readHead();
      assertTrue(head.startsWith("HTTP/1.1 101 "), head);
      assertWebSocket(raw);
    }
  }

  /**
   * Requests that look like upgrades but are not ones Netty's handshaker takes get an HTTP answer
   * before the guard takes a per-address slot for them: the address's one connection is still free.
   */
  @Test
  void upgradesNettyWouldRefuseTakeNoPerAddressSlot() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("maxConnectionsPerIp", 1))) {
      String head = "GET /connect HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n";
      try (RawClient raw = RawClient.connect(node.publicPort())) {
        // Not one value "websocket": a plain request to Vert.x, which has no such page.
        raw.writeRaw(head + "Upgrade: websocket, h2c\r\nConnection: Upgrade\r\n\r\n");
        assertEquals(404, status(raw));
        // "upgraded" is no "Upgrade" token.
        raw.writeRaw(head + "Upgrade: websocket\r\nConnection: upgraded\r\n\r\n");
        assertEquals(400, status(raw));
      }
      try (RawClient raw = RawClient.connect(node.publicPort())) {
        // A body would be read as the first frames: refused, and the connection closed.
        raw.writeRaw(head + "Upgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\nhello");
        assertEquals(400, status(raw));
        assertTrue(raw.awaitEof());
      }
      try (RawClient raw = RawClient.connect(node.publicPort()); RawClient second = RawClient.connect(node.publicPort())) {
        assertEquals(101, raw.handshake(), "the address's one slot is free");
        assertEquals(429, second.handshake(), "and now taken");
      }
    }
  }

  /**
   * A client that sends frames in the same packet as its upgrade (RFC 6455 asks it to wait for the
   * 101) is answered all the same: the handshake decodes them before the shard's connection is in
   * place, and they wait for it rather than reach Vert.x's handler, which would drop them unreleased.
   */
  @Test
  void framesSentWithTheUpgradeReachTheConnection() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject()); RawClient raw = RawClient.connect(node.publicPort())) {
      java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
      packet.writeBytes(upgrade("GET", "/connect", "Upgrade", "13", true).getBytes(StandardCharsets.US_ASCII));
      for (int id = 1; id <= 3; id++) {
        packet.writeBytes(raw.frame(RawClient.OP_TEXT, true, io.pushgate.testing.ClientMessages.join("room-" + id, (long) id, false)
          .encode().getBytes(StandardCharsets.UTF_8), true));
      }
      raw.writeRaw(packet.toByteArray());
      String head = raw.readHead();
      assertTrue(head.startsWith("HTTP/1.1 101 "), head);
      for (int id = 1; id <= 3; id++) {
        JsonObject ack = new JsonObject(raw.readFrame().text());
        assertEquals("ACK " + id, ack.getString("type") + " " + ack.getLong("id"), ack.encode());
      }
      assertWebSocket(raw);
    }
  }

  /**
   * An early frame that is not UTF-8 is answered as any: 1007, not dropped with the connection left
   * open; the frames before it are read, those after it are not.
   */
  @Test
  void anInvalidFrameSentWithTheUpgradeIsClosed1007AfterTheFramesBeforeIt() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject()); RawClient raw = RawClient.connect(node.publicPort())) {
      java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
      packet.writeBytes(upgrade("GET", "/connect", "Upgrade", "13", true).getBytes(StandardCharsets.US_ASCII));
      // PINGs, answered at once (a stream's JOIN may be answered after the merger's reply, past the close).
      packet.writeBytes(raw.frame(RawClient.OP_TEXT, true, "{\"type\":\"PING\"}".getBytes(StandardCharsets.UTF_8), true));
      packet.writeBytes(raw.frame(RawClient.OP_TEXT, true, new byte[] {'"', (byte) 0xC3, (byte) 0x28, '"'}, true));
      packet.writeBytes(raw.frame(RawClient.OP_TEXT, true, "{\"type\":\"PING\"}".getBytes(StandardCharsets.UTF_8), true));
      raw.writeRaw(packet.toByteArray());
      assertTrue(raw.readHead().startsWith("HTTP/1.1 101 "));
      assertEquals("PONG", new JsonObject(raw.readFrame().text()).getString("type"), "the PING before the bad frame");
      RawClient.Frame next = raw.readFrame();
      assertEquals(RawClient.OP_CLOSE + " 1007", next.opcode() + " " + next.closeCode(), "the close, and no PONG for the PING after the bad frame");
    }
  }

  /**
   * More early frames than a connection holds for its shard: the connection ends (a client that
   * floods before the 101 is not one to serve), and the node goes on serving others.
   */
  @Test
  void aFloodOfEarlyFramesEndsTheConnection() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject()); RawClient raw = RawClient.connect(node.publicPort())) {
      java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
      packet.writeBytes(upgrade("GET", "/connect", "Upgrade", "13", true).getBytes(StandardCharsets.US_ASCII));
      for (int id = 0; id <= Upgrades.MAX_EARLY_FRAMES; id++) {
        packet.writeBytes(raw.frame(RawClient.OP_TEXT, true, "{\"type\":\"PING\"}".getBytes(StandardCharsets.UTF_8), true));
      }
      raw.writeRaw(packet.toByteArray());
      assertTrue(raw.awaitEof(), "the connection ends");
      try (RawClient other = RawClient.connect(node.publicPort())) {
        assertEquals(101, other.handshake());
        assertWebSocket(other);
      }
    }
  }

  private static int status(RawClient raw) {
    String head = raw.readHead();
    raw.readBytes(contentLength(head));
    return Integer.parseInt(head.split(" ", 3)[1]);
  }

  private static int contentLength(String head) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\r\ncontent-length: *([0-9]+)").matcher(head);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }
}
