package io.pushgate.bench.soak;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The backend that pushes: --pushes a second to random stream rooms of the receivers (1 to 3 items,
 * each with an id unique in the run), --pushes-to-all a second to all, and, while there are slow
 * clients, 6 KB items to their heavy room, and --low low-priority items a second (in pushes of
 * {@link SoakOptions#LOW_PER_PUSH}) to one of the receivers' rooms, hotter than a room's budget, so
 * that the nodes sample them while that room's normal items must all still arrive. Each push goes to any node, as through a load balancer; a
 * push that is refused (503: a draining node, an append whose backup did not answer) or whose node
 * vanished is sent again, to any node, with the same {@code idempotencyKey}, so that a stream never
 * holds it twice, until it is answered or two minutes have passed. Every answer to a push to a stream
 * goes into the {@link StreamLedger}.
 */
final class Pusher {

  private static final long TICK_MILLIS = 10;
  private static final int MAX_IN_FLIGHT = 256;
  private static final long GIVE_UP_NANOS = 120_000_000_000L;
  /** 480 KB/s: a client that reads nothing passes maxOutboundBytes (256 KB here) and the kernel's buffers within seconds. */
  private static final int HEAVY_PER_SECOND = 40;
  private static final String PAD = "x".repeat(6_000);

  private record Job(String path, String room, Buffer body, long[] ids, long firstNanos, boolean low) {
    Job(String path, String room, Buffer body, long[] ids, long firstNanos) {
      this(path, room, body, ids, firstNanos, false);
    }
  }

  private static final int KINDS = 4;

  private final SoakOptions o;
  private final Nodes nodes;
  private final Tokens tokens;
  private final StreamLedger ledger;
  private final ContextInternal context;
  private final HttpClient http;
  private long nextId = 1;
  private long nextKey = 1;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean stopping;
  final LongAdder streamPushesAcked = new LongAdder();
  final LongAdder streamItemsAcked = new LongAdder();
  final LongAdder allPushesAcked = new LongAdder();
  final LongAdder heavyPushesAcked = new LongAdder();
  final LongAdder lowItemsAcked = new LongAdder();
  /** Low items the nodes said they may sample away (the reply's bestEffort). */
  final LongAdder lowItemsBestEffort = new LongAdder();
  final LongAdder retries = new LongAdder();
  final LongAdder skipped = new LongAdder();
  final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();

  Pusher(SoakOptions o, Nodes nodes, Tokens tokens, StreamLedger ledger, Sockets sockets) {
    this.o = o;
    this.nodes = nodes;
    this.tokens = tokens;
    this.ledger = ledger;
    this.context = (ContextInternal) sockets.lane();
    this.http = sockets.vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5_000),
      new PoolOptions().setHttp1MaxSize(32));
  }

  void start() {
    context.runOnContext(v -> {
      double[] credit = new double[KINDS];
      double[] perTick = {o.pushes * TICK_MILLIS / 1_000.0, o.pushesToAll * TICK_MILLIS / 1_000.0,
        (o.slow > 0 ? HEAVY_PER_SECOND : 0) * TICK_MILLIS / 1_000.0, o.low / (double) SoakOptions.LOW_PER_PUSH * TICK_MILLIS / 1_000.0};
      context.setPeriodic(TICK_MILLIS, id -> {
        if (stopping) {
          context.owner().cancelTimer(id);
          return;
        }
        for (int kind = 0; kind < KINDS; kind++) {
          credit[kind] += perTick[kind];
          // At most five seconds of pushes wait for a free slot; what comes beyond is skipped, and counted.
          double cap = Math.max(1, perTick[kind] * 500);
          if (credit[kind] > cap) {
            skipped.add((long) (credit[kind] - cap));
            credit[kind] = cap;
          }
          while (credit[kind] >= 1 && inFlight.get() < MAX_IN_FLIGHT) {
            credit[kind] -= 1;
            send(switch (kind) {
              case 0 -> streamPush();
              case 1 -> allPush();
              case 2 -> heavyPush();
              default -> lowPush();
            });
          }
        }
      });
    });
  }

  /** Stops creating pushes; waits (bounded) until each one sent was answered or given up. */
  void stop(long timeoutMillis) throws InterruptedException {
    stopping = true;
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100); // polling interval of the condition
    }
  }

  private Job streamPush() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String room = o.room(random.nextInt(o.rooms));
    int count = 1 + random.nextInt(3);
    long[] ids = new long[count];
    JsonArray items = new JsonArray();
    for (int i = 0; i < count; i++) {
      ids[i] = nextId++;
      items.add(new JsonObject().put("r", room).put("n", ids[i]));
    }
    JsonObject body = new JsonObject().put("room", room).put("items", items).put("idempotencyKey", "soak-" + nextKey++);
    return new Job("/push/room", room, body.toBuffer(), ids, System.nanoTime());
  }

  private Job allPush() {
    JsonObject body = new JsonObject().put("items", new JsonArray().add(new JsonObject().put("a", nextId++)));
    return new Job("/push/all", null, body.toBuffer(), null, System.nanoTime());
  }

  private Job heavyPush() {
    JsonArray items = new JsonArray();
    for (int i = 0; i < 2; i++) {
      items.add(new JsonObject().put("h", nextId++).put("p", PAD));
    }
    JsonObject body = new JsonObject().put("room", SoakOptions.HEAVY_ROOM).put("items", items).put("idempotencyKey", "soak-" + nextKey++);
    return new Job("/push/room", SoakOptions.HEAVY_ROOM, body.toBuffer(), null, System.nanoTime());
  }

  private Job lowPush() {
    String room = o.room(0);
    JsonArray items = new JsonArray();
    for (int i = 0; i < SoakOptions.LOW_PER_PUSH; i++) {
      items.add(new JsonObject().put(SoakOptions.LOW_FIELD, nextId++));
    }
    JsonObject body = new JsonObject().put("room", room).put("items", items).put("priority", "low");
    return new Job("/push/room", room, body.toBuffer(), null, System.nanoTime(), true);
  }

  private void send(Job job) {
    inFlight.incrementAndGet();
    attempt(job, 0);
  }

  private void attempt(Job job, int attempts) {
    NodeProcess node = nodes.any();
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(node.apiPort)
      .setURI(job.path).setIdleTimeout(10_000)
      .putHeader("Content-Type", "application/json").putHeader("Authorization", "Bearer " + tokens.apiKey);
    http.request(request)
      .compose(req -> req.send(job.body))
      .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b)))
      .recover(e -> Future.succeededFuture(new Answer(-1, Buffer.buffer(e.getClass().getSimpleName()))))
      .onComplete(ar -> answered(job, attempts, ar.result()));
  }

  private record Answer(int status, Buffer body) {
  }

  private void answered(Job job, int attempts, Answer a) {
    if (a.status == 200) {
      inFlight.decrementAndGet();
      if (job.low) {
        lowItemsAcked.add(SoakOptions.LOW_PER_PUSH);
        lowItemsBestEffort.add(new JsonObject(a.body).getLong("bestEffort", 0L));
      } else if (job.ids != null) {
        JsonObject r = new JsonObject(a.body);
        ledger.acked(job.room, r.getString("epoch"), r.getLong("offset"), job.ids);
        streamPushesAcked.increment();
        streamItemsAcked.add(job.ids.length);
      } else if (job.room == null) {
        allPushesAcked.increment();
      } else {
        heavyPushesAcked.increment();
      }
      return;
    }
    ClientStats.count(refusals, a.status < 0 ? a.body.toString() : "http " + a.status);
    if (System.nanoTime() - job.firstNanos > GIVE_UP_NANOS || (a.status >= 400 && a.status < 500)) {
      inFlight.decrementAndGet();
      if (job.ids != null) {
        ledger.gaveUp();
      }
      return;
    }
    retries.increment();
    long delay = Math.min(2_000, 50L << Math.min(attempts, 6));
    context.setTimer(delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1), id -> attempt(job, attempts + 1));
  }

  int inFlight() {
    return inFlight.get();
  }

  void close() {
    http.close();
  }
}
