package io.pushgate.cluster;

import io.pushgate.protocol.Position;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.ProcessCluster;
import io.pushgate.testing.ProcessCluster.Node;
import io.pushgate.testing.StreamReader;
import io.pushgate.testing.StreamReader.Received;
import io.pushgate.testing.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streams across three real {@code java -jar target/pushgate.jar -cluster} processes: a client cut
 * off on one node continues on another with nothing lost or twice; the death of the node holding a
 * stream's history loses no acknowledged push and changes no numbering; a pusher's retry with its
 * idempotency key after killing the node it pushed to gives one copy; and when two of three die at
 * once, a stream whose every copy was lost is told EPOCH_CHANGED, never a wrong or repeated item.
 */
class StreamProcessIT {

  private final Vertx vertx = Vertx.vertx();
  private final WebSocketClient ws = StreamReader.client(vertx);
  private ProcessCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private StreamReader reader(Node n, String room) throws Exception {
    StreamReader r = StreamReader.connect(ws, n.publicPort(), room).await(10, TimeUnit.SECONDS);
    r.join(1, null, null);
    Eventually.await("the ACK of a JOIN of " + room + " on node " + n.index(), () -> r.ack(1) != null);
    return r;
  }

  private static void awaitTop(StreamReader r, long top, String who) {
    Eventually.await(who + " has every item up to " + top, () -> r.lastOffset() >= top, ProcessCluster.START);
  }

  /** Items with offsets from..to, once each and in order, of one epoch. */
  private static void assertContiguous(List<Received> items, long from, long to, String epoch, String who) {
    assertEquals(to - from + 1, items.size(), who + ": items from " + from + " to " + to);
    for (int i = 0; i < items.size(); i++) {
      assertEquals(from + i, items.get(i).offset(), who + ": item " + i);
      assertEquals(epoch, items.get(i).epoch(), who + ": epoch of item " + i);
    }
  }

  /** A room whose history the given node holds, as GET /rooms/{room} names it. */
  private static String roomHeldBy(Node asker, Node holder, String prefix) {
    String id = holder.nodeId();
    for (int i = 0; i < 1_000; i++) {
      String room = prefix + i;
      JsonObject r = new JsonObject(Http.get(asker.apiPort(), "/rooms/" + room).body());
      if (id.equals(r.getString("historyOwner"))) {
        return room;
      }
    }
    throw new AssertionError("no room of 1000 held by node " + holder.index() + " (" + id + "); the last answer: "
      + Http.get(asker.apiPort(), "/rooms/" + prefix + 999).body());
  }

