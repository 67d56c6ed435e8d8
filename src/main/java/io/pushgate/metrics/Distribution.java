package io.pushgate.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A Micrometer timer or summary that also gives /stats its numbers: count, sum and cumulative counts
 * at fixed bounds ("le", as in Prometheus), which add across shards and subtract between two
 * readings. Without a metrics registry (tests, embedding) the meter lives in a private one, so the
 * same one meter always records. Its histogram never rolls over: counts are since start.
 */
public final class Distribution {

  /** Effectively never: the /stats buckets are counts since start, like Prometheus's. */
  private static final Duration NEVER = Duration.ofDays(1_825);

  private final long[] bounds;
  private final double unitsPerBound;
  private final String sumKey;
  private final Supplier<HistogramSnapshot> snapshot;
  private final Timer timer;
  private final DistributionSummary summary;

  private Distribution(long[] bounds, double unitsPerBound, String sumKey, Timer timer, DistributionSummary summary) {
    this.bounds = bounds;
    this.unitsPerBound = unitsPerBound;
    this.sumKey = sumKey;
    this.timer = timer;
    this.summary = summary;
    this.snapshot = timer != null ? timer::takeSnapshot : summary::takeSnapshot;
  }

  /**
   * A timer whose /stats buckets are {@code boundsMillis}, its sum in microseconds; in Prometheus
   * also the percentile histogram, so dashboards can draw quantiles.
   */
  public static Distribution timer(Stats stats, String path, String meter, String help, long[] boundsMillis) {
    MeterRegistry registry = stats.registry() != null ? stats.registry() : new SimpleMeterRegistry();
    Duration[] slos = new Duration[boundsMillis.length];
    for (int i = 0; i < boundsMillis.length; i++) {
      slos[i] = Duration.ofMillis(boundsMillis[i]);
    }
    Timer timer = Timer.builder(meter).description(help).tags(stats.tags())
      .publishPercentileHistogram().serviceLevelObjectives(slos)
      .distributionStatisticExpiry(NEVER).distributionStatisticBufferLength(1)
      .register(registry);
    Distribution d = new Distribution(boundsMillis, 1e6, "sumMicros", timer, null);
    stats.distribution(path, meter, help, Stats.Kind.TIMER, d::toJson);
    return d;
  }

  /** A summary of plain numbers (items per frame) with buckets at {@code bounds}. */
  public static Distribution summary(Stats stats, String path, String meter, String help, long[] bounds) {
    MeterRegistry registry = stats.registry() != null ? stats.registry() : new SimpleMeterRegistry();
    double[] slos = new double[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      slos[i] = bounds[i];
    }
    DistributionSummary summary = DistributionSummary.builder(meter).description(help).tags(stats.tags())
      .publishPercentileHistogram().serviceLevelObjectives(slos).maximumExpectedValue((double) bounds[bounds.length - 1])
      .distributionStatisticExpiry(NEVER).distributionStatisticBufferLength(1)
      .register(registry);
    Distribution d = new Distribution(bounds, 1, "sum", null, summary);
    stats.distribution(path, meter, help, Stats.Kind.SUMMARY, d::toJson);
    return d;
  }

  public void recordNanos(long nanos) {
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void record(double value) {
    summary.record(value);
  }

  /** Count, sum, and the cumulative count at or under each bound; "+Inf" equals the count. */
  public JsonObject toJson() {
    HistogramSnapshot s = snapshot.get();
    JsonObject le = new JsonObject();
    CountAtBucket[] buckets = s.histogramCounts();
    for (long bound : bounds) {
      double at = timer != null ? bound * unitsPerBound : bound;
      long count = 0;
      for (CountAtBucket b : buckets) {
        double edge = timer != null ? b.bucket(TimeUnit.NANOSECONDS) : b.bucket();
        if (Math.abs(edge - at) < 0.5) {
          count = (long) b.count();
          break;
        }
      }
      le.put(String.valueOf(bound), count);
    }
    le.put("+Inf", s.count());
    double sum = timer != null ? s.total(TimeUnit.MICROSECONDS) : s.total();
    return new JsonObject().put("count", s.count()).put(sumKey, Math.round(sum)).put("le", le);
  }
}
