package io.pushgate.api;

import io.pushgate.bus.Addresses;
import io.pushgate.shard.ShardStats;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Gathers /stats by asking each shard and the merger for their own counters: nothing is shared. */
final class NodeStats {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000);

  private NodeStats() {
  }

  static Future<JsonObject> collect(Vertx vertx, int shards, JsonObject api) {
    List<Future<ShardStats>> shardFutures = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      shardFutures.add(vertx.eventBus().<ShardStats>request(Addresses.stats("shard." + i), null, LOCAL).map(Message::body));
    }
    Future<JsonObject> merger = vertx.eventBus().<JsonObject>request(Addresses.stats("merger"), null, LOCAL).map(Message::body);
    Future<JsonObject> node = vertx.eventBus().<JsonObject>request(Addresses.STATUS, null, LOCAL).map(Message::body);
    Future<JsonObject> cluster = vertx.eventBus().<JsonObject>request(Addresses.stats("cluster"), null, LOCAL).map(Message::body);
    Future<JsonObject> online = vertx.eventBus().<JsonObject>request(Addresses.stats("online"), null, LOCAL).map(Message::body);
    return Future.all(List.of(Future.all(shardFutures), merger, node, cluster, online)).map(all -> {
      JsonObject totals = new JsonObject();
      JsonArray perShard = new JsonArray();
      Set<String> rooms = new HashSet<>();
      int connections = 0;
      for (Future<ShardStats> f : shardFutures) {
        ShardStats s = f.result();
        connections += s.connections();
        rooms.addAll(s.rooms());
        perShard.add(new JsonObject().put("shard", s.shard()).put("connections", s.connections()).put("rooms", s.rooms().size()));
        sum(totals, s.counters());
      }
      totals.remove("rooms");
      JsonObject m = merger.result();
      return new JsonObject()
        .put("node", node.result())
        .put("connections", connections)
        .put("rooms", rooms.size())
        .put("shards", perShard)
        .put("itemsPushed", m.getLong("itemsAccepted"))
        .put("batches", m.getLong("batches"))
        .put("framesWritten", totals.remove("framesWritten"))
        .put("bytesWritten", totals.remove("bytesWritten"))
        .put("connectionsAccepted", totals.remove("accepted"))
        .put("joins", totals.remove("joins"))
        .put("leaves", totals.remove("leaves"))
        .put("roomLimitRefusals", totals.remove("roomLimitRefusals"))
        .put("closed", totals.remove("closed"))
        .put("refused", totals.remove("refused"))
        .put("errors", totals.remove("errors"))
        .put("fanout", totals.remove("fanout"))
        .put("security", totals.remove("security"))
        .put("jvm", jvm())
        .put("merger", m)
        .put("cluster", cluster.result())
        .put("online", online.result())
        .put("api", api);
    });
  }

  /** This JVM's memory, for operators and the soak (src/bench/soak.sh) to watch for leaks. */
  private static JsonObject jvm() {
    java.lang.management.MemoryUsage heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    JsonObject jvm = new JsonObject()
      .put("heapUsedBytes", heap.getUsed())
      .put("heapCommittedBytes", heap.getCommitted())
      .put("heapMaxBytes", heap.getMax())
      // Netty's own count of the direct memory it allocated (-1 when it does not track it).
      .put("nettyDirectBytes", io.netty.util.internal.PlatformDependent.usedDirectMemory());
    for (java.lang.management.BufferPoolMXBean pool : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
      if ("direct".equals(pool.getName())) {
        jvm.put("directBufferBytes", pool.getMemoryUsed());
      }
    }
    return jvm;
  }

  /** Adds every number of {@code from} into {@code into}, recursing into nested objects. */
  private static void sum(JsonObject into, JsonObject from) {
    for (String key : from.fieldNames()) {
      Object v = from.getValue(key);
      if (v instanceof JsonObject nested) {
        JsonObject target = into.getJsonObject(key);
        if (target == null) {
          target = new JsonObject();
          into.put(key, target);
        }
        sum(target, nested);
      } else if (v instanceof Number n) {
        into.put(key, into.getLong(key, 0L) + n.longValue());
      }
    }
  }
}
