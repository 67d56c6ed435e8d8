package io.pushgate.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A light WebSocket client (Vert.x's, many per test) that reads one stream as a client author
 * would: every item with its offset (PROTOCOL.md: item i of n has offset O - (n - 1 - i)), the ACKs
 * by id, and anything it did not expect. Its event loop writes, the test thread reads: every read
 * is synchronized.
 */
public final class StreamReader {

  /** One item as received: its offset, epoch and text (a string item as is, others as JSON). */
  public record Received(long offset, String epoch, String item) {
  }

  private final WebSocket ws;
  private final String room;
  private final List<Received> received = new ArrayList<>();
  private final Map<Long, JsonObject> acks = new ConcurrentHashMap<>();
  private final List<JsonObject> unexpected = new ArrayList<>();
  private volatile Integer closeCode;
  private volatile java.util.function.Consumer<JsonObject> onAck = a -> { };

  private StreamReader(WebSocket ws, String room) {
    this.ws = ws;
    this.room = room;
    ws.textMessageHandler(this::onText);
    ws.closeHandler(v -> closeCode = ws.closeStatusCode() == null ? -1 : (int) ws.closeStatusCode());
  }

  public static WebSocketClient client(Vertx vertx) {
    return vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(20_000).setMaxMessageSize(16 << 20).setMaxFrameSize(16 << 20)
      .setConnectTimeout((int) TestClient.TIMEOUT.toMillis()));
  }

  /** Connects to {@code /connect} of the public port, to read {@code room}. */
  public static Future<StreamReader> connect(WebSocketClient client, int port, String room) {
    return client.connect(port, "127.0.0.1", "/connect").map(ws -> new StreamReader(ws, room));
  }

  private synchronized void onText(String text) {
    JsonObject m = new JsonObject(text);
    String type = m.getString("type");
    JsonObject data = m.getJsonObject("data");
    if ("ACK".equals(type) && m.getLong("id") != null) {
      acks.put(m.getLong("id"), data == null ? new JsonObject() : data);
      onAck.accept(data == null ? new JsonObject() : data);
    } else if ("PUSH".equals(type) && room.equals(data.getString("room")) && data.getLong("offset") != null) {
      JsonArray items = data.getJsonArray("items");
      long last = data.getLong("offset");
      for (int i = 0; i < items.size(); i++) {
        received.add(new Received(last - (items.size() - 1 - i), data.getString("epoch"), String.valueOf(items.getValue(i))));
      }
    } else if (!"PING".equals(type) && !"ONLINE".equals(type)) {
      unexpected.add(m);
    }
  }

  /** JOIN of the reader's room, with an id; {@code since} null for none. */
  public void join(long id, Long sinceOffset, String sinceEpoch) {
    JsonObject data = new JsonObject().put("room", room);
    if (sinceOffset != null) {
      data.put("since", new JsonObject().put("offset", sinceOffset).put("epoch", sinceEpoch));
    }
    ws.writeTextMessage(new JsonObject().put("type", "JOIN").put("id", id).put("data", data).encode());
  }

  /** Told of every ACK with an id, on the reader's event loop. */
  public void onAck(java.util.function.Consumer<JsonObject> handler) {
    onAck = handler;
  }

  /** Told once the connection is closed, with the close code (-1 for none, e.g. a dead node). */
  public void onClose(java.util.function.IntConsumer handler) {
    ws.closeHandler(v -> {
      closeCode = ws.closeStatusCode() == null ? -1 : (int) ws.closeStatusCode();
      handler.accept(closeCode);
    });
  }

  public JsonObject ack(long id) {
    return acks.get(id);
  }

  public synchronized List<Received> received() {
    return List.copyOf(received);
  }

  /** Offset of the last item received, or -1 before any. */
  public synchronized long lastOffset() {
    return received.isEmpty() ? -1 : received.get(received.size() - 1).offset();
  }

  public synchronized List<JsonObject> unexpected() {
    return List.copyOf(unexpected);
  }

  public Integer closeCode() {
    return closeCode;
  }

  public Future<Void> close() {
    return ws.close();
  }
}
