package io.pushgate.node;

import io.pushgate.config.PushgateConfig;
import io.pushgate.security.SecurityConfig;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the node says at start about its environment and its guards. */
class NodeConfigTest {

  @Test
  void aVariableThatNamesNoSettingIsReported() {
    Map<String, String> env = Map.of("PUSHGATE_JWT_SECRET", "misspelled", "PUSHGATE_JWT_HS256_SECRET", "s".repeat(48),
      "PUSHGATE_MAX_CONNECTIONS", "10", "PUSHGATE_CLUSTER_CONFIG", "conf/cluster.xml", "PUSHGATE_JAR", "/app/pushgate.jar",
      "PUSHGATE_ALLOWED_ORIGIN", "https://app.example.com", "PATH", "/bin");
    assertEquals(List.of("PUSHGATE_ALLOWED_ORIGIN", "PUSHGATE_JWT_SECRET"), NodeConfig.unknownVariables(env));
  }

  @Test
  void aBadTrustedProxyIsNamedWithTheOtherProblems() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(
      new JsonObject().put("trustedProxies", "10.0.0.0/8, 10.244.0.0/33").put("publicPort", 70_000), Map.of()));
    assertTrue(e.getMessage().contains("trustedProxies: '10.244.0.0/33' has a prefix length outside 0..32"), e.getMessage());
    assertTrue(e.getMessage().contains("publicPort must be between 0 and 65535"), e.getMessage());
  }

  @Test
  void aStandaloneNodeCountsItselfAsTheClustersOneMember() {
    try (TestNode node = TestNode.start(new JsonObject())) {
      assertEquals(1, node.stats().getJsonObject("cluster").getInteger("members"));
    }
  }

  @Test
  void theSecurityLineSaysWhatIsOnAndWhatIsOff() {
    assertEquals("security: connection tokens off (any client may connect); browser origins any; push API on 127.0.0.1:7799 without API keys;"
      + " trusted proxies none", SecurityConfig.posture(PushgateConfig.defaults()));
    PushgateConfig guarded = NodeConfig.load(new JsonObject().put("jwtHs256Secret", "k".repeat(48)).put("allowedOrigins", "https://a.example, https://b.example")
      .put("apiKeys", "a".repeat(32) + "," + "b".repeat(32)).put("trustedProxies", "10.0.0.0/8"), Map.of());
    assertEquals("security: connection tokens HS256; browser origins https://a.example, https://b.example; push API on 127.0.0.1:7799 with 2 API keys;"
      + " trusted proxies 10.0.0.0/8", SecurityConfig.posture(guarded));
  }
}
