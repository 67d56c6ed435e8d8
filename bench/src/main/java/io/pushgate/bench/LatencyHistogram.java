package io.pushgate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Microsecond latencies: 10 µs buckets below 100 ms, 1 ms buckets up to 60 s (longer counts as 60 s).
 * A fixed array, so that recording ten million values a second allocates nothing; percentiles are
 * therefore rounded up to their bucket's upper edge, and the maximum is kept exactly.
 */
final class LatencyHistogram {

  private static final int FINE_LIMIT_US = 100_000;
  private static final int FINE_STEP_US = 10;
  private static final int COARSE_STEP_US = 1_000;
  private static final int FINE = FINE_LIMIT_US / FINE_STEP_US;
  private static final int COARSE = (60_000_000 - FINE_LIMIT_US) / COARSE_STEP_US;

  private final long[] counts = new long[FINE + COARSE];
  private long total;
  private long maxMicros;

  void record(long micros) {
    if (micros < 0) {
      micros = 0;
    }
    int i = micros < FINE_LIMIT_US
      ? (int) (micros / FINE_STEP_US)
      : FINE + (int) Math.min(COARSE - 1, (micros - FINE_LIMIT_US) / COARSE_STEP_US);
    counts[i]++;
    total++;
    if (micros > maxMicros) {
      maxMicros = micros;
    }
  }

  void reset() {
    java.util.Arrays.fill(counts, 0);
    total = 0;
    maxMicros = 0;
  }

  long total() {
    return total;
  }

  private static long upperEdge(int i) {
    return i < FINE ? (long) (i + 1) * FINE_STEP_US : FINE_LIMIT_US + (long) (i - FINE + 1) * COARSE_STEP_US;
  }

  /** @param q quantile in (0, 1]; 0 when nothing was recorded */
  long quantileMicros(double q) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.min(upperEdge(i), maxMicros);
      }
    }
    return maxMicros;
  }

  /** How many recorded values are at most {@code micros}, to bucket precision. */
  long countAtMost(long micros) {
    long n = 0;
    for (int i = 0; i < counts.length && upperEdge(i) <= micros; i++) {
      n += counts[i];
    }
    return n;
  }

  /** Sparse, for the line a child sends its coordinator: {"max":…, "b":[[index,count],…]}. */
  JsonObject toJson() {
    JsonArray buckets = new JsonArray();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] != 0) {
        buckets.add(new JsonArray().add(i).add(counts[i]));
      }
    }
    return new JsonObject().put("max", maxMicros).put("b", buckets);
  }

  void merge(JsonObject json) {
    if (json == null) {
      return;
    }
    for (Object o : json.getJsonArray("b", new JsonArray())) {
      JsonArray pair = (JsonArray) o;
      counts[pair.getInteger(0)] += pair.getLong(1);
      total += pair.getLong(1);
    }
    maxMicros = Math.max(maxMicros, json.getLong("max", 0L));
  }

  void merge(LatencyHistogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    maxMicros = Math.max(maxMicros, other.maxMicros);
  }

  /** {"count":…, "p50":…, "p99":…, "max":…} in milliseconds. */
  JsonObject summaryMillis() {
    return new JsonObject()
      .put("count", total)
      .put("p50", quantileMicros(0.50) / 1000.0)
      .put("p99", quantileMicros(0.99) / 1000.0)
      .put("p999", quantileMicros(0.999) / 1000.0)
      .put("max", maxMicros / 1000.0);
  }
}
