package io.pushgate.shard;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ONLINE counts go to watchers only, on change; GET /rooms/{room} answers the same count. */
class OnlineCountTest {

  private static JsonObject online(String room, int count) {
    return new JsonObject().put("type", "ONLINE").put("data", new JsonObject().put("room", room).put("count", count));
  }

  private static int roomOnline(TestNode node, String room) {
    return new JsonObject(node.get(node.apiPort(), "/rooms/" + room).body()).getInteger("online");
  }

  @Test
  void watchersHearTheCountWhenItChangesAndOthersNever() {
    try (TestNode node = TestNode.start(new JsonObject().put("onlineIntervalMillis", 100));
         TestClient a = node.client(); TestClient b = node.client(); TestClient quiet = node.client()) {
      a.send(ClientMessages.join("stage", 1L, true));
      assertTrue(ClientMessages.isAck(a.next(), 1));
      assertEquals(online("stage", 1), a.next(), "a new watcher hears the count at the next interval");

      b.send(ClientMessages.join("stage", 2L, true));
      b.await(m -> ClientMessages.isAck(m, 2));
      assertEquals(online("stage", 2), a.await(m -> "ONLINE".equals(m.getString("type"))));
      // b's first ONLINE says 1 when its JOIN came between its shard's report and that interval's counts; the next brings 2.
      assertEquals(online("stage", 2), b.await(m -> "ONLINE".equals(m.getString("type")) && m.getJsonObject("data").getInteger("count") == 2));

      quiet.send(ClientMessages.join("stage", 3L, false));
      assertTrue(ClientMessages.isAck(quiet.next(), 3));
      assertEquals(online("stage", 3), a.await(m -> "ONLINE".equals(m.getString("type"))));
      assertEquals(3, roomOnline(node, "stage"));
      // That interval sent the room's count while quiet was a member: quiet never asked, so a PING
      // answered first proves nothing was queued for it.
      quiet.send(ClientMessages.ping());
      assertEquals("PONG", quiet.next().getString("type"), "a member that does not watch is not told the count");

      quiet.close();
      assertEquals(online("stage", 2), a.await(m -> "ONLINE".equals(m.getString("type"))));
      try (TestClient other = node.client()) {
        other.send(ClientMessages.join("stage", 4L, false));
        assertTrue(ClientMessages.isAck(other.next(), 4));
        assertEquals(online("stage", 3), a.await(m -> "ONLINE".equals(m.getString("type"))), "an interval after other joined");
        other.send(ClientMessages.ping());
        assertEquals("PONG", other.next().getString("type"));
      }
    }
  }

  /**
   * No ONLINE with the JOIN, where the count last sent would be followed within the interval by the
   * interval's own: a watcher joining a watched room hears the new count once, at the next interval.
   * One shard, so that what one connection hears proves an interval passed for all, and no streams,
   * so that a JOIN is answered as it is read.
   */
  @Test
  void aNewWatcherHearsNoCountWithItsJoinOnlyTheIntervalsNext() {
    try (TestNode node = TestNode.start(ONE_SHARD); TestClient first = node.client(); RawClient second = handshaken(node)) {
      first.send(ClientMessages.join("stage", 1L, true));
      assertTrue(ClientMessages.isAck(first.next(), 1));
      assertEquals(online("stage", 1), first.next());

      // JOIN and PING in one read: no interval comes between them.
      second.sendTexts(ClientMessages.join("stage", 1L, true).encode(), ClientMessages.ping(2).encode());
      assertNextAre(second, ack(1), PONG, ack(2));
      // A JOIN in the moment between the shard's report and the interval's counts is told 1 then 2, an interval apart.
      JsonObject heard;
      do {
        heard = nextFrame(second);
        assertEquals("ONLINE", heard.getString("type"), heard.encode());
      } while (heard.getJsonObject("data").getInteger("count") != 2);
      assertEquals(online("stage", 2), first.next());

      anotherIntervalPassed(node);
      second.sendTexts(ClientMessages.ping(3).encode());
      assertNextAre(second, PONG, ack(3));
    }
  }

