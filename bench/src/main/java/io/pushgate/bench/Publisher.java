package io.pushgate.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;

/**
 * Publishes numbered, stamped items at a steady rate over one pipelined HTTP/1.1 connection: a server
 * answers the requests of one connection in order, so the order it accepts them in is the order they
 * were numbered, and a few requests in flight keep the rate when the shared cores make each answer
 * slow. A refused request is sent again unchanged (same numbers, same stamps): the sequence stays
 * gapless, the retry's delay shows up in the latency where it belongs, and the items that overtook it
 * are counted out of order.
 *
 * <p>With several rooms (--rooms) item k goes to room k % rooms as the (k / rooms)-th of that room,
 * one item a request: every room's subscribers see their own gapless sequence. A low publisher
 * (--low-rate) numbers its items on its own, pads them with {@link ItemCodec#LOW_PAD} so that the
 * subscribers count them apart, and marks its pushes {@code "priority":"low"} (unless --low-unmarked).
 */
final class Publisher {

  private static final long PUMP_MILLIS = 2;
  private static final long RETRY_MILLIS = 10;
  private static final int MAX_IN_FLIGHT = 8;

  private final Vertx vertx;
  private final BenchOptions options;
  private final ItemCodec codec;
  private final HttpClient http;
  private final boolean nchan;
  private final boolean low;
  private final int rate;
  /** Items the server said it took as best effort ({@code "bestEffort"} of the replies). */
  private long bestEffort;
  private final Map<String, Long> refusals = new TreeMap<>();
  private long startNanos;
  private long timer = -1;
  private boolean stopping;
  private int inFlight;
  private long created;
  private long accepted;
  private long requests;
  private Promise<Void> stopped;

  Publisher(Vertx vertx, BenchOptions options) {
    this(vertx, options, false);
  }

  /** @param low the --low-rate publisher: its own numbering, low-padded items, {@code "priority":"low"} */
  Publisher(Vertx vertx, BenchOptions options, boolean low) {
    this.vertx = vertx;
    this.options = options;
    this.low = low;
    this.rate = low ? options.lowRate : options.rate;
    this.codec = new ItemCodec(options.itemBytes, low ? ItemCodec.LOW_PAD : ItemCodec.NORMAL_PAD);
    this.nchan = options.target == BenchOptions.Target.NCHAN;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
        .setPipelining(true).setPipeliningLimit(MAX_IN_FLIGHT),
      new PoolOptions().setHttp1MaxSize(1));
  }

  /** Starts publishing on the Vert.x event loop. */
  void start() {
    vertx.runOnContext(v -> {
      startNanos = System.nanoTime();
      timer = vertx.setPeriodic(PUMP_MILLIS, id -> pump());
    });
  }

  /** Stops creating items; completes once everything created has been accepted (or given up on). */
  Future<Void> stop() {
    Promise<Void> p = Promise.promise();
    vertx.runOnContext(v -> {
      stopping = true;
      vertx.cancelTimer(timer);
      stopped = p;
      if (inFlight == 0) {
        p.tryComplete();
      }
    });
    return p.future();
  }

  private void pump() {
    while (inFlight < MAX_IN_FLIGHT && !stopping) {
      long due = (long) ((System.nanoTime() - startNanos) / 1e9 * rate) - created;
      int n = (int) Math.min(due, options.rooms > 1 ? 1 : options.pushBatch);
      if (n <= 0) {
        return;
      }
      inFlight++;
      String room = options.rooms > 1 ? options.room + "-" + (created % options.rooms) : options.room;
      send(options.pushUri(room, requests), body(room, n), n);
    }
  }

  private Buffer body(String room, int n) {
    long stamp = ItemCodec.nowMicros();
    long seq = created / options.rooms;
    created += n;
    if (nchan) {
      Buffer item = Buffer.buffer(codec.size());
      codec.write(item, seq, stamp);
      return item;
    }
    Buffer body = Buffer.buffer(48 + n * (codec.size() + 1));
    body.appendString("{\"room\":").appendString(Json.encode(room));
    if (low && !options.lowUnmarked) {
      body.appendString(",\"priority\":\"low\"");
    }
    body.appendString(",\"items\":[");
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        body.appendByte((byte) ',');
      }
      codec.write(body, seq + i, stamp);
    }
    return body.appendString("]}");
  }

  private void send(URI uri, Buffer body, int items) {
    requests++;
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost()).setPort(uri.getPort())
      .setURI(uri.getRawPath()).putHeader("Content-Type", "application/json");
    http.request(request)
      .compose(req -> req.send(body))
      .compose(resp -> resp.body().map(b -> {
        if (low && resp.statusCode() == 200) {
          bestEffort += new JsonObject(b).getLong("bestEffort", 0L);
        }
        return resp.statusCode();
      }))
      .onComplete(ar -> {
        int status = ar.succeeded() ? ar.result() : 0;
        if (status >= 200 && status < 300) {
          accepted += items;
          inFlight--;
          if (stopping) {
            if (inFlight == 0) {
              stopped.tryComplete();
            }
          } else {
            pump();
          }
          return;
        }
        refusals.merge(ar.succeeded() ? "http " + status : ar.cause().getClass().getSimpleName(), 1L, Long::sum);
        vertx.setTimer(RETRY_MILLIS, id -> send(uri, body, items));
      });
  }

  /** Read on the event loop, or after {@link #stop()} completed. */
  long accepted() {
    return accepted;
  }

  JsonObject toJson() {
    return new JsonObject().put("itemsAccepted", accepted).put("requests", requests).put("bestEffort", bestEffort)
      .put("refusals", new JsonObject(new TreeMap<String, Object>(refusals)));
  }
}
