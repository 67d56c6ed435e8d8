package io.pushgate.shard;

import io.pushgate.testing.ClientMessages;
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
      assertEquals(online("stage", 1), a.next(), "a new watcher hears the count at once");
      assertTrue(ClientMessages.isAck(a.next(), 1));

      b.send(ClientMessages.join("stage", 2L, true));
      b.await(m -> ClientMessages.isAck(m, 2));
      assertEquals(online("stage", 2), a.await(m -> "ONLINE".equals(m.getString("type"))));
      // b's first ONLINE may still say 1 (the last count sent); the next interval brings 2.
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

  /** ONLINE only when the count changed: a new watcher told 1 at once is not told 1 again at the next interval. */
  @Test
  void aNewWatcherIsNotToldTheSameCountTwice() {
    try (TestNode node = TestNode.start(new JsonObject().put("onlineIntervalMillis", 100)); TestClient a = node.client()) {
      a.send(ClientMessages.join("solo", 1L, true));
      assertEquals(online("solo", 1), a.next());
      assertTrue(ClientMessages.isAck(a.next(), 1));
      io.pushgate.testing.Eventually.await("an interval that counted the room", () -> roomOnline(node, "solo") == 1);
      a.send(ClientMessages.ping());
      assertEquals("PONG", a.next().getString("type"), "nothing queued before the PONG: no second ONLINE 1");
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
