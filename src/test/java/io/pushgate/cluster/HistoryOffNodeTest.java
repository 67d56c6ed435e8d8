package io.pushgate.cluster;

import com.hazelcast.map.IMap;
import io.pushgate.history.HistoryOptions;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node with history off in a cluster whose other nodes have it on: its member holds a share of the
 * streams' history all the same (Hazelcast spreads every map over all full members), and only a
 * member's own node trims its share, so that node trims it too. Before, the share of such a member
 * was never trimmed: idle streams and streams beyond historyMaxStreams stayed on it for good.
 */
class HistoryOffNodeTest {

  @Test
  void aNodeWithHistoryOffStillRemovesItsMembersIdleStreams() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    try (TestNode on = TestNode.start(cluster.member(), new JsonObject().put("historyIdleMillis", 3_000));
         TestNode off = TestNode.start(cluster.member(), new JsonObject().put("historySize", 0).put("historyIdleMillis", 3_000))) {
      IMap<String, Object> onShare = VertxInternals.hazelcast(on.vertx).getMap(HistoryOptions.MAP);
      IMap<String, Object> offShare = VertxInternals.hazelcast(off.vertx).getMap(HistoryOptions.MAP);
      Eventually.await("two members", () -> VertxInternals.hazelcast(on.vertx).getCluster().getMembers().size() == 2);
      onShare.get("assigns the partitions");
      com.hazelcast.cluster.Member offMember = VertxInternals.hazelcast(off.vertx).getCluster().getLocalMember();
      Eventually.await("partitions spread over both members and their backups in place", () ->
        VertxInternals.hazelcast(on.vertx).getPartitionService().isClusterSafe()
          && VertxInternals.hazelcast(on.vertx).getPartitionService().getPartitions().stream().anyMatch(p -> offMember.equals(p.getOwner())));
      for (int i = 0; i < 40; i++) {
        JsonObject push = new JsonObject().put("room", "stream-" + i).put("items", new JsonArray().add("item-" + i));
        assertEquals(200, Http.postJson(on.apiPort(), "/push/room", push).statusCode());
      }
      assertEquals(40, onShare.size(), "every stream has its history in the cluster");
      long held = offShare.getLocalMapStats().getOwnedEntryCount();
      assertTrue(held > 0, "the history-off node's member owns a share of them: " + held);
      // Idle after 3 s; each node trims its member's share every 5 s.
      Eventually.await("both shares trimmed of their idle streams", () -> onShare.size() == 0, Duration.ofSeconds(30));
      assertEquals(0, offShare.getLocalMapStats().getOwnedEntryCount());
    }
  }
}
