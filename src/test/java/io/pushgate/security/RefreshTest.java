package io.pushgate.security;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** REFRESH replaces an open connection's token: a new deadline, a new room grant, no reconnect. */
class RefreshTest {

  private static JsonObject refresh(long id, String token) {
    return new JsonObject().put("type", "REFRESH").put("id", id).put("data", new JsonObject().put("token", token));
  }

  /**
   * The old token's deadline no longer closes the connection, the new one's does, and a room the new
   * claim leaves out is left: its next push does not reach the connection. No leeway, so each deadline
   * is the token's exp itself.
   */
  @Test
  void aRefreshedTokenMovesTheDeadlineAndANarrowerClaimLeavesRooms() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("jwtLeewaySeconds", 0))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      long oldExp = System.currentTimeMillis() / 1000 + 2;
      String first = tokens.sign(new JsonObject().put("sub", "u").put("exp", oldExp).put("rooms", new JsonArray().add("game-*").add("lobby")));
      try (TestClient c = TestClient.connect(URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect?token=" + first), Map.of(), false)) {
        c.joinAcked("game-1", 1).joinAcked("lobby", 2);
        c.send(refresh(3, tokens.valid("u", 120, new JsonObject().put("rooms", new JsonArray().add("game-*")))));
        JsonObject ack = c.await(m -> "ACK".equals(m.getString("type")));
        assertEquals(new JsonObject().put("type", "ACK").put("id", 3).put("data", new JsonObject().put("left", new JsonArray().add("lobby"))), ack);

        // In that order: were the connection still in lobby, lobby's frame would come first.
        node.pushJson("/push/room", new JsonObject().put("room", "lobby").put("items", new JsonArray().add("gone")));
        node.pushJson("/push/room", new JsonObject().put("room", "game-1").put("items", new JsonArray().add("still")));
        JsonObject push = c.next();
        assertEquals("PUSH game-1 [\"still\"]", push.getString("type") + " " + push.getJsonObject("data").getString("room")
          + " " + push.getJsonObject("data").getJsonArray("items").encode(), push.encode());
        // The first token's exp passes: the connection now lives by the refreshed one.
        Eventually.await("the first token's exp passed", () -> System.currentTimeMillis() > oldExp * 1000 + 1_500, Duration.ofSeconds(10));
        c.send(ClientMessages.ping(4));
        assertEquals("PONG", c.next().getString("type"));
        assertFalse(c.isClosed());
        assertEquals(0, node.stats().getJsonObject("security").getJsonObject("closed").getLong("token_expired"));
        assertEquals(1, node.stats().getJsonObject("security").getLong("tokensRefreshed"));

        // A refresh to a token that expires soon: its deadline, not the 120 s one, now closes the connection.
        long shortExp = System.currentTimeMillis() / 1000 + 2;
        c.send(refresh(5, tokens.sign(new JsonObject().put("sub", "u").put("exp", shortExp).put("rooms", new JsonArray().add("game-*")))));
        assertEquals(1008, c.awaitClose());
        assertTrue(System.currentTimeMillis() >= shortExp * 1000, "not before the new token's exp");
        Eventually.await("counted as expired", () -> node.stats().getJsonObject("security").getJsonObject("closed").getLong("token_expired") == 1);
      }
    }
  }

  /**
   * A REFRESH sent with the upgrade itself (held until the connection is in place) replaces the
   * handshake's token as any REFRESH does: a later one moves the deadline again, and no timer of an
   * earlier token is left behind to close the connection.
   */
  @Test
  void aRefreshSentWithTheUpgradeLeavesNoTimerBehind() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("jwtLeewaySeconds", 0));
         io.pushgate.testing.RawClient raw = io.pushgate.testing.RawClient.connect(node.publicPort())) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      long shortExp = System.currentTimeMillis() / 1000 + 3;
      java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
      packet.writeBytes(io.pushgate.testing.RawClient.upgradeRequest("/connect?token=" + tokens.valid("u", 60, new JsonObject()), "")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      packet.writeBytes(raw.frame(io.pushgate.testing.RawClient.OP_TEXT, true,
        refresh(1, tokens.sign(new JsonObject().put("sub", "u").put("exp", shortExp))).encode().getBytes(java.nio.charset.StandardCharsets.UTF_8), true));
      raw.writeRaw(packet.toByteArray());
      assertTrue(raw.readHead().startsWith("HTTP/1.1 101 "));
      String first = raw.readFrame().text();
      assertEquals("ACK", new JsonObject(first).getString("type"), first);
      long spaced = System.nanoTime() + 1_100_000_000L; // one REFRESH a second per connection
      Eventually.await("a second since the first REFRESH", () -> System.nanoTime() > spaced);
      raw.sendText(refresh(2, tokens.valid("u", 120, new JsonObject())).encode());
      String second = raw.readFrame().text();
      assertEquals("ACK", new JsonObject(second).getString("type"), second);
      Eventually.await("the early refresh's exp passed", () -> System.currentTimeMillis() > shortExp * 1000 + 1_500, Duration.ofSeconds(10));
      raw.sendText(ClientMessages.ping(3).encode());
      assertEquals("PONG", new JsonObject(raw.readFrame().text()).getString("type"), "open: the early refresh's timer went with it");
      assertEquals(0, node.stats().getJsonObject("security").getJsonObject("closed").getLong("token_expired"));
    }
  }

  /**
   * A REFRESH does not wait behind a JOIN of a stream the merger has yet to answer (the old token's
   * deadline runs meanwhile), and that JOIN, answered later, meets the grant the REFRESH gave.
   */
  @Test
  void aRefreshOvertakesAWaitingStreamJoinWhichThenMeetsTheNewGrant() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("historyHoleMillis", 1_500))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      String first = tokens.valid("u", 60, new JsonObject().put("rooms", new JsonArray().add("s").add("t")));
      try (TestClient c = TestClient.connect(URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect?token=" + first), Map.of(), false)) {
        String epoch = new JsonObject(node.pushJson("/push/room", new JsonObject().put("room", "s").put("items", new JsonArray().add(1))).body()).getString("epoch");
        // Ahead of everything the node has: the JOIN waits for a read of the history before it is answered.
        c.send(new JsonObject().put("type", "JOIN").put("id", 1)
          .put("data", new JsonObject().put("room", "s").put("since", new JsonObject().put("offset", 99).put("epoch", epoch))));
        c.send(refresh(2, tokens.valid("u", 120, new JsonObject().put("rooms", new JsonArray().add("t")))));
        assertEquals(new JsonObject().put("type", "ACK").put("id", 2).put("data", new JsonObject().put("left", new JsonArray())), c.next(),
          "the REFRESH is answered before the JOIN it overtook");
        JsonObject join = c.next();
        assertEquals(1L, join.getLong("id"), join.encode());
        assertEquals("FORBIDDEN", join.getJsonObject("data").getString("code"), join.encode());
        c.joinAcked("t", 3);
      }
    }
  }

  @Test
  void anInvalidTokenOrAnotherUsersIsRefusedAndTheConnectionKeepsItsOwn() throws InterruptedException {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      String mine = tokens.valid("alice", 60, new JsonObject());
      try (TestClient c = TestClient.connect(URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect?token=" + mine), Map.of(), false)) {
        c.send(refresh(1, tokens.valid("mallory", 60, new JsonObject())));
        JsonObject other = c.next();
        assertEquals("FORBIDDEN", other.getJsonObject("data").getString("code"), other.encode());
        assertEquals(1L, other.getLong("id"));
        // A REFRESH is a token check, as a handshake is: one a second per connection.
        c.send(refresh(2, "not.a.token"));
        JsonObject tooSoon = c.next();
        assertEquals("RATE_LIMITED", tooSoon.getJsonObject("data").getString("code"), tooSoon.encode());
        assertEquals(2L, tooSoon.getLong("id"));
        String code = "RATE_LIMITED";
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        for (int id = 10; "RATE_LIMITED".equals(code) && System.nanoTime() < deadline; id++) {
          Thread.sleep(100); // a client's pace of retries, within the message rate
          c.send(refresh(id, "not.a.token"));
          code = c.next().getJsonObject("data").getString("code");
        }
        assertEquals("FORBIDDEN", code, "a second later the token is checked, and refused");
        c.send(new JsonObject().put("type", "REFRESH").put("id", 3).put("data", new JsonObject()));
        assertEquals("BAD_REQUEST", c.next().getJsonObject("data").getString("code"));
        c.joinAcked("room", 4);
        JsonObject security = node.stats().getJsonObject("security");
        assertEquals(2, security.getJsonObject("refused").getLong("refresh"));
        assertTrue(security.getJsonObject("rateLimited").getLong("refreshes") >= 1);
      }
    }
  }

  /**
   * The node takes at most maxHandshakesPerSecond REFRESHes a second, from a bucket of their own: with
   * the handshakes' bucket emptied by the connections themselves, two of three REFRESHes at once are
   * checked and the third is refused for now.
   */
  @Test
  void theNodeTakesAtMostMaxHandshakesPerSecondRefreshesFromABucketOfTheirOwn() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("maxHandshakesPerSecond", 2))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      List<TestClient> clients = new java.util.ArrayList<>();
      try {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (clients.size() < 3 && System.nanoTime() < deadline) {
          try { // two handshakes a second: the third waits for its turn (429 meanwhile)
            clients.add(TestClient.connect(URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect?token=" + tokens.valid("u" + clients.size(), 60, new JsonObject())), Map.of(), false));
          } catch (Exception refusedForNow) {
            Thread.sleep(100);
          }
        }
        assertEquals(3, clients.size(), "three connections, a second or so apart");
        for (int i = 0; i < 3; i++) {
          clients.get(i).send(refresh(i + 1, tokens.valid("u" + i, 120, new JsonObject())));
        }
        List<String> answers = new java.util.ArrayList<>();
        for (TestClient c : clients) {
          JsonObject a = c.next();
          answers.add(a.getString("type").equals("ACK") ? "ACK" : a.getJsonObject("data").getString("code"));
        }
        java.util.Collections.sort(answers);
        assertEquals(List.of("ACK", "ACK", "RATE_LIMITED"), answers);
        assertEquals(1, node.stats().getJsonObject("security").getJsonObject("rateLimited").getLong("refreshes"));
      } finally {
        clients.forEach(TestClient::close);
      }
    }
  }

  @Test
  void withoutTokensARefreshIsAcknowledgedAndChangesNothing() {
    try (TestNode node = TestNode.start(new JsonObject()); TestClient c = node.client().joinAcked("r", 1)) {
      c.send(refresh(2, "anything"));
      assertEquals(new JsonObject().put("type", "ACK").put("id", 2).put("data", new JsonObject().put("left", new JsonArray())), c.next());
      // Without an id, success is silent (PROTOCOL.md): the PONG is the next thing it hears.
      c.send(new JsonObject().put("type", "REFRESH").put("data", new JsonObject().put("token", "anything")))
        .send(new JsonObject().put("type", "PING"));
      assertEquals("PONG", c.next().getString("type"));
    }
  }
}
