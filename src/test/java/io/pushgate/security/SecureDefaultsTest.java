package io.pushgate.security;

import io.pushgate.config.PushgateConfig;
import io.pushgate.node.NodeConfig;
import io.pushgate.config.Setting;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What ships is safe to expose: the API stays on loopback unless it has keys, and no public value protects anything. */
class SecureDefaultsTest {

  private static IllegalArgumentException refused(JsonObject json) {
    return assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(json, Map.of()));
  }

  @Test
  void theApiListensOnLoopbackByDefault() {
    PushgateConfig defaults = PushgateConfig.defaults();
    assertEquals("127.0.0.1", defaults.apiHost());
    assertTrue(SecurityConfig.warnings(defaults).isEmpty());
  }

  @Test
  void anApiOnAnotherInterfaceWithoutKeysStopsTheNodeNamingBothKeys() {
    for (String host : new String[] {"0.0.0.0", "::", "10.0.0.5", "pushgate.internal"}) {
      IllegalArgumentException e = refused(new JsonObject().put("apiHost", host));
      assertTrue(e.getMessage().contains("apiHost=" + host + " is not a loopback address and apiKeys is empty"), e.getMessage());
      assertTrue(e.getMessage().contains("apiInsecure=true"), "the way out is named: " + e.getMessage());
    }
    for (String loopback : new String[] {"127.0.0.1", "127.0.0.9", "::1", "[::1]", "localhost"}) {
      assertEquals(loopback, NodeConfig.load(new JsonObject().put("apiHost", loopback), Map.of()).apiHost());
    }
  }

  @Test
  void keysOrAnExplicitInsecureFlagLetTheApiListenElsewhere() {
    PushgateConfig keyed = NodeConfig.load(new JsonObject().put("apiHost", "0.0.0.0").put("apiKeys", "k-0123456789abcdef-real"), Map.of());
    assertTrue(SecurityConfig.warnings(keyed).isEmpty());
    PushgateConfig insecure = NodeConfig.load(new JsonObject(), Map.of("PUSHGATE_API_HOST", "0.0.0.0", "PUSHGATE_API_INSECURE", "true"));
    assertTrue(insecure.flag(Setting.API_INSECURE));
    assertEquals(1, SecurityConfig.warnings(insecure).size());
    assertTrue(SecurityConfig.warnings(insecure).get(0).contains("without API keys"), SecurityConfig.warnings(insecure).toString());
  }

  @Test
  void placeholderAndDocumentedExampleSecretsStopTheNode() {
    IllegalArgumentException e = refused(new JsonObject().put("jwtHs256Secret", "FAKE-PLACEHOLDER-replace-me-jwt-hs256-secret-0000000000"));
    assertTrue(e.getMessage().contains("jwtHs256Secret holds a placeholder or a documented example value"), e.getMessage());
    e = refused(new JsonObject().put("apiKeys", "a-real-looking-key-0123456789,CHANGEME-0123456789abcdef"));
    assertTrue(e.getMessage().contains("apiKeys holds a placeholder"), e.getMessage());
    e = refused(new JsonObject().put("apiKeys", "FAKE-PLACEHOLDER-replace-me-api-key-00000000"));
    assertTrue(e.getMessage().contains("apiKeys holds a placeholder"), e.getMessage());
    e = refused(new JsonObject().put("eventBusTlsKeyStorePassword", "replace-me"));
    assertTrue(e.getMessage().contains("eventBusTlsKeyStorePassword holds a placeholder"), e.getMessage());
    assertFalse(SecurityConfig.isPlaceholder("k7J2pQx9Lm4Rt8Vw1Zy6Bc3Nd5Fg0Hs"));
  }
}