  @Test
  void nothingIsLostOrRepeatedAcrossReconnectsOwnerDeathAndRetries(@TempDir Path dir) throws Exception {
    cluster = new ProcessCluster(dir, Map.of());
    List<Node> nodes = cluster.startAll(3);
    Node a = nodes.get(0);
    Node b = nodes.get(1);
    Node c = nodes.get(2);

    // 1. A client cut off on A rejoins on C with its position while pushes go on through all three.
    List<StreamReader> stayed = new ArrayList<>();
    for (Node n : nodes) {
      stayed.add(reader(n, "s1"));
    }
    for (StreamReader r : stayed) {
      assertEquals(Position.NONE, new Position(r.ack(1).getLong("offset"), r.ack(1).getString("epoch")), "no entry made by a JOIN, whichever node is asked");
    }
    StreamReader cut = reader(a, "s1");
    String epoch = null;
    for (int i = 0; i < 20; i++) {
      JsonObject answer = ProcessCluster.push(nodes.get(i % 3), "s1", i, "s1-" + i);
      assertEquals(i + 1, answer.getLong("offset"));
      assertEquals(epoch == null ? answer.getString("epoch") : epoch, answer.getString("epoch"), "one epoch, whichever node is pushed to");
      epoch = answer.getString("epoch");
    }
    awaitTop(cut, 20, "the client before its cut");
    cut.close().await(10, TimeUnit.SECONDS);
    for (int i = 20; i < 40; i++) {
      ProcessCluster.push(nodes.get(i % 3), "s1", i, "s1-" + i);
    }
    StreamReader back = StreamReader.connect(ws, c.publicPort(), "s1").await(10, TimeUnit.SECONDS);
    back.join(2, 20L, epoch);
    JsonObject ack = Eventually.value("the rejoin's ACK", () -> back.ack(2), x -> x != null);
    assertEquals(true, ack.getBoolean("recovered"), ack.encode());
    assertEquals(epoch, ack.getString("epoch"));
    for (int i = 40; i < 50; i++) {
      ProcessCluster.push(nodes.get(i % 3), "s1", i, "s1-" + i);
    }
    for (StreamReader r : stayed) {
      awaitTop(r, 50, "a client that stayed");
      assertContiguous(r.received(), 1, 50, epoch, "a client that stayed");
    }
    awaitTop(back, 50, "the rejoined client");
    List<Received> whole = new ArrayList<>(cut.received());
    whole.addAll(back.received());
    assertEquals(stayed.get(1).received(), whole, "the cut client's stream, both parts, equals one that never left");

    // 2. SIGKILL the node that holds a stream's history, pushes going on through the others; just
    //    before, one push answered by it and one sent to it as it dies are retried on A with their keys.
    String room = roomHeldBy(a, c, "s2-");
    List<StreamReader> survivors = List.of(reader(a, room), reader(b, room));
    Set<String> pushed = new HashSet<>();
    String epoch2 = ProcessCluster.push(nodes.get(0), room, "p0", "k0").getString("epoch");
    pushed.add("p0");
    for (int i = 1; i < 10; i++) {
      ProcessCluster.push(nodes.get(i % 2), room, "p" + i, "k" + i);
      pushed.add("p" + i);
    }
    JsonObject answered = ProcessCluster.push(c, room, "answered", "k-answered");
    CompletableFuture<HttpResponse<String>> raced = CompletableFuture.supplyAsync(() -> Http.postJson(c.apiPort(), "/push/room",
      new JsonObject().put("room", room).put("items", new JsonArray().add("raced")).put("idempotencyKey", "k-raced")));
    c.kill();
    raced.exceptionally(e -> null).join(); // answered or not: the pusher cannot know, so it retries
    JsonObject retried = ProcessCluster.push(a, room, "answered", "k-answered");
    assertEquals(answered, retried, "the retry is answered as the push it repeats");
    ProcessCluster.push(a, room, "raced", "k-raced");
    pushed.add("answered");
    pushed.add("raced");
    for (int i = 10; i < 40; i++) {
      ProcessCluster.push(nodes.get(i % 2), room, "p" + i, "k" + i);
      pushed.add("p" + i);
    }
    long top = ProcessCluster.push(a, room, "last", "k-last").getLong("offset");
    pushed.add("last");
    assertEquals(pushed.size(), top, "every push once in the numbering: " + top + " offsets for " + pushed.size() + " pushes");
    for (StreamReader r : survivors) {
      awaitTop(r, top, "a survivor's client");
      assertContiguous(r.received(), 1, top, epoch2, "a survivor's client");
      assertEquals(pushed, new HashSet<>(r.received().stream().map(Received::item).toList()));
    }
    assertEquals(survivors.get(0).received(), survivors.get(1).received(), "both survivors deliver one order");

    // 3. Back to three; then two die at once. Streams whose every copy was on them start again: a
    //    returning client is told EPOCH_CHANGED; the others recover. No item is wrong or repeated.
    Node c2 = cluster.restart(c);
    ProcessCluster.awaitReady(c2, 3);
    Eventually.await("a and b see three members", () -> a.members() == 3 && b.members() == 3, ProcessCluster.START);
    List<String> rooms = new ArrayList<>();
    Map<String, String> epochs = new java.util.HashMap<>();
    List<StreamReader> onA = new ArrayList<>();
    for (int r = 0; r < 30; r++) {
      String s3 = "s3-" + r;
      rooms.add(s3);
      StreamReader reader = reader(a, s3);
      onA.add(reader);
      for (int i = 0; i < 3; i++) {
        epochs.put(s3, ProcessCluster.push(nodes.get(i % 2), s3, s3 + "-" + i, s3 + "-" + i).getString("epoch"));
      }
    }
    for (StreamReader r : onA) {
      awaitTop(r, 3, "a client on A");
    }
    b.process().destroyForcibly();
    c2.process().destroyForcibly();
    assertTrue(b.process().waitFor(10, TimeUnit.SECONDS) && c2.process().waitFor(10, TimeUnit.SECONDS));
    Eventually.await("A alone", () -> a.members() == 1, ProcessCluster.START);
    int lost = 0;
    for (int r = 0; r < rooms.size(); r++) {
      String s3 = rooms.get(r);
      ProcessCluster.push(a, s3, s3 + "-after", s3 + "-after");
      StreamReader live = onA.get(r);
      Eventually.await("the push after the deaths reaches " + s3, () -> live.received().size() == 4, ProcessCluster.START);
      Received after = live.received().get(3);
      assertEquals(s3 + "-after", after.item());
      StreamReader rejoin = StreamReader.connect(ws, a.publicPort(), s3).await(10, TimeUnit.SECONDS);
      rejoin.join(2, 3L, epochs.get(s3));
      JsonObject answer = Eventually.value("the rejoin of " + s3, () -> rejoin.ack(2), x -> x != null);
      if (after.epoch().equals(epochs.get(s3))) {
        assertEquals(4, after.offset(), s3 + " kept: its numbering goes on");
        assertEquals(true, answer.getBoolean("recovered"), s3 + ": " + answer.encode());
        awaitTop(rejoin, 4, "the rejoin of a kept stream");
        assertEquals(List.of(after), rejoin.received());
      } else {
        lost++;
        assertEquals(1, after.offset(), s3 + " lost: a new numbering from 1");
        assertEquals(false, answer.getBoolean("recovered"), s3 + ": " + answer.encode());
        assertEquals("EPOCH_CHANGED", answer.getString("reason"), s3 + ": " + answer.encode());
        assertNotEquals(epochs.get(s3), answer.getString("epoch"));
        assertEquals(List.of(), rejoin.received(), "nothing replayed of a lost history");
      }
      for (int i = 0; i < 3; i++) {
        assertEquals(s3 + "-" + i, live.received().get(i).item());
      }
    }
    assertTrue(lost > 0 && lost < rooms.size(), lost + " of " + rooms.size() + " streams lost: expected some of each");
  }

