package io.pushgate.online;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What nodes send each other for online counts, in bytes, with many rooms: three clustered nodes in
 * this JVM, each holding the same {@code pushgate.online.rooms} rooms (default 2,000; BENCHMARKS.md
 * runs it with 100,000). Nobody watches them, so nothing but a heartbeat needs to cross.
 */
class OnlineSharingTest {

  private static final int ROOMS = Integer.getInteger("pushgate.online.rooms", 2_000);
  private static final int ROOMS_PER_CONNECTION = 1_000;
  private static final long INTERVAL_MILLIS = Long.getLong("pushgate.online.intervalMillis", 250);
  private static final TestCluster cluster = new TestCluster(TestNode.freePortRange(3), 3);
  private static final List<TestNode> nodes = new ArrayList<>();
  private static final List<TestClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() {
    for (int i = 0; i < 3; i++) {
      nodes.add(TestNode.start(cluster.member(), new JsonObject().put("onlineIntervalMillis", INTERVAL_MILLIS)
        .put("maxRoomsPerConnection", ROOMS_PER_CONNECTION).put("maxRooms", Math.max(ROOMS, 1_000))
        .put("maxMessagesPerSecond", 0).put("maxJoinsPerSecond", 0)));
    }
    Eventually.await("3 members", () -> nodes.stream().allMatch(n -> n.stats().getJsonObject("cluster").getInteger("members") == 3),
      Duration.ofSeconds(60));
    for (TestNode node : nodes) {
      for (int first = 0; first < ROOMS; first += ROOMS_PER_CONNECTION) {
        TestClient c = node.client();
        clients.add(c);
        for (int r = first; r < Math.min(ROOMS, first + ROOMS_PER_CONNECTION); r++) {
          c.join("room-" + r);
        }
      }
      Eventually.await("node holds every room", () -> node.stats().getInteger("rooms") == ROOMS, Duration.ofSeconds(120));
    }
  }

  @AfterAll
  static void stop() {
    clients.forEach(TestClient::close);
    nodes.forEach(TestNode::close);
  }

  private static JsonObject online(TestNode node) {
    return node.stats().getJsonObject("online");
  }

  /** Bytes each node published per interval, over a window of {@code intervals} after the rooms settled. */
  private static List<Double> bytesPerInterval(int intervals) {
    List<JsonObject> before = nodes.stream().map(OnlineSharingTest::online).toList();
    long target = before.get(0).getLong("publications") + intervals;
    Eventually.await(intervals + " more publications", () -> online(nodes.get(0)).getLong("publications") >= target, Duration.ofSeconds(60));
    List<Double> perInterval = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      JsonObject after = online(nodes.get(i));
      long publications = after.getLong("publications") - before.get(i).getLong("publications");
      perInterval.add((after.getLong("bytesPublished") - before.get(i).getLong("bytesPublished")) / (double) Math.max(1, publications));
    }
    return perInterval;
  }

  @Test
  void unwatchedRoomsCostNothingBetweenNodes() {
    // Two intervals for the rooms' first counts to settle, then a window of twenty.
    bytesPerInterval(2);
    List<Double> settled = bytesPerInterval(20);
    System.out.printf("online sharing: %d rooms on each of 3 nodes, nobody watching: bytes per node per interval %s%n", ROOMS, settled);
    for (double bytes : settled) {
      assertTrue(bytes < 200, "a node published " + bytes + " bytes per interval for rooms nobody watches");
    }
    assertEquals(ROOMS, nodes.get(0).stats().getInteger("rooms"));
  }

  /** A room nobody watches is still counted cluster-wide when asked: GET /rooms asks the other nodes. */
  @Test
  void anUnwatchedRoomIsCountedAcrossNodesWhenAsked() {
    // Counts are as of each node's last online interval: the first may not have come yet.
    for (TestNode node : nodes) {
      Eventually.await("GET /rooms/room-7 on a node counts all three nodes' members",
        () -> new JsonObject(node.get(node.apiPort(), "/rooms/room-7").body()).getInteger("online") == 3);
    }
    assertEquals(0, new JsonObject(nodes.get(1).get(nodes.get(1).apiPort(), "/rooms/nowhere").body()).getInteger("online"));
  }

  /**
   * Watched rooms cross the cluster: a watcher on one node hears the count of all three, and once the
   * counts are shared and steady only the periodic full state costs anything.
   */
  @Test
  void watchedRoomsAreSharedAndSteadyCountsCostOnlyThePeriodicFullState() {
    int watched = Math.min(1_000, ROOMS / 2);
    try (TestClient watcher = nodes.get(0).client()) {
      for (int r = 0; r < watched; r++) {
        watcher.send(ClientMessages.join("room-" + r, null, true));
      }
      // Its own JOIN makes node 0 hold two members of room-0, the others one each.
      JsonObject four = watcher.await(m -> "ONLINE".equals(m.getString("type")) && "room-0".equals(m.getJsonObject("data").getString("room"))
        && m.getJsonObject("data").getInteger("count") == 4);
      assertEquals(4, four.getJsonObject("data").getInteger("count"));
      Eventually.await("node 2 counts room-1 on all nodes",
        () -> new JsonObject(nodes.get(2).get(nodes.get(2).apiPort(), "/rooms/room-1").body()).getInteger("online") == 4);
      bytesPerInterval(2);
      List<Double> settled = bytesPerInterval(20);
      System.out.printf("online sharing: %d rooms on each of 3 nodes, %d watched on one node, steady: bytes per node per interval %s%n",
        ROOMS, watched, settled);
      // In each cycle of FULL_EVERY intervals a node sends for a watched room: in its full state, node
      // 0's watch list and each node's count; on nodes 1 and 2, their counts once more, after node 0's
      // full state made them forget its watch list and learn it again. Under 32 bytes a room in all
      // ("room-999" twice, quotes, colon, count, commas). A window of twenty intervals spans three cycles
      // at most: the bound allows four, and the heartbeat. The counts resent every interval would be
      // 13 bytes a room every interval (13,000 bytes here).
      int cycles = 20 / OnlineVerticle.FULL_EVERY + 2;
      double bound = cycles * 32.0 * watched / 20 + 200;
      for (double bytes : settled) {
        assertTrue(bytes < bound, "a node published " + bytes + " bytes per interval with steady counts, over " + bound
          + ": more than the full state every " + OnlineVerticle.FULL_EVERY + " intervals");
      }
    }
  }
}
