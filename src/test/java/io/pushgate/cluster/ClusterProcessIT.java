package io.pushgate.cluster;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three real {@code java -jar target/pushgate.jar -cluster} processes on loopback. One is killed with
 * SIGKILL: the survivors' clients keep getting everything. It is restarted: it rejoins and its new
 * clients receive pushes made through the others.
 */
class ClusterProcessIT {

  private static final Duration START = Duration.ofSeconds(60);

  private final List<Process> processes = new ArrayList<>();

  record Node(int index, int publicPort, int apiPort, Process process) {
  }

  @AfterEach
  void killAll() {
    processes.forEach(Process::destroyForcibly);
  }

  /** conf/cluster.xml as shipped, with a cluster name and port range no other run shares. */
  private static Path clusterXml(Path dir) throws IOException {
    String shipped = Files.readString(Path.of("conf", "cluster.xml"));
    int base = TestNode.freePortRange(10);
    String xml = shipped.replace("<cluster-name>pushgate-dev</cluster-name>", "<cluster-name>pushgate-it-" + UUID.randomUUID() + "</cluster-name>")
      .replace(">5701</port>", ">" + base + "</port>");
    for (int i = 0; i < 10; i++) {
      xml = xml.replace("<member>127.0.0.1:" + (5701 + i) + "</member>", "<member>127.0.0.1:" + (base + i) + "</member>");
    }
    assertTrue(xml.contains(">" + base + "</port>") && xml.contains("127.0.0.1:" + (base + 2) + "<") && !xml.contains(":5701<"),
      "the shipped cluster.xml changed shape: " + xml);
    Path file = dir.resolve("cluster.xml");
    Files.writeString(file, xml);
    return file;
  }

  private Node start(Path dir, Path clusterXml, int index, int publicPort, int apiPort) throws IOException {
    Path log = dir.resolve("node-" + index + "-" + System.nanoTime() + ".log");
    ProcessBuilder builder = new ProcessBuilder("java", "-Dvertx.hazelcast.config=" + clusterXml,
      "-Dhazelcast.wait.seconds.before.join=0", "-Dhazelcast.max.no.heartbeat.seconds=5",
      "-jar", Path.of("target", "pushgate.jar").toAbsolutePath().toString(), "-cluster", "-cluster-host", "127.0.0.1")
      .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("PUSHGATE_PUBLIC_HOST", "127.0.0.1");
    builder.environment().put("PUSHGATE_API_HOST", "127.0.0.1");
    builder.environment().put("PUSHGATE_PUBLIC_PORT", String.valueOf(publicPort));
    builder.environment().put("PUSHGATE_API_PORT", String.valueOf(apiPort));
    builder.environment().put("PUSHGATE_SHARDS", "2");
    Process p = builder.start();
    processes.add(p);
    return new Node(index, publicPort, apiPort, p);
  }

  private static JsonObject stats(Node n) {
    return new JsonObject(Http.bodyOrEmpty(n.apiPort(), "/stats"));
  }

  private static boolean ready(Node n) {
    return Http.statusOrMinusOne(n.publicPort(), "/ready") == 200;
  }

  /**
   * A push as a careful pusher makes one: right after a node dies, an append whose backup was on it
   * fails (503) until the cluster has noticed, and the pusher retries with the same idempotency key,
   * so that an append that did happen is not made twice.
   */
  private static void push(Node n, String room, Object item) {
    JsonObject body = new JsonObject().put("room", room).put("items", new JsonArray().add(item)).put("idempotencyKey", "item-" + item);
    long deadline = System.nanoTime() + START.toNanos();
    HttpResponse<String> r = Http.postJson(n.apiPort(), "/push/room", body);
    while (r.statusCode() == 503 && System.nanoTime() < deadline) {
      r = Http.postJson(n.apiPort(), "/push/room", body);
    }
    assertEquals(200, r.statusCode(), r.body());
  }

  private static int members(Node n) {
    JsonObject cluster = stats(n).getJsonObject("cluster");
    return cluster == null ? 0 : cluster.getInteger("members", 0);
  }

  @Test
  void survivorsKeepDeliveringAfterSigkillAndTheRestartedNodeRejoins(@TempDir Path dir) throws Exception {
    Path xml = clusterXml(dir);
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(start(dir, xml, i, TestNode.freePort(), TestNode.freePort()));
    }
    for (Node n : nodes) {
      Eventually.await("node " + n.index() + " ready with 3 members", () -> ready(n) && members(n) == 3, START);
    }
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
    Eventually.await("survivors see 2 members", () -> members(nodes.get(0)) == 2 && members(nodes.get(1)) == 2, START);

    Node restarted = start(dir, xml, 2, victim.publicPort(), victim.apiPort());
    Eventually.await("restarted node ready with 3 members", () -> ready(restarted) && members(restarted) == 3, START);
    TestClient fresh = TestClient.connect(restarted.publicPort()).joinAcked("live", 1);
    // The others learn the new node's subscription through Hazelcast, asynchronously: probe until one arrives.
    Eventually.await("broadcasts reach the restarted node", () -> {
      try {
        push(nodes.get(0), "probe-room", "probe");
        return stats(restarted).getJsonObject("cluster").getLong("broadcastsReceived") > 0;
      } catch (Exception e) {
        return false;
      }
    }, START);
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
    Eventually.await("survivors see 2 members after the graceful leave", () -> members(nodes.get(0)) == 2 && members(nodes.get(1)) == 2,
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
