package io.pushgate.cluster;

import io.pushgate.protocol.Position;
import io.pushgate.testing.ClientMessages;
import io.pushgate.bus.Addresses;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster member that sends what no pushgate node would: broadcasts whose counts and lengths are
 * lies, items that are not JSON, rooms no client may name, and online counts in another node's name.
 * Two real nodes in this JVM must drop all of it, count it, and go on delivering.
 */
class HostileClusterInputTest {

  /** Sends whatever bytes it is given under the name of pushgate's broadcast codec. */
  private static final class RawCodec implements MessageCodec<Buffer, Buffer> {
    @Override
    public void encodeToWire(Buffer buffer, Buffer bytes) {
      buffer.appendBuffer(bytes);
    }

    @Override
    public Buffer decodeFromWire(int pos, Buffer buffer) {
      return buffer.getBuffer(pos, buffer.length());
    }

    @Override
    public Buffer transform(Buffer bytes) {
      return bytes;
    }

    @Override
    public String name() {
      return ClusterPushCodec.NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  private static Buffer string(Buffer b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    return b.appendInt(bytes.length).appendBytes(bytes);
  }

  private static Buffer push(String room, int count, byte[]... items) {
    Buffer b = string(Buffer.buffer(), "attacker");
    b = room == null ? b.appendInt(-1) : string(b, room);
    b.appendLong(0).appendInt(-1); // no stream position
    b.appendByte((byte) 0); // normal priority
    b.appendInt(count);
    for (byte[] item : items) {
      b.appendInt(item.length).appendBytes(item);
    }
    return b;
  }

  /** A push of one item to a room given as raw bytes. */
  private static Buffer rawRoom(byte[] room) {
    Buffer b = string(Buffer.buffer(), "attacker").appendInt(room.length).appendBytes(room);
    b.appendLong(0).appendInt(-1).appendByte((byte) 0).appendInt(1);
    return b.appendInt(1).appendBytes("1".getBytes(StandardCharsets.US_ASCII));
  }

  /** A numbered push: its first item at {@code offset} of {@code epoch}. */
  private static Buffer pushAt(String room, long offset, String epoch, byte[]... items) {
    Buffer b = string(string(Buffer.buffer(), "attacker"), room);
    b = string(b.appendLong(offset), epoch);
    b.appendByte((byte) 0);
    b.appendInt(items.length);
    for (byte[] item : items) {
      b.appendInt(item.length).appendBytes(item);
    }
    return b;
  }

  @Test
  void hostileBroadcastsAndCountsAreDroppedAndBothNodesKeepDelivering() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(3), 3);
    JsonObject options = new JsonObject().put("onlineIntervalMillis", 200).put("historyHoleMillis", 100).put("maxItemsPerPush", 3)
      .put("maxItemBytes", 1_000);
    try (TestNode a = TestNode.start(cluster.member(), options);
         TestNode b = TestNode.start(cluster.member(), options)) {
      Vertx attacker = cluster.member();
      try {
        Eventually.await("3 members", () -> a.stats().getJsonObject("cluster").getInteger("members") == 3);
        attacker.eventBus().registerCodec(new RawCodec());
        DeliveryOptions raw = new DeliveryOptions().setCodecName(ClusterPushCodec.NAME);
        byte[] ok = "1".getBytes(StandardCharsets.US_ASCII);
        byte[] empty = new byte[0];
        byte[] overMaxItemBytes = ("\"" + "x".repeat(1_000) + "\"").getBytes(StandardCharsets.US_ASCII);
        List<Buffer> hostile = List.of(
          push("arena", 0x7fffffff),                                     // a count that would allocate until the JVM dies
          push("arena", 1).appendInt(0x7ffffff0),                        // an item longer than the message
          push("arena", 2, ok),                                          // fewer items than announced
          push("arena", 1, empty),                                       // an empty item
          // Past maxItemsPerPush=3 or maxItemBytes, where items are only walked: garbage is malformed all the
          // same, not over a limit (which for a push to all would close every client with 1013).
          push(null, 4, empty, empty, empty, empty),
          push("arena", 4, ok, ok, ok, empty),
          push("arena", 2, overMaxItemBytes, empty),
          push("arena", 1, "{not json".getBytes(StandardCharsets.UTF_8)), // an item that breaks every client's frame
          push("arena", 1, "1 2".getBytes(StandardCharsets.UTF_8)),      // two values in one item
          push("arena", 1, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '1'}), // a byte order mark: JSON.parse fails on the frame
          push("arena", 1, new byte[] {0, '"', 0, (byte) 0xE9, 0, '"'}),  // "é" in UTF-16: no UTF-8 at all
          push("arena", 1, new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}), // a surrogate encoded in UTF-8
          push("arena", 1, new byte[] {'"', (byte) 0xC0, (byte) 0x80, '"'}), // an overlong encoding
          push("arena", 1, "[1e400]".getBytes(StandardCharsets.UTF_8)),  // a number clients would read as Infinity
          push("arena", 1, ("-1" + "0".repeat(400)).getBytes(StandardCharsets.UTF_8)), // and an integer they would read as -Infinity
          push("are*na", 1, ok),                                         // a room no client may name
          push("x".repeat(600), 1, ok),                                  // a room longer than any room
          rawRoom(new byte[] {'a', (byte) 0xFF}),                        // a room that is no UTF-8 (leniently "a\uFFFD", another room)
          pushAt("arena", Long.MAX_VALUE - 1, "0123456789ab", ok, ok),   // offsets past any a client can read (and overflowing)
          pushAt("arena", 1, Position.NO_EPOCH, ok),                     // numbered in the epoch of a stream with no items
          Buffer.buffer(new byte[] {0, 0}));                             // not even an origin
        hostile.forEach(bytes -> attacker.eventBus().publish(Addresses.CLUSTER_PUSH, bytes, raw));
        // A body of another kind altogether (the event bus's own codec for strings).
        attacker.eventBus().publish(Addresses.CLUSTER_PUSH, "no broadcast at all");
        // JSON that Vert.x decodes only when the handler asks for the body, and then throws (1,001 digits).
        attacker.eventBus().publish(Addresses.CLUSTER_PUSH, new JsonObject().put("n", new java.math.BigInteger("9".repeat(1_001))));
        for (TestNode node : List.of(a, b)) {
          Eventually.await("every hostile broadcast counted as invalid",
            () -> node.stats().getJsonObject("cluster").getLong("remotePushesInvalid") == hostile.size() + 2);
          assertEquals(0, node.stats().getJsonObject("cluster").getLong("remotePushesOverLimits"), "malformed is not merely over a limit");
        }

