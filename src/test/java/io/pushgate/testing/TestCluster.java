package io.pushgate.testing;

import io.pushgate.cluster.ClusterSetup;
import io.pushgate.history.HistoryOptions;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.UUID;

/** Clustered Vert.x instances on loopback: Hazelcast TCP-IP, a cluster name no other test shares. */
public final class TestCluster {

  private final String name = "pushgate-test-" + UUID.randomUUID();
  private final int basePort;
  private final int size;

  /** @param basePort first Hazelcast port; members use basePort .. basePort + size - 1 */
  public TestCluster(int basePort, int size) {
    this.basePort = basePort;
    this.size = size;
  }

  public Config hazelcastConfig() {
    return hazelcastConfig(HistoryOptions.DEFAULTS);
  }

  /** A member's configuration with the history map as a node with {@code history} configures it. */
  public Config hazelcastConfig(HistoryOptions history) {
    Config config = new Config().setClusterName(name);
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.logging.type", "jdk");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Tests count outcomes, not how fast a backup answers. On a two-core CI machine busy with other
    // JVMs a backup once took over Hazelcast's 5 s to ack: 200 appends at once failed as indeterminate
    // (HazelcastSequencerTest). pushgate fails the history's operations on purpose (an append's
    // outcome must be known); HazelcastSequencerTest and HistoryFailoverTest cover what that means.
    // No timeout helps a backup that is dropped, not late: see awaitPartitionsInPlace.
    config.setProperty("hazelcast.operation.backup.timeout.millis", "30000");
    config.getNetworkConfig().setPort(basePort).setPortAutoIncrement(true).setPortCount(size);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true);
    for (int i = 0; i < size; i++) {
      join.getTcpIpConfig().addMember("127.0.0.1:" + (basePort + i));
    }
    return ClusterSetup.configure(config, history);
  }

  /**
   * Waits until the partitions of {@code members} (plain Hazelcast members of one cluster, all of it)
   * are assigned, each with its owner and a backup in every member's own view of the same partition
   * table, and the cluster is safe (no migration, backups in sync). {@code isClusterSafe()} alone does
   * not say that: Hazelcast assigns the partitions on the first operation that needs one, and a
   * cluster whose partitions were never assigned is safe. The first operations then run while the
   * master publishes the new table, and a backup that reaches a member before the table does is
   * dropped without an ack: the caller waits out the backup timeout, and the history map's operations
   * (which fail on an unknown outcome) fail as indeterminate.
   */
  public static void awaitPartitionsInPlace(java.util.List<com.hazelcast.core.HazelcastInstance> members) {
    int replicas = Math.min(members.size(), 2);
    Eventually.await(members.size() + " members, every partition with its owner and backup in each member's table, the cluster safe", () -> {
      long stamp = 0;
      for (com.hazelcast.core.HazelcastInstance member : members) {
        if (member.getCluster().getMembers().size() != members.size()) {
          return false;
        }
        // Asks for an owner, so that the master assigns the partitions if nothing has yet.
        member.getPartitionService().getPartition("assigns the partitions").getOwner();
        com.hazelcast.internal.partition.InternalPartitionService partitions =
          ((com.hazelcast.instance.impl.HazelcastInstanceProxy) member).getOriginal().node.getPartitionService();
        if (!partitions.getPartitionStateManager().isInitialized() || (stamp != 0 && partitions.getPartitionStateStamp() != stamp)) {
          return false;
        }
        stamp = partitions.getPartitionStateStamp();
        for (int id = 0; id < partitions.getPartitionCount(); id++) {
          for (int replica = 0; replica < replicas; replica++) {
            if (partitions.getPartition(id).getReplica(replica) == null) {
              return false;
            }
          }
        }
      }
      return members.stream().allMatch(m -> m.getPartitionService().isClusterSafe());
    }, java.time.Duration.ofSeconds(30));
  }

  /** A member for a pushgate node, marked as one (ClusterSetup.NODE_ATTRIBUTE), as Main marks it. */
  public Vertx member() {
    return member(options -> { });
  }

  /** A node's member whose options {@code customize} adjusts first, e.g. to turn on event-bus TLS. */
  public Vertx member(java.util.function.Consumer<VertxOptions> customize) {
    return member(customize, true);
  }

  /** A member that is no pushgate node: another JVM that joins to push (PushingService). */
  public Vertx serviceMember() {
    return member(options -> { }, false);
  }

  private Vertx member(java.util.function.Consumer<VertxOptions> customize, boolean node) {
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    options.getEventBusOptions().setHost("127.0.0.1");
    customize.accept(options);
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig());
    Vertx vertx = TestNode.await(Vertx.builder().with(options).withClusterManager(node ? ClusterSetup.asNode(manager) : manager).buildClustered());
    // A joining member sets partitions migrating; an operation whose backup moves meanwhile may never
    // get its ack, and pushgate fails such operations (ClusterSetup). A test deploys its node once
    // the partitions and their backups are in place: a CI run once timed out deploying in that window.
    com.hazelcast.core.HazelcastInstance hazelcast = manager.getHazelcastInstance();
    // Asking for an owner first, as Membership does: a cluster whose partitions were never assigned is safe.
    Eventually.await("the partitions assigned and the cluster safe (backups in place) after a member joined",
      () -> hazelcast.getPartitionService().getPartition("assigns the partitions").getOwner() != null
        && hazelcast.getPartitionService().isClusterSafe(), java.time.Duration.ofSeconds(30));
    return vertx;
  }
}
