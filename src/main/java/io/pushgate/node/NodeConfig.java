package io.pushgate.node;

import io.pushgate.config.PushgateConfig;
import io.pushgate.security.SecurityConfig;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * The node's configuration, checked as a whole: the settings themselves (config) and what the
 * components make of them (security: keys, secrets, origins, where the API may listen), every problem
 * named in one message. config and security do not know each other; the node puts them together.
 */
public final class NodeConfig {

  private NodeConfig() {
  }

  /** @throws IllegalArgumentException naming every problem at once */
  public static PushgateConfig load(JsonObject json, Map<String, String> env) {
    return PushgateConfig.load(json, env, SecurityConfig::problems);
  }

  /** @throws IllegalArgumentException naming every problem of an already loaded configuration */
  public static PushgateConfig check(PushgateConfig config) {
    return load(config.toJson(), Map.of());
  }
}
