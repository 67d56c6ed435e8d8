package io.pushgate.node;

import io.pushgate.cluster.ClusterSetup;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.pushgate.security.SecurityConfig;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  /** PUSHGATE_* variables that are not settings but are read elsewhere: the cluster file, bin/pushgate's jar. */
  static final Set<String> OTHER_VARIABLES = Set.of(ClusterSetup.CONFIG_ENV, "PUSHGATE_JAR");

  /**
   * PUSHGATE_* variables that name no setting: most likely a misspelled one (PUSHGATE_JWT_SECRET for
   * PUSHGATE_JWT_HS256_SECRET), which would leave its feature off without a word. Warned of, not
   * refused: the environment is shared with other software more than a file is.
   */
  static List<String> unknownVariables(Map<String, String> env) {
    Set<String> known = new HashSet<>(OTHER_VARIABLES);
    Arrays.stream(Setting.values()).forEach(s -> known.add(Setting.envName(s.key())));
    Arrays.stream(Limit.values()).forEach(l -> known.add(Setting.envName(l.key())));
    return env.keySet().stream().filter(name -> name.startsWith("PUSHGATE_") && !known.contains(name)).sorted().toList();
  }

  /** @throws IllegalArgumentException naming every problem of an already loaded configuration */
  public static PushgateConfig check(PushgateConfig config) {
    return load(config.toJson(), Map.of());
  }
}
