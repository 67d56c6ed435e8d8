package io.pushgate.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.XmlConfigBuilder;
import io.pushgate.history.HistoryOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reading the Hazelcast file: the shipped Kubernetes file without the property the Deployment passes
 * (the error names it); the shipped files pass Hazelcast's schema check here and have their digests
 * in ClusterSetup, so a node given one of them byte for byte may skip it; any other file is checked.
 */
class ClusterSetupTest {

  private static final Path[] SHIPPED_FILES = {Path.of("conf", "cluster.xml"), Path.of("conf", "cluster-k8s.xml")};

  @Test
  void aPropertyTheFileUsesAndNobodySetIsNamed() {
    assertEquals(null, System.getProperty("pushgate.hazelcast.cluster-name"), "the test needs the property unset");
    IllegalStateException e = assertThrows(IllegalStateException.class,
      () -> ClusterSetup.clusterManager(Path.of("conf", "cluster-k8s.xml"), HistoryOptions.DEFAULTS));
    assertTrue(e.getMessage().endsWith("cluster-k8s.xml uses ${pushgate.hazelcast.cluster-name}, which no system property sets:"
      + " start the node with -Dpushgate.hazelcast.cluster-name=VALUE in JAVA_OPTS (k8s/base/deployment.yaml sets the cluster name this way)"),
      e.getMessage());
  }

  @Test
  void theShippedFilesPassHazelcastsSchemaCheckAndTheirDigestsSaySo() throws IOException {
    assertNull(System.getProperty(ClusterSetup.SCHEMA_VALIDATION), "the check must be on for this test");
    System.setProperty("pushgate.hazelcast.cluster-name", "schema-check");
    try {
      for (Path file : SHIPPED_FILES) {
        try (InputStream in = Files.newInputStream(file)) {
          Config config = new XmlConfigBuilder(in).setProperties(System.getProperties()).build();
          assertEquals(5701, config.getNetworkConfig().getPort(), file.toString());
        }
        String digest = ClusterSetup.sha256(Files.readAllBytes(file));
        assertTrue(ClusterSetup.CHECKED_FILES.contains(digest), file + " changed and passes the schema check:"
          + " put its SHA-256 " + digest + " in ClusterSetup.CHECKED_FILES in place of the old one");
      }
    } finally {
      System.clearProperty("pushgate.hazelcast.cluster-name");
    }
    assertEquals(SHIPPED_FILES.length, ClusterSetup.CHECKED_FILES.size(), "no digest of a file that is no longer shipped");
  }

  @Test
  void aShippedFileIsReadWithoutTheCheckAndTheSwitchIsRestored() throws IOException {
    Config config = ClusterSetup.read(SHIPPED_FILES[0]);
    assertEquals("pushgate-dev", config.getClusterName());
    assertEquals(SHIPPED_FILES[0].toFile(), config.getConfigurationFile());
    assertTrue(ClusterSetup.CHECKED_FILES.contains(ClusterSetup.sha256(Files.readAllBytes(SHIPPED_FILES[0]))), "a file the tests checked");
    assertNull(System.getProperty(ClusterSetup.SCHEMA_VALIDATION), "the JVM-wide switch is left as it was");
  }

  @Test
  void anyOtherFileIsStillChecked(@TempDir Path dir) throws IOException {
    String shipped = Files.readString(SHIPPED_FILES[0], StandardCharsets.UTF_8);
    Path misspelt = dir.resolve("cluster.xml");
    Files.writeString(misspelt, shipped.replace("<multicast enabled=\"false\"/>", "<multicast enabld=\"false\"/>"));
    assertFalse(ClusterSetup.CHECKED_FILES.contains(ClusterSetup.sha256(Files.readAllBytes(misspelt))));
    IllegalStateException e = assertThrows(IllegalStateException.class,
      () -> ClusterSetup.clusterManager(misspelt, HistoryOptions.DEFAULTS));
    assertTrue(e.getMessage().contains("is not valid Hazelcast XML") && e.getMessage().contains("enabld"), e.getMessage());
    assertTrue(e.getCause() instanceof InvalidConfigurationException, String.valueOf(e.getCause()));
    // One byte more is another file too: a trailing newline added by an editor is checked, and passes.
    Path edited = dir.resolve("edited.xml");
    Files.writeString(edited, shipped + "\n");
    assertFalse(ClusterSetup.CHECKED_FILES.contains(ClusterSetup.sha256(Files.readAllBytes(edited))));
    assertEquals("pushgate-dev", ClusterSetup.read(edited).getClusterName());
  }
}
