package io.pushgate.online;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node whose last watcher of a room stops watching, while another node's watcher still does: its
 * members still count there. Its unwatch tells the others it no longer asks for the room's count; the
 * count it sends for the room must not go with it.
 */
class PeerUnwatchTest {

  private static long publications(TestNode node) {
    return node.stats().getJsonObject("online").getLong("publications");
  }

  @Test
  void aPeerThatStopsWatchingARoomOthersWatchStillCountsItsMembers() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    // Long enough that the LEAVE and the JOIN below, sent together, fall in one interval of B's.
    JsonObject config = new JsonObject().put("onlineIntervalMillis", 250);
    try (TestNode a = TestNode.start(cluster.member(), config); TestNode b = TestNode.start(cluster.member(), config);
         TestClient watcherA = a.client(); TestClient watcherB = b.client(); TestClient memberB = b.client(); TestClient laterB = b.client()) {
      Eventually.await("2 members", () -> a.stats().getJsonObject("cluster").getInteger("members") == 2, Duration.ofSeconds(60));
      watcherB.send(ClientMessages.join("arena", 1L, true));
      memberB.send(ClientMessages.join("arena", 2L, false));
      watcherA.send(ClientMessages.join("arena", 3L, true));
      watcherA.await(m -> "ONLINE".equals(m.getString("type")) && m.getJsonObject("data").getInteger("count") == 3);

      // B's only watcher leaves as another member joins: B's count of the room stays 2, and B unwatches it.
      watcherB.send(ClientMessages.leave("arena", 4L));
      laterB.send(ClientMessages.join("arena", 5L, false));
      watcherB.await(m -> ClientMessages.isAck(m, 4));
      laterB.await(m -> ClientMessages.isAck(m, 5));
      // Past a full state of B's (every FULL_EVERY intervals), which would put a lost count back.
      long until = publications(b) + OnlineVerticle.FULL_EVERY + 2;
      Eventually.await("B published a full state since", () -> publications(b) >= until, Duration.ofSeconds(30));
      watcherA.send(ClientMessages.ping());
      List<Integer> heard = new ArrayList<>();
      for (JsonObject m = watcherA.next(); !"PONG".equals(m.getString("type")); m = watcherA.next()) {
        if ("ONLINE".equals(m.getString("type"))) {
          heard.add(m.getJsonObject("data").getInteger("count"));
        }
      }
      // 1 would be A's own watcher alone: B's members dropped from the count.
      assertTrue(heard.stream().allMatch(n -> n >= 2), "counts heard since B's watcher left: " + heard);
      assertEquals(3, new JsonObject(a.get(a.apiPort(), "/rooms/arena").body()).getInteger("online"));
    }
  }
}
