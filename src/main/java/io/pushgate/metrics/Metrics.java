package io.pushgate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;


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

  /**
   * A Vert.x builder whose instance records metrics into {@link #REGISTRY}, except Vert.x's own HTTP
   * and TCP server metrics for {@code publicPort} (see {@link HttpMetricsExceptPort}).
   */
  public static VertxBuilder enable(VertxOptions options, int publicPort) {
    options.setMetricsOptions(new MicrometerMetricsOptions()
      .setEnabled(true)
      .setRegistryName(REGISTRY)
      .setJvmMetricsEnabled(true)
      // Server meters carry the address they listen on, so the API port's requests are told apart
      // from the event bus's cluster port (two or three values: no cardinality risk).
      .addLabels(Label.LOCAL)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    return io.vertx.core.Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory() {
      @Override
      public VertxMetrics metrics(VertxOptions vertxOptions) {
        return new HttpMetricsExceptPort(super.metrics(vertxOptions), publicPort);
      }
    });
  }

  /** The registry, or null when this Vert.x runs without metrics (most tests). */
  public static MeterRegistry registry() {
    return BackendRegistries.getNow(REGISTRY);
  }
}