        try (TestClient onA = a.client(); TestClient onB = b.client()) {
          onA.send(ClientMessages.join("arena", (long) 1, true));
          onB.joinAcked("arena", 1);
          // Counts in the name of a node that is no member, and malformed ones from a member.
          for (int i = 0; i < 5; i++) {
            attacker.eventBus().publish(Addresses.CLUSTER_ONLINE, new JsonObject().put("node", "not-a-member").put("full", true)
              .put("watch", new JsonArray().add("arena")).put("counts", new JsonObject().put("arena", 1_000)));
            attacker.eventBus().publish(Addresses.CLUSTER_ONLINE, new JsonObject().put("node", "not-a-member-either")
              .put("counts", new JsonObject().put("arena", -7)));
            attacker.eventBus().publish(Addresses.CLUSTER_ONLINE, "no counts at all");
            attacker.eventBus().publish(Addresses.CLUSTER_ONLINE, new JsonObject().put("node", "n").put("x", new java.math.BigInteger("9".repeat(1_001))));
          }
          Eventually.await("a and b count arena across the cluster", () ->
            new JsonObject(a.get(a.apiPort(), "/rooms/arena").body()).getInteger("online") == 2
              && new JsonObject(b.get(b.apiPort(), "/rooms/arena").body()).getInteger("online") == 2);
          Eventually.await("the 20 counts refused, whatever their body", () -> a.stats().getJsonObject("online").getLong("peerMessagesRefused") >= 20);

          var pushed = a.pushJson("/push/room", new JsonObject().put("room", "arena").put("items", new JsonArray().add("still here")));
          assertEquals(200, pushed.statusCode());
          assertEquals(List.of("still here"), onA.awaitItems("arena", 1));
          assertEquals(List.of("still here"), onB.awaitItems("arena", 1));

          // Far past the stream's top, in its real epoch: held as early, it would be pending bytes on
          // every node until a restart, and enough of them would refuse every push (503 QUEUE_FULL).
          String epoch = new JsonObject(pushed.body()).getString("epoch");
          attacker.eventBus().publish(Addresses.CLUSTER_PUSH, pushAt("arena", 1_000_000, epoch, ok), raw);
          for (TestNode node : List.of(a, b)) {
            Eventually.await("the far-ahead batch dropped", () -> node.stats().getJsonObject("history").getLong("itemsNeverGiven") == 1);
            assertEquals(0, node.stats().getJsonObject("merger").getLong("pendingBytes"));
          }
          assertEquals(200, b.pushJson("/push/room", new JsonObject().put("room", "arena").put("items", new JsonArray().add("next"))).statusCode());
          assertEquals(List.of("next"), onA.awaitItems("arena", 1));
          assertEquals(List.of("next"), onB.awaitItems("arena", 1));
        }
      } finally {
        TestNode.await(attacker.close());
      }
    }
  }

  /**
   * maxItemsPerPush+1 items that are each the byte {@code x}, to all. The push API's roads refuse the
   * pusher (HTTP and the event bus alike: the count, or the JSON, is checked first), so only a
   * member's broadcast carries it here, and there it is malformed, not over this node's limits: taken
   * for a push another node with higher limits accepted, it would close every client here with 1013.
   * The same for an item past maxItemBytes that is no JSON, and for garbage after a valid item past it.
   */
  @Test
  void garbagePastTheItemLimitsIsRefusedOnEveryRoadAndClosesNobody() throws Exception {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    try (TestNode node = TestNode.start(cluster.member(), new JsonObject().put("maxItemsPerPush", 3).put("maxItemBytes", 1_000))) {
      Vertx attacker = cluster.serviceMember();
      try (TestClient inRoom = node.client().joinAcked("arena", 1); TestClient inNoRoom = node.client()) {
        Eventually.await("2 members", () -> node.stats().getJsonObject("cluster").getInteger("members") == 2);
        String xs = "[x,x,x,x]";
        assertRefusal(node.post("/push/all", "application/json", "{\"items\":" + xs + "}"), 400, "BAD_REQUEST");
        assertRefusal(node.post("/push/all", "application/x-www-form-urlencoded", "items=" + java.net.URLEncoder.encode(xs, StandardCharsets.UTF_8)),
          400, "BAD_REQUEST");
        assertRefusal(node.pushJson("/push/all", new JsonObject().put("items", new JsonArray(List.of("x", "x", "x", "x")))), 413, "TOO_LARGE");
        DeliveryOptions wait = new DeliveryOptions().setSendTimeout(10_000);
        for (Object body : List.of(new JsonObject().put("items", new JsonArray(List.of("x", "x", "x", "x"))), "{\"items\":" + xs + "}")) {
          Throwable refused = attacker.eventBus().request(Addresses.PUSH, body, wait).toCompletionStage().toCompletableFuture()
            .handle((ok, error) -> error).get(20, TimeUnit.SECONDS);
          assertTrue(refused instanceof ReplyException r && r.failureCode() == (body instanceof JsonObject ? 413 : 400), String.valueOf(refused));
        }
        assertEquals(0, node.stats().getJsonObject("cluster").getLong("broadcastsSent"), "nothing refused was passed on");

        attacker.eventBus().registerCodec(new RawCodec());
        DeliveryOptions raw = new DeliveryOptions().setCodecName(ClusterPushCodec.NAME);
        byte[] x = {'x'};
        List<Buffer> garbage = List.of(
          push(null, 4, x, x, x, x),
          push("arena", 4, x, x, x, x),
          push(null, 1, "x".repeat(1_001).getBytes(StandardCharsets.US_ASCII)),
          push(null, 2, ("\"" + "x".repeat(1_000) + "\"").getBytes(StandardCharsets.US_ASCII), x));
        garbage.forEach(bytes -> attacker.eventBus().publish(Addresses.CLUSTER_PUSH, bytes, raw));
        Eventually.await("every broadcast handled", () -> node.stats().getJsonObject("cluster").getLong("broadcastsReceived") == garbage.size());

        // Handled in order, a close before the frame after it: a client closed for the garbage never gets this.
        assertEquals(200, node.pushJson("/push/all", new JsonObject().put("items", new JsonArray().add("still here"))).statusCode());
        for (TestClient client : List.of(inRoom, inNoRoom)) {
          try {
            assertEquals(List.of("still here"), client.awaitItems(null, 1));
          } catch (AssertionError e) {
            throw new AssertionError(client.isClosed() ? "closed with " + client.awaitClose() + " for garbage" : e.getMessage(), e);
          }
        }
        JsonObject stats = node.stats();
        assertEquals(garbage.size(), stats.getJsonObject("cluster").getLong("remotePushesInvalid"), stats.getJsonObject("cluster").encode());
        assertEquals(0, stats.getJsonObject("cluster").getLong("remotePushesOverLimits"));
        assertEquals(0, stats.getJsonObject("merger").getLong("missedCloses"));
      } finally {
        TestNode.await(attacker.close());
      }
    }
  }

  private static void assertRefusal(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, new JsonObject(r.body()).getJsonObject("error").getString("code"));
  }
}
