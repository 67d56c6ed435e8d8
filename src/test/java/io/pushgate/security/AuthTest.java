package io.pushgate.security;

import io.pushgate.testing.Http;
import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Connection tokens, room patterns, expiry, origins and API keys, over real sockets. */
class AuthTest {

  private static URI connect(TestNode node, String token) {
    return URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect" + (token == null ? "" : "?token=" + token));
  }

  private static int status(TestNode node, String token) {
    return TestClient.handshakeStatus(connect(node, token), Map.of());
  }

  @Test
  void hs256TokensAreRequiredAndEveryBadOneIsRefusedWith401() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      Tokens otherSecret = Tokens.hs256(node.vertx, "another-secret-also-32-bytes-long-xxxxxxxx");
      long now = System.currentTimeMillis() / 1000;

      assertEquals(401, status(node, null));
      assertEquals(401, status(node, ""));
      assertEquals(401, status(node, "not.a.jwt"));
      assertEquals(401, status(node, otherSecret.valid("u1", 60, new JsonObject())));
      assertEquals(401, status(node, tokens.sign(new JsonObject().put("sub", "u1").put("exp", now - 60))), "expired");
      assertEquals(401, status(node, tokens.sign(new JsonObject().put("sub", "u1"))), "no exp");
      assertEquals(401, status(node, tokens.sign(new JsonObject().put("exp", now + 60))), "no sub");
      assertEquals(401, status(node, tokens.valid("u1", 60, new JsonObject().put("rooms", "game-*"))), "rooms not an array");
      assertEquals(401, status(node, tokens.valid("u1", 60, new JsonObject().putNull("rooms"))), "rooms null (Go's nil slice): no room, not any");
      assertEquals(401, status(node, tokens.sign(new JsonObject().put("sub", "u1").put("exp", String.valueOf(now + 60)))), "exp a string");
      assertEquals(401, status(node, tokens.sign(new JsonObject().put("sub", "u1").putNull("exp"))), "exp null");
      assertEquals(401, status(node, Tokens.unsigned(new JsonObject().put("sub", "u1").put("exp", now + 60))), "alg none");
      String valid = tokens.valid("u1", 60, new JsonObject());
      String tampered = valid.substring(0, valid.lastIndexOf('.') + 1) + "AAAA" + valid.substring(valid.lastIndexOf('.') + 5);
      assertEquals(401, status(node, tampered), "bad signature");

