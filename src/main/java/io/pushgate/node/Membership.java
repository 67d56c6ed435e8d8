package io.pushgate.node;

import io.pushgate.config.PushgateConfig;
import io.pushgate.cluster.ClusterSetup;
import io.pushgate.config.Setting;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * How many cluster members this node sees, and whether that is enough to take clients. A node that
 * expects peers (minClusterMembers) and sees fewer is either cut off from them (a split brain) or
 * the first of a new cluster; it stays unready, so that new clients go to nodes that are part of the
 * cluster, until it has been lonely for lonelyReadyAfterMillis: then it serves anyway, because a
 * first node must be able to start and the last node standing must keep serving.
 *
 * A node that joined a cluster is also unready until Hazelcast has once found the partitions assigned
 * and the cluster safe (no partition migrating, every backup in place), for at most {@link #SAFE_WAIT_MILLIS}: in a rolling
 * update the next old node is stopped once this one is ready, and while partitions still move to
 * the newcomer some streams' history may have one copy only, which that old node could hold.
 */
final class Membership {

  /** The longest a node waits, after its start, to see its cluster safe before it serves anyway. */
  static final long SAFE_WAIT_MILLIS = 60_000;

  private final Vertx vertx;
  private final int min;
  private final long lonelyReadyAfterNanos;
  /** When the node last had enough members; its start counts as such a moment. */
  private volatile long lastEnoughNanos = System.nanoTime();
  private final long startNanos = System.nanoTime();
  /** Whether the cluster is safe, asked off the event loop (it asks every member); null standalone. */
  private final Supplier<Future<Boolean>> clusterSafe;
  private volatile boolean safeSeen;
  private final AtomicBoolean asking = new AtomicBoolean();
  private final AtomicBoolean gaveUp = new AtomicBoolean();
  private static final java.util.logging.Logger log = java.util.logging.Logger.getLogger(Membership.class.getName());

  Membership(Vertx vertx, PushgateConfig config) {
    this(vertx, config, vertx.isClustered() ? () -> vertx.executeBlocking(() -> partitionsInPlace(VertxInternals.hazelcast(vertx)), false) : null);
  }

  /**
   * Whether the partitions have owners and the cluster is safe. Asking for an owner makes the master
   * assign the partitions if nothing has yet: a cluster whose partitions were never assigned counts as
   * safe, and its first operations would run while the master publishes the table, when a backup
   * that reaches a member ahead of it is dropped (a stream's first appends then fail as unknown
   * outcomes, after the backup timeout).
   */
  private static boolean partitionsInPlace(com.hazelcast.core.HazelcastInstance hazelcast) {
    com.hazelcast.partition.PartitionService partitions = hazelcast.getPartitionService();
    return partitions.getPartition(Membership.class.getName()).getOwner() != null && partitions.isClusterSafe();
  }

  /** @param clusterSafe asks Hazelcast whether the cluster is safe; a test's, to hold a migration for as long as it likes */
  Membership(Vertx vertx, PushgateConfig config, Supplier<Future<Boolean>> clusterSafe) {
    this.vertx = vertx;
    this.min = (int) config.number(Setting.MIN_CLUSTER_MEMBERS);
    this.lonelyReadyAfterNanos = config.number(Setting.LONELY_READY_AFTER_MILLIS) * 1_000_000L;
    this.clusterSafe = clusterSafe;
    if (clusterSafe != null) {
      ask(); // now, so that the first probe of a node that joins a cluster already safe finds it ready
    }
  }

  /**
   * Pushgate nodes of the cluster this node sees, itself included; 1 standalone. A JVM that joins only
   * to push (PushingService) is a member too, but no peer: a node cut off from its peers that still
   * sees one must not count it, or it would stay ready through a split.
   */
  int members() {
    return ClusterSetup.nodes(vertx);
  }

  int min() {
    return min;
  }

  /** Why the node should not take new clients, or null when it may. */
  String notEnough() {
    if (!vertx.isClustered()) {
      return null;
    }
    long now = System.nanoTime();
    if (min > 1) {
      int seen = members();
      if (seen >= min) {
        lastEnoughNanos = now;
      } else if (now - lastEnoughNanos < lonelyReadyAfterNanos) {
        return "sees " + seen + " pushgate nodes in the cluster, fewer than minClusterMembers=" + min;
      }
    }
    return unsafe(now);
  }

  /** Null once the cluster was safe since the start (or the wait is over); else why not, and it asks again. */
  private String unsafe(long now) {
    if (safeSeen || clusterSafe == null) {
      return null;
    }
    if (now - startNanos >= SAFE_WAIT_MILLIS * 1_000_000L) {
      if (gaveUp.compareAndSet(false, true)) {
        log.warning("Hazelcast did not find the cluster safe within " + SAFE_WAIT_MILLIS / 1000 + " s of the start (partitions still"
          + " moving, or a member not answering): the node is ready all the same; a node that leaves now may take a stream's"
          + " only copy of its history with it");
      }
      return null;
    }
    ask();
    return safeSeen ? null : "the cluster's partitions are still moving (Hazelcast is not cluster-safe yet): a rolling update waits,"
      + " so that no node leaves while a stream's history has one copy only; at most " + SAFE_WAIT_MILLIS / 1000 + " s after the start";
  }

  /** One question at a time, on a worker: Hazelcast asks every member, and may wait for a slow one. */
  private void ask() {
    if (asking.compareAndSet(false, true)) {
      clusterSafe.get().onComplete(ar -> {
        safeSeen |= ar.succeeded() && Boolean.TRUE.equals(ar.result());
        asking.set(false);
      });
    }
  }
}
