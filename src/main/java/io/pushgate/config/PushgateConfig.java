package io.pushgate.config;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The node's whole configuration: immutable, validated once at start, then handed to every verticle.
 * Sources, later winning: built-in defaults, the JSON of {@code -conf} (default conf/pushgate.json),
 * then {@code PUSHGATE_*} environment variables.
 */
public final class PushgateConfig {

  private final Map<Setting, Object> settings;
  private final Map<Limit, Long> limits;

  private PushgateConfig(Map<Setting, Object> settings, Map<Limit, Long> limits) {
    this.settings = settings;
    this.limits = limits;
  }

  public static PushgateConfig defaults() {
    return load(new JsonObject(), Map.of());
  }

  /**
   * @throws IllegalArgumentException naming every bad key at once, so an operator fixes them in one go
   */
  public static PushgateConfig load(JsonObject json, Map<String, String> env) {
    return load(json, env, config -> List.of());
  }

  /**
   * The same, with the checks of the components that use the settings (security's, for keys and
   * secrets): their problems join the same one message.
   */
  public static PushgateConfig load(JsonObject json, Map<String, String> env, Function<PushgateConfig, List<String>> componentChecks) {
    List<String> problems = new ArrayList<>();
    Set<String> known = new HashSet<>();
    Map<Setting, Object> settings = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      known.add(s.key());
      Object raw = pick(json, env, s.key(), s.defaultValue());
      String fromEnv = env.get(Setting.envName(s.key()));
      if (s.turnsCheckOn() && fromEnv != null && fromEnv.isBlank() && !otherTokenKeySet(s, json, env)) {
        problems.add(Setting.envName(s.key()) + " is set but empty, which would leave " + s.key() + "'s check off: give it a value,"
          + " or unset the variable to run without it (a Kubernetes Secret whose key holds nothing does this)");
      }
      if (s.isNumber()) {
        Long n = number(raw, s.key(), s.minimum(), s.maximum(), problems);
        settings.put(s, n == null ? s.defaultValue() : n);
      } else if (s.isBoolean()) {
        Boolean b = raw instanceof Boolean bool ? bool
          : "true".equalsIgnoreCase(String.valueOf(raw)) ? Boolean.TRUE
          : "false".equalsIgnoreCase(String.valueOf(raw)) ? Boolean.FALSE : null;
        if (b == null) {
          problems.add(s.key() + " must be true or false, got " + raw);
        }
        settings.put(s, b == null ? s.defaultValue() : b);
      } else if (raw instanceof String str && (!str.isBlank() || s.isOptional())) {
        settings.put(s, s.isOptional() ? str.trim() : str);
      } else {
        problems.add(s.key() + " must be a non-empty string, got " + (s.isSecret() ? kindOf(raw) + " (a secret's value is not shown)" : raw));
        settings.put(s, s.defaultValue());
      }
    }
    Map<Limit, Long> limits = new EnumMap<>(Limit.class);
    for (Limit l : Limit.values()) {
      known.add(l.key());
      Long n = number(pick(json, env, l.key(), l.defaultValue()), l.key(), l.minimum(), Long.MAX_VALUE, problems);
      limits.put(l, n == null ? l.defaultValue() : n);
    }
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        problems.add("unknown key '" + key + "'");
      }
    }
    PushgateConfig config = new PushgateConfig(settings, limits);
    config.crossCheck(problems);
    problems.addAll(componentChecks.apply(config));
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid configuration: " + String.join("; ", problems));
    }
    return config;
  }

  /** What a JSON value is, for an error that must not show it. */
  private static String kindOf(Object raw) {
    return raw instanceof String str ? (str.isBlank() ? "a blank string" : "a string")
      : raw instanceof io.vertx.core.json.JsonArray ? "a JSON array"
      : raw instanceof JsonObject ? "a JSON object"
      : raw instanceof Number ? "a number"
      : raw instanceof Boolean ? "a boolean"
      : raw == null ? "null" : "a " + raw.getClass().getSimpleName();
  }

  private void crossCheck(List<String> problems) {
    if (limit(Limit.MAX_ITEM_BYTES) > limit(Limit.MAX_BATCH_BYTES)) {
      problems.add(Limit.MAX_ITEM_BYTES.key() + " must not exceed " + Limit.MAX_BATCH_BYTES.key()
        + ": an item has to fit in one PUSH frame");
    }
    if (limit(Limit.HISTORY_MAX_BYTES) > 0 && limit(Limit.HISTORY_STREAM_BYTES) > limit(Limit.HISTORY_MAX_BYTES)) {
      problems.add(Limit.HISTORY_STREAM_BYTES.key() + " must not exceed " + Limit.HISTORY_MAX_BYTES.key()
        + ": one stream's history has to fit in a member's share");
    }
    if (limit(Limit.MAX_ITEM_DEPTH) > io.pushgate.protocol.ItemValidator.MAX_PARSED_DEPTH) {
      problems.add(Limit.MAX_ITEM_DEPTH.key() + " must not exceed " + io.pushgate.protocol.ItemValidator.MAX_PARSED_DEPTH
        + ": deeper, an item is not told from a broken one where it is checked again (other nodes, the history's reads)");
    }
    if (limit(Limit.MAX_BATCH_BYTES) > limit(Limit.MAX_PENDING_BYTES)) {
      problems.add(Limit.MAX_BATCH_BYTES.key() + " must not exceed " + Limit.MAX_PENDING_BYTES.key());
    }
    if (limit(Limit.MAX_OUTBOUND_BYTES) > Integer.MAX_VALUE || limit(Limit.MAX_FRAME_BYTES) > Integer.MAX_VALUE
      || limit(Limit.MAX_BODY_BYTES) > Integer.MAX_VALUE || limit(Limit.API_IDLE_TIMEOUT_MILLIS) > Integer.MAX_VALUE) {
      problems.add("maxOutboundBytes, maxFrameBytes, maxBodyBytes and apiIdleTimeoutMillis must each fit in 2^31-1");
    }
    if (publicPort() != 0 && publicPort() == apiPort() && sameInterfaces(text(Setting.PUBLIC_HOST), text(Setting.API_HOST))) {
      problems.add(Setting.PUBLIC_PORT.key() + " and " + Setting.API_PORT.key() + " must differ, both are " + apiPort()
        + ": the push API needs a port of its own, which clients must not reach");
    }
  }

  /** Whether two listening hosts can clash on one port: the same one, or either of them every interface. */
  private static boolean sameInterfaces(String a, String b) {
    java.util.Set<String> any = java.util.Set.of("0.0.0.0", "::", "[::]", "");
    return a.equals(b) || any.contains(a) || any.contains(b);
  }

  /**
   * Whether {@code s} is one of the two token keys and the other is given: tokens are on either way,
   * and a Secret that still carries an empty entry for the one not used is no mistake.
   */
  private static boolean otherTokenKeySet(Setting s, JsonObject json, Map<String, String> env) {
    Setting other = s == Setting.JWT_HS256_SECRET ? Setting.JWT_RS256_PUBLIC_KEY : s == Setting.JWT_RS256_PUBLIC_KEY ? Setting.JWT_HS256_SECRET : null;
    return other != null && pick(json, env, other.key(), "") instanceof String value && !value.isBlank();
  }

  private static Object pick(JsonObject json, Map<String, String> env, String key, Object fallback) {
    String fromEnv = env.get(Setting.envName(key));
    if (fromEnv != null) {
      return fromEnv;
    }
    return json.containsKey(key) ? json.getValue(key) : fallback;
  }

  private static Long number(Object raw, String key, long min, long max, List<String> problems) {
    long value;
    if (raw instanceof Number n && n.doubleValue() == n.longValue()) {
      value = n.longValue();
    } else if (raw instanceof String s) {
      try {
        value = Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        problems.add(key + " must be an integer, got '" + s + "'" + (s.startsWith("tcp://")
          ? " (a Kubernetes Service link variable, " + Setting.envName(key) + ", from a Service named like it: set enableServiceLinks: false in the pod spec)" : ""));
        return null;
      }
    } else {
      problems.add(key + " must be an integer, got " + raw);
      return null;
    }
    if (value < min || value > max) {
      problems.add(key + " must be between " + min + " and " + max + ", got " + value);
      return null;
    }
    return value;
  }

  public long limit(Limit limit) {
    return limits.get(limit);
  }

  public int intLimit(Limit limit) {
    return (int) Math.min(Integer.MAX_VALUE, limits.get(limit));
  }

  public String publicHost() {
    return (String) settings.get(Setting.PUBLIC_HOST);
  }

  public int publicPort() {
    return intSetting(Setting.PUBLIC_PORT);
  }

  public String apiHost() {
    return (String) settings.get(Setting.API_HOST);
  }

  public int apiPort() {
    return intSetting(Setting.API_PORT);
  }

  /** The configured shard count, with 0 resolved to 2 x cores like Vert.x's event-loop pool. */
  public int shards() {
    return orTwicePerCore(intSetting(Setting.SHARDS));
  }

  /**
   * Listening sockets each shard opens where SO_REUSEPORT spreads connections: listenSockets (0: see
   * {@link #listenSockets}) shared out, at least one.
   *
   * @param somaxconn net.core.somaxconn as the node read it, -1 where unknown
   */
  public int listenSocketsPerShard(long somaxconn) {
    int total = listenSockets(intSetting(Setting.LISTEN_SOCKETS), Runtime.getRuntime().availableProcessors(),
      acceptQueue(intLimit(Limit.ACCEPT_BACKLOG), somaxconn), intLimit(Limit.MAX_CONNECTIONS));
    return Math.max(1, (total + shards() - 1) / shards());
  }

  /** The connections one listening socket queues: the kernel caps acceptBacklog at somaxconn (-1: unknown). */
  public static long acceptQueue(int acceptBacklog, long somaxconn) {
    return Math.max(1, somaxconn < 0 ? acceptBacklog : Math.min(acceptBacklog, somaxconn));
  }

  /**
   * The listening sockets on the public port: the configured number, or for 0 enough that their accept
   * queues together hold maxConnections, and at least 2 x cores. A default that fell short would have
   * the node warn at every start (and drop SYNs in a reconnect storm), on a kernel's default somaxconn
   * of 4096 whenever 2 x cores x 4096 < maxConnections; the setting's maximum still caps it, and the
   * warning then says what to raise. Never more than {@link #MAX_DEFAULT_SOCKETS_PER_CORE} a core:
   * kernels before 5.4 default somaxconn to 128, where holding 19,000 would take 149 sockets (each a
   * server bound at start) for what one sysctl gives; there the warning names the sysctl.
   */
  static int listenSockets(int configured, int cores, long acceptQueue, int maxConnections) {
    if (configured > 0) {
      return configured;
    }
    long holding = (maxConnections + acceptQueue - 1) / acceptQueue;
    long most = Math.min(Setting.LISTEN_SOCKETS.maximum(), (long) MAX_DEFAULT_SOCKETS_PER_CORE * cores);
    return (int) Math.min(most, Math.max(2L * cores, holding));
  }

  /** The most listening sockets a core the default opens (0): eight, four times the least. */
  static final int MAX_DEFAULT_SOCKETS_PER_CORE = 8;

  /** A count whose 0 means two per CPU core, as Vert.x sizes its event-loop pool. */
  private static int orTwicePerCore(int n) {
    return n > 0 ? n : 2 * Runtime.getRuntime().availableProcessors();
  }

  public long tickMillis() {
    return (Long) settings.get(Setting.TICK_MILLIS);
  }

  public long heartbeatTimeoutMillis() {
    return (Long) settings.get(Setting.HEARTBEAT_TIMEOUT_MILLIS);
  }

  public long onlineIntervalMillis() {
    return (Long) settings.get(Setting.ONLINE_INTERVAL_MILLIS);
  }

  public boolean demoPublish() {
    return (Boolean) settings.get(Setting.DEMO_PUBLISH);
  }

  public long closeTimeoutMillis() {
    return (Long) settings.get(Setting.CLOSE_TIMEOUT_MILLIS);
  }

  /** A boolean setting. */
  public boolean flag(Setting s) {
    return (Boolean) settings.get(s);
  }

  /** A numeric setting. */
  public long number(Setting s) {
    return (Long) settings.get(s);
  }

  /** A text setting; empty when an optional one is not set. */
  public String text(Setting s) {
    return String.valueOf(settings.get(s));
  }

  private int intSetting(Setting s) {
    return ((Long) settings.get(s)).intValue();
  }

  /** A copy with some keys replaced: how tests and the launcher's {@code -instances} adjust a loaded config. */
  public PushgateConfig with(JsonObject overrides) {
    return load(toJson().mergeIn(overrides), Map.of());
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    settings.forEach((s, v) -> json.put(s.key(), v));
    limits.forEach((l, v) -> json.put(l.key(), v));
    return json;
  }

  /** The configuration with every secret setting that is set replaced by "***": safe to log. */
  @Override
  public String toString() {
    JsonObject json = toJson();
    for (Setting s : Setting.values()) {
      if (s.isSecret() && !text(s).isEmpty()) {
        json.put(s.key(), "***");
      }
    }
    return json.encode();
  }
}
