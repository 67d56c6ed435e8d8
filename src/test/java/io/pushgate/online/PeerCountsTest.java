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

import java.util.ArrayList;
import java.util.List;

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

  /**
   * A bigger node's true count is taken by a smaller one: the bound is a fixed one, not this node's
   * maxConnections. Only a count past that fixed bound is refused.
   */
  @Test
  void aCountAboveThisNodesMaxConnectionsIsTakenUpToTheFixedBound() {
    try (Pair pair = Pair.start(new JsonObject().put("onlineIntervalMillis", 200).put("maxConnections", 10))) {
      pair.send(pair.counts("arena", 50_000));
      Eventually.await("the peer's count of arena", () -> pair.online("arena") == 50_000);
      assertEquals(0, pair.refused());

      pair.send(pair.counts("arena", PeerTally.MAX_COUNT + 1));
      pair.send(pair.counts("lobby", PeerTally.MAX_COUNT)); // handled after the one above: once it counts, that one was judged
      Eventually.await("the peer's count of lobby", () -> pair.online("lobby") == PeerTally.MAX_COUNT);
      assertEquals(1, pair.refused());
      assertEquals(0, pair.online("arena"), "neither the earlier count (a full state replaces it) nor the refused one");
    }
  }

  /** Counts of many members add up to at most Integer.MAX_VALUE, never to a negative total. */
  @Test
  void aRoomsTotalOverManyPeersStopsAtIntegerMaxValue() {
    PeerTally tally = new PeerTally(10, (room, watched) -> { });
    JsonObject max = new JsonObject().put("counts", new JsonObject().put("arena", PeerTally.MAX_COUNT));
    for (int i = 0; i < 214; i++) {
      assertEquals(null, tally.apply("node-" + i, max, 0, () -> { }));
    }
    assertEquals(2_140_000_000, tally.count("arena"));
    assertEquals(null, tally.apply("node-214", max, 0, () -> { }));
    assertEquals(Integer.MAX_VALUE, tally.count("arena"), "215 nodes of 10,000,000 each");
    assertEquals(Integer.MAX_VALUE, PeerTally.sum(5, tally.count("arena")));
  }

  /**
   * README: counts are taken up to maxRooms rooms per node, anything else is ignored and counted. A
   * room past the cap is skipped, the message logged and counted, not dropped unseen.
   */
  @Test
  void aRoomPastMaxRoomsIsSkippedAndCounted() {
    try (Pair pair = Pair.start(new JsonObject().put("onlineIntervalMillis", 200).put("maxRooms", 2))) {
      pair.send(new JsonObject().put("node", pair.peerId).put("full", true).put("watch", new JsonArray().add("arena").add("lobby"))
        .put("counts", new JsonObject().put("arena", 3).put("lobby", 4)));
      pair.send(new JsonObject().put("node", pair.peerId).put("watch", new JsonArray().add("annex")).put("counts", new JsonObject().put("annex", 5)));
      // Handled after the one above: once it counts, that one was judged.
      pair.send(new JsonObject().put("node", pair.peerId).put("counts", new JsonObject().put("arena", 6)));
      Eventually.await("the peer's new count of arena", () -> pair.online("arena") == 6);
      assertEquals(1, pair.refused());
      assertEquals(0, pair.online("annex"));
      assertEquals(4, pair.online("lobby"));
      assertEquals(List.of("ignored 1 online-count message(s) from other members since the last report, the last one for 2 room(s) past"
        + " maxRooms rooms skipped (the rest of the message applied) (total ignored: 1, online.peerMessagesRefused)"), warnings.messages());
    }
  }

  /**
   * Watched rooms and counted rooms are capped apart: a new room past the cap is skipped, reported,
   * and the rest of the message applied. A peer's count of a room that nobody watches any more stays
   * until its next full message (it sends no 0 for it), so a well-behaved peer at the cap meets this:
   * its other counts in the same message must still be taken.
   */
  @Test
  void aRoomPastMaxRoomsIsSkippedAndTheRestOfTheMessageApplied() {
    List<String> watchers = new ArrayList<>();
    PeerTally tally = new PeerTally(2, (room, watched) -> watchers.add(room + (watched ? "+" : "-")));
    assertEquals(null, tally.apply("node", new JsonObject().put("full", true).put("counts", new JsonObject().put("arena", 1).put("lobby", 1)), 0, () -> { }));
    // arena's count is stale (nobody watches it any more); the peer counts annex now, and lobby moved to 5.
    assertEquals("1 room(s) past maxRooms rooms skipped (the rest of the message applied)",
      tally.apply("node", new JsonObject().put("counts", new JsonObject().put("annex", 1).put("lobby", 5)), 0, () -> { }));
    assertEquals(0, tally.count("annex"));
    assertEquals(5, tally.count("lobby"), "a room it holds is updated, whatever the order in the message");
    assertEquals(null, tally.apply("node", new JsonObject().put("full", true).put("counts", new JsonObject().put("annex", 1).put("lobby", 5)), 0, () -> { }),
      "its next full message puts things right");
    assertEquals(1, tally.count("annex"));
    assertEquals(0, tally.count("arena"));

    assertEquals(null, tally.apply("node", new JsonObject().put("watch", new JsonArray().add("arena").add("lobby")), 0, () -> { }));
    assertEquals("1 room(s) past maxRooms rooms skipped (the rest of the message applied)",
      tally.apply("node", new JsonObject().put("watch", new JsonArray().add("annex").add("arena")).put("counts", new JsonObject().put("lobby", 9)),
        0, () -> { }));
    assertEquals(List.of("arena+", "lobby+"), watchers, "annex, past the cap, skipped; arena, held, no change");
    assertEquals(9, tally.count("lobby"), "the message's counts taken after a watch skipped");
  }

  /**
   * A node at maxRooms whose clients left one room for another sends both changes in one message, in
   * no particular order: the room it left makes way for the new one, nothing is refused.
   */
  @Test
  void aNodeAtMaxRoomsSwappingOneRoomForAnotherIsTaken() {
    List<String> watchers = new ArrayList<>();
    PeerTally tally = new PeerTally(2, (room, watched) -> watchers.add(room + (watched ? "+" : "-")));
    // Rooms counted need not be watched by that node: hall is counted, not watched, so unwatching arena frees no count.
    assertEquals(null, tally.apply("node", new JsonObject().put("full", true).put("watch", new JsonArray().add("arena").add("lobby"))
      .put("counts", new JsonObject().put("hall", 1).put("lobby", 2)), 0, () -> { }));
    assertEquals(null, tally.apply("node", new JsonObject().put("watch", new JsonArray().add("annex")).put("unwatch", new JsonArray().add("arena"))
      .put("counts", new JsonObject().put("annex", 5).put("hall", 0)), 0, () -> { }));
    assertEquals(List.of("arena+", "lobby+", "arena-", "annex+"), watchers);
    assertEquals(5, tally.count("annex"));
    assertEquals(0, tally.count("hall"));
    assertEquals(2, tally.count("lobby"));
  }

  /**
   * A peer's full state (every FULL_EVERY intervals) replaces its watch list: rooms it still lists are
   * not reported as unwatched and watched again, which would make this node send all its counts of
   * them again at every peer's full state; only the changes are.
   */
  @Test
  void aFullStateTellsOnlyTheWatchChanges() {
    List<String> watchers = new ArrayList<>();
    PeerTally tally = new PeerTally(10, (room, watched) -> watchers.add(room + (watched ? "+" : "-")));
    assertEquals(null, tally.apply("node", new JsonObject().put("full", true).put("watch", new JsonArray().add("arena").add("lobby"))
      .put("counts", new JsonObject().put("arena", 3)), 0, () -> { }));
    assertEquals(null, tally.apply("node", new JsonObject().put("full", true).put("watch", new JsonArray().add("lobby").add("annex"))
      .put("counts", new JsonObject().put("annex", 4)), 0, () -> { }));
    assertEquals(List.of("arena+", "lobby+", "annex+", "arena-"), watchers);
    assertEquals("0 4", tally.count("arena") + " " + tally.count("annex"), "a full state's counts replace the peer's");
    watchers.clear();
    assertEquals(null, tally.apply("node", new JsonObject().put("full", true).put("watch", new JsonArray().add("lobby").add("annex"))
      .put("counts", new JsonObject().put("annex", 4)), 0, () -> { }));
    assertEquals(List.of(), watchers, "the same full state again: nothing changed");
  }
}
