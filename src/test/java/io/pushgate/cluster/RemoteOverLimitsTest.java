package io.pushgate.cluster;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.pushgate.testing.Warnings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Two real nodes whose item limits differ, as halfway through a rolling configuration change: a push
 * the big node accepts is over the small node's maxItemBytes, maxItemsPerPush or maxItemDepth. That
 * is no malformed broadcast: the small node's clients must learn they missed it, as when its merge
 * queue is full (1013 for a plain room or all, the history for a stream), and it is counted apart.
 */
class RemoteOverLimitsTest {

  private static final JsonObject SMALL = new JsonObject().put("maxItemBytes", 100).put("maxItemsPerPush", 2).put("maxItemDepth", 2);

  private interface Nodes {
    void run(TestNode big, TestNode small) throws Exception;
  }

  /** Both nodes with {@code common}; the small one also with SMALL's limits. */
  private static void withNodes(JsonObject common, Nodes test) throws Exception {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    try (TestNode big = TestNode.start(cluster.member(), common.copy());
         TestNode small = TestNode.start(cluster.member(), common.copy().mergeIn(SMALL))) {
      Eventually.await("2 members", () -> small.stats().getJsonObject("cluster").getInteger("members") == 2
        && big.stats().getJsonObject("cluster").getInteger("members") == 2);
      test.run(big, small);
    }
  }

  private static void push(TestNode node, String path, JsonObject body) {
    HttpResponse<String> r = node.pushJson(path, body);
    assertEquals(200, r.statusCode(), r.body());
  }

  @Test
  void plainRoomsAndAllAreClosedWith1013() throws Exception {
    withNodes(new JsonObject().put("historyRooms", "stream-*"), (big, small) -> {
      try (Warnings warnings = Warnings.of(ClusterBridgeVerticle.class);
           TestClient bytes = small.client().joinAcked("bytes", 1);
           TestClient count = small.client().joinAcked("count", 1);
           TestClient depth = small.client().joinAcked("depth", 1);
           TestClient low = small.client().joinAcked("low", 1);
           TestClient other = small.client().joinAcked("other", 1)) {
        push(big, "/push/room", new JsonObject().put("room", "bytes").put("items", new JsonArray().add("x".repeat(200))));
        push(big, "/push/room", new JsonObject().put("room", "count").put("items", new JsonArray().add(1).add(2).add(3)));
        push(big, "/push/room", new JsonObject().put("room", "depth").put("items", new JsonArray().add(new JsonArray("[[[1]]]"))));
        push(big, "/push/room", new JsonObject().put("room", "low").put("priority", "low").put("items", new JsonArray().add("y".repeat(200))));
        assertEquals(1013, bytes.awaitClose());
        assertEquals(1013, count.awaitClose());
        assertEquals(1013, depth.awaitClose());
        // Broadcasts are handled in order, and a close goes to the shard before a later frame: an item
        // pushed after the best-effort one arrives only if that one closed nobody.
        push(big, "/push/room", new JsonObject().put("room", "low").put("items", new JsonArray().add("after")));
        assertEquals(List.of("after"), low.awaitItems("low", 1));
        push(big, "/push/room", new JsonObject().put("room", "other").put("items", new JsonArray().add("fits")));
        assertEquals(List.of("fits"), other.awaitItems("other", 1));
        assertFalse(low.isClosed() || other.isClosed());

        push(big, "/push/all", new JsonObject().put("items", new JsonArray().add(1).add(2).add(3)));
        assertEquals(1013, low.awaitClose());
        assertEquals(1013, other.awaitClose());

        JsonObject stats = small.stats();
        JsonObject cluster = stats.getJsonObject("cluster");
        assertEquals(5, cluster.getLong("remotePushesOverLimits"), cluster.encode());
        assertEquals(0, cluster.getLong("remotePushesInvalid"), cluster.encode());
        assertEquals(4, stats.getJsonObject("merger").getLong("missedCloses"));
        assertEquals(5, stats.getJsonObject("closed").getLong("overloaded"));
        assertEquals(0, big.stats().getJsonObject("cluster").getLong("remotePushesOverLimits"));
        String origin = big.stats().getJsonObject("cluster").getString("nodeId");
        assertEquals(List.of("node " + origin + " broadcast a push over this node's limits (an item of 202 bytes, more than maxItemBytes=100),"
          + " not taken here: the clients it would have reached here are closed with 1013 (1 since the last report,"
          + " cluster.remotePushesOverLimits: 1); give every node the same maxItemsPerPush, maxItemBytes and maxItemDepth"),
          warnings.messages(), "one line per 10 s at most");
      }
    });
  }

  /** A stream's items are in its history: over this node's limits, they are a gap it fills from there. */
  @Test
  void aStreamsClientsGetTheItemsFromTheHistory() throws Exception {
    withNodes(new JsonObject().put("historyHoleMillis", 50), (big, small) -> {
      try (TestClient viewer = small.client().joinAcked("s", 1)) {
        push(big, "/push/room", new JsonObject().put("room", "s").put("items", new JsonArray().add("first")));
        assertEquals(List.of("first"), viewer.awaitItems("s", 1));
        // Three items, one of them deep: over maxItemsPerPush and maxItemDepth here, and nothing after them.
        push(big, "/push/room", new JsonObject().put("room", "s").put("items", new JsonArray().add(2).add(new JsonArray("[[[3]]]")).add(4)));
        assertEquals(List.of(2, new JsonArray("[[[3]]]"), 4), viewer.awaitItems("s", 3));
        JsonObject stats = small.stats();
        assertEquals(1, stats.getJsonObject("cluster").getLong("remotePushesOverLimits"));
        assertEquals(1, stats.getJsonObject("history").getLong("holesFilled"), stats.getJsonObject("history").encode());
        assertEquals(0, stats.getJsonObject("merger").getLong("missedCloses"));
        assertFalse(viewer.isClosed());
      }
    });
  }
}
