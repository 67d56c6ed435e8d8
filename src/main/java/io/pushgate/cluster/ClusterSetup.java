package io.pushgate.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import io.pushgate.history.SplitBrainMerge;
import io.pushgate.history.HistoryOptions;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Builds the Hazelcast cluster manager from an explicit XML file. Vert.x on its own would fall back,
 * silently, to a multicast default on a non-loopback interface when its config is missing; here a
 * missing or unreadable file stops the node with a message that names it. What pushgate itself keeps
 * in Hazelcast (the streams' history) is configured here, from pushgate's configuration, whatever
 * the file says.
 */
public final class ClusterSetup {

  private static final Logger log = Logger.getLogger(ClusterSetup.class.getName());

  /** Vert.x's own property name, so existing Vert.x habits keep working. */
  public static final String CONFIG_PROPERTY = "vertx.hazelcast.config";
  public static final String CONFIG_ENV = "PUSHGATE_CLUSTER_CONFIG";
  public static final Path DEFAULT_CONFIG = Path.of("conf", "cluster.xml");
  /**
   * The form of what members exchange (the broadcast codec, the history's entries and operations),
   * appended to the configured cluster name: members of releases that differ in it form clusters of
   * their own instead of misreading each other's data, which a rolling update would otherwise mix.
   * Change it with any change to those forms.
   */
  public static final String FORMAT = "f3";

  /** Hazelcast's words for a ${property} in the XML that no system property sets. */
  private static final java.util.regex.Pattern UNSET_PROPERTY = java.util.regex.Pattern.compile("Could not find a replacement for '\\$\\{([^}']+)\\}'");

  private ClusterSetup() {
  }

  /** The file chosen by -Dvertx.hazelcast.config, else $PUSHGATE_CLUSTER_CONFIG, else conf/cluster.xml. */
  public static Path configPath() {
    String property = System.getProperty(CONFIG_PROPERTY);
    if (property != null && !property.isBlank()) {
      return Path.of(property);
    }
    String env = System.getenv(CONFIG_ENV);
    return env != null && !env.isBlank() ? Path.of(env) : DEFAULT_CONFIG;
  }

  public static HazelcastClusterManager clusterManager(Path path, HistoryOptions history) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("cluster configuration " + path.toAbsolutePath() + " does not exist; set -D"
        + CONFIG_PROPERTY + "=FILE or " + CONFIG_ENV + "=FILE (conf/cluster.xml for loopback, conf/cluster-k8s.xml on Kubernetes)");
    }
    Config config;
    try {
      config = read(path);
    } catch (IOException | RuntimeException e) {
      java.util.regex.Matcher unset = UNSET_PROPERTY.matcher(String.valueOf(e.getMessage()));
      if (unset.find()) {
        throw new IllegalStateException("cluster configuration " + path.toAbsolutePath() + " uses ${" + unset.group(1)
          + "}, which no system property sets: start the node with -D" + unset.group(1) + "=VALUE in JAVA_OPTS"
          + " (k8s/base/deployment.yaml sets the cluster name this way)", e);
      }
      throw new IllegalStateException("cluster configuration " + path.toAbsolutePath() + " is not valid Hazelcast XML: " + e.getMessage(), e);
    }
    return new HazelcastClusterManager(configure(config, history));
  }

  /** Hazelcast's switch (a system property, true by default) for checking an XML file against its schema. */
  static final String SCHEMA_VALIDATION = "hazelcast.config.schema.validation.enabled";
  /** Held while the switch is turned off for one file: the property is the whole JVM's. */
  private static final Object SCHEMA_SWITCH = new Object();
  /**
   * SHA-256 of the Hazelcast files pushgate ships, conf/cluster.xml and conf/cluster-k8s.xml, as
   * ClusterSetupTest checked them against Hazelcast's schema: that test fails when a file no longer
   * has its digest here, and names the new one once the file passes. Digests, not the files as the
   * build found them: a file edited and built without the tests (-DskipTests) is checked at start.
   */
  static final Set<String> CHECKED_FILES = Set.of(
    "7a58867a962d1ea746fe73842f771b3887467bcecd7c115dd98b81e33ff611fb",
    "98cd474021cd4e8f093568577d3341d8a2bc22a4c2379c04f49590b60ecabc25");

  /**
   * The file as Hazelcast reads it ({@code ${...}} from the system properties), checked against
   * Hazelcast's schema unless its digest is one of {@link #CHECKED_FILES}: compiling Hazelcast's XSD
   * in a JVM that has run nothing yet costs a start about half a CPU-second, a sixth of it, which
   * three nodes started together on two cores wait for. Any other file is checked, so a misspelt
   * element is still refused at start instead of leaving, say, multicast on. A user's own setting of
   * the property stands. The switch is the JVM's: another thread building a Hazelcast configuration
   * during this read would skip the check too (a node reads its file once, before anything else runs).
   */
  static Config read(Path path) throws IOException {
    byte[] file = Files.readAllBytes(path);
    Config config;
    synchronized (SCHEMA_SWITCH) {
      boolean skip = System.getProperty(SCHEMA_VALIDATION) == null && CHECKED_FILES.contains(sha256(file));
      if (skip) {
        System.setProperty(SCHEMA_VALIDATION, "false");
      }
      try {
        config = new XmlConfigBuilder(new ByteArrayInputStream(file)).setProperties(System.getProperties()).build();
      } finally {
        if (skip) {
          System.clearProperty(SCHEMA_VALIDATION);
        }
      }
    }
    return config.setConfigurationFile(path.toFile());
  }

  /** The SHA-256 of {@code bytes}, in lower-case hex. */
  static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * The member attribute that marks a pushgate node (not another JVM that joins to push): only a node
   * appends to streams, so only a node's leaving can leave items numbered and never broadcast.
   */
  public static final String NODE_ATTRIBUTE = "pushgate.node";

  /**
   * A JVM that joins only to push (over the event bus) as a lite member: it holds none of the
   * cluster's data, so none of the streams' history, which only pushgate nodes hold to
   * historyMaxStreams each.
   */
  public static HazelcastClusterManager asPusher(HazelcastClusterManager manager) {
    manager.getConfig().setLiteMember(true);
    return manager;
  }

  /**
   * Pushgate nodes of the cluster {@code vertx} sees, itself included (1 standalone): the members
   * marked {@link #NODE_ATTRIBUTE}, not the JVMs that join only to push, which are members but no peers.
   */
  public static int nodes(Vertx vertx) {
    return vertx.isClustered() ? VertxInternals.membersMarked(vertx, NODE_ATTRIBUTE) : 1;
  }

  /** Marks the member {@code manager} will start as a pushgate node ({@link #NODE_ATTRIBUTE}). */
  public static HazelcastClusterManager asNode(HazelcastClusterManager manager) {
    manager.getConfig().getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, "true");
    return manager;
  }

  /**
   * The streams' history map: one synchronous backup (an append is applied to it before it
   * answers), objects kept as they are (an append changes the entry in place, on owner and backup).
   * No eviction by size and no max-idle: Hazelcast would evict or expire on the owner and on its
   * backup each on its own, and a backup could keep a stream its owner had dropped and started again,
   * or lose one the owner kept; each node removes its member's idle streams and holds it to
   * historyMaxStreams with removals that reach both copies ({@link io.pushgate.history.HistoryTrim}),
   * and an append or read judges idleness by its own time, alike on both copies. After a split
   * brain each stream keeps the half's copy that continues the other's, or starts again in a new
   * epoch ({@link SplitBrainMerge}). Only the history's own operations fail when a backup does not
   * answer in time ({@link io.pushgate.history.HazelcastSequencer}); the cluster-wide
   * {@code hazelcast.operation.fail.on.indeterminate.state} stays off, so Vert.x's maps (event-bus
   * subscriptions, node and HA information) wait out a slow backup instead of failing a node's start.
   */
  public static Config configure(Config config, HistoryOptions history) {
    if (config.getMapConfigOrNull(HistoryOptions.MAP) != null) {
      log.warning("the cluster configuration defines map " + HistoryOptions.MAP + ": pushgate configures it itself (historyIdleMillis, historyMaxStreams) and replaces it");
    }
    config.addMapConfig(new MapConfig(HistoryOptions.MAP)
      .setBackupCount(1)
      .setAsyncBackupCount(0)
      .setInMemoryFormat(InMemoryFormat.OBJECT)
      .setMergePolicyConfig(new MergePolicyConfig(SplitBrainMerge.class.getName(), MergePolicyConfig.DEFAULT_BATCH_SIZE)));
    config.getMemberAttributeConfig().setAttribute(io.pushgate.history.HistoryTrim.AGES_ATTRIBUTE, "true");
    String configured = config.getClusterName();
    config.setClusterName(configured + "-" + FORMAT);
    log.info("Hazelcast cluster name " + config.getClusterName() + " (" + configured + " and the members' data format " + FORMAT
      + ": members of a release with another format form a cluster of their own)");
    return config;
  }
}
