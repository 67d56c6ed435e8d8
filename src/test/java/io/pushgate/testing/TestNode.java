package io.pushgate.testing;

import io.pushgate.config.PushgateConfig;
import io.pushgate.node.NodeVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A whole pushgate node in this JVM, on free loopback ports, with its own Vert.x. */
public final class TestNode implements AutoCloseable {

  public final Vertx vertx;
  public final PushgateConfig config;
  public final NodeVerticle node;

  private TestNode(Vertx vertx, PushgateConfig config, NodeVerticle node) {
    this.vertx = vertx;
    this.config = config;
    this.node = node;
  }

  /** @param overrides configuration keys to change from the defaults, e.g. {@code {"tickMillis": 20}} */
  public static TestNode start(JsonObject overrides) {
    return start(Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true)), overrides);
  }

  /** A node in a given (for example clustered) Vert.x; closing the node closes that Vert.x. */
  public static TestNode start(Vertx vertx, JsonObject overrides) {
    JsonObject json = new JsonObject()
      .put("publicHost", "127.0.0.1").put("apiHost", "127.0.0.1")
      .put("publicPort", freePort()).put("apiPort", freePort())
      .put("shards", 2)
      .put("tickMillis", 20)
      .mergeIn(overrides);
    PushgateConfig config = PushgateConfig.defaults().with(json);
    NodeVerticle node = new NodeVerticle(config);
    await(vertx.deployVerticle(node));
    return new TestNode(vertx, config, node);
  }

  public static <T> T await(io.vertx.core.Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Ports this JVM has handed out: two calls never give the same one, free as it may still be. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A free port below the kernel's ephemeral range (32768 and up): a port the kernel hands out for
   * port 0 is one its outgoing sockets draw from too, and one of those (this JVM's clients, another
   * process's) took such a port between the check and the node's bind in a CI run.
   */
  public static int freePort() {
    return freePortRange(1);
  }

  /** The first of {@code count} consecutive free ports, so that parallel runs never share Hazelcast ports. */
  public static int freePortRange(int count) {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 500; attempt++) {
      int base = 10_000 + random.nextInt(22_000 - count);
      boolean free = true;
      for (int p = base; p < base + count && free; p++) {
        if (HANDED_OUT.contains(p)) {
          free = false;
          continue;
        }
        try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException busy) {
          free = false;
        }
      }
      if (free) {
        for (int p = base; p < base + count; p++) {
          HANDED_OUT.add(p);
        }
        return base;
      }
    }
    throw new AssertionError("no " + count + " consecutive free ports");
  }

  public int publicPort() {
    return config.publicPort();
  }

  public int apiPort() {
    return config.apiPort();
  }

  public TestClient client() {
    return TestClient.connect(publicPort());
  }

  public HttpResponse<String> post(String path, String contentType, String body) {
    return Http.send("POST", apiPort(), path, contentType, body, Map.of());
  }

  public HttpResponse<String> pushJson(String path, JsonObject body) {
    return Http.postJson(apiPort(), path, body);
  }

  public HttpResponse<String> get(int port, String path) {
    return Http.get(port, path);
  }

  public JsonObject stats() {
    return new JsonObject(get(apiPort(), "/stats").body());
  }

  @Override
  public void close() {
    await(vertx.close());
  }
}