      try (TestClient c = TestClient.connect(connect(node, valid), Map.of(), false)) {
        c.send(ClientMessages.ping());
        assertEquals("PONG", c.next().getString("type"));
        c.joinAcked("any-room", 2);
      }
      JsonObject refused = node.stats().getJsonObject("security").getJsonObject("refused");
      assertEquals(2, refused.getLong("token_missing"), refused.encode());
      assertEquals(11, refused.getLong("token_invalid"), refused.encode()); // every one above but the two without a token
    }
  }

  @Test
  void rs256PublicKeyFromPemTextOrFileVerifiesAndOtherKeysAreRefused() throws Exception {
    KeyPair keys = Tokens.rsaKeys();
    Path pemFile = Files.createTempFile("pushgate-rs256", ".pem");
    Files.writeString(pemFile, Tokens.publicPem(keys));
    try {
      for (String setting : List.of(Tokens.publicPem(keys), pemFile.toString())) {
        try (TestNode node = TestNode.start(new JsonObject().put("jwtRs256PublicKey", setting))) {
          Tokens rs = Tokens.rs256(node.vertx, keys);
          Tokens otherKey = Tokens.rs256(node.vertx, Tokens.rsaKeys());
          // HS256 signed with the public key's PEM as its secret: the classic algorithm confusion.
          Tokens confused = Tokens.hs256(node.vertx, Tokens.publicPem(keys));
          assertEquals(101, status(node, rs.valid("u2", 60, new JsonObject())));
          assertEquals(401, status(node, otherKey.valid("u2", 60, new JsonObject())));
          assertEquals(401, status(node, confused.valid("u2", 60, new JsonObject())));
          assertEquals(401, status(node, Tokens.hs256(node.vertx, Tokens.SECRET).valid("u2", 60, new JsonObject())));
        }
      }
    } finally {
      Files.deleteIfExists(pemFile);
    }
  }

  @Test
  void roomsClaimLimitsJoinsWithForbiddenAndTheConnectionStays() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      String token = tokens.valid("u3", 60, new JsonObject().put("rooms", new JsonArray().add("game-*").add("lobby")));
      try (TestClient c = TestClient.connect(connect(node, token), Map.of(), false)) {
        c.joinAcked("game-7", 1);
        c.joinAcked("lobby", 2);
        c.send(ClientMessages.join("lobby2", 3));
        JsonObject error = c.next();
        assertEquals("ERROR", error.getString("type"), error.encode());
        assertEquals(3, error.getLong("id"));
        assertEquals("FORBIDDEN", error.getJsonObject("data").getString("code"));
        c.send(ClientMessages.join("game", 4));
        assertEquals("FORBIDDEN", c.next().getJsonObject("data").getString("code"), "the prefix itself lacks the '-'");
        node.pushJson("/push/room", new JsonObject().put("room", "game-7").put("items", new JsonArray().add("still here")));
        assertEquals(List.of("still here"), c.awaitItems("game-7", 1));
        JsonObject stats = node.stats();
        assertEquals(2, stats.getJsonObject("security").getLong("forbiddenJoins"));
        assertEquals(2, stats.getJsonObject("errors").getLong("FORBIDDEN"));
        assertEquals(2, stats.getLong("joins"), "forbidden JOINs join nothing");
      }
    }
  }

  /**
   * Two short tokens: the first client leaves before its token expires, the second stays. Only the
   * second is closed by expiry, with 1008. Whether the first one's timer went with its connection
   * cannot be seen here (closing a closed connection counts nothing): ShardGuardTest sees it.
   */
  @Test
  void tokenExpiringWhileConnectedClosesWith1008() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("jwtLeewaySeconds", 0))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      try (TestClient longLived = TestClient.connect(connect(node, tokens.valid("u4", 600, new JsonObject())), Map.of(), false)) {
        TestClient leaving = TestClient.connect(connect(node, tokens.valid("u5", 3, new JsonObject())), Map.of(), false);
        TestClient expiring = TestClient.connect(connect(node, tokens.valid("u6", 3, new JsonObject())), Map.of(), false);
        leaving.close();
        Eventually.await("the leaving client is gone", () -> node.stats().getLong("connections") == 2);
        assertEquals(1008, expiring.awaitClose());
        longLived.send(ClientMessages.ping());
        assertEquals("PONG", longLived.next().getString("type"));
        JsonObject stats = node.stats();
        assertEquals(1, stats.getJsonObject("security").getJsonObject("closed").getLong("token_expired"));
        assertEquals(1, stats.getJsonObject("closed").getLong("policy_violation"));
        assertFalse(longLived.isClosed());
      }
    }
  }

  /**
   * A token let in by the clock-skew leeway (its exp 2 s ago, leeway 5 s) is not closed the moment it
   * is let in: the connection's deadline is exp plus the leeway.
   */
  @Test
  void aTokenWithinTheLeewayKeepsItsConnectionUntilExpPlusTheLeeway() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("jwtLeewaySeconds", 5))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      long now = System.currentTimeMillis() / 1000;
      try (TestClient late = TestClient.connect(connect(node, tokens.sign(new JsonObject().put("sub", "u7").put("exp", now - 2))), Map.of(), false)) {
        late.send(ClientMessages.ping());
        assertEquals("PONG", late.next().getString("type"), "open, not closed at once");
        assertEquals(1008, late.awaitClose(), "closed at exp + leeway");
      }
    }
  }

  @Test
  void originsOutsideTheAllowListGet403AndNonBrowserClientsPass() {
    try (TestNode node = TestNode.start(new JsonObject().put("allowedOrigins", "https://app.example.com, https://other.example.com:8443"))) {
      URI uri = connect(node, null);
      assertEquals(101, TestClient.handshakeStatus(uri, Map.of("Origin", "https://app.example.com")));
      assertEquals(101, TestClient.handshakeStatus(uri, Map.of("Origin", "HTTPS://APP.example.com/")));
      assertEquals(101, TestClient.handshakeStatus(uri, Map.of("Origin", "https://other.example.com:8443")));
      assertEquals(403, TestClient.handshakeStatus(uri, Map.of("Origin", "https://other.example.com")));
      assertEquals(403, TestClient.handshakeStatus(uri, Map.of("Origin", "https://app.example.com.evil.example")));
      assertEquals(403, TestClient.handshakeStatus(uri, Map.of("Origin", "null")));
      assertEquals(101, TestClient.handshakeStatus(uri, Map.of()));
      assertEquals(3, node.stats().getJsonObject("security").getJsonObject("refused").getLong("origin"));
    }
  }

  @Test
  void apiKeysGuardEveryApiRouteAndSeveralAreValidAtOnce() {
    String one = "key-one-0123456789abcdef";
    String two = "key-two-0123456789abcdef";
    try (TestNode node = TestNode.start(new JsonObject().put("apiKeys", one + "," + two))) {
      String body = new JsonObject().put("room", "r").put("items", new JsonArray().add(1)).encode();
      int api = node.apiPort();
      for (String auth : new String[] {null, "Bearer", "Bearer wrong-key-0123456789abcdef", "Basic " + one, one, "Bearer " + one + "x"}) {
        HttpResponse<String> r = Http.send("POST", api, "/push/room", "application/json", body, auth);
        assertEquals(401, r.statusCode(), auth + ": " + r.body());
        assertEquals("UNAUTHORIZED", new JsonObject(r.body()).getJsonObject("error").getString("code"));
        boolean presented = auth != null && auth.startsWith("Bearer ");
        assertEquals(presented ? "the API key is not valid" : "this API needs Authorization: Bearer KEY",
          new JsonObject(r.body()).getJsonObject("error").getString("message"), "a pusher learns which of the two it is: " + auth);
        assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
      }
      assertEquals(401, Http.send("GET", api, "/stats", null, null, (String) null).statusCode());
      assertEquals(401, Http.send("GET", api, "/no-such-path", null, null, "Bearer nope-nope-nope-nope").statusCode(),
        "without a key, even the 404 is not revealed");
      assertEquals(200, Http.send("POST", api, "/push/room", "application/json", body, "Bearer " + one).statusCode());
      assertEquals(200, Http.send("POST", api, "/push/room", "application/json", body, "bearer " + two).statusCode());
      assertEquals(404, Http.send("GET", api, "/no-such-path", null, null, "Bearer " + two).statusCode());
      JsonObject stats = Http.stats(api, "Bearer " + one);
      assertEquals(8, stats.getJsonObject("api").getJsonObject("refused").getLong("UNAUTHORIZED"));
      assertEquals(2, stats.getJsonObject("api").getLong("pushesAccepted"));
    }
  }
}
