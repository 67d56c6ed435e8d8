package io.pushgate.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * A viewer of one stream as pushgate.js behaves: when its connection closes it connects again
 * (to the node {@code nextPort} names, retrying while nothing answers) and rejoins with the
 * position of the last item it processed. It keeps every item it received, across connections,
 * and every rejoin's ACK. Bounded: it gives up after {@code maxAttempts} failed connects in a row.
 */
public final class Viewer {

  private static final long RETRY_MILLIS = 200;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final String room;
  private final IntSupplier nextPort;
  private final int maxAttempts;
  private final List<StreamReader.Received> received = new ArrayList<>();
  private final List<JsonObject> rejoins = new ArrayList<>();
  private final List<Integer> closes = new ArrayList<>();
  private StreamReader current;
  private JsonObject firstAck;
  private long nextId = 1;
  private volatile boolean stopped;
  private volatile String failure;

  public Viewer(Vertx vertx, WebSocketClient client, String room, IntSupplier nextPort, int maxAttempts) {
    this.vertx = vertx;
    this.client = client;
    this.room = room;
    this.nextPort = nextPort;
    this.maxAttempts = maxAttempts;
  }

  /** Connects and joins without since; later connections rejoin with since. */
  public void start() {
    vertx.runOnContext(v -> connect(0));
  }

  private void connect(int attempt) {
    if (stopped) {
      return;
    }
    StreamReader.connect(client, nextPort.getAsInt(), room).onComplete(ar -> {
      if (ar.failed()) {
        if (attempt + 1 >= maxAttempts) {
          failure = "gave up connecting after " + maxAttempts + " attempts: " + ar.cause();
          return;
        }
        vertx.setTimer(RETRY_MILLIS, id -> connect(attempt + 1));
        return;
      }
      StreamReader r = ar.result();
      synchronized (this) {
        current = r;
        long id = nextId++;
        StreamReader.Received last = received.isEmpty() ? null : received.get(received.size() - 1);
        String epoch = last != null ? last.epoch() : firstAck != null ? firstAck.getString("epoch") : null;
        Long since = last != null ? Long.valueOf(last.offset()) : firstAck != null ? firstAck.getLong("offset") : null;
        r.onAck(ack -> onAck(since == null, ack));
        r.onClose(code -> onClose(r, code));
        r.join(id, since, epoch);
      }
    });
  }

  private synchronized void onAck(boolean first, JsonObject ack) {
    if (first) {
      firstAck = ack;
    } else {
      rejoins.add(ack);
    }
  }

  private void onClose(StreamReader r, int code) {
    synchronized (this) {
      received.addAll(r.received());
      closes.add(code);
      current = null;
    }
    vertx.setTimer(RETRY_MILLIS, id -> connect(0));
  }

  /** Everything received so far, the open connection's included. */
  public synchronized List<StreamReader.Received> received() {
    List<StreamReader.Received> all = new ArrayList<>(received);
    if (current != null) {
      all.addAll(current.received());
    }
    return all;
  }

  public synchronized long lastOffset() {
    List<StreamReader.Received> all = received();
    return all.isEmpty() ? (firstAck == null ? -1 : firstAck.getLong("offset")) : all.get(all.size() - 1).offset();
  }

  /** The ACK of the first JOIN: the position after which this viewer gets every item. */
  public synchronized JsonObject firstAck() {
    return firstAck;
  }

  public synchronized List<JsonObject> rejoins() {
    return List.copyOf(rejoins);
  }

  public synchronized List<Integer> closes() {
    return List.copyOf(closes);
  }

  public String failure() {
    return failure;
  }

  public void stop() {
    stopped = true;
    StreamReader r;
    synchronized (this) {
      r = current;
    }
    if (r != null) {
      r.close();
    }
  }
}
