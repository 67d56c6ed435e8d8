package io.pushgate.node;

import io.pushgate.bus.Addresses;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.pushgate.cluster.ClusterSetup;
import io.pushgate.history.HistoryOptions;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.pushgate.security.EventBusTls;
import io.pushgate.metrics.Metrics;
import io.vertx.launcher.application.ExitCodes;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * {@code java -jar pushgate.jar [-conf FILE] [-instances N] [-cluster ...]}: Vert.x's own launcher,
 * with three pushgate habits: conf/pushgate.json is the default configuration, {@code -instances}
 * sets the number of connection shards (not whole nodes), and SIGTERM drains before Vert.x stops.
 */
public final class Main implements VertxApplicationHooks {

  static final Path DEFAULT_CONF = Path.of("conf", "pushgate.json");
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) {
    poolForCallbacks();
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", DrainingLogManager.class.getName());
    }
    configureLogging();
    int code = new VertxApplication(args, new Main(clusteredArgument(args), confArgument(args), instancesArgument(args))).launch();
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Hazelcast runs its futures' callbacks (one or more per append to a stream's history) in the
   * JDK's common fork-join pool, and so does the JDK for async stages given no executor; where that
   * pool's parallelism is 1, which the JDK gives a host or pod of two CPUs or fewer, both start a
   * new thread per callback instead. Two pool threads keep them pooled. Set before anything touches
   * the pool, and only when the operator did not set it (a -D on the command line wins).
   */
  static void poolForCallbacks() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
  }

  private static void configureLogging() {
    if (System.getProperty("java.util.logging.config.file") != null) {
      return;
    }
    try (InputStream in = Main.class.getResourceAsStream("/pushgate-logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    } catch (IOException e) {
      System.err.println("pushgate: could not read its logging configuration: " + e);
    }
  }

  private final boolean clustered;
  /** What {@code -conf} named (a file or inline JSON), or null. */
  private final String conf;
  /** The configuration JSON, known before Vert.x is built: event-bus TLS must be set up front. */
  private JsonObject config = new JsonObject();

  /** What {@code -instances} said (the shards), or 0. */
  private final int instances;

  Main(boolean clustered, String conf, int instances) {
    this.clustered = clustered;
    this.conf = conf;
    this.instances = instances;
  }

  /** The value of {@code -instances N} (or {@code --instances}, {@code =N}); 0 when absent or not a number (the launcher says why). */
  /**
   * Whether the command line asks for a cluster, by any of the launcher's names for it ({@code -c},
   * {@code -cluster}, {@code --cluster}): one it missed would get a cluster without pushgate's
   * Hazelcast file or event-bus TLS ({@link #beforeDeployingVerticle} stops such a node all the same).
   */
  static boolean clusteredArgument(String[] args) {
    return Arrays.stream(args).anyMatch(a -> a.equals("-c") || a.equalsIgnoreCase("-cluster") || a.equalsIgnoreCase("--cluster"));
  }

  static int instancesArgument(String[] args) {
    String value = option(args, "instances");
    try {
      return value == null ? 0 : Math.max(0, Integer.parseInt(value.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The value of {@code -conf FILE}, {@code --conf FILE} or {@code -conf=FILE}; null when there is none. */
  static String confArgument(String[] args) {
    return option(args, "conf");
  }

  /** The value of launcher option {@code name}, given as {@code -name V}, {@code --name V} or {@code -name=V}; null when absent. */
  private static String option(String[] args, String name) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("-" + name) || a.equals("--" + name)) && i + 1 < args.length) {
        return args[i + 1];
      }
      if (a.startsWith("-" + name + "=") || a.startsWith("--" + name + "=")) {
        return a.substring(a.indexOf('=') + 1);
      }
    }
    return null;
  }

  /** Not a static field: the logger must not exist before main() has chosen the LogManager. */
  private static Logger log() {
    return Logger.getLogger(Main.class.getName());
  }

  @Override
  public Supplier<? extends Deployable> verticleSupplier() {
    return NodeVerticle::new;
  }

  /** With -cluster, Hazelcast from an explicit file: never Vert.x's silent multicast default. */
  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    PushgateConfig pushgate;
    PushgateConfig running;
    try {
      pushgate = NodeConfig.load(config, System.getenv());
      // -instances N is the shards, as beforeDeployingVerticle makes it (PUSHGATE_SHARDS still wins, as
      // it does for the node): the loops must be counted from what the node will run.
      running = instances > 0 ? NodeConfig.load(config.copy().put("shards", instances), System.getenv()) : pushgate;
    } catch (IllegalArgumentException e) {
      // The node verticle would say the same, but only after Vert.x (and Hazelcast) started for nothing.
      log().severe(e.getMessage());
      System.exit(ExitCodes.VERTX_INITIALIZATION);
      throw e;
    }
    shutdownTimeoutMillis = pushgate.number(Setting.SHUTDOWN_TIMEOUT_MILLIS);
    // One event loop per shard and one more for the merger and the push API (NodeVerticle places
    // them), so that a push is answered without waiting behind a shard's writes. An idle loop costs
    // a thread and nothing else.
    options.setEventLoopPoolSize(running.shards() + 1);
    VertxBuilder builder = Metrics.enable(options, pushgate.publicPort());
    if (!clustered) {
      return builder;
    }
    Path config = ClusterSetup.configPath();
    try {
      HazelcastClusterManager manager = ClusterSetup.asNode(ClusterSetup.clusterManager(config, HistoryOptions.from(pushgate)));
      log().info("cluster configuration from " + config.toAbsolutePath());
      EventBusTls.apply(options.getEventBusOptions(), pushgate);
      log().info("event bus between nodes: " + (EventBusTls.enabled(pushgate) ? "TLS, client certificates required" : "plain TCP (no TLS)"));
      // The builder holds these options by reference: the event-bus TLS above is in what it builds.
      return builder.withClusterManager(manager);
    } catch (IllegalStateException | IllegalArgumentException e) {
      log().severe(e.getMessage());
      System.exit(ExitCodes.VERTX_INITIALIZATION);
      throw e;
    }
  }

  @Override
  public JsonObject afterVertxOptionsParsed(JsonObject vertxOptions) {
    return (vertxOptions == null ? new JsonObject() : vertxOptions).put("preferNativeTransport", true);
  }

  @Override
  public JsonObject afterConfigParsed(JsonObject config) {
    JsonObject parsed = readConfig(config);
    this.config = parsed;
    return parsed;
  }

  /**
   * Vert.x's launcher reads {@code -conf} leniently: a file that is missing or not JSON only gets a
   * warning, and the node would start on other settings (conf/pushgate.json, or the defaults: tokens
   * off, any origin) as if no file had been named. A named file must be there and be a JSON object.
   */
  private JsonObject readConfig(JsonObject parsed) {
    if (conf != null) {
      return readNamedConfig(conf);
    }
    if (parsed != null && !parsed.isEmpty()) {
      return parsed;
    }
    if (!Files.exists(DEFAULT_CONF)) {
      log().info("no -conf given and no " + DEFAULT_CONF + ": using built-in defaults");
      return new JsonObject();
    }
    try {
      JsonObject json = new JsonObject(Files.readString(DEFAULT_CONF));
      log().info("configuration from " + DEFAULT_CONF.toAbsolutePath());
      return json;
    } catch (IOException e) {
      return refuseConfig(DEFAULT_CONF.toAbsolutePath() + " (no -conf given) cannot be read (" + e + "): the node does not start on other settings");
    } catch (RuntimeException e) {
      return refuseConfig(DEFAULT_CONF.toAbsolutePath() + " (no -conf given) is not a JSON object (" + whereUnreadable(e) + "): the node does not start on other settings");
    }
  }

  /** Where JSON did not parse; not Jackson's message, which quotes the token it stumbled on (it may be a secret). */
  private static String whereUnreadable(RuntimeException e) {
    java.util.regex.Matcher at = java.util.regex.Pattern.compile("line: (\\d+), column: (\\d+)").matcher(String.valueOf(e.getMessage()));
    return (at.find() ? "at line " + at.group(1) + ", column " + at.group(2) : "not even a JSON value") + "; the text is not logged, as it may hold secrets";
  }

  private static JsonObject readNamedConfig(String conf) {
    String text;
    String source;
    if (conf.trim().startsWith("{")) {
      text = conf;
      source = "-conf (inline JSON)";
    } else {
      Path file = Path.of(conf).toAbsolutePath();
      source = file.toString();
      try {
        text = Files.readString(file);
      } catch (IOException | RuntimeException e) {
        return refuseConfig("-conf " + conf + ": cannot read " + file + " (" + e + "): the node does not start on other settings");
      }
    }
    try {
      JsonObject json = new JsonObject(text);
      log().info("configuration from " + source);
      return json;
    } catch (RuntimeException e) {
      return refuseConfig("-conf: " + source + " is not a JSON object (" + whereUnreadable(e) + "): the node does not start on other settings");
    }
  }

  private static JsonObject refuseConfig(String message) {
    log().severe(message);
    System.exit(ExitCodes.VERTX_INITIALIZATION);
    throw new IllegalStateException(message);
  }

  /** {@code -instances N} means N shards in one node: the node verticle itself is deployed once. */
  @Override
  public void beforeDeployingVerticle(HookContext context) {
    if (context.vertx() != null && context.vertx().isClustered() && !clustered) {
      // Vert.x found a cluster manager by itself: Hazelcast's defaults (multicast, no history maps)
      // and a plain event bus whatever eventBusTls says. Never run like that.
      log().severe("Vert.x formed a cluster that pushgate did not configure (a cluster flag it does not know?): stopping; use -cluster");
      System.exit(ExitCodes.VERTX_INITIALIZATION);
    }
    DeploymentOptions options = context.deploymentOptions();
    // From the command line, not the options: -instances 1 (one shard) looks like no -instances there.
    if (instances > 0) {
      JsonObject config = options.getConfig() == null ? new JsonObject() : options.getConfig();
      options.setConfig(config.put("shards", instances));
      options.setInstances(1);
    }
  }

  /**
   * The share of the shutdown budget, in percent, that the drain may take; the rest is for Vert.x and
   * the cluster leave. .ci/k8s-validate reads it to check the manifests' budget.
   */
  static final long DRAIN_SHARE_PERCENT = 75;

  /** Set once the node verticle is deployed: before that there are no clients to drain. */
  private volatile boolean deployed;
  private volatile long shutdownTimeoutMillis = (Long) Setting.SHUTDOWN_TIMEOUT_MILLIS.defaultValue();
  /** The shutdown's current stage, named in the log if the deadline passes during it. */
  private volatile String stage = "draining clients";

  @Override
  public void afterVerticleDeployed(HookContext context) {
    deployed = true;
  }

  /**
   * SIGTERM: flush what is merged, close every client with 1001 (spread over drainSpreadMillis), and
   * only then let Vert.x stop and leave the cluster, all within shutdownTimeoutMillis of the signal: a
   * stage still running at the deadline is logged and the process ends, before the orchestrator's SIGKILL.
   */
  @Override
  public void beforeStoppingVertx(HookContext context) {
    long deadline = System.currentTimeMillis() + shutdownTimeoutMillis;
    ShutdownDeadline.start(deadline, shutdownTimeoutMillis, () -> stage);
    if (!deployed) {
      // A failed start (a port in use, a bad configuration) stops Vert.x too: say so, not "draining".
      log().info("stopping: the node did not start, there are no clients to drain");
      return;
    }
    log().info("stopping: draining clients, everything within shutdownTimeoutMillis=" + shutdownTimeoutMillis);
    try {
      long budget = deadline - System.currentTimeMillis();
      long drainWait = budget * DRAIN_SHARE_PERCENT / 100;
      Object drained = context.vertx().eventBus()
        .request(Addresses.DRAIN, new JsonObject().put("budgetMillis", budget), new DeliveryOptions().setLocalOnly(true).setSendTimeout(drainWait))
        .map(Message::body).toCompletionStage().toCompletableFuture().get(drainWait, TimeUnit.MILLISECONDS);
      log().info("drained " + drained + "; stopping Vert.x and leaving the cluster (" + (deadline - System.currentTimeMillis()) + " ms left)");
    } catch (Exception e) {
      log().warning("drain did not complete: " + e + "; stopping Vert.x anyway");
    }
    stage = "stopping Vert.x and leaving the cluster";
  }

  @Override
  public void afterVertxStopped(HookContext context) {
    stage = "exiting";
    log().info("stopped");
  }

  @Override
  public void afterFailureToStopVertx(HookContext context, Throwable t) {
    stage = "exiting";
    log().warning("Vert.x did not stop cleanly: " + t);
  }
}
