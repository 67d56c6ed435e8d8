package io.pushgate.cluster;

import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.merge.PushBatch;
import io.pushgate.metrics.SharedCounter;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * Sends a push this node accepted to every other node, once: one publish to the one cluster
 * consumer each node has. Used by the merger as it takes a push: a plain one at once, a stream push
 * once appended; standalone it does nothing.
 */
public final class Broadcaster {

  private static final DeliveryOptions BROADCAST = new DeliveryOptions().setCodecName(ClusterPushCodec.NAME);

  private final Vertx vertx;
  private final String nodeId;
  private final SharedCounter sent;

  public Broadcaster(Vertx vertx, String nodeId, NodeStats nodeStats) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.sent = nodeStats.add(Stats.of(Tags.empty(), null))
      .shared("cluster.broadcastsSent", "pushgate_cluster_broadcasts_sent", "pushes published to the other nodes", Tags.empty());
  }

  public void publish(PushBatch batch) {
    if (vertx.isClustered()) {
      sent.inc();
      vertx.eventBus().publish(Addresses.CLUSTER_PUSH, ClusterPush.of(nodeId, batch), BROADCAST);
    }
  }
}
