package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;

/** Counters of one lane, one child or the whole run; the same JSON shape at every level. */
final class Tally {

  long opened;
  long joined;
  long closed;
  long framesReceived;
  long itemsReceived;
  /** Low-priority items (fanout --low-rate), apart from itemsReceived: what completes a run is the normal ones. */
  long lowItemsReceived;
  long bytesReceived;
  long unexpectedFrames;
  /** Connect attempts that failed, by reason (exception class or HTTP status). */
  final Map<String, Long> connectFailures = new TreeMap<>();
  /** Closes the subscriber did not ask for, by close code. */
  final Map<String, Long> serverCloses = new TreeMap<>();
  /** ERROR messages from the server, by code. */
  final Map<String, Long> errors = new TreeMap<>();
  final LatencyHistogram latency = new LatencyHistogram();
  final LatencyHistogram lowLatency = new LatencyHistogram();
  /** Storm: from the coordinator's "reconnect now" to each subscriber's JOIN acknowledged. */
  final LatencyHistogram rejoin = new LatencyHistogram();
  /** Answers to JOINs with since: "recovered", or the reason it was not. */
  final Map<String, Long> recovery = new TreeMap<>();
  /** Storm with since: from "reconnect now" to each subscriber holding every item pushed so far. */
  final LatencyHistogram caughtUp = new LatencyHistogram();

  void failed(String reason) {
    connectFailures.merge(reason, 1L, Long::sum);
  }

  long failed() {
    return connectFailures.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The counters without the histograms: small enough for a line every second. */
  JsonObject progressJson() {
    return new JsonObject()
      .put("opened", opened).put("joined", joined).put("closed", closed)
      .put("frames", framesReceived).put("items", itemsReceived).put("lowItems", lowItemsReceived).put("bytes", bytesReceived)
      .put("failed", failed())
      .put("connectFailures", new JsonObject(new TreeMap<String, Object>(connectFailures)))
      .put("serverCloses", new JsonObject(new TreeMap<String, Object>(serverCloses)))
      .put("recovery", new JsonObject(new TreeMap<String, Object>(recovery)))
      .put("caughtUpCount", caughtUp.total());
  }

  JsonObject toJson() {
    return progressJson()
      .put("unexpectedFrames", unexpectedFrames)
      .put("errors", new JsonObject(new TreeMap<String, Object>(errors)))
      .put("latency", latency.toJson())
      .put("lowLatency", lowLatency.toJson())
      .put("rejoin", rejoin.toJson())
      .put("caughtUp", caughtUp.toJson());
  }

  void add(Tally other) {
    opened += other.opened;
    joined += other.joined;
    closed += other.closed;
    framesReceived += other.framesReceived;
    itemsReceived += other.itemsReceived;
    lowItemsReceived += other.lowItemsReceived;
    bytesReceived += other.bytesReceived;
    unexpectedFrames += other.unexpectedFrames;
    other.connectFailures.forEach((k, v) -> connectFailures.merge(k, v, Long::sum));
    other.serverCloses.forEach((k, v) -> serverCloses.merge(k, v, Long::sum));
    other.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
    other.recovery.forEach((k, v) -> recovery.merge(k, v, Long::sum));
    latency.merge(other.latency);
    lowLatency.merge(other.lowLatency);
    rejoin.merge(other.rejoin);
    caughtUp.merge(other.caughtUp);
  }

  void add(JsonObject json) {
    opened += json.getLong("opened", 0L);
    joined += json.getLong("joined", 0L);
    closed += json.getLong("closed", 0L);
    framesReceived += json.getLong("frames", 0L);
    itemsReceived += json.getLong("items", 0L);
    lowItemsReceived += json.getLong("lowItems", 0L);
    bytesReceived += json.getLong("bytes", 0L);
    unexpectedFrames += json.getLong("unexpectedFrames", 0L);
    mergeCounts(connectFailures, json.getJsonObject("connectFailures"));
    mergeCounts(serverCloses, json.getJsonObject("serverCloses"));
    mergeCounts(errors, json.getJsonObject("errors"));
    mergeCounts(recovery, json.getJsonObject("recovery"));
    latency.merge(json.getJsonObject("latency"));
    lowLatency.merge(json.getJsonObject("lowLatency"));
    rejoin.merge(json.getJsonObject("rejoin"));
    caughtUp.merge(json.getJsonObject("caughtUp"));
  }

  private static void mergeCounts(Map<String, Long> into, JsonObject from) {
    if (from != null) {
      from.forEach(e -> into.merge(e.getKey(), ((Number) e.getValue()).longValue(), Long::sum));
    }
  }
}
