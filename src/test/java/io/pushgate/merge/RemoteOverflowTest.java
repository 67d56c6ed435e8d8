package io.pushgate.merge;

import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.protocol.Target;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Another node's push that this node's merge queue has no room for (maxPendingBytes): a room that is
 * not a stream cannot get its items back, so its members here are closed with 1013 rather than left
 * to miss them without knowing (PROTOCOL.md: never left silently missing messages). A best-effort
 * low-priority push closes nobody, and members of other rooms stay.
 */
class RemoteOverflowTest {

  @Test
  void membersOfAPlainRoomAreClosedWhenAnotherNodesPushFindsNoRoomHere() {
    try (TestNode node = TestNode.start(new JsonObject().put("historyRooms", "stream-*").put("tickMillis", 60_000)
      .put("maxItemBytes", 100).put("maxBatchBytes", 1_024).put("maxPendingBytes", 1_024));
         TestClient plain = node.client().joinAcked("plain", 1);
         TestClient other = node.client().joinAcked("other", 1)) {
      // The tick is a minute away: after the quiet room's first item, the rest wait, up to the limit.
      int status = 200;
      for (int i = 0; i < 40 && status == 200; i++) {
        status = node.pushJson("/push/room", new JsonObject().put("room", "filler")
          .put("items", new JsonArray().add("x".repeat(90)))).statusCode();
      }
      assertEquals(503, status, "the merge queue never filled");

      byte[] item = "\"from another node\"".getBytes(StandardCharsets.UTF_8);
      MergeResult low = remote(node, new io.pushgate.merge.PushBatch(Target.room("plain"), List.of(item), item.length, null, null, true));
      assertTrue(low instanceof MergeResult.Refused, String.valueOf(low));
      MergeResult normal = remote(node, new io.pushgate.merge.PushBatch(Target.room("plain"), List.of(item), item.length));
      assertTrue(normal instanceof MergeResult.Refused, String.valueOf(normal));

      assertEquals(1013, plain.awaitClose());
      other.send(new JsonObject().put("type", "PING").put("id", 9));
      other.await(m -> "PONG".equals(m.getString("type")));
      assertFalse(other.isClosed(), "a member of another room stays");
      JsonObject stats = node.stats();
      assertEquals(1, stats.getJsonObject("merger").getLong("missedCloses"), "the low-priority push closed nobody: " + stats.getJsonObject("merger"));
      assertEquals(1, stats.getJsonObject("closed").getLong("overloaded"));
    }
  }

  private static MergeResult remote(TestNode node, io.pushgate.merge.PushBatch push) {
    return TestNode.await(node.vertx.eventBus().<MergeResult>request(Addresses.MERGE_REMOTE, push, Local.OPTIONS)).body();
  }
}
