package io.pushgate.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics through Vert.x's Micrometer integration: Vert.x's own (event bus, HTTP, JVM)
 * plus pushgate's. Our counters stay plain fields owned by one event loop each; meters only read
 * them at scrape time, so counting costs the delivery path nothing.
 */
public final class Metrics {

  /** One registry per process: a node is one JVM in production. */
  public static final String REGISTRY = "pushgate";

  private Metrics() {
  }

  /** A Vert.x builder whose instance records metrics into {@link #REGISTRY}. */
  public static VertxBuilder enable(VertxOptions options) {
    options.setMetricsOptions(new MicrometerMetricsOptions()
      .setEnabled(true)
      .setRegistryName(REGISTRY)
      .setJvmMetricsEnabled(true)
      // The shards take each WebSocket over from Vert.x after its handshake (see shard.Connection), so
      // Vert.x's HTTP server metrics would count those connections as open for ever; pushgate_connections
      // and the pushgate_push*/api counters say what they said, correctly.
      .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    return io.vertx.core.Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory());
  }

  /** The registry, or null when this Vert.x runs without metrics (most tests). */
  public static MeterRegistry registry() {
    return BackendRegistries.getNow(REGISTRY);
  }

  /** A monotonic counter read from its owner's field at scrape time. */
  public static <T> void counter(MeterRegistry registry, String name, String help, Tags tags, T owner, ToDoubleFunction<T> read) {
    FunctionCounter.builder(name, owner, read).description(help).tags(tags).register(registry);
  }
}
