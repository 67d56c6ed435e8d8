package io.pushgate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The few lines a person reads after the RESULT line, which holds everything. */
final class Summary {

  private Summary() {
  }

  static String si(double v) {
    if (v >= 1e6) {
      return String.format("%.2fM", v / 1e6);
    }
    if (v >= 1e3) {
      return String.format("%.1fk", v / 1e3);
    }
    return String.format("%.0f", v);
  }

  static String of(JsonObject r) {
    StringBuilder s = new StringBuilder("-- ").append(r.getString("mode")).append(" against ").append(r.getString("target"))
      .append(", ").append(r.getInteger("connections")).append(" connections, load ")
      .append(r.getDouble("loadStart")).append(" -> ").append(r.getDouble("loadEnd"));
    if (r.containsKey("othersCpuPercent")) {
      s.append(", other processes ").append(r.getDouble("othersCpuPercent")).append("% CPU");
    }
    s.append('\n');
    if (r.containsKey("idle")) {
      JsonObject i = r.getJsonObject("idle");
      s.append(String.format("   joined %d; server RSS %.1f -> %.1f MB: %,d bytes per connection", i.getLong("joined"),
        i.getDouble("rssBaseMB"), i.getDouble("rssMB"), i.getLong("rssPerConnectionBytes")));
      if (i.containsKey("heapPerConnectionBytes")) {
        s.append(String.format("; live heap %.1f -> %.1f MB: %,d bytes per connection", i.getDouble("heapLiveBaseMB"),
          i.getDouble("heapLiveMB"), i.getLong("heapPerConnectionBytes")));
      }
      s.append(String.format("%n   kernel slab +%.1f MB (both ends); idle server CPU %.1f%%, other processes %.1f%%",
        i.getJsonObject("kernel").getDouble("slabDeltaMB"), i.getDouble("cpuPercentWhileIdle"), i.getDouble("othersCpuPercent")));
    }
    if (r.containsKey("fanout")) {
      JsonObject f = r.getJsonObject("fanout");
      JsonObject l = f.getJsonObject("latencyMs");
      s.append(String.format("   %d subscribers x %d items/s: pushed %,d, delivered %,d of %,d (ratio %s), lost %d, duplicates %d, out of order %d%n",
        f.getLong("subscribers"), f.getInteger("rate"), f.getLong("pushed"), f.getLong("distinct"), f.getLong("expected"),
        f.getDouble("deliveryRatio"), f.getLong("lost"), f.getLong("duplicates"), f.getLong("outOfOrder")));
      s.append(String.format("   %s items/s delivered; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
        si(f.getLong("itemsDeliveredPerSecond")), l.getDouble("p50"), l.getDouble("p99"), l.getDouble("max")));
      s.append(String.format("   server %.2f CPU-s (%.0f%%), RSS %.0f MB: %s items per server CPU-second; generator %.0f%% CPU",
        r.getJsonObject("server").getDouble("cpuSeconds"), r.getJsonObject("server").getDouble("cpuPercent"),
        r.getJsonObject("server").getDouble("rssMB"), si(f.getLong("itemsPerServerCpuSecond")),
        r.getJsonObject("generator").getDouble("cpuPercent")));
      JsonObject threads = r.getJsonObject("server").getJsonObject("threads", new JsonObject());
      if (threads.containsKey("jit")) {
        s.append(String.format("%n   server threads: event loops %.2f s, JIT %.2f s, GC %.2f s, other %.2f s",
          threads.getDouble("eventLoops", 0.0), threads.getDouble("jit", 0.0), threads.getDouble("gc", 0.0), threads.getDouble("other", 0.0)));
      }
      JsonObject frames = f.getJsonObject("serverFrames", new JsonObject());
      if (frames.containsKey("written")) {
        s.append(String.format("%n   server per frame written: %.2f µs CPU (user %.2f, kernel %.2f) over %,d frames",
          frames.getDouble("cpuMicrosPerFrame"), frames.getDouble("userMicrosPerFrame"), frames.getDouble("sysMicrosPerFrame"),
          frames.getLong("written")));
      }
      JsonObject closes = r.getJsonObject("clients", new JsonObject()).getJsonObject("serverCloses", new JsonObject());
      if (!closes.isEmpty()) {
        s.append("\n   closed by the server: ").append(closes.encode());
      }
      JsonObject low = f.getJsonObject("low");
      if (low != null) {
        JsonObject ll = low.getJsonObject("latencyMs");
        s.append(String.format("%n   low priority: pushed %,d, received %,d (%.1f a subscriber a second), p50 %.1f ms, p99 %.1f ms; sampled by the server %,d; out of order %d",
          low.getLong("pushed"), low.getLong("received"), low.getDouble("perSubscriberPerSecond"), ll.getDouble("p50"), ll.getDouble("p99"),
          low.getLong("serverSampledInWindow"), low.getLong("outOfOrder")));
      }
      JsonObject h = f.getJsonObject("history", new JsonObject());
      if (h.containsKey("operations")) {
        s.append(String.format("%n   history: %d operations (%.1f/s), %d appends, %d replay encodes",
          h.getLong("operations"), h.getDouble("operationsPerSecond", 0.0), h.getLong("appends"), h.getLong("replayEncodes")));
      }
      JsonObject lag = f.getJsonObject("serverFanoutMs", new JsonObject());
      if (lag.containsKey("mean")) {
        s.append(String.format("%n   server fan-out (tick to last write, per shard): mean %.1f ms, p50 <= %s ms, p99 <= %s ms over %d deliveries",
          lag.getDouble("mean"), lag.getString("p50AtMost"), lag.getString("p99AtMost"), lag.getLong("deliveries")));
      }
    }
    if (r.containsKey("storm")) {
      JsonObject st = r.getJsonObject("storm");
      JsonObject ms = st.getJsonObject("rejoinMs");
      s.append(String.format("   %d of %d rejoined, %d within 2 s; rejoin p50 %.0f ms, p99 %.0f ms, max %.0f ms; failed attempts %s",
        st.getLong("rejoined"), st.getInteger("clients"), st.getLong("rejoinedWithin2s"), ms.getDouble("p50"),
        ms.getDouble("p99"), ms.getDouble("max"), st.getJsonObject("failedAttempts").encode()));
      JsonArray rounds = st.getJsonArray("rounds");
      JsonObject lastRound = rounds.isEmpty() ? new JsonObject() : rounds.getJsonObject(rounds.size() - 1);
      s.append(String.format("%n   server %.2f CPU-s in the last round; listen-queue overflows %d (somaxconn %d)",
        lastRound.getDouble("serverCpuSeconds", 0.0), lastRound.getLong("listenOverflows", -1L), st.getLong("somaxconn", -1L)));
      if (st.containsKey("answers")) {
        JsonObject h = st.getJsonObject("history", new JsonObject());
        s.append(String.format("%n   since: answers %s; %d of %d caught up, all after %s ms; lost %d, duplicates %d, offset gaps %d, repeats %d",
          st.getJsonObject("answers").encode(), st.getLong("caughtUp"), st.getInteger("clients"), st.getValue("allRecoveredMs"),
          st.getLong("lost"), st.getLong("duplicates"), st.getLong("offsetGaps"), st.getLong("offsetRepeats")));
        s.append(String.format("%n   history in the last round: %d operations, %d replay encodes, %d replays shared, %d items replayed",
          h.getLong("operations", 0L), h.getLong("replayEncodes", 0L), h.getLong("replayShared", 0L), h.getLong("replayedItems", 0L)));
      }
    }
    if (r.containsKey("targets")) {
      s.append("\n   targets: ").append(r.getJsonObject("targets").encode());
    }
    return s.toString();
  }
}
