package io.pushgate.online;

import io.pushgate.bus.Addresses;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.pushgate.testing.Warnings;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What another cluster member sends a node for online counts: a real node and a second member that
 * speaks for itself on {@code pushgate.cluster.online}, as a node would, or sends what none would.
 */
class PeerCountsTest {

  private Warnings warnings;

  @BeforeEach
  void captureWarnings() {
    warnings = Warnings.of(OnlineVerticle.class);
  }

  @AfterEach
  void stopCapturing() {
    warnings.close();
  }

  /** A node and a member that is no node; {@code overrides} configure the node. */
  private record Pair(TestNode node, Vertx peer, String peerId) implements AutoCloseable {
    static Pair start(JsonObject overrides) {
      TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
      TestNode node = TestNode.start(cluster.member(), overrides);
      Vertx peer = cluster.serviceMember();
      Eventually.await("2 members", () -> node.stats().getJsonObject("cluster").getInteger("members") == 2);
      return new Pair(node, peer, VertxInternals.clusterManager(peer).getNodeId());
    }

    void send(Object message) {
      peer.eventBus().publish(Addresses.CLUSTER_ONLINE, message);
    }

    /** The peer's whole state: it watches {@code room} and has {@code count} members in it. */
    JsonObject counts(String room, int count) {
      return new JsonObject().put("node", peerId).put("full", true).put("watch", new JsonArray().add(room))
        .put("counts", new JsonObject().put(room, count));
    }

    int online(String room) {
      return new JsonObject(node.get(node.apiPort(), "/rooms/" + room).body()).getInteger("online");
    }

    long refused() {
      return node.stats().getJsonObject("online").getLong("peerMessagesRefused");
    }

    @Override
    public void close() {
      try {
        TestNode.await(peer.close());
      } finally {
        node.close();
      }
    }
  }

  /** README: malformed counts are logged at most every 10 s, however many arrive. */
  @Test
  void aFloodOfMalformedCountsIsLoggedOnce() {
    try (Pair pair = Pair.start(new JsonObject().put("onlineIntervalMillis", 200))) {
      for (int i = 0; i < 1_001; i++) {
        pair.send("no counts at all");
      }
      // From the same sender to the same consumer, so handled after the 1,001: once it counts, they were all refused.
      pair.send(pair.counts("arena", 3));
      Eventually.await("the peer's count of arena", () -> pair.online("arena") == 3);
      assertEquals(1_001, pair.refused());
      assertEquals(1, warnings.messages().size(), String.valueOf(warnings.messages()));
      assertEquals("ignored 1 online-count message(s) from other members since the last report, the last one for a body that is no JSON"
        + " object (String) (total ignored: 1, online.peerMessagesRefused)", warnings.messages().get(0));
    }
  }
}
