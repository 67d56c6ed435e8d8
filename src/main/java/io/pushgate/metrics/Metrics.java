package io.pushgate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.EnumSet;
import java.util.Set;


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
      // Vert.x's default labels but the method, which it takes from the request line as sent: any
      // token goes, and the request is counted before the router and the API-key check, so each new
      // name would add series for ever. The method comes back through the tags provider, bounded.
      .setLabels(labelsBut(Label.HTTP_METHOD))
      .setServerRequestTagsProvider(request -> Tags.of(Label.HTTP_METHOD.toString(), boundedMethod(request.method())))
      .addLabels(Label.LOCAL)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    return io.vertx.core.Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory() {
      @Override
      public VertxMetrics metrics(VertxOptions vertxOptions) {
        return new HttpMetricsExceptPort(super.metrics(vertxOptions), publicPort);
      }
    });
  }

  private static Set<Label> labelsBut(Label dropped) {
    Set<Label> labels = EnumSet.noneOf(Label.class);
    labels.addAll(MicrometerMetricsOptions.DEFAULT_LABELS);
    labels.remove(dropped);
    return labels;
  }

  /** The method's name when it is one of HTTP's own, else "other". */
  static String boundedMethod(HttpMethod method) {
    return STANDARD_METHODS.contains(method) ? method.name() : "other";
  }

  private static final Set<HttpMethod> STANDARD_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PUT,
    HttpMethod.DELETE, HttpMethod.PATCH, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.CONNECT);

  /** The registry, or null when this Vert.x runs without metrics (most tests). */
  public static MeterRegistry registry() {
    return BackendRegistries.getNow(REGISTRY);
  }
}