  private static final int STREAMS = 20;
  private static final int VIEWERS = 60;
  private static final long PUSH_EVERY_MILLIS = 5; // 200 items/s

  @Test
  void aRollingRestartUnderLoadLosesNothingForClientsThatRejoin(@TempDir Path dir) throws Exception {
    cluster = new ProcessCluster(dir, Map.of());
    List<Node> nodes = new ArrayList<>(cluster.startAll(3));
    AtomicInteger down = new AtomicInteger(-1); // the node being restarted: nobody is sent there

    List<Viewer> viewers = new ArrayList<>();
    for (int v = 0; v < VIEWERS; v++) {
      AtomicInteger next = new AtomicInteger(v);
      viewers.add(new Viewer(vertx, ws, "roll-" + (v % STREAMS), () -> {
        int i = next.getAndIncrement() % 3;
        return nodes.get(i == down.get() ? (i + 1) % 3 : i).publicPort();
      }, 300));
    }
    viewers.forEach(Viewer::start);
    for (Viewer v : viewers) {
      Eventually.await("every viewer joined", () -> v.firstAck() != null);
    }

    // Pushes go on until the restarts are done and pushes flow after them, however long that takes:
    // the pusher stops when told, not after a count of its timer's ticks. It stopped after 40,000
    // (200 s: the timer keeps its rate), while the restarts on a loaded machine took 150 s and more,
    // and the test allows each wait a minute: pushes ran out before the last ones the test waited for.
    Pusher pusher = new Pusher(nodes, down);
    long timer = vertx.setPeriodic(PUSH_EVERY_MILLIS, id -> pusher.pushNext());
    try {
      for (int i = 0; i < 3; i++) {
        long before = pusher.acknowledged();
        Eventually.await("pushes flowing before node " + i + " is restarted", () -> pusher.acknowledged() >= before + 200, ProcessCluster.START);
        down.set(i);
        nodes.get(i).stop(); // SIGTERM: its clients get 1001 and rejoin elsewhere
        nodes.set(i, cluster.restart(nodes.get(i)));
        ProcessCluster.awaitReady(nodes.get(i), 3);
        down.set(-1);
      }
      long after = pusher.acknowledged();
      Eventually.await("pushes flowing after the last restart", () -> pusher.acknowledged() >= after + 200, ProcessCluster.START);
    } finally {
      pusher.stop();
      vertx.cancelTimer(timer);
    }
    Eventually.await("every push acknowledged", pusher::settled, ProcessCluster.START);
    assertEquals(List.of(), pusher.failures());
    System.out.println("StreamProcessIT: " + pusher.acknowledged() + " pushes acknowledged over " + pusher.seconds() + " s of pushing");

    for (int k = 0; k < STREAMS; k++) {
      String room = "roll-" + k;
      List<String> acked = pusher.stream(room);
      for (Viewer v : viewers) {
        if (!(v.firstAck().getString("room").equals(room))) {
          continue;
        }
        assertEquals(null, v.failure());
        Eventually.await("a viewer of " + room + " has all " + acked.size(), () -> v.lastOffset() >= acked.size(), ProcessCluster.START);
        long from = v.firstAck().getLong("offset");
        List<Received> got = v.received();
        List<String> items = got.stream().map(Received::item).toList();
        assertEquals(acked.subList((int) from, acked.size()), items, room + ": what a viewer from " + from + " got, against the acknowledged stream");
        assertTrue(got.stream().allMatch(r -> r.epoch().equals(got.get(0).epoch())), room + ": one epoch throughout");
        assertTrue(!v.rejoins().isEmpty(), room + ": every node was restarted, so every viewer rejoined");
        for (JsonObject rejoin : v.rejoins()) {
          assertEquals(true, rejoin.getBoolean("recovered"), room + ": " + rejoin.encode());
        }
        assertTrue(v.closes().stream().allMatch(code -> code == 1001), room + ": closed only by drains: " + v.closes());
      }
    }
    viewers.forEach(Viewer::stop);
  }

