package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * Lines between the coordinator and its child processes: {@code WORD} or {@code WORD {json}}, one
 * per line. Commands go to the child's stdin, replies and progress come back on its stdout, which
 * therefore carries nothing else (logs go to stderr).
 */
final class WorkerProtocol {

  static final String CONNECT = "CONNECT";
  /** {@code MEASURE micros}: latency counts items stamped from then on; no reply. */
  static final String MEASURE = "MEASURE";
  static final String DROP = "DROP";
  static final String RECONNECT = "RECONNECT";
  static final String FINISH = "FINISH";

  static final String HELLO = "HELLO";
  static final String PROGRESS = "PROGRESS";
  static final String READY = "READY";
  static final String DROPPED = "DROPPED";
  static final String REJOINED = "REJOINED";
  static final String FINAL = "FINAL";
  /** A child that fell far behind first works through what its sockets still hold. */
  static final long FINAL_TIMEOUT_MILLIS = 180_000;

  /** Fields that combine as a maximum over lanes and children, not as a sum. */
  private static final Set<String> MAXIMA = Set.of("millis", "endNanos");
  private static final Set<String> TALLY_FIELDS = Set.of("opened", "joined", "closed", "frames", "items", "bytes",
    "failed", "unexpectedFrames", "connectFailures", "serverCloses", "errors", "latency", "rejoin", "recovery", "caughtUp",
    "lowItems", "lowLatency");

  private WorkerProtocol() {
  }

  static void send(String word, JsonObject body) {
    String line = word + " " + body.encode();
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  /** Adds up the Tally-shaped parts; other numbers are summed too, except the maxima. */
  static JsonObject sum(List<JsonObject> parts) {
    Tally tally = new Tally();
    JsonObject extra = new JsonObject();
    for (JsonObject part : parts) {
      tally.add(part);
      part.forEach(e -> {
        if (!TALLY_FIELDS.contains(e.getKey()) && e.getValue() instanceof Number n) {
          long before = extra.getLong(e.getKey(), 0L);
          extra.put(e.getKey(), MAXIMA.contains(e.getKey()) ? Math.max(before, n.longValue()) : before + n.longValue());
        }
      });
    }
    return tally.toJson().mergeIn(extra);
  }
}
