package io.pushgate.node;

import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;

/**
 * How many cluster members this node sees, and whether that is enough to take clients. A node that
 * expects peers (minClusterMembers) and sees fewer is either cut off from them (a split brain) or
 * the first of a new cluster; it stays unready, so that new clients go to nodes that are part of the
 * cluster, until it has been lonely for lonelyReadyAfterMillis: then it serves anyway, because a
 * first node must be able to start and the last node standing must keep serving.
 */
final class Membership {

  private final Vertx vertx;
  private final int min;
  private final long lonelyReadyAfterNanos;
  /** When the node last had enough members; its start counts as such a moment. */
  private long lastEnoughNanos = System.nanoTime();

  Membership(Vertx vertx, PushgateConfig config) {
    this.vertx = vertx;
    this.min = (int) config.number(Setting.MIN_CLUSTER_MEMBERS);
    this.lonelyReadyAfterNanos = config.number(Setting.LONELY_READY_AFTER_MILLIS) * 1_000_000L;
  }

  /** Members of the cluster this node sees, itself included; 1 standalone. */
  int members() {
    ClusterManager manager = VertxInternals.clusterManager(vertx);
    return manager == null ? 1 : manager.getNodes().size();
  }

  int min() {
    return min;
  }

  /** Why the node should not take new clients, or null when it may. */
  String notEnough() {
    if (!vertx.isClustered() || min <= 1) {
      return null;
    }
    long now = System.nanoTime();
    int seen = members();
    if (seen >= min) {
      lastEnoughNanos = now;
      return null;
    }
    if (now - lastEnoughNanos >= lonelyReadyAfterNanos) {
      return null;
    }
    return "sees " + seen + " cluster members, fewer than minClusterMembers=" + min;
  }
}