  /**
   * Pushes one item every few milliseconds, round the streams and the nodes that are up, until
   * stopped; a push that fails is retried on the next node with its key until it is answered 200.
   * Keeps what each was given.
   */
  private final class Pusher {
    private final List<Node> nodes;
    private final AtomicInteger down;
    private final io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    private final Map<String, java.util.TreeMap<Long, String>> acked = new java.util.HashMap<>();
    private final List<String> failures = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private long stoppedNanos;
    private boolean stopped;

    Pusher(List<Node> nodes, AtomicInteger down) {
      this.nodes = nodes;
      this.down = down;
    }

    void pushNext() {
      long n;
      synchronized (this) {
        // Under the lock that stop() takes: once stop() returned, no push starts, and every push
        // begun before is in inFlight (settled() cannot miss one that is about to be sent).
        if (stopped) {
          return;
        }
        n = count.incrementAndGet();
        inFlight.incrementAndGet();
      }
      String room = "roll-" + (n % STREAMS);
      send(room, "item-" + n, (int) (n % 3), 0);
    }

    private void send(String room, String item, int node, int attempt) {
      int target = node % 3 == down.get() ? (node + 1) % 3 : node % 3;
      JsonObject body = new JsonObject().put("room", room).put("items", new JsonArray().add(item)).put("idempotencyKey", item);
      http.request(new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.POST).setHost("127.0.0.1")
          .setPort(nodes.get(target).apiPort()).setURI("/push/room").setIdleTimeout(10_000))
        .compose(req -> req.putHeader("content-type", "application/json").send(body.encode())
          .compose(resp -> resp.body().map(b -> resp.statusCode() == 200 ? b.toJsonObject() : null)))
        .otherwise(e -> null)
        .onComplete(ar -> {
          JsonObject reply = ar.result();
          if (reply == null) {
            if (attempt >= 600) {
              synchronized (this) {
                failures.add(item + " never acknowledged");
              }
              inFlight.decrementAndGet();
            } else {
              vertx.setTimer(50, id -> send(room, item, node + 1, attempt + 1));
            }
            return;
          }
          synchronized (this) {
            String was = acked.computeIfAbsent(room, r -> new java.util.TreeMap<>()).put(reply.getLong("offset"), item);
            if (was != null && !was.equals(item)) {
              failures.add("offset " + reply.getLong("offset") + " of " + room + " given to " + was + " and " + item);
            }
          }
          acknowledged.incrementAndGet();
          inFlight.decrementAndGet();
        });
    }

    long acknowledged() {
      return acknowledged.get();
    }

    synchronized void stop() {
      if (!stopped) {
        stopped = true;
        stoppedNanos = System.nanoTime();
      }
    }

    synchronized long seconds() {
      return TimeUnit.NANOSECONDS.toSeconds((stopped ? stoppedNanos : System.nanoTime()) - startNanos);
    }

    boolean settled() {
      return inFlight.get() == 0;
    }

    synchronized List<String> failures() {
      return List.copyOf(failures);
    }

    /** The stream as acknowledged: item i at offset i + 1, after checking the offsets are 1..top. */
    synchronized List<String> stream(String room) {
      java.util.TreeMap<Long, String> byOffset = acked.get(room);
      assertEquals(byOffset.size(), (long) byOffset.lastKey(), room + ": acknowledged offsets are 1.." + byOffset.lastKey() + " without a gap");
      return List.copyOf(byOffset.values());
    }
  }
}
