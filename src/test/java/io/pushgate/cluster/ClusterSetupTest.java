package io.pushgate.cluster;

import io.pushgate.history.HistoryOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped Kubernetes file, read without the property the Deployment passes: the error names it and how to set it. */
class ClusterSetupTest {

  @Test
  void aPropertyTheFileUsesAndNobodySetIsNamed() {
    assertEquals(null, System.getProperty("pushgate.hazelcast.cluster-name"), "the test needs the property unset");
    IllegalStateException e = assertThrows(IllegalStateException.class,
      () -> ClusterSetup.clusterManager(Path.of("conf", "cluster-k8s.xml"), HistoryOptions.DEFAULTS));
    assertTrue(e.getMessage().endsWith("cluster-k8s.xml uses ${pushgate.hazelcast.cluster-name}, which no system property sets:"
      + " start the node with -Dpushgate.hazelcast.cluster-name=VALUE in JAVA_OPTS (k8s/base/deployment.yaml sets the cluster name this way)"),
      e.getMessage());
  }
}
