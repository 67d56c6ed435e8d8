package io.pushgate.example;

import io.pushgate.cluster.ClusterSetup;
import io.pushgate.bus.Addresses;
import io.pushgate.history.HistoryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM service that pushes through the clustered event bus, not HTTP: it joins the
 * pushgate cluster as a Vert.x member (no WebSockets, no shards) and sends requests to
 * {@code pushgate.push}. Any node answers; the node that takes the push spreads it to all. It joins as
 * a lite member ({@link ClusterSetup#asPusher}), holding none of the cluster's data.
 *
 * <pre>java -cp target/pushgate.jar io.pushgate.example.PushingService ROOM '[{"msg":"hi"}]'</pre>
 */
public final class PushingService {

  private PushingService() {
  }

  /** One push; the future fails with a ReplyException whose failure code is the HTTP status of the refusal. */
  public static Future<JsonObject> push(Vertx vertx, String room, JsonArray items) {
    JsonObject body = new JsonObject().put("items", items);
    if (room != null) {
      body.put("room", room);
    }
    return vertx.eventBus().<JsonObject>request(Addresses.PUSH, body).map(Message::body);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: PushingService ROOM|- ITEMS_JSON_ARRAY   (- pushes to all; cluster file from -D"
        + ClusterSetup.CONFIG_PROPERTY + ", default " + ClusterSetup.DEFAULT_CONFIG + ")");
      System.exit(2);
    }
    Path config = ClusterSetup.configPath();
    Vertx vertx = Vertx.builder().withClusterManager(ClusterSetup.asPusher(ClusterSetup.clusterManager(config, HistoryOptions.DEFAULTS))).buildClustered()
      .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    try {
      JsonObject reply = push(vertx, "-".equals(args[0]) ? null : args[0], new JsonArray(args[1]))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      System.out.println(reply.encode());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