  /**
   * A member that starts watching a room whose count then stays put hears it exactly once, at the next
   * interval (for it the count is new); so does a watcher that leaves and rejoins, and the room's other
   * watchers hear nothing of either.
   */
  @Test
  void aNewWatcherOfAnUnchangedCountHearsItOnceAtTheNextInterval() {
    try (TestNode node = TestNode.start(ONE_SHARD); RawClient member = handshaken(node); TestClient watcher = node.client()) {
      member.sendTexts(ClientMessages.join("still", 1L, false).encode());
      assertNextAre(member, ack(1));
      watcher.send(ClientMessages.join("still", 2L, true));
      assertTrue(ClientMessages.isAck(watcher.next(), 2));
      assertEquals(online("still", 2), watcher.next());

      member.sendTexts(ClientMessages.join("still", 2L, true).encode(), ClientMessages.ping(3).encode());
      assertNextAre(member, ack(2), PONG, ack(3));
      assertNextAre(member, online("still", 2));
      anotherIntervalPassed(node);
      member.sendTexts(ClientMessages.ping(4).encode());
      assertNextAre(member, PONG, ack(4));

      // LEAVE and JOIN in one read: the count never changes, yet the rejoin is a new watcher.
      member.sendTexts(ClientMessages.leave("still", 5L).encode(), ClientMessages.join("still", 6L, true).encode(), ClientMessages.ping(7).encode());
      assertNextAre(member, ack(5), ack(6), PONG, ack(7));
      assertNextAre(member, online("still", 2));
      anotherIntervalPassed(node);
      member.sendTexts(ClientMessages.ping(8).encode());
      assertNextAre(member, PONG, ack(8));
      watcher.send(ClientMessages.ping());
      assertEquals("PONG", watcher.next().getString("type"), "the count did not change for the room's watcher");
    }
  }

  private static final JsonObject ONE_SHARD = new JsonObject().put("onlineIntervalMillis", 100).put("shards", 1).put("historySize", 0);
  private static final JsonObject PONG = new JsonObject().put("type", "PONG").put("data", new JsonObject());

  private static JsonObject ack(long id) {
    return new JsonObject().put("type", "ACK").put("id", id);
  }

  private static RawClient handshaken(TestNode node) {
    RawClient c = RawClient.connect(node.publicPort());
    assertEquals(101, c.handshake());
    return c;
  }

  /** The next application message, past any WebSocket ping of the heartbeat. */
  private static JsonObject nextFrame(RawClient c) {
    RawClient.Frame f = c.readFrame();
    return f.opcode() == RawClient.OP_TEXT ? new JsonObject(f.text()) : nextFrame(c);
  }

  private static void assertNextAre(RawClient c, JsonObject... expected) {
    for (JsonObject m : expected) {
      assertEquals(m, nextFrame(c));
    }
  }

  /**
   * Returns once the node's one shard has handed out an interval's counts after this call: a new
   * watcher of a room of its own hears its first count then.
   */
  private static void anotherIntervalPassed(TestNode node) {
    try (TestClient probe = node.client()) {
      probe.send(ClientMessages.join("probe", 1L, true));
      probe.await(m -> "ONLINE".equals(m.getString("type")));
    }
  }

  @Test
  void unknownRoomCountsZeroAndBadRoomIs400() {
    try (TestNode node = TestNode.start(new JsonObject())) {
      assertEquals(new JsonObject().put("room", "nobody-here").put("online", 0), new JsonObject(node.get(node.apiPort(), "/rooms/nobody-here").body()));
      var response = node.get(node.apiPort(), "/rooms/" + "x".repeat(200));
      assertEquals(400, response.statusCode());
      assertEquals("BAD_ROOM", new JsonObject(response.body()).getJsonObject("error").getString("code"));
    }
  }
}
