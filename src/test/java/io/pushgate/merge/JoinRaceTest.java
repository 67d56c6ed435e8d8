package io.pushgate.merge;

import io.pushgate.protocol.Position;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.StreamReader;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JOIN race of PROTOCOL.md: while pushers run flat out, 500 JOINs with {@code since} each get
 * {@code since+1 ...} exactly once and in order, the replay then the live frames with nothing lost
 * or repeated where they meet, and every item equal to what a client that never left received.
 */
class JoinRaceTest {

  private static final String ROOM = "race";
  private static final int JOINS = 500;
  private static final int PUSHERS = 4;
  private static final int MAX_PUSHES = 50_000;
  private static final Duration MAX_PUSHING = Duration.ofSeconds(40);

  private final Vertx vertx = Vertx.vertx();
  private TestNode node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void fiveHundredJoinsWithSinceWhilePushingGetEveryItemAfterTheirPositionOnce() throws Exception {
    // History deep enough that a JOIN is never TOO_FAR while pushes race ahead of it.
    node = TestNode.start(new JsonObject().put("historySize", 5_000).put("maxRecoveryItems", 5_000));
    WebSocketClient ws = StreamReader.client(vertx);
    StreamReader reference = StreamReader.connect(ws, node.publicPort(), ROOM).await(10, TimeUnit.SECONDS);
    reference.join(1, null, null);
    JsonObject start = Eventually.value("the reference's ACK", () -> reference.ack(1), a -> a != null);
    assertEquals(Position.NONE, new Position(start.getLong("offset"), start.getString("epoch")), "a new stream: " + start);

    List<StreamReader> joiners = new ArrayList<>();
    for (int i = 0; i < JOINS; i++) {
      joiners.add(StreamReader.connect(ws, node.publicPort(), ROOM).await(10, TimeUnit.SECONDS));
    }

    AtomicBoolean pushing = new AtomicBoolean(true);
    AtomicLong pushes = new AtomicLong();
    AtomicLong top = new AtomicLong();
    List<String> pushFailures = new ArrayList<>();
    HttpClient http = vertx.createHttpClient();
    long deadline = System.nanoTime() + MAX_PUSHING.toNanos();
    for (int p = 0; p < PUSHERS; p++) {
      pushLoop(http, p, pushing, pushes, top, pushFailures, deadline);
    }

    // JOINs spread over the pushing, each from a position the reference has passed.
    String epoch = Eventually.value("the stream's first item", () -> reference.received().isEmpty() ? null : reference.received().get(0).epoch(), e -> e != null);
    Random random = new Random(7);
    Map<StreamReader, Long> since = new HashMap<>();
    for (int i = 0; i < JOINS; i++) {
      long have = Eventually.value("the reference moving on", reference::lastOffset, o -> o >= 10);
      long from = Math.max(0, have - random.nextInt(100));
      StreamReader j = joiners.get(i);
      since.put(j, from);
      j.join(2, from, epoch);
      if (i % 10 == 9) {
        long seen = reference.lastOffset();
        Eventually.await("the stream moving on between JOINs", () -> reference.lastOffset() >= seen + 10);
      }
    }
    for (StreamReader j : joiners) {
      JsonObject ack = Eventually.value("every JOIN answered", () -> j.ack(2), a -> a != null);
      assertEquals(true, ack.getBoolean("recovered"), ack.encode());
      assertEquals(epoch, ack.getString("epoch"));
      assertTrue(ack.getLong("offset") >= since.get(j), ack.encode());
    }
    pushing.set(false);
    Eventually.await("pushers stopped", () -> pushes.get() > 0 && inFlight.get() == 0, Duration.ofSeconds(30));
    assertEquals(List.of(), pushFailures);

    long last = top.get();
    assertTrue(last > JOINS, "pushed only " + last + " items: the JOINs did not race the pushes");
    Eventually.await("the reference has all " + last, () -> reference.lastOffset() == last, Duration.ofSeconds(30));
    List<StreamReader.Received> all = reference.received();
    assertEquals(last, all.size());
    for (int i = 0; i < all.size(); i++) {
      assertEquals(i + 1, all.get(i).offset(), "the reference's offsets are 1.." + last);
    }
    for (StreamReader j : joiners) {
      Eventually.await("every joiner has all " + last, () -> j.lastOffset() >= last, Duration.ofSeconds(30));
      long from = since.get(j);
      assertSameStream(all.subList((int) from, (int) last), j.received(), "a joiner since " + from);
      assertEquals(List.of(), j.unexpected());
    }
  }

  /** Equal lists, or a failure that names the first difference (not thousands of items). */
  static void assertSameStream(List<StreamReader.Received> expected, List<StreamReader.Received> actual, String who) {
    for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
      assertEquals(expected.get(i), actual.get(i), who + ": item " + i + " of " + expected.size() + " expected, " + actual.size() + " received");
    }
    assertEquals(expected.size(), actual.size(), who + ": items received");
  }

  private final AtomicLong inFlight = new AtomicLong();

  /** One pusher: a push of 1-3 items, then the next when it is answered, until told to stop, bounded in count and time. */
  private void pushLoop(HttpClient http, int pusher, AtomicBoolean pushing, AtomicLong pushes, AtomicLong top, List<String> failures, long deadline) {
    inFlight.incrementAndGet(); // before the check: once pushing is off and nothing is in flight, nothing starts
    long n = pushes.incrementAndGet();
    if (!pushing.get() || n > MAX_PUSHES || System.nanoTime() > deadline) {
      inFlight.decrementAndGet();
      return;
    }
    JsonArray items = new JsonArray();
    for (int i = 0; i <= n % 3; i++) {
      items.add(new JsonObject().put("pusher", pusher).put("push", n).put("i", i));
    }
    http.request(HttpMethod.POST, node.apiPort(), "127.0.0.1", "/push/room")
      .compose(req -> req.putHeader("content-type", "application/json")
        .send(new JsonObject().put("room", ROOM).put("items", items).encode())
        .compose(resp -> resp.body().map(body -> resp.statusCode() == 200 ? body.toJsonObject() : new JsonObject().put("failed", resp.statusCode() + " " + body))))
      .otherwise(e -> new JsonObject().put("failed", String.valueOf(e)))
      .onComplete(ar -> {
        JsonObject reply = ar.result();
        if (reply.containsKey("failed")) {
          synchronized (failures) {
            failures.add(reply.getString("failed"));
          }
        } else {
          top.accumulateAndGet(reply.getLong("offset"), Math::max);
        }
        inFlight.decrementAndGet();
        pushLoop(http, pusher, pushing, pushes, top, failures, deadline);
      });
  }

}
