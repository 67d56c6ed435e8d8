package io.pushgate.shard;

import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.PushFrameEncoder;
import io.pushgate.protocol.Target;
import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pushes through the HTTP API reach WebSocket clients: merged per tick, encoded once, in order. */
class DeliveryTest {

  @Test
  void roomMembersGetEveryItemInOrderAndOthersNothing() {
    try (TestNode node = TestNode.start(new JsonObject());
         TestClient a = node.client().joinAcked("match-1", 1);
         TestClient b = node.client().joinAcked("match-1", 1);
         TestClient other = node.client().joinAcked("match-2", 1)) {
      List<Object> expected = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        JsonObject item = new JsonObject().put("seq", i).put("text", "goal " + i);
        expected.add(item);
        assertEquals(200, node.pushJson("/push/room", new JsonObject().put("room", "match-1").put("items", new JsonArray().add(item))).statusCode());
      }
      assertEquals(expected, a.awaitItems("match-1", 20));
      assertEquals(expected, b.awaitItems("match-1", 20));
      // A push to match-2 after all of match-1 is a marker: nothing of match-1 may come before it.
      node.pushJson("/push/room", new JsonObject().put("room", "match-2").put("items", new JsonArray().add("marker")));
      JsonObject first = other.next();
      assertEquals("match-2", first.getJsonObject("data").getString("room"));
      assertEquals(new JsonArray().add("marker"), first.getJsonObject("data").getJsonArray("items"));
    }
  }

  @Test
  void goPushFormBodyAndPushToAllReachEveryone() {
    try (TestNode node = TestNode.start(new JsonObject());
         TestClient inRoom = node.client().joinAcked("默认房间", 7);
         TestClient noRoom = node.client()) {
      var response = node.post("/push/room", "application/x-www-form-urlencoded",
        "room=" + java.net.URLEncoder.encode("默认房间", java.nio.charset.StandardCharsets.UTF_8)
          + "&items=" + java.net.URLEncoder.encode("[{\"msg\":\"hi\"}]", java.nio.charset.StandardCharsets.UTF_8));
      assertEquals(200, response.statusCode(), response.body());
      assertEquals(1, new JsonObject(response.body()).getInteger("accepted"));
      assertEquals(1L, new JsonObject(response.body()).getLong("offset"), "the first item of the room's stream");
      assertEquals(List.of(new JsonObject().put("msg", "hi")), inRoom.awaitItems("默认房间", 1));

      assertEquals(200, node.post("/push/all", "application/x-www-form-urlencoded", "items=%5B1%2C2%5D").statusCode());
      JsonObject toAll = noRoom.await(m -> "PUSH".equals(m.getString("type")));
      assertTrue(!toAll.getJsonObject("data").containsKey("room"), "a push to all has no room: " + toAll);
      assertEquals(new JsonArray().add(1).add(2), toAll.getJsonObject("data").getJsonArray("items"));
      assertEquals(List.of(1, 2), inRoom.awaitItems(null, 2));
    }
  }

  /**
   * The shared-buffer trap: if one frame object or ByteBuf were shared between connections, every
   * client after the first would receive an empty frame. Each must get the whole frame.
   */
  @Test
  void oneEncodedFrameReachesEveryMemberIntact() {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("tickMillis", 50))) {
      List<TestClient> clients = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        clients.add(node.client().joinAcked("r", i));
      }
      JsonArray items = new JsonArray().add(new JsonObject().put("big", "x".repeat(3000))).add("second");
      node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", items));
      String epoch = null;
      for (TestClient c : clients) {
        JsonObject push = c.await(m -> "PUSH".equals(m.getString("type")));
        epoch = epoch == null ? push.getJsonObject("data").getString("epoch") : epoch;
        assertEquals(new JsonObject().put("type", "PUSH").put("data", new JsonObject().put("room", "r").put("items", items)
          .put("offset", 2).put("epoch", epoch)), push);
      }
      JsonObject stats = Eventually.value("frames counted", node::stats, s -> s.getLong("framesWritten") >= 5);
      assertEquals(1, stats.getLong("batches"), "one encode for the room's tick: " + stats);
      assertEquals(5, stats.getLong("framesWritten"));
      // Nothing was queued for these sockets and each had room: every frame went straight to it.
      assertEquals(5, stats.getLong("framesWrittenDirect"));
      // One delivery on the one shard, timed from the tick: the histogram counts it once.
      JsonObject fanout = stats.getJsonObject("fanout");
      assertEquals(1, fanout.getLong("count"), "fan-out timings: " + fanout);
      assertEquals(1, fanout.getJsonObject("le").getLong("+Inf"));
      clients.forEach(TestClient::close);
    }
  }

  /**
   * A delivery of several frames (two rooms with items in the same tick) gathers each socket's frames
   * and writes them together: a client in both rooms gets both, in the order handed, with one write
   * straight to its socket; a client in one room gets its one frame the same way.
   */
  @Test
  void aSocketHandedSeveralFramesInOneDeliveryGetsThemInOrderStraightToIt() {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("historyRooms", "stream-*"));
         TestClient both = node.client().joinAcked("a", 1).joinAcked("b", 2);
         TestClient onlyB = node.client().joinAcked("b", 1)) {
      JsonObject before = node.stats();
      deliver(node, frame("a", "\"a1\""), frame("b", "\"b1\""), frame("a", "\"a2\""));
      assertEquals(List.of("a1", "b1", "a2"), List.of(
        both.await(m -> "PUSH".equals(m.getString("type"))).getJsonObject("data").getJsonArray("items").getString(0),
        both.await(m -> "PUSH".equals(m.getString("type"))).getJsonObject("data").getJsonArray("items").getString(0),
        both.await(m -> "PUSH".equals(m.getString("type"))).getJsonObject("data").getJsonArray("items").getString(0)));
      assertEquals(List.of("b1"), onlyB.awaitItems("b", 1));
      JsonObject stats = Eventually.value("frames counted", node::stats, st -> st.getLong("framesWritten") - before.getLong("framesWritten") >= 4);
      assertEquals(4, stats.getLong("framesWritten") - before.getLong("framesWritten"), "" + stats);
      assertEquals(4, stats.getLong("framesWrittenDirect") - before.getLong("framesWrittenDirect"), "all four straight to the sockets: " + stats);
    }
  }

  /**
   * Gathered frames that a socket cannot take whole: what the kernel took is not written again, the
   * rest follows through Netty's queue, every frame whole and in order. A client with a 4 KB receive
   * buffer in two rooms stops reading while deliveries of two 12 KB frames each are handed to its
   * shard (bounded at 200, 4.8 MB) until some frame had to be queued; then it reads everything.
   */
  @Test
  void gatheredFramesASocketCannotTakeWholeArriveWholeAndInOrder() {
    String pad = "x".repeat(12_000);
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("historyRooms", "stream-*").put("maxOutboundBytes", 64 * 1_048_576));
         RawClient reader = RawClient.connect(null, node.publicPort(), 4_096)) {
      assertEquals(101, reader.handshake());
      reader.sendText(ClientMessages.join("a", 1).encode());
      assertTrue(reader.readFrame().text().contains("\"ACK\""));
      reader.sendText(ClientMessages.join("b", 2).encode());
      assertTrue(reader.readFrame().text().contains("\"ACK\""));
      int delivered = 0;
      JsonObject stats = node.stats();
      while (delivered < 200 && queuedFrames(stats) == 0) {
        deliver(node, frame("a", "{\"n\":" + 2 * delivered + ",\"pad\":\"" + pad + "\"}"),
          frame("b", "{\"n\":" + (2 * delivered + 1) + ",\"pad\":\"" + pad + "\"}"));
        delivered++;
        int expected = 2 * delivered;
        stats = Eventually.value("frames counted", node::stats, st -> st.getLong("framesWritten") >= expected);
      }
      assertTrue(queuedFrames(stats) > 0, "no frame had to be queued after " + delivered + " deliveries: " + stats);
      assertTrue(stats.getLong("framesWrittenDirect") > 0, "the first frames went straight to the socket: " + stats);
      for (int next = 0; next < 2 * delivered; next++) {
        RawClient.Frame frame = reader.readFrame();
        assertEquals(RawClient.OP_TEXT, frame.opcode());
        JsonObject push = new JsonObject(frame.text());
        assertEquals(next % 2 == 0 ? "a" : "b", push.getJsonObject("data").getString("room"));
        JsonObject item = push.getJsonObject("data").getJsonArray("items").getJsonObject(0);
        assertEquals(next, item.getInteger("n"));
        assertEquals(pad, item.getString("pad"));
      }
    }
  }

  /** One frame of one JSON item for {@code room}, as the merger encodes it (no stream position). */
  private static EncodedFrame frame(String room, String itemJson) {
    byte[] item = itemJson.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return PushFrameEncoder.encode(Target.room(room), List.of(item), item.length);
  }

  /** Hands the frames to shard 0 as one delivery, the way the merger's tick does; the shard releases them. */
  private static void deliver(TestNode node, EncodedFrame... frames) {
    node.vertx.eventBus().send(Addresses.shard(0), new ShardCommand.Deliver(List.of(frames), System.nanoTime(), false), Local.OPTIONS);
  }

  /**
   * A socket whose buffers are full takes part of a frame or none: the rest must follow through
   * Netty's queue, and every later frame behind it, never straight to the socket ahead of it. A
   * client with a 4 KB receive buffer joins and stops reading while items of 12 KB are pushed one by
   * one (bounded at 400, 4.8 MB) until some frame had to be queued; then it reads everything.
   */
  @Test
  void framesASocketCannotTakeWholeArriveWholeAndInOrder() {
    String pad = "x".repeat(12_000);
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("tickMillis", 20).put("maxOutboundBytes", 64 * 1_048_576));
         RawClient reader = RawClient.connect(null, node.publicPort(), 4_096)) {
      assertEquals(101, reader.handshake());
      reader.sendText(ClientMessages.join("r", 1).encode());
      assertTrue(reader.readFrame().text().contains("\"ACK\""));
      int pushed = 0;
      JsonObject stats = node.stats();
      while (pushed < 400 && queuedFrames(stats) == 0) {
        assertEquals(200, node.pushJson("/push/room", new JsonObject().put("room", "r")
          .put("items", new JsonArray().add(new JsonObject().put("n", pushed).put("pad", pad)))).statusCode());
        pushed++;
        stats = settledStats(node);
      }
      assertTrue(queuedFrames(stats) > 0, "no frame had to be queued after " + pushed + " pushes: " + stats);
      assertTrue(stats.getLong("framesWrittenDirect") > 0, "the first frames went straight to the socket: " + stats);
      int next = 0;
      while (next < pushed) {
        RawClient.Frame frame = reader.readFrame();
        assertEquals(RawClient.OP_TEXT, frame.opcode());
        JsonObject push = new JsonObject(frame.text());
        assertEquals("PUSH", push.getString("type"), frame.text().substring(0, Math.min(200, frame.text().length())));
        for (Object item : push.getJsonObject("data").getJsonArray("items")) {
          assertEquals(next, ((JsonObject) item).getInteger("n"));
          assertEquals(pad, ((JsonObject) item).getString("pad"));
          next++;
        }
      }
      assertEquals(pushed, next);
    }
  }

  /**
   * Two snapshots in a row with the same frame counts: a write counts its frame before it knows
   * whether the socket took it whole, so a snapshot taken meanwhile shows a frame queued that was not.
   */
  private static JsonObject settledStats(TestNode node) {
    JsonObject[] last = {node.stats()};
    return Eventually.value("frame counts that hold still", node::stats, s -> {
      boolean same = s.getLong("framesWritten").equals(last[0].getLong("framesWritten"))
        && s.getLong("framesWrittenDirect").equals(last[0].getLong("framesWrittenDirect"));
      last[0] = s;
      return same;
    });
  }

  private static long queuedFrames(JsonObject stats) {
    return stats.getLong("framesWritten") - stats.getLong("framesWrittenDirect");
  }

  @Test
  void batchAtItsItemLimitIsFlushedEarlyAndOrderHolds() {
    // A tick far longer than the test: only the early flush can deliver the first frames.
    try (TestNode node = TestNode.start(new JsonObject().put("tickMillis", 60_000).put("maxBatchItems", 2));
         TestClient c = node.client().joinAcked("r", 1)) {
      node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(1).add(2).add(3).add(4).add(5)));
      assertEquals(new JsonArray().add(1).add(2), c.next().getJsonObject("data").getJsonArray("items"));
      assertEquals(new JsonArray().add(3).add(4), c.next().getJsonObject("data").getJsonArray("items"));
      assertEquals(2, node.stats().getJsonObject("merger").getLong("earlyFlushes"));
    }
  }

  @Test
  void aQuietRoomsFirstItemGoesAtOnceAndTheRestOfTheTickSharesOneFrame() {
    try (TestNode node = TestNode.start(new JsonObject().put("tickMillis", 60_000));
         TestClient c = node.client().joinAcked("r", 1)) {
      node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(0)));
      // Leading edge: a minute before the tick.
      assertEquals(new JsonArray().add(0), c.next().getJsonObject("data").getJsonArray("items"));
      for (int i = 1; i < 4; i++) {
        node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(i)));
      }
      node.pushJson("/push/room", new JsonObject().put("room", "r2").put("items", new JsonArray().add("other room")));
      // The drain flushes the pending tick: everything still merged arrives before the 1001 close.
      node.vertx.eventBus().request(io.pushgate.bus.Addresses.DRAIN, null);
      JsonObject push = c.next();
      assertEquals(new JsonArray().add(1).add(2).add(3), push.getJsonObject("data").getJsonArray("items"));
      assertEquals(1001, c.awaitClose());
      assertEquals(2, node.stats().getJsonObject("merger").getLong("leadingFlushes"), "r's first item and r2's");
    }
  }

  @Test
  void aTickWithSeveralRoomsReachesEachMemberOncePerRoom() {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("tickMillis", 60_000));
         TestClient both = node.client().joinAcked("a", 1).joinAcked("b", 2);
         TestClient onlyB = node.client().joinAcked("b", 1)) {
      // Both rooms' first items go out at once (leading edge); after them, this tick merges.
      node.pushJson("/push/room", new JsonObject().put("room", "a").put("items", new JsonArray().add("a0")));
      node.pushJson("/push/room", new JsonObject().put("room", "b").put("items", new JsonArray().add("b0")));
      assertEquals(java.util.Set.of("a0", "b0"), java.util.Set.of(both.next().getJsonObject("data").getJsonArray("items").getString(0),
        both.next().getJsonObject("data").getJsonArray("items").getString(0)));
      assertEquals(new JsonArray().add("b0"), onlyB.next().getJsonObject("data").getJsonArray("items"));
      node.pushJson("/push/room", new JsonObject().put("room", "a").put("items", new JsonArray().add("a1")));
      node.pushJson("/push/room", new JsonObject().put("room", "b").put("items", new JsonArray().add("b1").add("b2")));
      // One tick (the drain's) holds two frames: each is written to its members and every socket is
      // flushed once at the end, before the 1001 close.
      node.vertx.eventBus().request(io.pushgate.bus.Addresses.DRAIN, null);
      java.util.Map<String, JsonArray> got = new java.util.HashMap<>();
      for (int i = 0; i < 2; i++) {
        JsonObject data = both.next().getJsonObject("data");
        got.put(data.getString("room"), data.getJsonArray("items"));
      }
      assertEquals(java.util.Map.of("a", new JsonArray().add("a1"), "b", new JsonArray().add("b1").add("b2")), got);
      assertEquals(1001, both.awaitClose());
      assertEquals(new JsonArray().add("b1").add("b2"), onlyB.next().getJsonObject("data").getJsonArray("items"));
      assertEquals(1001, onlyB.awaitClose());
    }
  }

  @Test
  void leaveStopsDelivery() {
    try (TestNode node = TestNode.start(new JsonObject());
         TestClient c = node.client().joinAcked("a", 1).joinAcked("b", 2)) {
      c.send(ClientMessages.leave("a", (long) 3));
      assertEquals(new JsonObject().put("type", "ACK").put("id", 3), c.next());
      node.pushJson("/push/room", new JsonObject().put("room", "a").put("items", new JsonArray().add("gone")));
      node.pushJson("/push/room", new JsonObject().put("room", "b").put("items", new JsonArray().add("here")));
      JsonObject push = c.next();
      assertEquals("b", push.getJsonObject("data").getString("room"), "room a was left: " + push);
    }
  }

  @Test
  void eventBusPushIsDeliveredAndRefusalsCarryHttpStatus() {
    try (TestNode node = TestNode.start(new JsonObject());
         TestClient c = node.client().joinAcked("r", 1)) {
      JsonObject reply = TestNode.await(node.vertx.eventBus().<JsonObject>request(io.pushgate.bus.Addresses.PUSH,
        new JsonObject().put("room", "r").put("items", new JsonArray().add("via bus")))).body();
      assertEquals(1, reply.getInteger("accepted"));
      assertEquals(List.of("via bus"), c.awaitItems("r", 1));

      var failure = node.vertx.eventBus().request(io.pushgate.bus.Addresses.PUSH, new JsonObject().put("room", "").put("items", new JsonArray().add(1)));
      Throwable cause = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> TestNode.await(failure)).getCause().getCause();
      var replyException = (io.vertx.core.eventbus.ReplyException) cause;
      assertEquals(400, replyException.failureCode());
      assertTrue(replyException.getMessage().startsWith("BAD_ROOM: "), replyException.getMessage());
    }
  }
}
