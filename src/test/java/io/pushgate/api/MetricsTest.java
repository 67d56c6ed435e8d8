package io.pushgate.api;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pushgate.metrics.Metrics;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET /metrics in Prometheus format, with pushgate's meters, Vert.x's event bus and the JVM. */
class MetricsTest {

  private static double sample(String metrics, String nameAndLabels) {
    Matcher m = Pattern.compile("^" + Pattern.quote(nameAndLabels) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(metrics);
    if (!m.find()) {
      throw new AssertionError("no sample " + nameAndLabels + " in\n" + metrics);
    }
    return Double.parseDouble(m.group(1));
  }

  @Test
  void countersFollowWhatHappened() throws java.io.IOException {
    int publicPort = TestNode.freePort();
    try (TestNode node = TestNode.start(Metrics.enable(new VertxOptions().setPreferNativeTransport(true), publicPort).build(),
           new JsonObject().put("shards", 1).put("publicPort", publicPort));
         TestClient c = node.client().joinAcked("r", 1)) {
      node.pushJson("/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add(1).add(2).add(3)));
      c.awaitItems("r", 3);
      node.post("/push/room", "text/plain", "x");
      c.raw().sendBinary(java.nio.ByteBuffer.wrap(new byte[] {1}), true).join();
      assertEquals(1003, c.awaitClose());
      String metrics = Eventually.value("closed connection counted", () -> node.get(node.apiPort(), "/metrics").body(),
        m -> m.contains("pushgate_closes_total{code=\"1003\",reason=\"unsupported_data\",shard=\"0\"} 1.0"));
      assertEquals(3.0, sample(metrics, "pushgate_items_pushed_total"));
      assertEquals(1.0, sample(metrics, "pushgate_pushes_accepted_total"));
      assertEquals(1.0, sample(metrics, "pushgate_joins_total{shard=\"0\"}"));
      assertEquals(1.0, sample(metrics, "pushgate_frames_written_total{shard=\"0\"}"));
      assertEquals(1.0, sample(metrics, "pushgate_api_refusals_total{code=\"UNSUPPORTED_MEDIA_TYPE\",status=\"415\"}"));
      assertEquals(1.0, sample(metrics, "pushgate_batch_items_count"));
      assertEquals(3.0, sample(metrics, "pushgate_batch_items_sum"));
      assertTrue(metrics.contains("pushgate_connections{shard=\"0\"}"), "connections gauge");
      assertTrue(metrics.contains("pushgate_tick_seconds_count"), "tick timer");
      assertEquals(1.0, sample(metrics, "pushgate_fanout_seconds_count{shard=\"0\"}"), "one tick delivered by shard 0");
      assertTrue(metrics.contains("vertx_eventbus_"), "Vert.x event-bus metrics");
      assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics");
      // Vert.x's HTTP metrics cover the API port only: the public port's WebSockets are taken over
      // by the shards, and Vert.x would count them open for ever.
      assertEquals(1.0, sample(metrics, "vertx_http_server_requests_total{code=\"415\",local=\"127.0.0.1:" + node.apiPort() + "\",method=\"POST\"}"));
      assertFalse(metrics.contains("local=\"127.0.0.1:" + publicPort + "\""), "no Vert.x meter for the public port");

      // Every metric the Grafana dashboard in k8s/ queries must exist, or its panel stays empty.
      // GC pauses appear once a collection has happened.
      metrics = Eventually.value("a GC pause recorded", () -> {
        System.gc();
        return node.get(node.apiPort(), "/metrics").body();
      }, m -> m.contains("jvm_gc_pause_seconds_sum"));
      String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("k8s", "grafana-dashboard.json"));
      Matcher used = Pattern.compile("\\b((?:pushgate|vertx|jvm)_[a-z_]+)\\{").matcher(dashboard);
      int checked = 0;
      while (used.find()) {
        String name = used.group(1);
        assertTrue(Pattern.compile("^" + name + "[{ ]", Pattern.MULTILINE).matcher(metrics).find(), "dashboard queries " + name + ", not in /metrics");
        checked++;
      }
      assertTrue(checked >= 18, "dashboard queries found: " + checked);
    }
  }

  /**
   * A scrape is built off the push API's event loop: with a meter that takes as long as the test
   * wants, a push is answered while the scrape is still being built, and the scrape completes after.
   */
  @Test
  void pushesAreAnsweredWhileAScrapeIsBuilt() throws Exception {
    int publicPort = TestNode.freePort();
    try (TestNode node = TestNode.start(Metrics.enable(new VertxOptions().setPreferNativeTransport(true), publicPort).build(),
           new JsonObject().put("shards", 1).put("publicPort", publicPort))) {
      CountDownLatch scraping = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      MeterRegistry registry = Metrics.registry();
      Gauge slow = Gauge.builder("test_slow_read", () -> {
        scraping.countDown();
        try {
          return release.await(20, TimeUnit.SECONDS) ? 1 : -1;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return -1;
        }
      }).register(registry);
      try {
        CompletableFuture<HttpResponse<String>> scrape = CompletableFuture.supplyAsync(() -> node.get(node.apiPort(), "/metrics"));
        assertTrue(scraping.await(10, TimeUnit.SECONDS), "the scrape reached the slow meter");
        HttpResponse<String> push = CompletableFuture.supplyAsync(() -> node.pushJson("/push/room",
          new JsonObject().put("room", "r").put("items", new JsonArray().add("during the scrape")))).get(5, TimeUnit.SECONDS);
        assertEquals(200, push.statusCode());
        assertFalse(scrape.isDone(), "the scrape is still held");
        release.countDown();
        assertEquals(1.0, sample(scrape.get(30, TimeUnit.SECONDS).body(), "test_slow_read"));
      } finally {
        release.countDown();
        registry.remove(slow);
      }
    }
  }

  /**
   * Vert.x takes any method token and counts the request before the router and the API-key check:
   * each new name would add series for ever, so the method label has a fixed set of values.
   */
  @Test
  void oddMethodsAddNoSeries() {
    int publicPort = TestNode.freePort();
    try (TestNode node = TestNode.start(Metrics.enable(new VertxOptions().setPreferNativeTransport(true), publicPort).build(),
           new JsonObject().put("shards", 1).put("publicPort", publicPort))) {
      for (String method : new String[] {"FOO1", "BAR2", "get", "PROPFIND"}) {
        String answer = io.pushgate.testing.Http.raw(node.apiPort(), method + " /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 4"), answer);
      }
      assertEquals(200, node.post("/push/room", "application/json", "{\"room\":\"r\",\"items\":[1]}").statusCode());
      String metrics = Eventually.value("the odd requests counted", () -> node.get(node.apiPort(), "/metrics").body(),
        m -> m.contains("method=\"other\""));
      for (String method : new String[] {"FOO1", "BAR2", "get", "PROPFIND"}) {
        assertFalse(metrics.contains("\"" + method + "\""), "a series names " + method + ":\n" + metrics);
      }
      Matcher other = Pattern.compile("^vertx_http_server_requests_total\\{[^}]*method=\"other\"[^}]*} ([0-9.]+)$", Pattern.MULTILINE).matcher(metrics);
      double counted = 0;
      while (other.find()) {
        counted += Double.parseDouble(other.group(1));
      }
      assertEquals(4.0, counted, metrics);
      assertTrue(metrics.contains("method=\"POST\""), "the standard methods keep their name");
    }
  }
}
