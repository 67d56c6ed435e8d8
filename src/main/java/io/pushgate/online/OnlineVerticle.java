package io.pushgate.online;

import io.pushgate.bus.Addresses;
import io.pushgate.config.PushgateConfig;
import io.pushgate.shard.RoomCounts;
import io.pushgate.shard.ShardCommand;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Online counts without presence lists. Once per interval it sums its shards' member counts per
 * room, publishes that one map to the other nodes, adds the latest map of every other node, and
 * hands the cluster-wide totals to the shards, which tell watchers of rooms whose count changed.
 * The cost per interval is one count per room per node, whatever the audience.
 */
public final class OnlineVerticle extends VerticleBase {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000);
  /** A node silent for this many intervals has left (or died); its counts stop counting. */
  private static final int EXPIRY_INTERVALS = 3;

  private record NodeCounts(long receivedNanos, Map<String, Integer> counts) {
  }

  private final PushgateConfig config;
  private final String nodeId;
  private final int shards;
  private final Map<String, NodeCounts> otherNodes = new HashMap<>();
  private Map<String, Integer> totals = Map.of();
  private boolean counting;

  public OnlineVerticle(PushgateConfig config, String nodeId) {
    this.config = config;
    this.nodeId = nodeId;
    this.shards = config.shards();
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().<String>localConsumer(Addresses.ROOM_ONLINE, msg -> msg.reply(totals.getOrDefault(msg.body(), 0)));
    vertx.eventBus().localConsumer(Addresses.stats("online"), msg -> msg.reply(new JsonObject()
      .put("roomsCounted", totals.size()).put("nodesReporting", otherNodes.size() + 1)));
    vertx.setPeriodic(config.onlineIntervalMillis(), id -> count());
    if (!vertx.isClustered()) {
      return Future.succeededFuture();
    }
    return vertx.eventBus().<JsonObject>consumer(Addresses.CLUSTER_ONLINE, this::onNodeCounts).completion();
  }

  private void onNodeCounts(Message<JsonObject> msg) {
    String node = msg.body().getString("node");
    if (nodeId.equals(node)) {
      return;
    }
    Map<String, Integer> counts = new HashMap<>();
    msg.body().getJsonObject("counts").forEach(e -> counts.put(e.getKey(), ((Number) e.getValue()).intValue()));
    otherNodes.put(node, new NodeCounts(System.nanoTime(), counts));
  }

  private void count() {
    if (counting) {
      return; // the previous round has not finished: skip rather than pile up requests
    }
    counting = true;
    List<Future<Map<String, Integer>>> replies = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) {
      replies.add(vertx.eventBus().<RoomCounts>request(Addresses.shardCounts(i), null, LOCAL).map(m -> m.body().counts()));
    }
    Future.join(replies).onComplete(ar -> {
      counting = false;
      Map<String, Integer> local = new HashMap<>();
      for (Future<Map<String, Integer>> reply : replies) {
        if (reply.succeeded()) {
          reply.result().forEach((room, n) -> local.merge(room, n, Integer::sum));
        }
      }
      if (vertx.isClustered()) {
        vertx.eventBus().publish(Addresses.CLUSTER_ONLINE, new JsonObject().put("node", nodeId).put("counts", new JsonObject(new HashMap<>(local))));
      }
      Map<String, Integer> sum = new HashMap<>(local);
      long expiry = System.nanoTime() - EXPIRY_INTERVALS * config.onlineIntervalMillis() * 1_000_000L;
      for (Iterator<NodeCounts> it = otherNodes.values().iterator(); it.hasNext(); ) {
        NodeCounts node = it.next();
        if (node.receivedNanos() < expiry) {
          it.remove();
        } else {
          node.counts().forEach((room, n) -> sum.merge(room, n, Integer::sum));
        }
      }
      totals = Map.copyOf(sum);
      ShardCommand.Online command = new ShardCommand.Online(totals);
      for (int i = 0; i < shards; i++) {
        vertx.eventBus().send(Addresses.shard(i), command, LOCAL);
      }
    });
  }
}
