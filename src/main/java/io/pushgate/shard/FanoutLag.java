package io.pushgate.shard;

import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Distribution;
import io.pushgate.metrics.Stats;
import io.vertx.core.json.JsonObject;

/**
 * How long after its tick a delivery left this shard: from the merger starting the tick to the
 * last of its frames handed to the kernel. When this nears {@code tickMillis} the node is not
 * keeping up with its rooms, whatever the clients do; the difference between it and what clients
 * measure is time spent on the network or in the clients. One Micrometer timer holds it, for
 * /metrics and for /stats alike ("fanout": count, sumMicros, overTick, le), so /stats can add the
 * shards up and a benchmark can subtract two readings to get one window's distribution.
 */
final class FanoutLag {

  /** Upper bounds of the /stats buckets, in milliseconds; "+Inf" counts everything. */
  static final long[] BOUNDS_MILLIS = {1, 2, 5, 10, 20, 50, 100, 150, 200, 300, 500, 1_000, 2_000, 5_000};

  private final long tickNanos;
  private final Distribution lag;
  private final Counter overTick;

  FanoutLag(long tickMillis) {
    this(Stats.of(Tags.empty(), null), tickMillis);
  }

  FanoutLag(Stats stats, long tickMillis) {
    this.tickNanos = tickMillis * 1_000_000;
    this.lag = Distribution.timer(stats, "fanout", "pushgate_fanout",
      "time from the merger's tick to this shard having written the tick's frames to every socket", BOUNDS_MILLIS);
    this.overTick = stats.counter("fanout.overTick", "pushgate_fanout_over_tick",
      "ticks this shard took longer to write than tickMillis: the node is short of CPU for its audience");
  }

  /** Records one delivery; true when it took longer than the tick, the sign of a node falling behind. */
  boolean record(long nanos) {
    lag.recordNanos(nanos);
    if (nanos > tickNanos) {
      overTick.inc();
      return true;
    }
    return false;
  }

  JsonObject toJson() {
    return lag.toJson().put("overTick", overTick.get());
  }
}
