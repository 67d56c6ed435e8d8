package io.pushgate.shard;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.pushgate.metrics.Metrics;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * How long after its tick a delivery left this shard: from the merger starting the tick to the
 * last of its frames handed to the kernel. When this nears {@code tickMillis} the node is not
 * keeping up with its rooms, whatever the clients do; the difference between it and what clients
 * measure is time spent on the network or in the clients.
 *
 * <p>Fixed buckets in plain fields written by the shard's event loop alone, so /stats can add the
 * shards up and a benchmark can subtract two readings to get one window's distribution.
 */
final class FanoutLag {

  /** Upper bounds of the buckets, in milliseconds; one more bucket counts everything above. */
  static final long[] BOUNDS_MILLIS = {1, 2, 5, 10, 20, 50, 100, 150, 200, 300, 500, 1_000, 2_000, 5_000};

  private final long[] counts = new long[BOUNDS_MILLIS.length + 1];
  private final long tickNanos;
  private long sumMicros;
  private long overTick;
  private Timer timer;

  FanoutLag(long tickMillis) {
    this.tickNanos = tickMillis * 1_000_000;
  }

  void bind(MeterRegistry registry, Tags tags) {
    timer = Timer.builder("pushgate_fanout")
      .description("time from the merger's tick to this shard having written the tick's frames to every socket")
      .tags(tags).publishPercentileHistogram().register(registry);
    Metrics.counter(registry, "pushgate_fanout_over_tick",
      "ticks this shard took longer to write than tickMillis: the node is short of CPU for its audience", tags, this, f -> f.overTick);
  }

  /** Records one delivery; true when it took longer than the tick, the sign of a node falling behind. */
  boolean record(long nanos) {
    int i = 0;
    while (i < BOUNDS_MILLIS.length && nanos > BOUNDS_MILLIS[i] * 1_000_000) {
      i++;
    }
    counts[i]++;
    sumMicros += nanos / 1_000;
    if (timer != null) {
      timer.record(nanos, TimeUnit.NANOSECONDS);
    }
    if (nanos > tickNanos) {
      overTick++;
      return true;
    }
    return false;
  }

  /**
   * Count, sum and the cumulative count at or under each bound ("le", as Prometheus has it), keyed
   * by the bound in milliseconds; "+Inf" equals the count.
   */
  JsonObject toJson() {
    JsonObject le = new JsonObject();
    long cumulative = 0;
    for (int i = 0; i < BOUNDS_MILLIS.length; i++) {
      cumulative += counts[i];
      le.put(String.valueOf(BOUNDS_MILLIS[i]), cumulative);
    }
    cumulative += counts[BOUNDS_MILLIS.length];
    le.put("+Inf", cumulative);
    return new JsonObject().put("count", cumulative).put("sumMicros", sumMicros).put("overTick", overTick).put("le", le);
  }
}
