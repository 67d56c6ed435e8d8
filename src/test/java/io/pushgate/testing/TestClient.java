package io.pushgate.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client (the JDK's) over a real socket. Messages are queued as JSON objects; reading
 * can be paused, in which case the JDK stops reading the socket and TCP backpressure reaches the server.
 */
public final class TestClient implements AutoCloseable {

  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private final WebSocket ws;
  private volatile boolean paused;
  private final StringBuilder partial = new StringBuilder();

  private TestClient(WebSocket ws) {
    this.ws = ws;
  }

  public static TestClient connect(int port) {
    return connect(port, false);
  }

  /** @param startPaused when true, nothing is read until {@link #resume()}. */
  public static TestClient connect(int port, boolean startPaused) {
    return connect(URI.create("ws://127.0.0.1:" + port + "/connect"), java.util.Map.of(), startPaused);
  }

  /**
   * A client of any URI (a token in its query) with extra handshake headers (an Origin).
   * A refused handshake throws, its cause a {@link java.net.http.WebSocketHandshakeException}: see {@link #refusal}.
   */
  public static TestClient connect(URI uri, java.util.Map<String, String> headers, boolean startPaused) {
    Listener listener = new Listener(startPaused);
    WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(TIMEOUT);
    headers.forEach(builder::header);
    builder.buildAsync(uri, listener).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    return listener.client;
  }

  /** The HTTP status that refused this handshake, or 101 when it was accepted (the client is then closed). */
  public static int handshakeStatus(URI uri, java.util.Map<String, String> headers) {
    try (TestClient accepted = connect(uri, headers, false)) {
      return 101;
    } catch (java.util.concurrent.CompletionException e) {
      return refusal(e);
    }
  }

  public static int refusal(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.http.WebSocketHandshakeException h) {
        return h.getResponse().statusCode();
      }
    }
    throw new AssertionError("not a refused handshake", e);
  }

  private static final class Listener implements WebSocket.Listener {
    private final boolean startPaused;
    private TestClient client;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    Listener(boolean startPaused) {
      this.startPaused = startPaused;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      client = new TestClient(webSocket);
      client.paused = startPaused;
      if (!startPaused) {
        webSocket.request(1);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      client.partial.append(data);
      if (last) {
        client.messages.add(new JsonObject(client.partial.toString()));
        client.partial.setLength(0);
      }
      if (!client.paused) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      client.messages.add(new JsonObject().put("unexpected", "binary"));
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      client.closeCode.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      client.closeCode.complete(1006);
    }
  }

  public TestClient send(String text) {
    ws.sendText(text, true).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    return this;
  }

  public TestClient send(JsonObject json) {
    return send(json.encode());
  }

  public WebSocket raw() {
    return ws;
  }

  public TestClient join(String room) {
    return send(ClientMessages.join(room));
  }

  /** JOIN with an id, waiting for the server's ACK: afterwards the join is known to be processed. */
  public TestClient joinAcked(String room, long id) {
    send(ClientMessages.join(room, id));
    JsonObject ack = await(m -> "ACK".equals(m.getString("type")) || "ERROR".equals(m.getString("type")));
    if (!"ACK".equals(ack.getString("type")) || ack.getLong("id") != id) {
      throw new AssertionError("expected ACK " + id + ", got " + ack);
    }
    return this;
  }

  /** The next message matching {@code p}, skipping others; fails after {@link #TIMEOUT}. */
  public JsonObject await(Predicate<JsonObject> p) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      JsonObject m;
      try {
        m = left <= 0 ? null : messages.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      if (m == null) {
        throw new AssertionError("no matching message within " + TIMEOUT);
      }
      if (p.test(m)) {
        return m;
      }
    }
  }

  public JsonObject next() {
    return await(m -> true);
  }

  /** Every item of PUSH frames for {@code room} (null: push to all) until {@code count} items came. */
  public List<Object> awaitItems(String room, int count) {
    List<Object> items = new ArrayList<>();
    while (items.size() < count) {
      JsonObject push = await(m -> "PUSH".equals(m.getString("type")) && java.util.Objects.equals(room, m.getJsonObject("data").getString("room")));
      JsonArray array = push.getJsonObject("data").getJsonArray("items");
      for (int i = 0; i < array.size(); i++) {
        items.add(array.getValue(i));
      }
    }
    return items;
  }

  /** Messages received so far and not yet consumed. */
  public List<JsonObject> drainReceived() {
    List<JsonObject> out = new ArrayList<>();
    messages.drainTo(out);
    return out;
  }

  public int awaitClose() {
    return closeCode.orTimeout(TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS).join();
  }

  public boolean isClosed() {
    return closeCode.isDone();
  }

  public void pause() {
    paused = true;
  }

  public void resume() {
    paused = false;
    ws.request(Long.MAX_VALUE);
  }

  @Override
  public void close() {
    if (!ws.isOutputClosed()) {
      ws.sendClose(1000, "bye");
    }
    ws.abort();
  }
}
