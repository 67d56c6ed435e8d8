package io.pushgate.cluster;

import io.pushgate.testing.ClientMessages;
import io.pushgate.bus.Local;
import io.pushgate.protocol.Target;
import io.pushgate.merge.PushBatch;
import io.pushgate.history.HistoryOptions;
import io.pushgate.history.HazelcastSequencer;
import io.pushgate.history.AppendResult;
import io.pushgate.history.Append;
import io.pushgate.bus.Addresses;
import io.pushgate.example.PushingService;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Three pushgate nodes and one pushing service, each a clustered Vert.x with its own Hazelcast
 * member, in this JVM on loopback. Pushes through any node's HTTP API or through the event bus
 * reach every room member on every node exactly once, in order per pusher.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterDeliveryTest {

  private static final TestCluster cluster = new TestCluster(TestNode.freePortRange(4), 4);
  private static final List<TestNode> nodes = new ArrayList<>();
  private static Vertx service;

  @BeforeAll
  static void start() {
    for (int i = 0; i < 3; i++) {
      nodes.add(TestNode.start(cluster.member(), new JsonObject().put("tickMillis", i == 2 ? 60_000 : 20)));
    }
    service = cluster.serviceMember();
    Eventually.await("4 members seen by every node", () -> nodes.stream()
      .allMatch(n -> n.stats().getJsonObject("cluster").getInteger("members") == 4));
  }

  @AfterAll
  static void stop() {
    nodes.forEach(TestNode::close);
    if (service != null) {
      TestNode.await(service.close());
    }
  }

  @Test
  @Order(1)
  void everyMemberOnEveryNodeGetsEveryItemOnceInOrderPerPusher() {
    List<TestClient> clients = new ArrayList<>();
    for (TestNode node : nodes.subList(0, 2)) {
      clients.add(node.client().joinAcked("match", 1));
      clients.add(node.client().joinAcked("match", 1));
    }
    TestClient elsewhere = nodes.get(1).client().joinAcked("other", 1);
    for (int i = 0; i < 10; i++) {
      for (int n = 0; n < 2; n++) {
        var response = nodes.get(n).pushJson("/push/room", new JsonObject().put("room", "match")
          .put("items", new JsonArray().add(new JsonObject().put("via", "http-" + n).put("seq", i))));
        assertEquals(200, response.statusCode(), response.body());
      }
      JsonObject reply = TestNode.await(PushingService.push(service, "match", new JsonArray().add(new JsonObject().put("via", "bus").put("seq", i))));
      assertEquals(1, reply.getInteger("accepted"));
    }
    for (TestClient c : clients) {
      List<Object> items = c.awaitItems("match", 30);
      for (String via : List.of("http-0", "http-1", "bus")) {
        List<Integer> seqs = items.stream().map(o -> (JsonObject) o).filter(o -> via.equals(o.getString("via")))
          .map(o -> o.getInteger("seq")).toList();
        // Order is promised per accepting node (PROTOCOL.md): each HTTP pusher uses one node, while
        // event-bus requests are spread round-robin over the nodes, so for those only "exactly once" holds.
        List<Integer> expected = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertEquals(expected, via.equals("bus") ? seqs.stream().sorted().toList() : seqs, "items from " + via);
      }
    }
    elsewhere.send(ClientMessages.ping(2));
    assertEquals("PONG", elsewhere.next().getString("type"), "nothing of room match reached room other");
    clients.forEach(TestClient::close);
    elsewhere.close();
  }

  /**
   * What a node's merger takes, it sends to the other nodes itself: a push handed to the merger by
   * anything but the API (here the event bus, locally) reaches node 1's client too. When the API sent
   * a plain push on after the merger's answer, a pusher's request that timed out meanwhile left the
   * items on this node alone.
   */
  @Test
  @Order(1)
  void aPushTheMergerTookReachesTheOtherNodesWithoutTheApi() {
    try (TestClient there = nodes.get(1).client()) {
      there.send(ClientMessages.ping(1));
      assertEquals("PONG", there.next().getString("type"));
      byte[] item = "\"merger's own\"".getBytes(StandardCharsets.UTF_8);
      Object answer = TestNode.await(nodes.get(0).vertx.eventBus().request(Addresses.MERGE, new PushBatch(Target.ALL, List.of(item), item.length), Local.OPTIONS)).body();
      assertEquals(io.pushgate.merge.MergeResult.Accepted.class, answer.getClass(), "taken: " + answer);
      assertEquals(List.of("merger's own"), there.awaitItems(null, 1), "the push to all, on the node that did not take it");
    }
  }

  /** Watchers on different nodes see the same cluster-wide count, and so does GET /rooms on any node. */
  @Test
  @Order(2)
  void onlineCountsAreClusterWide() {
    try (TestClient a = nodes.get(0).client(); TestClient b = nodes.get(1).client(); TestClient c = nodes.get(2).client().joinAcked("arena", 1)) {
      a.send(ClientMessages.join("arena", null, true));
      b.send(ClientMessages.join("arena", null, true));
      for (TestClient watcher : List.of(a, b)) {
        JsonObject three = watcher.await(m -> "ONLINE".equals(m.getString("type")) && m.getJsonObject("data").getInteger("count") == 3);
        assertEquals("arena", three.getJsonObject("data").getString("room"));
      }
      for (TestNode node : nodes) {
        Eventually.await("node counts 3", () -> new JsonObject(node.get(node.apiPort(), "/rooms/arena").body()).getInteger("online") == 3);
      }
    }
  }

  /**
   * Node 2 ticks once a minute, so whatever reaches it waits in its merger. Pushes through nodes 0
   * and 1 must leave node 2 as one frame: merging happens on the receiving node. It drains node 2,
   * so it runs last.
   */
  @Test
  @Order(3)
  void pushesFromDifferentNodesShareOneFrameOnTheReceivingNode() {
    TestNode receiver = nodes.get(2);
    try (TestClient c = receiver.client().joinAcked("merged", 1)) {
      // A quiet room's first item goes out at once (leading edge); from then on, this tick merges.
      nodes.get(0).pushJson("/push/room", new JsonObject().put("room", "merged").put("items", new JsonArray().add("warm")));
      assertEquals(List.of("warm"), c.awaitItems("merged", 1));
      long before = receiver.stats().getJsonObject("cluster").getLong("broadcastsReceived");
      nodes.get(0).pushJson("/push/room", new JsonObject().put("room", "merged").put("items", new JsonArray().add("from 0")));
      nodes.get(1).pushJson("/push/room", new JsonObject().put("room", "merged").put("items", new JsonArray().add("from 1")));
      Eventually.await("both broadcasts at node 2", () -> receiver.stats().getJsonObject("cluster").getLong("broadcastsReceived") == before + 2);
      receiver.vertx.eventBus().request(Addresses.DRAIN, null);
      JsonArray items = c.next().getJsonObject("data").getJsonArray("items");
      assertEquals(2, items.size(), "one frame with both items: " + items);
      assertEquals(1001, c.awaitClose());
    }
  }

  /**
   * A go-push JOIN (no id, no since) of a stream this node had nothing of, then the stream's first two
   * items arriving in the wrong order, as two nodes' broadcasts do: the member gets both, in offset
   * order. (Had the JOIN not given the merger the stream's state, offset 2 would have started it and
   * offset 1, a moment later, been dropped as already delivered.)
   */
  @Test
  @Order(4)
  void aGoPushMemberGetsAStreamsFirstItemsInOrderWhicheverBroadcastComesFirst() {
    TestNode node = nodes.get(1);
    String room = "gopush-first";
    TestClient c = node.client();
    c.send(new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", room)))
      .send(new JsonObject().put("type", "PING").put("id", 1));
    c.await(m -> "ACK".equals(m.getString("type")) && Integer.valueOf(1).equals(m.getInteger("id")));
    HazelcastSequencer history = new HazelcastSequencer(io.pushgate.vertx.VertxInternals.hazelcast(node.vertx), HistoryOptions.from(node.config), node.vertx.getOrCreateContext());
    byte[] x = "\"x\"".getBytes(StandardCharsets.UTF_8);
    byte[] y = "\"y\"".getBytes(StandardCharsets.UTF_8);
    AppendResult first = TestNode.await(history.append(room, List.of(new Append.Push(List.of(x), null))));
    AppendResult second = TestNode.await(history.append(room, List.of(new Append.Push(List.of(y), null))));
    assertEquals(List.of(1L, 2L), List.of(first.top(), second.top()));
    // Another node's broadcast of offset 2 overtakes the one of offset 1.
    TestNode.await(node.vertx.eventBus().request(Addresses.MERGE_REMOTE, new PushBatch(Target.room(room), List.of(y), y.length).numbered(2, second.epoch()), Local.OPTIONS));
    TestNode.await(node.vertx.eventBus().request(Addresses.MERGE_REMOTE, new PushBatch(Target.room(room), List.of(x), x.length).numbered(1, first.epoch()), Local.OPTIONS));
    assertEquals(List.of("x", "y"), c.awaitItems(room, 2));
    c.close();
  }

  /**
   * A push published to pushgate.push, not sent, would be taken by every node, and every client would
   * get it once per node: each node that takes pushes refuses it and counts it; the push sent next is the first, and
   * only, item each client gets.
   */
  @Test
  @Order(5)
  void aPushPublishedToTheBusIsRefusedByEveryNode() {
    List<TestClient> clients = List.of(nodes.get(0).client().joinAcked("published", 1), nodes.get(1).client().joinAcked("published", 1));
    List<Long> before = nodes.subList(0, 2).stream().map(ClusterDeliveryTest::badRequests).toList();
    service.eventBus().publish(io.pushgate.bus.Addresses.PUSH, new JsonObject().put("room", "published").put("items", new JsonArray().add("published")));
    for (int i = 0; i < 2; i++) { // node 2 was drained (order 3): it takes no pushes
      int n = i;
      Eventually.await("node " + n + " refused the publish", () -> badRequests(nodes.get(n)) == before.get(n) + 1);
    }
    JsonObject reply = TestNode.await(PushingService.push(service, "published", new JsonArray().add("sent")));
    assertEquals(1, reply.getInteger("accepted"));
    for (TestClient c : clients) {
      assertEquals(List.of("sent"), c.awaitItems("published", 1));
      c.send(ClientMessages.ping(2));
      assertEquals("PONG", c.next().getString("type"), "nothing else came");
      c.close();
    }
  }

  private static long badRequests(TestNode node) {
    return node.stats().getJsonObject("api").getJsonObject("refused").getLong("BAD_REQUEST");
  }

  /**
   * A stream's item that another node numbered and never broadcast (it died first), in a stream that
   * then stays quiet, so no later item shows the gap: when a pushgate node leaves, every node asks the
   * history where its streams stand, and its clients get the item. A member that is no node (the
   * pushing service) leaving asks nothing. (The last test: node 2 is the one that leaves.)
   */
  @Test
  @Order(6)
  void whenANodeLeavesItemsItNeverBroadcastReachTheClientsOfAQuietStream() {
    TestNode node = nodes.get(0);
    String room = "quiet-stream";
    TestClient c = node.client().joinAcked(room, 1);
    HazelcastSequencer history = new HazelcastSequencer(io.pushgate.vertx.VertxInternals.hazelcast(node.vertx), HistoryOptions.from(node.config), node.vertx.getOrCreateContext());
    byte[] x = "\"x\"".getBytes(StandardCharsets.UTF_8);
    TestNode.await(history.append(room, List.of(new Append.Push(List.of(x), null))));
    long reads = node.stats().getJsonObject("history").getLong("operations");
    TestNode.await(service.close());
    service = null;
    Eventually.await("3 members", () -> node.stats().getJsonObject("cluster").getInteger("members") == 3);
    assertEquals(reads, node.stats().getJsonObject("history").getLong("operations"), "the service's leaving read nothing");
    nodes.remove(2).close();
    assertEquals(List.of("x"), c.awaitItems(room, 1));
    c.close();
  }
}
