package io.pushgate.shard;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** maxRooms bounds the node's distinct rooms, whichever shards their members are on. */
class NodeRoomLimitTest {

  private static String code(JsonObject reply) {
    return "ERROR".equals(reply.getString("type")) ? reply.getJsonObject("data").getString("code") : reply.getString("type");
  }

  @Test
  void aJoinOfANewRoomPastMaxRoomsIsRefusedForNowAndAnExistingRoomStillJoins() {
    try (TestNode node = TestNode.start(new JsonObject().put("maxRooms", 2).put("shards", 2));
         TestClient a = node.client(); TestClient b = node.client(); TestClient c = node.client()) {
      a.joinAcked("r1", 1).joinAcked("r2", 2);
      // Three connections over two shards: at least two share no shard with a's rooms, and the count is the node's.
      for (TestClient other : new TestClient[] {b, c}) {
        other.send(ClientMessages.join("r3", 3));
        assertEquals("RATE_LIMITED", code(other.next()), "a third distinct room, for now: not final as ROOM_LIMIT would be");
        other.joinAcked("r1", 4);
      }
      assertEquals(2, node.stats().getInteger("rooms"));
      assertEquals(2, node.stats().getLong("roomLimitRefusals"));

      a.send(ClientMessages.leave("r2", (long) 5));
      assertEquals("ACK", code(a.next()));
      b.joinAcked("r3", 6);
      assertEquals(2, node.stats().getInteger("rooms"));
    }
  }
}
