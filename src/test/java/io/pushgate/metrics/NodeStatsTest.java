package io.pushgate.metrics;

import io.micrometer.core.instrument.Tags;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /stats adds the shards' values up: counts stay whole numbers, fractions stay fractions. */
class NodeStatsTest {

  @Test
  void countsAddedOverTheShardsStayIntegers() {
    NodeStats node = new NodeStats();
    for (int shard = 0; shard < 3; shard++) {
      Stats stats = node.add(new Stats(null, Tags.empty(), shard));
      Counter joins = stats.counter("joins", "pushgate_joins", "room joins");
      joins.add(shard);
      stats.counter("closed.by_client", "pushgate_closed", "closes");
      stats.gauge("connections", "pushgate_connections", "open", () -> 2).perShard("connections");
      double share = shard * 0.25;
      stats.info("share", () -> share);
    }
    JsonObject json = node.toJson();
    String text = json.encode();
    // Summed over 3 shards: 0 + 1 + 2 joins, 3 x 2 connections, no closes.
    assertTrue(text.contains("\"joins\":3,"), text);
    assertTrue(text.contains("\"connections\":6,"), text);
    assertTrue(text.contains("\"closed\":{\"by_client\":0}"), text);
    assertTrue(text.contains("{\"shard\":1,\"connections\":2}"), text);
    assertEquals(0.75, json.getDouble("share"), "fractions add as fractions");
    assertEquals(Long.class, NodeStats.sum(1L, 2).getClass());
    assertEquals(Double.class, NodeStats.sum(1L, 0.5).getClass());
  }
}
