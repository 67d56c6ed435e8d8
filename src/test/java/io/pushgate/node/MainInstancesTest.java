package io.pushgate.node;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code -instances N} is N shards in one node, N = 1 included: Vert.x's deployment options say 1
 * whether or not the flag was given, so the node reads the command line itself.
 */
class MainInstancesTest {

  private static DeploymentOptions deployed(String... args) {
    DeploymentOptions options = new DeploymentOptions().setInstances(Math.max(1, Main.instancesArgument(args)));
    new Main(false, null, Main.instancesArgument(args)).beforeDeployingVerticle(new HookContext() {
      @Override
      public VertxOptions vertxOptions() {
        return new VertxOptions();
      }

      @Override
      public Vertx vertx() {
        return null;
      }

      @Override
      public String mainVerticle() {
        return "pushgate";
      }

      @Override
      public DeploymentOptions deploymentOptions() {
        return options;
      }

      @Override
      public String deploymentId() {
        return null;
      }
    });
    return options;
  }

  @Test
  void instancesNIsNShardsInOneNodeVerticle() {
    for (String n : new String[] {"1", "3"}) {
      DeploymentOptions options = deployed("-instances", n);
      assertEquals(1, options.getInstances(), "one node verticle for -instances " + n);
      assertEquals(new JsonObject().put("shards", Integer.parseInt(n)), options.getConfig(), "-instances " + n);
    }
  }

  @Test
  void withoutInstancesTheShardsAreTheConfigurations() {
    DeploymentOptions options = deployed();
    assertEquals(1, options.getInstances());
    assertNull(options.getConfig());
  }

  @Test
  void everyNameTheLauncherHasForClusteringIsKnown() {
    for (String flag : new String[] {"-c", "-cluster", "--cluster"}) {
      assertEquals(true, Main.clusteredArgument(new String[] {flag, "-conf", "x.json"}), flag + " clusters the node: it must get pushgate's cluster setup");
    }
    assertEquals(false, Main.clusteredArgument(new String[] {"-conf", "c.json", "-cluster-host", "127.0.0.1"}));
  }
}
