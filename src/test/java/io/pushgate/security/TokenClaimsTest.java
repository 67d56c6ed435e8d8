package io.pushgate.security;

import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A token is for this service, from this issuer, and read with a few seconds of clock skew. */
class TokenClaimsTest {

  private static int status(TestNode node, String token) {
    return TestClient.handshakeStatus(URI.create("ws://127.0.0.1:" + node.publicPort() + "/connect?token=" + token), Map.of());
  }

  @Test
  void aConfiguredAudienceAndIssuerRefuseTokensWithoutThem() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET)
      .put("jwtAudience", "pushgate").put("jwtIssuer", "https://auth.example.com"))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      JsonObject ours = new JsonObject().put("aud", "pushgate").put("iss", "https://auth.example.com");
      assertEquals(101, status(node, tokens.valid("u", 60, ours)));
      assertEquals(101, status(node, tokens.valid("u", 60, ours.copy().put("aud", new JsonArray().add("billing").add("pushgate")))));
      assertEquals(401, status(node, tokens.valid("u", 60, new JsonObject().put("iss", "https://auth.example.com"))), "no aud");
      assertEquals(401, status(node, tokens.valid("u", 60, ours.copy().put("aud", "billing"))), "another service's token");
      assertEquals(401, status(node, tokens.valid("u", 60, new JsonObject().put("aud", "pushgate"))), "no iss");
      assertEquals(401, status(node, tokens.valid("u", 60, ours.copy().put("iss", "https://evil.example.com"))), "another issuer");
    }
  }

  @Test
  void notBeforeAndIssuedAtAllowTheConfiguredClockSkew() {
    try (TestNode node = TestNode.start(new JsonObject().put("jwtHs256Secret", Tokens.SECRET).put("jwtLeewaySeconds", 10))) {
      Tokens tokens = Tokens.hs256(node.vertx, Tokens.SECRET);
      long now = System.currentTimeMillis() / 1000;
      assertEquals(101, status(node, tokens.valid("u", 60, new JsonObject().put("nbf", now + 4).put("iat", now + 4))), "an issuer 4 s ahead");
      assertEquals(401, status(node, tokens.valid("u", 120, new JsonObject().put("nbf", now + 60))), "not valid for another minute");
    }
  }
}
