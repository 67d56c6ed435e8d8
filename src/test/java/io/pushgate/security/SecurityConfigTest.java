package io.pushgate.security;

import io.pushgate.protocol.RoomPatterns;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.node.NodeConfig;
import io.pushgate.config.Setting;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecurityConfigTest {

  /**
   * The development config needs no secret, because its API listens on loopback only, while the
   * rate limits that protect a node from one client are on as shipped.
   */
  @Test
  void theShippedDevelopmentConfigNeedsNoSecretsAndItsRateLimitsAreOn() throws IOException {
    PushgateConfig shipped = NodeConfig.load(new JsonObject(Files.readString(Path.of("conf", "pushgate.json"))), Map.of());
    for (Setting s : new Setting[] {Setting.JWT_HS256_SECRET, Setting.JWT_RS256_PUBLIC_KEY, Setting.ALLOWED_ORIGINS,
      Setting.API_KEYS, Setting.EVENT_BUS_TLS_KEY_STORE}) {
      assertEquals("", shipped.text(s), s.key());
    }
    assertEquals("127.0.0.1", shipped.apiHost());
    assertFalse(shipped.flag(Setting.API_INSECURE));
    for (Limit l : new Limit[] {Limit.MAX_HANDSHAKES_PER_SECOND, Limit.MAX_HANDSHAKES_PER_SECOND_PER_IP,
      Limit.MAX_MESSAGES_PER_SECOND, Limit.MAX_JOINS_PER_SECOND}) {
      assertEquals(l.defaultValue(), shipped.limit(l), l.key());
      assertTrue(shipped.limit(l) > 0, l.key() + " is on");
    }
    assertFalse(EventBusTls.enabled(shipped));
  }

  @Test
  void secretsComeFromTheEnvironmentAndNeverAppearInToString() {
    PushgateConfig config = NodeConfig.load(new JsonObject(), Map.of(
      "PUSHGATE_JWT_HS256_SECRET", Tokens.SECRET,
      "PUSHGATE_API_KEYS", "key-one-0123456789abcdef, key-two-0123456789abcdef",
      "PUSHGATE_ALLOWED_ORIGINS", "https://app.example.com",
      "PUSHGATE_MAX_MESSAGES_PER_SECOND", "20"));
    assertEquals(Tokens.SECRET, config.text(Setting.JWT_HS256_SECRET));
    assertEquals(java.util.List.of("key-one-0123456789abcdef", "key-two-0123456789abcdef"), SecurityConfig.list(config.text(Setting.API_KEYS)));
    assertEquals(20, config.limit(Limit.MAX_MESSAGES_PER_SECOND));
    String printed = config.toString();
    assertFalse(printed.contains(Tokens.SECRET), printed);
    assertFalse(printed.contains("key-one"), printed);
    assertTrue(printed.contains("https://app.example.com"), "origins are not secret: " + printed);
    assertEquals("PUSHGATE_JWT_RS256_PUBLIC_KEY", Setting.envName(Setting.JWT_RS256_PUBLIC_KEY.key()));
    assertEquals("PUSHGATE_MAX_HANDSHAKES_PER_SECOND_PER_IP", Setting.envName(Limit.MAX_HANDSHAKES_PER_SECOND_PER_IP.key()));
    assertEquals("PUSHGATE_EVENT_BUS_TLS_KEY_STORE_PASSWORD", Setting.envName(Setting.EVENT_BUS_TLS_KEY_STORE_PASSWORD.key()));
  }

  @Test
  void weakOrBrokenSecuritySettingsStopTheNodeNamingEachKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(new JsonObject()
      .put("jwtHs256Secret", "short")
      .put("jwtRs256PublicKey", "-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----")
      .put("apiKeys", "ok-key-0123456789abcdef,tiny")
      .put("allowedOrigins", "https://fine.example.com,not-an-origin,https://x.example.com/path")
      .put("eventBusTlsKeyStore", "/no/such/store.p12")
      .put("maxMessagesPerSecond", -1), Map.of()));
    String m = e.getMessage();
    assertTrue(m.contains("jwtHs256Secret must be at least 32 bytes"), m);
    assertTrue(m.contains("jwtRs256PublicKey is not a valid RSA public key"), m);
    assertTrue(m.contains("apiKeys: each key must be at least 16 characters"), m);
    assertTrue(m.contains("'not-an-origin' is not an origin"), m);
    assertTrue(m.contains("'https://x.example.com/path' is not an origin"), m);
    assertFalse(m.contains("fine.example.com"), m);
    assertTrue(m.contains("eventBusTlsKeyStore: cannot read /no/such/store.p12"), m);
    assertTrue(m.contains("eventBusTlsKeyStorePassword is needed"), m);
    assertTrue(m.contains("maxMessagesPerSecond must be between 0"), m);
    assertFalse(m.contains("short"), "a secret's value is never echoed: " + m);

    IllegalArgumentException missingFile = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(
      new JsonObject().put("jwtRs256PublicKey", "/no/such/key.pem"), Map.of()));
    assertTrue(missingFile.getMessage().contains("jwtRs256PublicKey: cannot read the PEM file /no/such/key.pem"), missingFile.getMessage());
  }

  @Test
  void roomPatternsMatchExactNamesAndTrailingStarPrefixes() {
    RoomPatterns p = RoomPatterns.fromClaim(new io.vertx.core.json.JsonArray().add("game-*").add("lobby").add("a*b"));
    assertTrue(p.allows("game-"));
    assertTrue(p.allows("game-42"));
    assertTrue(p.allows("lobby"));
    assertFalse(p.allows("lobby-2"));
    assertFalse(p.allows("game"));
    assertTrue(p.allows("a*b"), "only a trailing star is a wildcard");
    assertFalse(p.allows("axb"));
    assertTrue(RoomPatterns.fromClaim(new io.vertx.core.json.JsonArray().add("*")).allows("anything"));
    assertTrue(RoomPatterns.fromClaim(null).allows("anything"));
    assertFalse(RoomPatterns.fromClaim(new io.vertx.core.json.JsonArray()).allows("anything"), "an empty list allows nothing");
    assertThrows(IllegalArgumentException.class, () -> RoomPatterns.fromClaim(new io.vertx.core.json.JsonArray().add(1)));
    assertThrows(IllegalArgumentException.class, () -> RoomPatterns.fromClaim(new io.vertx.core.json.JsonArray().add("")));
    assertThrows(IllegalArgumentException.class, () -> RoomPatterns.fromClaim(new JsonObject()));
  }

  @Test
  void tokenBucketsHoldOneSecondAndRefillContinuously() {
    TokenBucket b = new TokenBucket(4, 0);
    for (int i = 0; i < 4; i++) {
      assertTrue(b.tryTake(0), "burst " + i);
    }
    assertFalse(b.tryTake(0));
    assertFalse(b.tryTake(249_999_999L));
    assertTrue(b.tryTake(250_000_000L), "a quarter second gives one token back");
    assertFalse(b.tryTake(250_000_000L));
    assertFalse(b.isFull(250_000_000L));
    assertTrue(b.isFull(1_250_000_000L));
    for (int i = 0; i < 4; i++) {
      assertTrue(b.tryTake(60_000_000_000L), "never more than the burst after a long idle: " + i);
    }
    assertFalse(b.tryTake(60_000_000_000L));
  }

  @Test
  void thePerIpMapIsBoundedAndEvictsTheLeastRecentlySeen() {
    SecurityStats stats = new SecurityStats(io.pushgate.metrics.Stats.of(io.micrometer.core.instrument.Tags.empty(), null));
    HandshakeLimiter limiter = new HandshakeLimiter(0, 1, 3, stats);
    long now = 0;
    for (String ip : new String[] {"a", "b", "c"}) {
      assertEquals(HandshakeLimiter.Verdict.ALLOWED, limiter.check(ip, now));
    }
    assertEquals(HandshakeLimiter.Verdict.IP_RATE, limiter.check("a", now), "a was seen last now");
    assertEquals(HandshakeLimiter.Verdict.ALLOWED, limiter.check("d", now), "evicts b, the least recently seen");
    assertEquals(3, limiter.trackedIps());
    assertEquals(1, stats.ipsEvicted.get());
    assertEquals(HandshakeLimiter.Verdict.ALLOWED, limiter.check("b", now), "b was forgotten: a full bucket again");
    assertEquals(2, limiter.forgetIdle(now + 2_000_000_000L, 2), "at most two at a time");
    assertEquals(1, limiter.trackedIps());
    assertEquals(1, limiter.forgetIdle(now + 2_000_000_000L, 2), "all full again after a second");
    assertEquals(0, limiter.trackedIps());
    limiter.check("e", now + 3_000_000_000L);
    limiter.check("f", now + 3_900_000_000L);
    assertEquals(HandshakeLimiter.Verdict.ALLOWED, limiter.check("e", now + 4_000_000_000L), "e again: now seen after f");
    assertEquals(1, limiter.forgetIdle(now + 4_950_000_000L, 10), "f, seen 1.05 s ago, is full; e, seen 0.95 s ago, is not, and ends the sweep");
    assertEquals(1, limiter.trackedIps());
  }

  @Test
  void apiKeysParseOnlyBearerAndMatchAnyConfiguredKey() {
    ApiKeys keys = new ApiKeys(java.util.List.of("key-one-0123456789abcdef", "key-two-0123456789abcdef"));
    assertTrue(keys.matches("key-one-0123456789abcdef"));
    assertTrue(keys.matches("key-two-0123456789abcdef"));
    assertFalse(keys.matches("key-one-0123456789abcde"));
    assertFalse(keys.matches(""));
    assertEquals("k", ApiKeys.bearer("Bearer k"));
    assertEquals("k", ApiKeys.bearer("bearer   k "));
    assertEquals(null, ApiKeys.bearer("Basic k"));
    assertEquals(null, ApiKeys.bearer("Bearer "));
    assertEquals(null, ApiKeys.bearer(null));
  }
}
