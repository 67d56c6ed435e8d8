package io.pushgate.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PushgateConfigTest {

  @Test
  void shippedConfigFileLoadsAndMatchesTheDefaults() throws IOException {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf", "pushgate.json")));
    assertEquals(PushgateConfig.defaults().toJson(), PushgateConfig.load(shipped, Map.of()).toJson());
  }

  @Test
  void environmentOverridesTheFile() {
    PushgateConfig config = PushgateConfig.load(new JsonObject().put("tickMillis", 50).put("maxConnections", 10),
      Map.of("PUSHGATE_TICK_MILLIS", "25", "PUSHGATE_PUBLIC_PORT", "8080"));
    assertEquals(25, config.tickMillis());
    assertEquals(8080, config.publicPort());
    assertEquals(10, config.limit(Limit.MAX_CONNECTIONS));
  }

  @Test
  void everyProblemIsNamedAtOnce() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(
      new JsonObject().put("tickMilis", 5).put("publicPort", 70_000).put("maxConnections", "many"),
      Map.of("PUSHGATE_MAX_FRAME_BYTES", "1")));
    assertTrue(e.getMessage().contains("unknown key 'tickMilis'"), e.getMessage());
    assertTrue(e.getMessage().contains("publicPort must be between 0 and 65535, got 70000"), e.getMessage());
    assertTrue(e.getMessage().contains("maxConnections must be an integer, got 'many'"), e.getMessage());
    assertTrue(e.getMessage().contains("maxFrameBytes must be between 64"), e.getMessage());
  }

  /**
   * A token secret or API keys given empty through the environment (a Secret whose key holds nothing)
   * would turn the check off without a word: refused, naming the variable. Empty in the file, as the
   * shipped one has them, they are off as before.
   */
  @Test
  void aCheckTurnedOffByAnEmptyVariableIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(new JsonObject(),
      Map.of("PUSHGATE_JWT_HS256_SECRET", "", "PUSHGATE_API_KEYS", " ", "PUSHGATE_JWT_AUDIENCE", "")));
    assertTrue(e.getMessage().contains("PUSHGATE_JWT_HS256_SECRET is set but empty"), e.getMessage());
    assertTrue(e.getMessage().contains("PUSHGATE_API_KEYS is set but empty"), e.getMessage());
    assertTrue(!e.getMessage().contains("PUSHGATE_JWT_AUDIENCE"), "an empty audience turns no check off: " + e.getMessage());
    assertEquals("", PushgateConfig.load(new JsonObject().put("jwtHs256Secret", ""), Map.of()).text(Setting.JWT_HS256_SECRET));
    // RS256 instead of HS256, the Secret's HS256 entry left empty: tokens are on, nothing to refuse.
    assertEquals("", PushgateConfig.load(new JsonObject(), Map.of("PUSHGATE_JWT_HS256_SECRET", "",
      "PUSHGATE_JWT_RS256_PUBLIC_KEY", "/etc/pushgate/jwt.pem")).text(Setting.JWT_HS256_SECRET));
  }

  @Test
  void theApiAndThePublicPortMustDiffer() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(
      new JsonObject().put("publicPort", 8000).put("apiPort", 8000), Map.of()));
    assertTrue(e.getMessage().contains("publicPort and apiPort must differ, both are 8000"), e.getMessage());
    assertEquals(0, PushgateConfig.load(new JsonObject().put("publicPort", 0).put("apiPort", 0), Map.of()).publicPort(), "0 picks a free port each");
    assertEquals(8000, PushgateConfig.load(new JsonObject().put("publicPort", 8000).put("apiPort", 8000)
      .put("publicHost", "10.0.0.1").put("apiHost", "127.0.0.1"), Map.of()).apiPort(), "one port on two interfaces binds");
  }

  /** A Service named pushgate-api gives pods PUSHGATE_API_PORT=tcp://...: the refusal says where it comes from. */
  @Test
  void aServiceLinkVariableIsNamedAsOne() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(new JsonObject(),
      Map.of("PUSHGATE_API_PORT", "tcp://10.96.0.12:7799")));
    assertTrue(e.getMessage().contains("apiPort must be an integer, got 'tcp://10.96.0.12:7799' (a Kubernetes Service link variable,"
      + " PUSHGATE_API_PORT, from a Service named like it: set enableServiceLinks: false in the pod spec)"), e.getMessage());
  }

  /** A secret of the wrong JSON type is named with its type, never its value: the message is logged. */
  @Test
  void aSecretOfTheWrongTypeIsNamedWithoutItsValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(new JsonObject()
      .put("apiKeys", new io.vertx.core.json.JsonArray().add("first-key-0123456789abcdef").add("second-key-0123456789abcdef"))
      .put("jwtHs256Secret", new JsonObject().put("k", "hs256-secret-0123456789abcdef0123456789"))
      .put("publicHost", new io.vertx.core.json.JsonArray().add("not-a-secret")), Map.of()));
    assertTrue(e.getMessage().contains("apiKeys must be a non-empty string, got a JSON array (a secret's value is not shown)"), e.getMessage());
    assertTrue(e.getMessage().contains("jwtHs256Secret must be a non-empty string, got a JSON object (a secret's value is not shown)"), e.getMessage());
    assertTrue(e.getMessage().contains("publicHost must be a non-empty string, got [\"not-a-secret\"]"), "other settings show what they got: " + e.getMessage());
    assertTrue(!e.getMessage().contains("-key-") && !e.getMessage().contains("hs256-secret"), e.getMessage());
  }

  @Test
  void anItemMustFitInABatch() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(
      new JsonObject().put("maxItemBytes", 100_000).put("maxBatchBytes", 65_536), Map.of()));
    assertTrue(e.getMessage().contains("maxItemBytes must not exceed maxBatchBytes"), e.getMessage());
  }

  /** Past the depth the validators follow, an item a node took would read as broken from the history and on other nodes. */
  @Test
  void maxItemDepthStaysWhereItemsAreStillToldFromBrokenOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(
      new JsonObject().put("maxItemDepth", 10_001), Map.of()));
    assertTrue(e.getMessage().contains("maxItemDepth must not exceed 10000"), e.getMessage());
    assertEquals(10_000, PushgateConfig.load(new JsonObject().put("maxItemDepth", 10_000), Map.of()).limit(Limit.MAX_ITEM_DEPTH));
  }

  @Test
  void aStreamMustFitInAMembersShareOfTheHistory() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushgateConfig.load(
      new JsonObject().put("historyMaxBytes", 1_000_000), Map.of()));
    assertTrue(e.getMessage().contains("historyStreamBytes must not exceed historyMaxBytes"), e.getMessage());
  }

  /**
   * The default listenSockets is sized so that a default start does not warn: 2 x cores alone gave a
   * 2-CPU node 4 x 4096 = 16,384 places at the kernel's default somaxconn, short of 19,000.
   */
  @Test
  void theDefaultListeningSocketsQueueMaxConnections() {
    assertEquals(5, PushgateConfig.listenSockets(0, 2, 4096, 19_000), "19,000 / 4096 rounded up, above 2 x 2 cores");
    assertEquals(8, PushgateConfig.listenSockets(0, 4, 4096, 19_000), "2 x cores where those already hold them");
    assertEquals(4, PushgateConfig.listenSockets(0, 2, 65_535, 19_000));
    assertEquals(4, PushgateConfig.listenSockets(4, 2, 4096, 19_000), "a number set stands, short or not: the node warns");
    assertEquals(16, PushgateConfig.listenSockets(0, 2, 128, 19_000), "somaxconn 128 (before Linux 5.4): 8 a core, and the node warns");
    assertEquals(16, PushgateConfig.listenSockets(0, 2, 1, 19_000), "somaxconn 1: no more");
    assertEquals(1_024, PushgateConfig.listenSockets(0, 512, 1, 19_000), "no more than the setting allows");
    assertEquals(4096, PushgateConfig.acceptQueue(65_535, 4096), "the kernel caps the backlog at somaxconn");
    assertEquals(1_000, PushgateConfig.acceptQueue(1_000, 4096));
    assertEquals(65_535, PushgateConfig.acceptQueue(65_535, -1), "somaxconn unknown: the backlog asked for");

    // Shared out among the shards, rounded up, whatever this machine's cores: the queues still hold them all.
    PushgateConfig config = PushgateConfig.load(new JsonObject().put("shards", 4), Map.of());
    for (long somaxconn : new long[] {4096, 32_768}) {
      long places = 4L * config.listenSocketsPerShard(somaxconn) * somaxconn;
      assertTrue(places >= 19_000, "somaxconn " + somaxconn + ": " + places + " places");
    }
    assertEquals(2, PushgateConfig.load(new JsonObject().put("shards", 2).put("listenSockets", 3), Map.of()).listenSocketsPerShard(4096),
      "3 sockets over 2 shards: 2 each");
  }

  @Test
  void envNamesAreUpperSnakeCase() {
    assertEquals("PUSHGATE_MAX_ROOMS_PER_CONNECTION", Setting.envName(Limit.MAX_ROOMS_PER_CONNECTION.key()));
    assertEquals("PUSHGATE_API_PORT", Setting.envName(Setting.API_PORT.key()));
  }

  /** README is where operators look: every key, its environment variable and every limit's behaviour must be there. */
  @Test
  void readmeDocumentsEveryKey() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    for (Setting s : Setting.values()) {
      assertTrue(readme.contains("`" + s.key() + "`"), "README lacks setting " + s.key());
      assertTrue(readme.contains("`" + Setting.envName(s.key()) + "`"), "README lacks " + Setting.envName(s.key()));
    }
    for (Limit l : Limit.values()) {
      assertTrue(readme.contains("`" + l.key() + "`"), "README lacks limit " + l.key());
      assertTrue(readme.contains(l.atLimit()), "README lacks what happens at " + l.key());
    }
  }
}
