package io.pushgate.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds the Hazelcast cluster manager from an explicit XML file. Vert.x on its own would fall back,
 * silently, to a multicast default on a non-loopback interface when its config is missing; here a
 * missing or unreadable file stops the node with a message that names it.
 */
public final class ClusterSetup {

  /** Vert.x's own property name, so existing Vert.x habits keep working. */
  public static final String CONFIG_PROPERTY = "vertx.hazelcast.config";
  public static final String CONFIG_ENV = "PUSHGATE_CLUSTER_CONFIG";
  public static final Path DEFAULT_CONFIG = Path.of("conf", "cluster.xml");

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

  public static HazelcastClusterManager clusterManager(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("cluster configuration " + path.toAbsolutePath() + " does not exist; set -D"
        + CONFIG_PROPERTY + "=FILE or " + CONFIG_ENV + "=FILE (conf/cluster.xml for loopback, conf/cluster-k8s.xml on Kubernetes)");
    }
    Config config;
    try {
      config = new FileSystemXmlConfig(path.toFile());
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cluster configuration " + path.toAbsolutePath() + " is not valid Hazelcast XML: " + e.getMessage(), e);
    }
    return new HazelcastClusterManager(config);
  }
}
