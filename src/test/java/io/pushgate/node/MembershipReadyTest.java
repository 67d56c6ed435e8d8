package io.pushgate.node;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node that expects peers and sees none takes no new clients, for a bounded time. */
class MembershipReadyTest {

  private static int ready(TestNode node) {
    return node.get(node.publicPort(), "/ready").statusCode();
  }

  @Test
  void aLonelyNodeIsNotReadyUntilAPeerJoinsAndAgainWhenItLeaves() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(3), 3);
    try (TestNode first = TestNode.start(cluster.member(), new JsonObject().put("minClusterMembers", 2).put("lonelyReadyAfterMillis", 600_000))) {
      assertEquals(503, ready(first), "alone, expecting two members");
      JsonObject node = first.stats().getJsonObject("node");
      assertEquals("sees 1 pushgate nodes in the cluster, fewer than minClusterMembers=2", node.getString("notReadyBecause"));
      // A JVM that joins only to push is a member, not a peer: alone with it, the node still expects one.
      Vertx pusher = cluster.serviceMember();
      Eventually.await("the pusher seen", () -> io.pushgate.vertx.VertxInternals.hazelcast(first.vertx).getCluster().getMembers().size() == 2);
      assertEquals(503, ready(first), "a pushing JVM is no peer");
      JsonObject seen = first.stats().getJsonObject("cluster");
      assertEquals("2 members, 1 node", seen.getInteger("members") + " members, " + seen.getInteger("nodes") + " node");
      TestNode.await(pusher.close());
      Vertx peer = cluster.member();
      Eventually.await("ready once a peer joined", () -> ready(first) == 200, Duration.ofSeconds(30));
      TestNode.await(peer.close());
      Eventually.await("not ready once the peer left", () -> ready(first) == 503, Duration.ofSeconds(30));
    }
  }

  /**
   * A node that joined is not ready until Hazelcast has once found the cluster safe (here a test's
   * answer, which a real migration would take seconds to give): it asks one question at a time, again
   * after a "not yet", and never again after a "yes".
   */
  @Test
  void aJoiningNodeIsNotReadyUntilItsClusterWasOnceSafe() {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(1), 1);
    Vertx member = cluster.member();
    try {
      java.util.concurrent.atomic.AtomicReference<io.vertx.core.Promise<Boolean>> asked = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicInteger asks = new java.util.concurrent.atomic.AtomicInteger();
      Membership membership = new Membership(member, io.pushgate.config.PushgateConfig.defaults(), () -> {
        asks.incrementAndGet();
        asked.set(io.vertx.core.Promise.promise());
        return asked.get().future();
      });
      String reason = membership.notEnough();
      assertTrue(reason != null && reason.startsWith("the cluster's partitions are still moving"), reason);
      assertEquals(reason, membership.notEnough());
      assertEquals(1, asks.get(), "one question at a time");
      asked.get().complete(false);
      assertEquals(reason, membership.notEnough());
      assertEquals(2, asks.get(), "asked again after a no");
      asked.get().complete(true);
      assertEquals(null, membership.notEnough());
      assertEquals(null, membership.notEnough());
      assertEquals(2, asks.get(), "never again once safe");
    } finally {
      TestNode.await(member.close());
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
