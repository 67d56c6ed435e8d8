package io.pushgate.cluster;

import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.merge.MergeResult;
import io.pushgate.merge.NotTaken;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Throttle;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.List;
import java.util.logging.Logger;

/**
 * Where pushes from other nodes arrive. Each node has exactly one cluster consumer, this
 * verticle's, whatever its shard and room counts, so the Hazelcast subscription map stays one entry
 * per node and a push crosses the network once per node ({@link Broadcaster} sends them). What
 * arrives was checked as a push to the API is, by {@link ClusterPushCodec} as it read the message,
 * and is handed to this node's merger. A well-formed push over this node's own item limits (set
 * lower than the sender's, say halfway through a configuration change) is not dropped as malformed:
 * the merger treats it as one its queue had no room for.
 */
public final class ClusterBridgeVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(ClusterBridgeVerticle.class.getName());

  private final String nodeId;
  private final Counter received;
  private final Counter remoteItemsAccepted;
  private final Counter remoteItemsRefused;
  private final Counter remotePushesInvalid;
  private final Counter remotePushesOverLimits;
  /** One line each per 10 s at most: a sender that keeps failing would otherwise log every push. */
  private final Throttle refusals = new Throttle(10_000);
  private final Throttle invalids = new Throttle(10_000);
  private final Throttle overLimits = new Throttle(10_000);

  public ClusterBridgeVerticle(String nodeId, NodeStats nodeStats, Vertx vertx) {
    this.nodeId = nodeId;
    Stats stats = nodeStats.add(Stats.of(Tags.empty(), null));
    received = stats.counter("cluster.broadcastsReceived", "pushgate_cluster_broadcasts_received", "pushes received from other nodes");
    remoteItemsAccepted = stats.counter("cluster.remoteItemsAccepted", "pushgate_cluster_remote_items", "items received from other nodes",
      Tags.of("outcome", "accepted"));
    remoteItemsRefused = stats.counter("cluster.remoteItemsRefused", "pushgate_cluster_remote_items", "items received from other nodes",
      Tags.of("outcome", "dropped"));
    remotePushesInvalid = stats.counter("cluster.remotePushesInvalid", "pushgate_cluster_remote_pushes_invalid",
      "pushes from other nodes dropped as malformed");
    remotePushesOverLimits = stats.counter("cluster.remotePushesOverLimits", "pushgate_cluster_remote_pushes_over_limits",
      "well-formed pushes from other nodes over this node's maxItemsPerPush, maxItemBytes or maxItemDepth, not taken: missed, as at a full merge queue");
    stats.gauge("cluster.members", "pushgate_cluster_members", "cluster members this node sees, itself included (1 standalone)",
      () -> vertx.isClustered() ? members(vertx).size() : 1);
    // What minClusterMembers counts, and what the alerts compare with it: a pushing JVM is a member, not a peer.
    stats.gauge("cluster.nodes", "pushgate_cluster_nodes",
      "pushgate nodes of the cluster this node sees, itself included (1 standalone): the members that are not JVMs joined only to push",
      () -> ClusterSetup.nodes(vertx));
    stats.info("cluster.nodeId", () -> nodeId);
    stats.info("cluster.clustered", vertx::isClustered);
    stats.info("cluster.memberIds", () -> new JsonArray(members(vertx)));
  }

  private static List<String> members(Vertx vertx) {
    ClusterManager manager = VertxInternals.clusterManager(vertx);
    return manager == null ? List.of() : manager.getNodes();
  }

  @Override
  public Future<?> start() {
    if (!vertx.isClustered()) {
      return Future.succeededFuture();
    }
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(Addresses.CLUSTER_PUSH, this::onBroadcast);
    // Ready only once the subscription is in the cluster: from then on, no broadcast misses this node.
    return consumer.completion();
  }

  private void onBroadcast(Message<?> msg) {
    Object body;
    try {
      body = msg.body(); // another member's is decoded here, by Vert.x, with the codec the sender named
    } catch (RuntimeException e) {
      invalid(msg.headers().get("origin"), "a body that could not be decoded (" + e + ")");
      return;
    }
    if (!(body instanceof ClusterPush push)) {
      // Any member may send anything to this address; only pushgate's codec makes a ClusterPush.
      invalid(msg.headers().get("origin"), "a body that is no pushgate broadcast ("
        + (body == null ? "null" : body.getClass().getSimpleName()) + ")");
      return;
    }
    if (nodeId.equals(push.origin())) {
      return; // this node's merger took it before it was published
    }
    received.inc();
    if (push.overLimits() != null) {
      overLimits(push.origin(), push.overLimits(), push.problem());
      return;
    }
    if (push.problem() != null) {
      invalid(push.origin(), push.problem());
      return;
    }
    int count = push.batch().items().size();
    vertx.eventBus().<MergeResult>request(Addresses.MERGE_REMOTE, push.batch(), Local.OPTIONS).onComplete(ar -> {
      if (ar.succeeded() && ar.result().body() instanceof MergeResult.Accepted) {
        remoteItemsAccepted.add(count);
        return;
      }
      // The pusher already has its 200 from the accepting node; all this node can do is count and say so.
      remoteItemsRefused.add(count);
      if (refusals.occurred() > 0) {
        String why = ar.failed() ? ar.cause().getMessage() : ((MergeResult.Refused) ar.result().body()).message();
        log.warning("dropped " + count + " items broadcast by node " + push.origin() + ": " + why
          + " (total dropped: " + remoteItemsRefused.get() + "; raise maxPendingBytes or add nodes)");
      }
    });
  }

  private void invalid(String origin, String problem) {
    remotePushesInvalid.inc();
    if (invalids.occurred() > 0) {
      log.warning("dropped a push broadcast by " + origin + ": " + problem + " (total dropped as invalid: " + remotePushesInvalid.get()
        + "); a cluster member sends what no pushgate node would: check what else can reach the event bus");
    }
  }

  /**
   * A push that no pushgate node would refuse, but this one's limits do: the sender has higher ones.
   * Its items are dropped here, so the merger deals with it as with one its full queue refused (the
   * same ordering on the same address): its clients here learn they missed it.
   */
  private void overLimits(String origin, NotTaken push, String problem) {
    remotePushesOverLimits.inc();
    vertx.eventBus().send(Addresses.MERGE_REMOTE, push, Local.OPTIONS);
    long n = overLimits.occurred();
    if (n > 0) {
      String what = push.last() != null ? "a stream's clients read its items from the history instead"
        : push.low() ? "it was best effort, and is dropped" : "the clients it would have reached here are closed with 1013";
      log.warning("node " + origin + " broadcast a push over this node's limits (" + problem + "), not taken here: " + what + " (" + n
        + " since the last report, cluster.remotePushesOverLimits: " + remotePushesOverLimits.get()
        + "); give every node the same maxItemsPerPush, maxItemBytes and maxItemDepth");
    }
  }
}
