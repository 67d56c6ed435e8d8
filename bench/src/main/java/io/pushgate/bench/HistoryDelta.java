package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

/**
 * What the streams' history did between two readings of pushgate's /stats ({@code history.*}):
 * operations on the history (appends, reads, heads; entry processors on the cluster's map, or the
 * standalone node's own map), and the replays that rejoining clients got. Empty when the server
 * has no streams (historySize 0) or reports none.
 */
final class HistoryDelta {

  private static final String[] COUNTERS = {"operations", "appends", "appendedItems", "failures", "appendFailures",
    "replayEncodes", "replayShared", "replayedItems", "holesFilled", "itemsSkipped", "duplicateItems"};

  private HistoryDelta() {
  }

  static JsonObject of(JsonObject before, JsonObject after, double seconds) {
    JsonObject h0 = before == null ? null : before.getJsonObject("history");
    JsonObject h1 = after == null ? null : after.getJsonObject("history");
    if (h0 == null || h1 == null) {
      return new JsonObject();
    }
    JsonObject out = new JsonObject();
    for (String name : COUNTERS) {
      out.put(name, count(h1, name) - count(h0, name));
    }
    JsonObject joins0 = h0.getJsonObject("joins", new JsonObject());
    JsonObject joins = new JsonObject();
    h1.getJsonObject("joins", new JsonObject()).forEach(e -> joins.put(e.getKey(), count(h1.getJsonObject("joins"), e.getKey()) - count(joins0, e.getKey())));
    out.put("joins", joins);
    if (seconds > 0) {
      out.put("operationsPerSecond", ProcStats.round(out.getLong("operations") / seconds, 1));
    }
    return out;
  }

  /** /stats writes some counters as doubles: read every one as a whole number. */
  private static long count(JsonObject o, String name) {
    return o.getValue(name) instanceof Number n ? n.longValue() : 0;
  }
}
