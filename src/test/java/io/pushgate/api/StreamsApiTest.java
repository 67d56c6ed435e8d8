package io.pushgate.api;

import io.pushgate.protocol.Position;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streams on one standalone node, over real sockets, as PROTOCOL.md writes them: the push reply's
 * position and idempotency, the history endpoint, and each way a JOIN with since is answered
 * (recovered, TOO_FAR, HISTORY_GONE by size and by age, EPOCH_CHANGED, NO_HISTORY).
 */
class StreamsApiTest {

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private TestNode node(JsonObject overrides) {
    TestNode node = TestNode.start(overrides);
    open.add(node);
    return node;
  }

  private TestClient client(TestNode node) {
    TestClient c = node.client();
    open.add(c);
    return c;
  }

  private static JsonObject push(TestNode node, String room, JsonArray items, String key) {
    JsonObject body = new JsonObject().put("room", room).put("items", items);
    if (key != null) {
      body.put("idempotencyKey", key);
    }
    HttpResponse<String> r = node.pushJson("/push/room", body);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static JsonObject history(TestNode node, String query) {
    HttpResponse<String> r = node.get(node.apiPort(), "/rooms/" + query);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static JsonObject joinSince(TestClient c, String room, long id, long offset, String epoch) {
    c.send(new JsonObject().put("type", "JOIN").put("id", id)
      .put("data", new JsonObject().put("room", room).put("since", new JsonObject().put("offset", offset).put("epoch", epoch))));
    return c.await(m -> "ACK".equals(m.getString("type")) && Long.valueOf(id).equals(m.getLong("id"))).getJsonObject("data");
  }

  /** A JOIN with an id and no since: its ACK's data. */
  private static JsonObject join(TestClient c, String room, long id) {
    c.send(new JsonObject().put("type", "JOIN").put("id", id).put("data", new JsonObject().put("room", room)));
    return c.await(m -> "ACK".equals(m.getString("type")) && Long.valueOf(id).equals(m.getLong("id"))).getJsonObject("data");
  }

  private static JsonObject nextPush(TestClient c, String room) {
    return c.await(m -> "PUSH".equals(m.getString("type")) && room.equals(m.getJsonObject("data").getString("room"))).getJsonObject("data");
  }

  @Test
  void aPushRepliesWithItsPositionAndARetriedKeyIsAnsweredAsTheFirstAndDeliveredOnce() {
    TestNode node = node(new JsonObject());
    TestClient c = client(node);
    JsonObject ack = join(c, "s", 1);
    assertEquals(Position.NONE, new Position(ack.getLong("offset"), ack.getString("epoch")), "a new stream: this connection gets every item after 0");

    JsonObject first = push(node, "s", new JsonArray().add("a").add("b"), "order-17");
    String epoch = first.getString("epoch");
    assertTrue(epoch.matches("[0-9a-f]{12}"), "the first item gives the stream its epoch: " + first);
    assertEquals(new JsonObject().put("accepted", 2).put("offset", 2).put("epoch", epoch), first);
    JsonObject again = push(node, "s", new JsonArray().add("a").add("b"), "order-17");
    assertEquals(first, again, "the retry is answered as the first push was");
    assertEquals(3, push(node, "s", new JsonArray().add("c"), null).getLong("offset"));

    List<Object> items = new ArrayList<>();
    long lastOffset = 0;
    while (items.size() < 3) {
      JsonObject frame = nextPush(c, "s");
      items.addAll(frame.getJsonArray("items").getList());
      lastOffset = frame.getLong("offset");
      assertEquals(epoch, frame.getString("epoch"));
    }
    assertEquals(List.of("a", "b", "c"), items);
    assertEquals(3, lastOffset);
    assertEquals(1, node.stats().getJsonObject("history").getLong("idempotentRepeats"));
    // An empty key (a form that always sends the field) is no key: each such push is appended.
    assertEquals(4, push(node, "s", new JsonArray().add("d"), "").getLong("offset"));
    assertEquals(5, push(node, "s", new JsonArray().add("d"), "").getLong("offset"));
  }

  /**
   * A key is at most 64 characters as PROTOCOL.md counts them, code points as in room names (64
   * emoji are 128 UTF-16 units), and a Unicode string: an unpaired surrogate, which the history's
   * UTF-8 would turn into '?', could make two keys one.
   */
  @Test
  void anIdempotencyKeyIsAtMost64CharactersOfUnicode() {
    TestNode node = node(new JsonObject());
    String emoji = "\uD83C\uDF89"; // one character, two UTF-16 units
    JsonObject first = push(node, "k", new JsonArray().add("e"), emoji.repeat(64));
    assertEquals(first, push(node, "k", new JsonArray().add("e"), emoji.repeat(64)), "64 emoji are a key, remembered");
    // As JSON text: the escapes, since a string with an unpaired surrogate has no UTF-8 bytes to send.
    for (String key : List.of(emoji.repeat(65), "a".repeat(65), "k\\ud800", "k\\udc00x")) {
      HttpResponse<String> r = node.post("/push/room", "application/json", "{\"room\":\"k\",\"items\":[\"x\"],\"idempotencyKey\":\"" + key + "\"}");
      assertEquals(400, r.statusCode(), key + ": " + r.body());
      assertEquals(key.length() > 64 ? "idempotencyKey must be a string of at most 64 characters" : "idempotencyKey contains an unpaired surrogate",
        new JsonObject(r.body()).getJsonObject("error").getString("message"), key);
    }
    assertEquals(first.getLong("offset") + 1, push(node, "k", new JsonArray().add("f"), "k?").getLong("offset"), "nothing refused was appended");
    // The history after the last offset there can be is empty; past it there is no offset at all.
    String epoch = first.getString("epoch");
    assertEquals(false, history(node, "k/history?since=9007199254740991&epoch=" + epoch).getBoolean("recovered"), "a position past the top");
    HttpResponse<String> past = node.get(node.apiPort(), "/rooms/k/history?since=9007199254740992&epoch=" + epoch);
    assertEquals(400, past.statusCode(), past.body());
  }

  /**
   * A JOIN reads a stream and creates nothing: a client allowed into stream rooms cannot fill the
   * history with an entry per name it makes up. Before its first item a stream stands at offset 0 in
   * {@link Position#NO_EPOCH}; the first item gives it a real epoch, and a position from before that
   * is another numbering's (EPOCH_CHANGED), as PROTOCOL.md says of any epoch that is not the stream's.
   */
  @Test
  void aJoinOfAStreamWithNoItemCreatesNothingAndItsFirstItemGivesTheEpoch() {
    TestNode node = node(new JsonObject());
    TestClient early = client(node);
    JsonObject ack = join(early, "fresh", 1);
    assertEquals(new JsonObject().put("room", "fresh").put("offset", 0).put("epoch", Position.NO_EPOCH), ack);
    JsonObject page = new JsonObject().put("room", "fresh").put("epoch", Position.NO_EPOCH).put("offset", 0).put("first", 1).put("items", new JsonArray());
    assertEquals(page, history(node, "fresh/history"), "the JOIN created no entry (it would have a real epoch)");
    assertEquals(page.copy().put("recovered", true), history(node, "fresh/history?since=0&epoch=" + Position.NO_EPOCH));
    TestClient again = client(node);
    assertEquals(ack.copy().put("recovered", true), joinSince(again, "fresh", 2, 0, Position.NO_EPOCH), "still nothing: nothing missed");

    String epoch = push(node, "fresh", new JsonArray().add("a").add("b"), null).getString("epoch");
    assertNotEquals(Position.NO_EPOCH, epoch);
    for (TestClient c : List.of(early, again)) {
      JsonObject frame = nextPush(c, "fresh");
      assertEquals(new JsonObject().put("room", "fresh").put("items", new JsonArray().add("a").add("b")).put("offset", 2).put("epoch", epoch), frame);
    }
    TestClient late = client(node);
    assertEquals(new JsonObject().put("room", "fresh").put("offset", 2).put("epoch", epoch).put("recovered", false).put("reason", "EPOCH_CHANGED"),
      joinSince(late, "fresh", 3, 0, Position.NO_EPOCH), "it did not see the numbering begin: told to reload");
    assertEquals("EPOCH_CHANGED", history(node, "fresh/history?since=0&epoch=" + Position.NO_EPOCH).getString("reason"));
    assertEquals(0, node.stats().getJsonObject("history").getLong("epochChanges"), "a first epoch is no change of one");
  }

  /**
   * A member that rejoins with since is out of the room until the merger answers, but keeps the room's
   * place among the node's maxRooms: another JOIN of a new room meanwhile is refused (RATE_LIMITED), not the rejoin.
   */
  @Test
  void aMemberRejoiningWithSinceKeepsItsRoomsPlaceAtMaxRooms() {
    TestNode node = node(new JsonObject().put("maxRooms", 1).put("shards", 1).put("historyHoleMillis", 1_500));
    TestClient a = client(node).joinAcked("s", 1);
    String epoch = push(node, "s", new JsonArray().add("first"), null).getString("epoch");
    assertEquals(List.of("first"), a.awaitItems("s", 1));
    // A position the stream never gave out: the merger waits to see whether this node is behind.
    a.send(new JsonObject().put("type", "JOIN").put("id", 2)
      .put("data", new JsonObject().put("room", "s").put("since", new JsonObject().put("offset", 99).put("epoch", epoch))));
    TestClient b = client(node);
    b.send(new JsonObject().put("type", "JOIN").put("id", 1).put("data", new JsonObject().put("room", "t")));
    JsonObject refused = b.await(m -> "ERROR".equals(m.getString("type")) || "ACK".equals(m.getString("type")));
    assertEquals("RATE_LIMITED", refused.getJsonObject("data", new JsonObject()).getString("code"), refused.encode());
    JsonObject ack = a.await(m -> "ACK".equals(m.getString("type")) && Long.valueOf(2).equals(m.getLong("id"))).getJsonObject("data");
    assertEquals("EPOCH_CHANGED", ack.getString("reason"), ack.encode());
    push(node, "s", new JsonArray().add("second"), null);
    assertEquals(List.of("second"), a.awaitItems("s", 1), "still a member of s");
  }

  @Test
  void theHistoryEndpointPagesAStream() {
    TestNode node = node(new JsonObject().put("historyRooms", "s*"));
    String epoch = push(node, "s1", new JsonArray().add(1).add(2).add(3), null).getString("epoch");

    assertEquals(new JsonObject().put("room", "s1").put("epoch", epoch).put("offset", 3).put("first", 1).put("items", new JsonArray().add(1).add(2).add(3)),
      history(node, "s1/history"));
    assertEquals(new JsonObject().put("room", "s1").put("epoch", epoch).put("offset", 3).put("first", 2).put("items", new JsonArray().add(2).add(3))
      .put("recovered", true), history(node, "s1/history?since=1&epoch=" + epoch));
    assertEquals(new JsonArray().add(3), history(node, "s1/history?limit=1").getJsonArray("items"));
    assertEquals(new JsonObject().put("room", "s1").put("epoch", epoch).put("offset", 3).put("first", 2).put("items", new JsonArray().add(2).add(3))
      .put("recovered", true), history(node, "s1/history?since=1&epoch=" + epoch + "&limit=2"), "as many missed as the limit");
    assertEquals(new JsonObject().put("room", "s1").put("epoch", epoch).put("offset", 3).put("first", 3).put("items", new JsonArray().add(3))
      .put("recovered", false).put("reason", "TOO_FAR"), history(node, "s1/history?since=0&epoch=" + epoch + "&limit=1"),
      "more missed than the page holds: the last page, not the first one claiming the top");
    JsonObject other = history(node, "s1/history?since=1&epoch=another&limit=2");
    assertEquals(false, other.getBoolean("recovered"));
    assertEquals("EPOCH_CHANGED", other.getString("reason"));
    assertEquals(new JsonArray().add(2).add(3), other.getJsonArray("items"), "the last page instead");

    JsonObject none = history(node, "s2/history");
    assertEquals(0, none.getLong("offset"), "a stream nothing was pushed to");
    assertEquals(new JsonArray(), none.getJsonArray("items"));
    assertEquals(new JsonObject().put("room", "chat").put("epoch", "0").put("offset", 0).put("recovered", false).put("reason", "NO_HISTORY")
      .put("first", 1).put("items", new JsonArray()), history(node, "chat/history"), "chat is no stream here: every field, at the position its JOIN gets");

    for (String bad : List.of("s1/history?limit=0", "s1/history?limit=201", "s1/history?since=1", "s1/history?since=-1&epoch=" + epoch, "s1/history?since=x&epoch=e",
        "chat/history?limit=abc", "chat/history?limit=0", "chat/history?since=1")) {
      HttpResponse<String> r = node.get(node.apiPort(), "/rooms/" + bad);
      assertEquals(400, r.statusCode(), bad);
      assertEquals("BAD_REQUEST", new JsonObject(r.body()).getJsonObject("error").getString("code"), bad);
    }
  }

  @Test
  void aJoinThatMissedTooMuchIsToldTooFarAndGoesOnLive() {
    TestNode node = node(new JsonObject().put("maxRecoveryItems", 3));
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = null;
    for (int i = 1; i <= 5; i++) {
      epoch = push(node, "s", new JsonArray().add(i), null).getString("epoch");
    }
    watcher.awaitItems("s", 5); // the node has handed all five to its shards

    TestClient c = client(node);
    JsonObject ack = joinSince(c, "s", 7, 1, epoch);
    assertEquals(new JsonObject().put("room", "s").put("offset", 5).put("epoch", epoch).put("recovered", false).put("reason", "TOO_FAR"), ack);
    push(node, "s", new JsonArray().add(6), null);
    JsonObject live = nextPush(c, "s");
    assertEquals(new JsonArray().add(6), live.getJsonArray("items"), "live from offset 6, nothing replayed");
    assertEquals(6, live.getLong("offset"));

    TestClient near = client(node);
    JsonObject within = joinSince(near, "s", 8, 3, epoch);
    assertEquals(new JsonObject().put("room", "s").put("offset", 6).put("epoch", epoch).put("recovered", true), within, "three missed: within the bound");
    assertEquals(List.of(4, 5, 6), near.awaitItems("s", 3));
  }

  /**
   * A member that asks for the items after O gets them, though it joined after O and so never had
   * them live; then the live frames, nothing twice.
   */
  @Test
  void aMemberThatJoinsAgainWithSinceGetsTheItemsItNeverHad() {
    TestNode node = node(new JsonObject());
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = null;
    for (int i = 1; i <= 3; i++) {
      epoch = push(node, "s", new JsonArray().add(i), null).getString("epoch");
    }
    watcher.awaitItems("s", 3); // the node has handed all three to its shards
    TestClient c = client(node).joinAcked("s", 1); // a member from offset 3 on
    push(node, "s", new JsonArray().add(4), null);
    assertEquals(List.of(4), c.awaitItems("s", 1));

    JsonObject ack = joinSince(c, "s", 2, 1, epoch);
    assertEquals(new JsonObject().put("room", "s").put("offset", 4).put("epoch", epoch).put("recovered", true), ack);
    assertEquals(List.of(2, 3, 4), c.awaitItems("s", 3), "2 and 3 never reached it live; 4 it asked for again");
    push(node, "s", new JsonArray().add(5), null);
    JsonObject live = nextPush(c, "s");
    assertEquals(new JsonArray().add(5), live.getJsonArray("items"));
    assertEquals(5, live.getLong("offset"));
    assertEquals(1, node.stats().getJsonObject("history").getJsonObject("joins").getLong("memberSince"));
  }

  /**
   * A stream whose history went (here: idle past historyIdleMillis, as a cluster that lost every
   * copy) starts again in a new epoch, and its members get the new numbering's items: the merger
   * resets the stream and tells every shard, by a command of its own, to forget where it stood.
   */
  @Test
  void aStreamWhoseHistoryWentStartsAgainAndItsMembersGetTheNewItems() {
    TestNode node = node(new JsonObject().put("historyIdleMillis", 1_000));
    TestClient c = client(node).joinAcked("s", 1);
    String before = push(node, "s", new JsonArray().add(1), null).getString("epoch");
    assertEquals(List.of(1), c.awaitItems("s", 1));
    long untouchedSince = System.nanoTime();
    // The history forgets the stream on its first operation after the idle time: that time must pass.
    Eventually.await("historyIdleMillis and a half without an operation", () -> System.nanoTime() - untouchedSince > 1_500_000_000L);
    JsonObject after = push(node, "s", new JsonArray().add(2), null);
    assertNotEquals(before, after.getString("epoch"));
    assertEquals(1, after.getLong("offset"));
    JsonObject frame = nextPush(c, "s");
    assertEquals(new JsonArray().add(2), frame.getJsonArray("items"));
    assertEquals(1, frame.getLong("offset"));
    assertEquals(after.getString("epoch"), frame.getString("epoch"));
    assertEquals(1, node.stats().getJsonObject("history").getLong("epochChanges"));
  }

  /**
   * JOINs of streams go to the merger together, but meet maxRoomsPerConnection when they are asked:
   * past it they are refused at once with ROOM_LIMIT and the merger never takes them up (it keeps
   * state for the three streams joined, not five).
   */
  @Test
  void joinsOfStreamsStillWaitingForTheMergerCountAgainstMaxRoomsPerConnection() {
    TestNode node = node(new JsonObject().put("maxRoomsPerConnection", 3));
    TestClient c = client(node);
    for (int i = 1; i <= 5; i++) {
      c.send(new JsonObject().put("type", "JOIN").put("id", i).put("data", new JsonObject().put("room", "s" + i)));
    }
    java.util.Map<Long, String> answers = new java.util.TreeMap<>();
    while (answers.size() < 5) {
      JsonObject m = c.await(x -> x.getLong("id") != null);
      answers.put(m.getLong("id"), "ACK".equals(m.getString("type")) ? "ACK" : m.getJsonObject("data").getString("code"));
    }
    assertEquals(java.util.Map.of(1L, "ACK", 2L, "ACK", 3L, "ACK", 4L, "ROOM_LIMIT", 5L, "ROOM_LIMIT"), answers);
    assertEquals(3, node.stats().getJsonObject("history").getLong("streams"), "the merger took up only the JOINs within the limit");
  }

  /**
   * At historyMaxStreams the history drops the least recently used stream, counts it, and that
   * stream's next push starts a new epoch, which its member is given, while a stream used since keeps
   * its numbering.
   */
  @Test
  void pastHistoryMaxStreamsTheLeastRecentlyUsedStreamStartsAgain() {
    TestNode node = node(new JsonObject().put("historyMaxStreams", 2));
    TestClient c = client(node).joinAcked("a", 1);
    String a = push(node, "a", new JsonArray().add(1), null).getString("epoch");
    push(node, "b", new JsonArray().add(1), null);
    String b = push(node, "b", new JsonArray().add(2), null).getString("epoch");
    assertEquals(List.of(1), c.awaitItems("a", 1));
    assertEquals(0, node.stats().getJsonObject("history").getLong("streamsEvicted"), "two streams fit");
    String third = push(node, "c", new JsonArray().add(1), null).getString("epoch"); // a was used least recently
    JsonObject history = node.stats().getJsonObject("history");
    assertEquals(2, history.getLong("entries"), history.encode());
    Eventually.await("the drop counted, within a trim's period", () -> node.stats().getJsonObject("history").getLong("streamsEvicted") == 1);
    JsonObject newA = push(node, "a", new JsonArray().add(2), null); // and now b goes, used before c
    assertNotEquals(a, newA.getString("epoch"));
    assertEquals(1, newA.getLong("offset"));
    assertEquals(new JsonObject().put("room", "a").put("items", new JsonArray().add(2)).put("offset", 1).put("epoch", newA.getString("epoch")),
      nextPush(c, "a"), "the member gets the new numbering's first item");
    JsonObject stillC = push(node, "c", new JsonArray().add(2), null);
    assertEquals(third, stillC.getString("epoch"));
    assertEquals(2, stillC.getLong("offset"));
    JsonObject newB = push(node, "b", new JsonArray().add(3), null);
    assertNotEquals(b, newB.getString("epoch"));
    assertEquals(1, newB.getLong("offset"));
    Eventually.await("three drops counted", () -> node.stats().getJsonObject("history").getLong("streamsEvicted") == 3);
  }

  /**
   * Replays kept for the next JOINs at the same position are bounded by historyRingBytes: with room
   * for one of them (150 bytes: the replay after 0 is about 90, the one after 5 about 80) the first
   * is kept and shared, the second goes to its JOIN alone. Every JOIN gets its items either way.
   */
  @Test
  void replaysKeptForLaterJoinsStayWithinHistoryRingBytes() {
    TestNode node = node(new JsonObject().put("historyRingBytes", 150));
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = null;
    for (int i = 1; i <= 10; i++) {
      epoch = push(node, "s", new JsonArray().add(i), null).getString("epoch");
    }
    watcher.awaitItems("s", 10);
    List<Object> all = List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    TestClient first = client(node);
    assertEquals(true, joinSince(first, "s", 1, 0, epoch).getBoolean("recovered"));
    assertEquals(all, first.awaitItems("s", 10));
    TestClient second = client(node);
    assertEquals(true, joinSince(second, "s", 1, 5, epoch).getBoolean("recovered"));
    assertEquals(all.subList(5, 10), second.awaitItems("s", 5));
    TestClient third = client(node);
    assertEquals(true, joinSince(third, "s", 1, 0, epoch).getBoolean("recovered"));
    assertEquals(all, third.awaitItems("s", 10));
    JsonObject history = node.stats().getJsonObject("history");
    assertEquals(1, history.getLong("replaysNotCached"), history.encode());
    assertEquals(1, history.getLong("replayShared"), history.encode());
  }

  /**
   * A replay of more bytes than the connection may queue would get it cut as a slow consumer (4002),
   * and its rejoin would meet the same replay: it is told TOO_FAR and goes on live. One that fits is
   * replayed.
   */
  @Test
  void aReplayLargerThanTheConnectionMayQueueIsToldTooFarInsteadOfCut() {
    TestNode node = node(new JsonObject().put("maxOutboundBytes", 4_096));
    TestClient watcher = client(node).joinAcked("s", 1);
    String pad = "x".repeat(1_000);
    String epoch = null;
    for (int i = 1; i <= 6; i++) {
      epoch = push(node, "s", new JsonArray().add(new JsonObject().put("n", i).put("pad", pad)), null).getString("epoch");
    }
    watcher.awaitItems("s", 6); // the node has handed all six to its shards
    TestClient c = client(node);
    JsonObject ack = joinSince(c, "s", 1, 1, epoch); // five items of 1 KB after offset 1: more than 4 KB
    assertEquals(new JsonObject().put("room", "s").put("offset", 6).put("epoch", epoch).put("recovered", false).put("reason", "TOO_FAR"), ack);
    push(node, "s", new JsonArray().add(7), null);
    JsonObject live = nextPush(c, "s");
    assertEquals(new JsonArray().add(7), live.getJsonArray("items"), "live from offset 7, nothing replayed");
    JsonObject stats = node.stats();
    assertEquals(1, stats.getJsonObject("history").getJsonObject("joins").getLong("replayTooLarge"));
    assertEquals(0, stats.getJsonObject("closed").getLong("slow_consumer"));

    TestClient near = client(node);
    JsonObject fits = joinSince(near, "s", 2, 5, epoch); // items 6 (1 KB) and 7
    assertEquals(true, fits.getBoolean("recovered"));
    List<Object> items = near.awaitItems("s", 2);
    assertEquals(6, ((JsonObject) items.get(0)).getInteger("n"));
    assertEquals(7, items.get(1));
  }

  @Test
  void aJoinAfterItemsWereTrimmedIsToldHistoryGone() {
    TestNode node = node(new JsonObject().put("historySize", 3));
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = null;
    for (int i = 1; i <= 6; i++) {
      epoch = push(node, "s", new JsonArray().add(i), null).getString("epoch");
    }
    watcher.awaitItems("s", 6);

    JsonObject gone = joinSince(client(node), "s", 2, 1, epoch);
    assertEquals("HISTORY_GONE", gone.getString("reason"), gone.encode());
    assertEquals(6, gone.getLong("offset"));
    JsonObject page = history(node, "s/history?since=1&epoch=" + epoch);
    assertEquals(false, page.getBoolean("recovered"));
    assertEquals("HISTORY_GONE", page.getString("reason"));
    assertEquals(4, page.getLong("first"));
    assertEquals(new JsonArray().add(4).add(5).add(6), page.getJsonArray("items"));

    TestClient near = client(node);
    JsonObject ok = joinSince(near, "s", 3, 3, epoch);
    assertEquals(true, ok.getBoolean("recovered"), ok.encode());
    assertEquals(List.of(4, 5, 6), near.awaitItems("s", 3), "the kept items replayed, in order");
  }

  /** The node's replay ring keeps no more than historyStreamBytes lets the history keep: both answer alike. */
  @Test
  void aJoinAfterItemsWereTrimmedByBytesIsToldHistoryGoneByTheRingAsByTheHistory() {
    TestNode node = node(new JsonObject().put("historyStreamBytes", 1_024));
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = null;
    for (int i = 1; i <= 6; i++) {
      epoch = push(node, "s", new JsonArray().add(Integer.toString(i).repeat(400)), null).getString("epoch");
    }
    watcher.awaitItems("s", 6);
    assertEquals(5, history(node, "s/history?since=1&epoch=" + epoch).getLong("first"), "two items of 402 bytes fit in 1,024");

    JsonObject gone = joinSince(client(node), "s", 2, 3, epoch);
    assertEquals("HISTORY_GONE", gone.getString("reason"), "item 4 is gone from the history, so from the ring too: " + gone.encode());

    TestClient near = client(node);
    JsonObject ok = joinSince(near, "s", 3, 4, epoch);
    assertEquals(true, ok.getBoolean("recovered"), ok.encode());
    assertEquals(List.of("5".repeat(400), "6".repeat(400)), near.awaitItems("s", 2), "the kept items replayed, in order");
  }

  @Test
  void aJoinAfterItemsExpiredIsToldHistoryGone() {
    TestNode node = node(new JsonObject().put("historyTtlMillis", 1_000));
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = push(node, "s", new JsonArray().add(1).add(2), null).getString("epoch");
    watcher.awaitItems("s", 2);
    Eventually.await("the items expired from the history", () -> history(node, "s/history").getJsonArray("items").isEmpty());

    JsonObject gone = joinSince(client(node), "s", 2, 0, epoch);
    assertEquals("HISTORY_GONE", gone.getString("reason"), "the node's own ring expires with the history: " + gone.encode());
    assertEquals(new JsonObject().put("room", "s").put("offset", 2).put("epoch", epoch).put("recovered", true)
      .put("items", new JsonArray()).put("first", 3), history(node, "s/history?since=2&epoch=" + epoch), "nothing missed after 2");
  }

  @Test
  void aPositionOfAnotherEpochOrNeverGivenOutIsToldEpochChanged() {
    TestNode node = node(new JsonObject().put("historyHoleMillis", 50));
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = push(node, "s", new JsonArray().add(1).add(2).add(3), null).getString("epoch");
    watcher.awaitItems("s", 3);

    JsonObject other = joinSince(client(node), "s", 2, 2, "0123456789ab");
    assertEquals(new JsonObject().put("room", "s").put("offset", 3).put("epoch", epoch).put("recovered", false).put("reason", "EPOCH_CHANGED"), other);
    JsonObject ahead = joinSince(client(node), "s", 3, 1_000, epoch);
    assertEquals("EPOCH_CHANGED", ahead.getString("reason"), "offset 1000 was never given out: " + ahead.encode());
  }

  @Test
  void aRestartedStandaloneNodeTellsReturningClientsEpochChanged() {
    TestNode first = TestNode.start(new JsonObject());
    String epoch;
    try (first) {
      epoch = push(first, "s", new JsonArray().add(1), null).getString("epoch");
    }
    TestNode second = node(new JsonObject());
    JsonObject ack = joinSince(client(second), "s", 1, 1, epoch);
    assertEquals(false, ack.getBoolean("recovered"));
    assertEquals("EPOCH_CHANGED", ack.getString("reason"));
    assertNotEquals(epoch, ack.getString("epoch"));
  }

  @Test
  void aRoomThatIsNoStreamIsToldNoHistoryAndItsFramesCarryNoPosition() {
    TestNode node = node(new JsonObject().put("historyRooms", "live-*"));
    TestClient c = client(node);
    JsonObject ack = joinSince(c, "chat", 1, 5, "0123456789ab");
    assertEquals(new JsonObject().put("room", "chat").put("recovered", false).put("reason", "NO_HISTORY")
      .put("offset", 0).put("epoch", "0"), ack);
    JsonObject reply = push(node, "chat", new JsonArray().add("hi"), null);
    assertEquals(new JsonObject().put("accepted", 1), reply, "no position for a room that is no stream");
    JsonObject frame = nextPush(c, "chat");
    assertEquals(new JsonObject().put("room", "chat").put("items", new JsonArray().add("hi")), frame);
    assertEquals(1, node.stats().getJsonObject("history").getJsonObject("joins").getLong("NO_HISTORY"));
  }

  @Test
  void withHistorySizeZeroNothingIsAStream() {
    TestNode node = node(new JsonObject().put("historySize", 0));
    TestClient c = client(node);
    c.send(new JsonObject().put("type", "JOIN").put("id", 1).put("data", new JsonObject().put("room", "s")));
    JsonObject ack = c.await(m -> "ACK".equals(m.getString("type")));
    assertNull(ack.getValue("data"), "a plain ACK, as before streams: " + ack.encode());
    assertEquals(new JsonObject().put("accepted", 1), push(node, "s", new JsonArray().add(1), null));
    assertFalse(nextPush(c, "s").containsKey("offset"));
    // A backend that always asks with a limit gets NO_HISTORY, not a 400 for a limit above historySize=0.
    io.vertx.core.json.JsonObject page = new JsonObject(node.get(node.apiPort(), "/rooms/s/history?limit=50").body());
    assertEquals("NO_HISTORY", page.getString("reason"), page.encode());
  }

  @Test
  void requestsAreAnsweredInTheOrderSentThoughAStreamsJoinIsAnsweredByTheMerger() {
    TestNode node = node(new JsonObject());
    RawClient c = RawClient.connect(node.publicPort());
    open.add(c);
    assertEquals(101, c.handshake());
    // One write: the shard reads all three before the merger can answer the JOIN.
    c.sendTexts(new JsonObject().put("type", "JOIN").put("id", 1).put("data", new JsonObject().put("room", "s")).encode(),
      new JsonObject().put("type", "LEAVE").put("id", 2).put("data", new JsonObject().put("room", "s")).encode(),
      new JsonObject().put("type", "PING").put("id", 3).encode());
    JsonObject first = new JsonObject(c.readFrame().text());
    assertEquals("ACK", first.getString("type"));
    assertEquals(1, first.getLong("id"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 2), new JsonObject(c.readFrame().text()), "the LEAVE after the JOIN, not before it");
    assertEquals("PONG", new JsonObject(c.readFrame().text()).getString("type"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 3), new JsonObject(c.readFrame().text()));
    push(node, "s", new JsonArray().add("after the leave"), null);
    c.sendTexts(new JsonObject().put("type", "PING").put("id", 4).encode());
    assertEquals("PONG", new JsonObject(c.readFrame().text()).getString("type"), "the LEAVE held: nothing of s came");
  }

  /**
   * A client of {@code node} whose JOIN of stream s (id 1) waits for a read of the history: its
   * {@code since} is ahead of everything the node has, so what it sends next waits behind it.
   */
  private TestClient waitingOnAStreamJoin(TestNode node) {
    TestClient watcher = client(node).joinAcked("s", 1);
    String epoch = push(node, "s", new JsonArray().add(1), null).getString("epoch");
    watcher.awaitItems("s", 1);
    TestClient c = client(node);
    c.send(new JsonObject().put("type", "JOIN").put("id", 1)
      .put("data", new JsonObject().put("room", "s").put("since", new JsonObject().put("offset", 99).put("epoch", epoch))));
    return c;
  }

  @Test
  void requestsWaitingBehindAStreamsJoinAreBounded() {
    TestNode node = node(new JsonObject().put("maxQueuedRequests", 2).put("maxRoomsPerConnection", 2).put("historyHoleMillis", 1_500));
    TestClient c = waitingOnAStreamJoin(node);
    for (long id = 2; id <= 4; id++) {
      c.send(new JsonObject().put("type", "PING").put("id", id));
    }
    JsonObject refused = c.next();
    assertEquals("ERROR", refused.getString("type"), refused.encode());
    assertEquals(4, refused.getLong("id"));
    assertEquals("RATE_LIMITED", refused.getJsonObject("data").getString("code"));
    JsonObject ack = c.next();
    assertEquals(1, ack.getLong("id"));
    assertEquals("EPOCH_CHANGED", ack.getJsonObject("data").getString("reason"));
    assertEquals("PONG", c.next().getString("type"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 2), c.next());
    assertEquals("PONG", c.next().getString("type"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 3), c.next());
  }

  /** PROTOCOL.md lets a rejoin's JOINs through at once: behind a JOIN of a stream they all wait their turn, none refused. */
  @Test
  void aWholeRejoinFitsBehindAStreamsJoinWhateverMaxQueuedRequestsSays() {
    TestNode node = node(new JsonObject().put("maxQueuedRequests", 2).put("maxRoomsPerConnection", 8).put("historyRooms", "s").put("historyHoleMillis", 1_500));
    TestClient c = waitingOnAStreamJoin(node);
    for (long id = 2; id <= 8; id++) {
      c.send(new JsonObject().put("type", "JOIN").put("id", id).put("data", new JsonObject().put("room", "plain-" + id)));
    }
    assertEquals(1, c.next().getLong("id"), "the stream's JOIN is answered first");
    for (long id = 2; id <= 8; id++) {
      assertEquals(new JsonObject().put("type", "ACK").put("id", id), c.next());
    }
  }

  /**
   * go-push's JOIN (neither id nor since) gets no ACK. Of a stream its shard has been handed nothing of,
   * it is answered by the merger all the same, which then keeps the stream's state: its first items
   * are delivered in offset order, whichever node's broadcast comes first (ClusterDeliveryTest).
   * Once the shard knows where the stream stands, the next go-push JOIN stays in the shard.
   */
  @Test
  void goPushsJoinGetsNoAckAndAsksTheMergerOnlyUntilTheShardKnowsTheStream() {
    TestNode node = node(new JsonObject().put("shards", 1));
    TestClient c = client(node);
    c.send(new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", "s")))
      .send(new JsonObject().put("type", "PING").put("id", 1));
    assertEquals("PONG", c.next().getString("type"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 1), c.next(), "no ACK for the JOIN: it had no id");
    assertEquals(1, node.stats().getJsonObject("history").getLong("streams"), "the merger keeps the stream from the JOIN on");
    c.send(new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", "s")))
      .send(new JsonObject().put("type", "PING").put("id", 2));
    assertEquals("PONG", c.next().getString("type"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 2), c.next());
    assertEquals(0, node.stats().getJsonObject("history").getJsonObject("joins").getLong("answeredByShard", 0L),
      "a member's repeat JOIN stays in the shard, but no position answered it: the shard knows none yet");
    push(node, "s", new JsonArray().add("hello"), null);
    JsonObject frame = nextPush(c, "s");
    assertEquals(new JsonArray().add("hello"), frame.getJsonArray("items"));
    assertEquals(1, frame.getLong("offset"), "still a stream's frame: a go-push client ignores the position");

    TestClient second = client(node);
    second.send(new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", "s")))
      .send(new JsonObject().put("type", "PING").put("id", 1));
    assertEquals("PONG", second.next().getString("type"));
    assertEquals(new JsonObject().put("type", "ACK").put("id", 1), second.next());
    assertEquals(1, node.stats().getJsonObject("history").getJsonObject("joins").getLong("answeredByShard"), "the shard knew where s stands");
    push(node, "s", new JsonArray().add("again"), null);
    assertEquals(new JsonArray().add("again"), nextPush(second, "s").getJsonArray("items"));
  }

  @Test
  void aJoinWithAnIdIsToldWhereTheStreamStandsForItsShardWithoutTheMergerOnceTheShardKnows() {
    TestNode node = node(new JsonObject().put("shards", 1));
    TestClient first = client(node);
    assertEquals(0, join(first, "s", 1).getLong("offset"));
    String epoch = push(node, "s", new JsonArray().add(1).add(2), null).getString("epoch");
    assertEquals(List.of(1, 2), first.awaitItems("s", 2));

    TestClient second = client(node);
    assertEquals(new JsonObject().put("room", "s").put("offset", 2).put("epoch", epoch), join(second, "s", 7), "the last frame the shard was handed");
    push(node, "s", new JsonArray().add(3), null);
    JsonObject frame = nextPush(second, "s");
    assertEquals(new JsonArray().add(3), frame.getJsonArray("items"), "live from offset 3: nothing lost, nothing twice");
    assertEquals(3, frame.getLong("offset"));
    assertEquals(1, node.stats().getJsonObject("history").getJsonObject("joins").getLong("answeredByShard"), "the second JOIN, not the first");
  }
}
