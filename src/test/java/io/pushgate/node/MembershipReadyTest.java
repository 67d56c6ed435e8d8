package io.pushgate.node;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A node that expects peers and sees none takes no new clients, for a bounded time. */
class MembershipReadyTest {

  private static int ready(TestNode node) {
    return node.get(node.publicPort(), "/ready").statusCode();
  }

  @Test
  void aLonelyNodeIsNotReadyUntilAPeerJoinsAndAgainWhenItLeaves() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    try (TestNode first = TestNode.start(cluster.member(), new JsonObject().put("minClusterMembers", 2).put("lonelyReadyAfterMillis", 600_000))) {
      assertEquals(503, ready(first), "alone, expecting two members");
      JsonObject node = first.stats().getJsonObject("node");
      assertEquals("sees 1 cluster members, fewer than minClusterMembers=2", node.getString("notReadyBecause"));
      Vertx peer = cluster.member();
      Eventually.await("ready once a peer joined", () -> ready(first) == 200, Duration.ofSeconds(30));
      TestNode.await(peer.close());
      Eventually.await("not ready once the peer left", () -> ready(first) == 503, Duration.ofSeconds(30));
    }
  }

  @Test
  void theFirstNodeOfANewClusterServesAfterItsLonelyBound() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(1), 1);
    try (TestNode only = TestNode.start(cluster.member(), new JsonObject().put("minClusterMembers", 3).put("lonelyReadyAfterMillis", 1_000))) {
      Eventually.await("ready after being alone for 1 s", () -> ready(only) == 200, Duration.ofSeconds(20));
      assertEquals(1, only.stats().getJsonObject("cluster").getInteger("members"));
    }
  }
}
