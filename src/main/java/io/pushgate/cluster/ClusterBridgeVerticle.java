package io.pushgate.cluster;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.metrics.Metrics;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.merge.PushBatch;
import io.pushgate.protocol.ItemValidator;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.logging.Logger;

/**
 * Where a push crosses the cluster. A push validated by this node's API is first accepted (or
 * refused, 503) by this node's merger, then published once to every other node. Each node has
 * exactly one cluster consumer, this verticle's, whatever its shard and room counts, so the
 * Hazelcast subscription map stays one entry per node and a push crosses the network once per node.
 * Standalone, it only forwards to the merger.
 */
public final class ClusterBridgeVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(ClusterBridgeVerticle.class.getName());
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final DeliveryOptions BROADCAST = new DeliveryOptions().setCodecName(ClusterPushCodec.NAME);
  private static final long REFUSAL_LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final String nodeId;
  private final PushgateConfig config;
  private final ItemValidator items;
  private long broadcastsSent;
  private long broadcastsReceived;
  private long remoteItemsAccepted;
  private long remoteItemsRefused;
  private long lastRefusalLog;
  private long remotePushesInvalid;
  private long lastInvalidLog;

  public ClusterBridgeVerticle(String nodeId, PushgateConfig config) {
    this.nodeId = nodeId;
    this.config = config;
    this.items = new ItemValidator(config.intLimit(Limit.MAX_ITEM_DEPTH));
  }

  @Override
  public Future<?> start() {
    MeterRegistry registry = Metrics.registry();
    if (registry != null) {
      Metrics.counter(registry, "pushgate_cluster_broadcasts_sent", "pushes published to the other nodes", Tags.empty(), this, b -> b.broadcastsSent);
      Metrics.counter(registry, "pushgate_cluster_broadcasts_received", "pushes received from other nodes", Tags.empty(), this, b -> b.broadcastsReceived);
      Metrics.counter(registry, "pushgate_cluster_remote_items", "items received from other nodes", Tags.of("outcome", "accepted"), this, b -> b.remoteItemsAccepted);
      Metrics.counter(registry, "pushgate_cluster_remote_items", "items received from other nodes", Tags.of("outcome", "dropped"), this, b -> b.remoteItemsRefused);
      Metrics.counter(registry, "pushgate_cluster_remote_pushes_invalid", "pushes from other nodes dropped as malformed or over this node's limits",
        Tags.empty(), this, b -> b.remotePushesInvalid);
    }
    vertx.eventBus().<PushBatch>localConsumer(Addresses.SUBMIT, this::onSubmit);
    vertx.eventBus().localConsumer(Addresses.stats("cluster"), msg -> msg.reply(stats()));
    if (!vertx.isClustered()) {
      return Future.succeededFuture();
    }
    try {
      vertx.eventBus().registerCodec(new ClusterPushCodec(config));
    } catch (IllegalStateException alreadyRegistered) {
      // a second node in the same Vert.x instance (tests)
    }
    MessageConsumer<ClusterPush> consumer = vertx.eventBus().consumer(Addresses.CLUSTER_PUSH, this::onBroadcast);
    // Ready only once the subscription is in the cluster: from then on, no broadcast misses this node.
    return consumer.completion();
  }

  private void onSubmit(Message<PushBatch> msg) {
    PushBatch batch = msg.body();
    vertx.eventBus().<Integer>request(Addresses.MERGE, batch, LOCAL).map(Message::body).onComplete(ar -> {
      if (ar.failed()) {
        int code = ar.cause() instanceof ReplyException re ? re.failureCode() : 500;
        msg.fail(code, ar.cause().getMessage());
        return;
      }
      if (vertx.isClustered()) {
        broadcastsSent++;
        vertx.eventBus().publish(Addresses.CLUSTER_PUSH, ClusterPush.of(nodeId, batch), BROADCAST);
      }
      msg.reply(ar.result());
    });
  }

  private void onBroadcast(Message<ClusterPush> msg) {
    ClusterPush push = msg.body();
    if (nodeId.equals(push.origin())) {
      return; // this node's merger took it before it was published
    }
    broadcastsReceived++;
    String problem = push.problem() != null ? push.problem() : itemProblem(push.batch());
    if (problem != null) {
      remotePushesInvalid++;
      long now = System.nanoTime();
      if (now - lastInvalidLog > REFUSAL_LOG_INTERVAL_NANOS) {
        lastInvalidLog = now;
        log.warning("dropped a push broadcast by " + push.origin() + ": " + problem + " (total dropped as invalid: " + remotePushesInvalid
          + "); a cluster member sends what no pushgate node would: check what else can reach the event bus");
      }
      return;
    }
    int items = push.batch().items().size();
    vertx.eventBus().request(Addresses.MERGE, push.batch(), LOCAL).onComplete(ar -> {
      if (ar.succeeded()) {
        remoteItemsAccepted += items;
        return;
      }
      // The pusher already has its 200 from the accepting node; all this node can do is count and say so.
      remoteItemsRefused += items;
      long now = System.nanoTime();
      if (now - lastRefusalLog > REFUSAL_LOG_INTERVAL_NANOS) {
        lastRefusalLog = now;
        log.warning("dropped " + items + " items broadcast by node " + push.origin() + ": " + ar.cause().getMessage()
          + " (total dropped: " + remoteItemsRefused + "; raise maxPendingBytes or add nodes)");
      }
    });
  }

  /** Another node's push is checked as the API checks one: every item one valid JSON value. */
  private String itemProblem(PushBatch batch) {
    for (byte[] item : batch.items()) {
      String problem = items.problem(item);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private JsonObject stats() {
    JsonObject stats = new JsonObject()
      .put("nodeId", nodeId)
      .put("clustered", vertx.isClustered())
      .put("broadcastsSent", broadcastsSent)
      .put("broadcastsReceived", broadcastsReceived)
      .put("remoteItemsAccepted", remoteItemsAccepted)
      .put("remoteItemsRefused", remoteItemsRefused)
      .put("remotePushesInvalid", remotePushesInvalid);
    ClusterManager manager = VertxInternals.clusterManager(vertx);
    if (manager != null) {
      stats.put("members", manager.getNodes().size()).put("memberIds", manager.getNodes());
    }
    return stats;
  }
}
