package io.pushgate.cluster;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.ProcessCluster;
import io.pushgate.testing.ProcessCluster.Node;
import io.pushgate.testing.TestClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three real {@code java -jar target/pushgate.jar -cluster} processes on loopback. One is killed with
 * SIGKILL: the survivors' clients keep getting everything. It is restarted: it rejoins and its new
 * clients receive pushes made through the others.
 */
class ClusterProcessIT {

  private ProcessCluster cluster;

  @AfterEach
  void killAll() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static void push(Node n, String room, Object item) {
    ProcessCluster.push(n, room, item, "item-" + item);
  }

  @Test
  void survivorsKeepDeliveringAfterSigkillAndTheRestartedNodeRejoins(@TempDir Path dir) throws Exception {
    cluster = new ProcessCluster(dir, Map.of());
    List<Node> nodes = cluster.startAll(3);
    List<TestClient> clients = new ArrayList<>();
    for (Node n : nodes) {
      clients.add(TestClient.connect(n.publicPort()).joinAcked("live", 1));
    }
    for (int seq = 0; seq < 3; seq++) {
      push(nodes.get(seq), "live", seq);
    }
    for (TestClient c : clients) {
      assertEquals(List.of(0, 1, 2), sorted(c.awaitItems("live", 3)));
    }

    Node victim = nodes.get(2);
    victim.process().destroyForcibly(); // SIGKILL
    assertTrue(victim.process().waitFor(10, TimeUnit.SECONDS));
    assertEquals(1006, clients.get(2).awaitClose(), "the killed node's client lost its connection");
    // Pushes made right after the kill, before the cluster notices, must still reach every survivor.
    for (int seq = 3; seq < 13; seq++) {
      push(nodes.get(seq % 2), "live", seq);
    }
    for (TestClient c : clients.subList(0, 2)) {
      assertEquals(List.of(3, 4, 5, 6, 7, 8, 9, 10, 11, 12), sorted(c.awaitItems("live", 10)));
    }
    Eventually.await("survivors see 2 members", () -> nodes.get(0).members() == 2 && nodes.get(1).members() == 2, ProcessCluster.START);

    Node restarted = cluster.restart(victim);
    Eventually.await("restarted node ready with 3 members", () -> restarted.ready() && restarted.members() == 3, ProcessCluster.START);
    TestClient fresh = TestClient.connect(restarted.publicPort()).joinAcked("live", 1);
    // The others learn the new node's subscription through Hazelcast, asynchronously: probe until one arrives.
    Eventually.await("broadcasts reach the restarted node", () -> {
      try {
        push(nodes.get(0), "probe-room", "probe");
        return restarted.stats().getJsonObject("cluster").getLong("broadcastsReceived") > 0;
      } catch (Exception e) {
        return false;
      }
    }, ProcessCluster.START);
    for (int seq = 13; seq < 19; seq++) {
      push(nodes.get(seq % 2), "live", seq);
    }
    assertEquals(List.of(13, 14, 15, 16, 17, 18), sorted(fresh.awaitItems("live", 6)));
    for (TestClient c : clients.subList(0, 2)) {
      assertEquals(List.of(13, 14, 15, 16, 17, 18), sorted(c.awaitItems("live", 6)));
    }
    // SIGTERM: the node drains (1001 to its clients) and leaves the cluster cleanly, so the
    // others see two members without waiting for a failure detector.
    restarted.process().destroy();
    assertEquals(1001, fresh.awaitClose());
    assertTrue(restarted.process().waitFor(30, TimeUnit.SECONDS), "drained node exited");
    Eventually.await("survivors see 2 members after the graceful leave", () -> nodes.get(0).members() == 2 && nodes.get(1).members() == 2,
      Duration.ofSeconds(10));
    push(nodes.get(0), "live", 19);
    for (TestClient c : clients.subList(0, 2)) {
      assertEquals(List.of(19), c.awaitItems("live", 1));
    }
    clients.forEach(TestClient::close);
  }

  /** Items of two pushers interleave across nodes; each pusher's own order is asserted in ClusterDeliveryTest. */
  private static List<Integer> sorted(List<Object> items) {
    return items.stream().map(o -> (Integer) o).sorted().toList();
  }
}
