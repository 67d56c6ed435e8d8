package io.pushgate.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A child process of the generator: holds its slice of the subscribers and obeys the coordinator,
 * one command per line on stdin, one reply per line on stdout ({@link WorkerProtocol}). It exits
 * when told, when its stdin closes (the coordinator is gone) or at --max-seconds, whichever is first.
 */
final class Worker {

  private static final long CONNECT_TIMEOUT_MILLIS = 10_000;
  private static final int PING_EVERY_SECONDS = 20;
  /** Often enough that the coordinator sees the last items arrive within a fraction of a tick. */
  private static final long PROGRESS_MILLIS = 100;

  private final BenchOptions options;
  private final Vertx vertx;
  private final List<Lane> lanes = new ArrayList<>();
  private final List<String> sources;
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final FrameReader reader;
  private final boolean nchan;
  /** Storm only: the coordinator's nanoTime at "reconnect now"; 0 otherwise. */
  private volatile long stormStartNanos;
  private volatile long stormDeadlineNanos;

  private Worker(BenchOptions options) {
    this.options = options;
    this.nchan = options.target == BenchOptions.Target.NCHAN;
    this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(options.loops));
    for (int i = 0; i < options.loops; i++) {
      lanes.add(new Lane(((VertxInternal) vertx).createEventLoopContext()));
    }
    sources = Loopback.sources(options.sources);
    reader = new FrameReader(new ItemCodec(options.itemBytes), nchan,
      options.mode == BenchOptions.Mode.FANOUT && options.warmup > 0 ? Long.MAX_VALUE : 0);
    Map<String, byte[]> prefixes = new HashMap<>();
    for (int i = 0; i < options.childCount; i++) {
      int global = options.childOffset + i;
      String room = options.roomOf(global);
      Lane lane = lanes.get(i % lanes.size());
      Subscriber s = new Subscriber(global, room, lane, prefixes.computeIfAbsent(room, FrameReader::pushPrefix));
      lane.subscribers.add(s);
      subscribers.add(s);
    }
    for (Lane lane : lanes) {
      lane.context.runOnContext(v -> vertx.setPeriodic(1_000, id -> ping(lane)));
    }
  }

  static void run(BenchOptions options) throws Exception {
    Thread watchdog = new Thread(() -> {
      sleep(options.maxSeconds * 1_000L);
      System.err.println("bench child " + options.childIndex + ": --max-seconds reached, exiting");
      Runtime.getRuntime().halt(3);
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Worker worker = new Worker(options);
    WorkerProtocol.send(WorkerProtocol.HELLO, new JsonObject().put("pid", ProcessHandle.current().pid()));
    long progressTimer = worker.vertx.setPeriodic(PROGRESS_MILLIS, id -> worker.progress()
      .onSuccess(p -> WorkerProtocol.send(WorkerProtocol.PROGRESS, p)));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] parts = line.trim().split(" ");
      switch (parts[0]) {
        case WorkerProtocol.CONNECT -> WorkerProtocol.send(WorkerProtocol.READY, await(worker.connectAll(options.connectConcurrency, 0)));
        case WorkerProtocol.MEASURE -> worker.reader.measureFrom(Long.parseLong(parts[1]));
        case WorkerProtocol.DROP -> WorkerProtocol.send(WorkerProtocol.DROPPED, await(worker.dropAll()));
        case WorkerProtocol.RECONNECT -> {
          worker.stormStartNanos = Long.parseLong(parts[1]);
          long expected = parts.length > 2 ? Long.parseLong(parts[2]) : 0;
          worker.lanes.forEach(lane -> lane.context.runOnContext(v -> worker.newRound(lane, expected)));
          worker.stormDeadlineNanos = worker.stormStartNanos + TimeUnit.SECONDS.toNanos(options.stormTimeout);
          WorkerProtocol.send(WorkerProtocol.REJOINED, await(worker.connectAll(Integer.MAX_VALUE, worker.stormDeadlineNanos)));
        }
        case WorkerProtocol.FINISH -> {
          WorkerProtocol.send(WorkerProtocol.FINAL, await(worker.finish(Long.parseLong(parts[1]))));
          // A progress tick racing the close would find the lanes' event loops gone.
          worker.vertx.cancelTimer(progressTimer);
          worker.vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
          System.exit(0);
        }
        default -> System.err.println("bench child: unknown command " + line);
      }
    }
    Runtime.getRuntime().halt(0);
  }

  /**
   * A storm round starts: its rejoin times and answers are counted afresh; with {@code expected}
   * items (storm --since) each subscriber waits to hold that many before it counts as caught up.
   */
  private void newRound(Lane lane, long expected) {
    lane.tally.rejoin.reset();
    lane.tally.caughtUp.reset();
    lane.tally.recovery.clear();
    for (Subscriber s : lane.subscribers) {
      s.expectedItems = expected;
      s.awaitingCatchUp = expected > 0;
    }
  }

  private static JsonObject await(Future<JsonObject> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Opens every subscriber that is not open, at most {@code concurrency} handshakes at a time, and
   * completes once each is joined or has given up. With a deadline (the storm), a failed subscriber
   * tries again after a short random pause until the deadline, as a real client would.
   */
  private Future<JsonObject> connectAll(int concurrency, long deadlineNanos) {
    Queue<Subscriber> waiting = new ConcurrentLinkedQueue<>();
    subscribers.stream().filter(s -> s.ws == null).forEach(waiting::add);
    int total = waiting.size();
    if (total == 0) {
      return progress();
    }
    Promise<JsonObject> all = Promise.promise();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    long started = System.nanoTime();
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      Subscriber next;
      while (inFlight.get() < concurrency && (next = waiting.poll()) != null) {
        inFlight.incrementAndGet();
        attempt(next, deadlineNanos, () -> {
          inFlight.decrementAndGet();
          finishOne(done, total, all, started);
          pump[0].run();
        });
      }
    };
    pump[0].run();
    return all.future();
  }

  private void attempt(Subscriber s, long deadlineNanos, Runnable finished) {
    open(s, ok -> {
      if (!ok && deadlineNanos != 0 && System.nanoTime() < deadlineNanos) {
        vertx.setTimer(ThreadLocalRandom.current().nextLong(100, 300), id -> attempt(s, deadlineNanos, finished));
      } else {
        finished.run();
      }
    });
  }

  private void finishOne(AtomicInteger done, int total, Promise<JsonObject> all, long started) {
    if (done.incrementAndGet() == total) {
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      progress().onSuccess(json -> all.tryComplete(json
        .put("millis", millis).put("endNanos", System.nanoTime())));
    }
  }

  private void open(Subscriber s, Consumer<Boolean> whenDone) {
    s.lane.context.runOnContext(v -> {
      String source = sources.get(s.index % sources.size());
      ClientSocket.connect(((ContextInternal) s.lane.context).nettyEventLoop(), ((VertxInternal) vertx).transport().channelFactory(false),
        options.wsUri(s.room, s.index), source, CONNECT_TIMEOUT_MILLIS,
        frame -> {
          if (reader.read(s, frame) == FrameReader.Kind.ACK && !s.joined) {
            joined(s);
          }
          if (s.awaitingCatchUp && s.joined && s.distinct() >= s.expectedItems) {
            s.awaitingCatchUp = false;
            s.lane.tally.caughtUp.record((System.nanoTime() - stormStartNanos) / 1_000);
          }
        },
        status -> closed(s, status)).onComplete(ar -> {
        if (ar.failed()) {
          s.lane.tally.failed(reason(ar.cause()));
          whenDone.accept(false);
          return;
        }
        attach(s, ar.result(), source, whenDone);
      });
    });
  }

  private static String reason(Throwable t) {
    String message = String.valueOf(t.getMessage());
    if (message.startsWith("http ") || message.startsWith("handshake timeout")) {
      return message;
    }
    return t.getClass().getSimpleName();
  }

  private void attach(Subscriber s, ClientSocket socket, String source, Consumer<Boolean> whenDone) {
    Tally tally = s.lane.tally;
    String local = socket.localAddress().getAddress().getHostAddress();
    if (!source.equals(local)) {
      tally.failed("source address " + local + " instead of " + source);
    }
    s.ws = socket;
    s.closing = false;
    s.joined = false;
    tally.opened++;
    s.whenJoined = whenDone;
    if (nchan) {
      // nchan subscribes at the handshake; there is no JOIN to acknowledge.
      joined(s);
    } else {
      socket.sendText(join(s));
    }
  }

  /** JOIN with an id, so that the server answers; with since, storm --since, once the subscriber has a position. */
  private String join(Subscriber s) {
    String room = io.vertx.core.json.Json.encode(s.room);
    if (options.since && s.hasPosition()) {
      return "{\"type\":\"JOIN\",\"id\":1,\"data\":{\"room\":" + room + ",\"since\":{\"offset\":" + s.offset
        + ",\"epoch\":" + io.vertx.core.json.Json.encode(new String(s.epoch, StandardCharsets.UTF_8)) + "}}}";
    }
    return "{\"type\":\"JOIN\",\"id\":1,\"data\":{\"room\":" + room + "}}";
  }

  private void closed(Subscriber s, int status) {
    Tally tally = s.lane.tally;
    tally.closed++;
    if (!s.closing) {
      tally.serverCloses.merge(String.valueOf(status), 1L, Long::sum);
    }
    s.ws = null;
    s.joined = false;
    if (s.whenJoined != null) {
      tally.failed("closed before join (" + status + ")");
      Consumer<Boolean> failed = s.whenJoined;
      s.whenJoined = null;
      failed.accept(false);
    }
  }

  private void joined(Subscriber s) {
    s.joined = true;
    s.lane.tally.joined++;
    if (stormStartNanos != 0) {
      s.lane.tally.rejoin.record((System.nanoTime() - stormStartNanos) / 1_000);
    }
    if (s.whenJoined != null) {
      Consumer<Boolean> done = s.whenJoined;
      s.whenJoined = null;
      done.accept(true);
    }
  }

  /** A WebSocket ping from each subscriber every 20 s keeps it inside the server's heartbeat timeout. */
  private void ping(Lane lane) {
    long round = lane.pingRound++;
    for (Subscriber s : lane.subscribers) {
      if (s.ws != null && s.joined && (s.index + round) % PING_EVERY_SECONDS == 0) {
        s.ws.ping();
      }
    }
  }

  private Future<JsonObject> dropAll() {
    List<Future<JsonObject>> parts = new ArrayList<>();
    for (Lane lane : lanes) {
      Promise<JsonObject> p = Promise.promise();
      lane.context.runOnContext(v -> {
        List<Future<Void>> closes = new ArrayList<>();
        for (Subscriber s : lane.subscribers) {
          if (s.ws != null) {
            s.closing = true;
            closes.add(s.ws.close());
          }
        }
        Future.join(closes).onComplete(ar -> p.complete(new JsonObject().put("closed", closes.size())));
      });
      parts.add(p.future());
    }
    return Future.join(parts).map(cf -> new JsonObject()
      .put("closed", parts.stream().mapToLong(f -> f.result().getLong("closed")).sum()));
  }

  private Future<JsonObject> progress() {
    return lanesJson(lane -> lane.tally.progressJson());
  }

  /** Per-connection outcome once publishing has stopped: loss, duplicates and order, summed over the lanes. */
  private Future<JsonObject> finish(long pushed) {
    return lanesJson(lane -> {
      long lost = 0;
      long withLoss = 0;
      long duplicates = 0;
      long outOfOrder = 0;
      long beyondWindow = 0;
      long joinedAtEnd = 0;
      long offsetGaps = 0;
      long offsetRepeats = 0;
      long lowOutOfOrder = 0;
      for (Subscriber s : lane.subscribers) {
        long l = s.lost(options.itemsOfRoom(s.index, pushed));
        lowOutOfOrder += s.lowOutOfOrder;
        lost += l;
        withLoss += l > 0 ? 1 : 0;
        duplicates += s.duplicates;
        outOfOrder += s.outOfOrder;
        beyondWindow += s.beyondWindow;
        joinedAtEnd += s.joined ? 1 : 0;
        offsetGaps += s.offsetGaps;
        offsetRepeats += s.offsetRepeats;
      }
      return lane.tally.toJson().put("lost", lost).put("connectionsWithLoss", withLoss).put("duplicates", duplicates)
        .put("outOfOrder", outOfOrder).put("beyondWindow", beyondWindow).put("joinedAtEnd", joinedAtEnd)
        .put("offsetGaps", offsetGaps).put("offsetRepeats", offsetRepeats).put("lowOutOfOrder", lowOutOfOrder)
        .put("subscribers", lane.subscribers.size());
    });
  }

  /** Runs {@code f} on every lane's own event loop and sums the results into one Tally-shaped object. */
  private Future<JsonObject> lanesJson(Function<Lane, JsonObject> f) {
    List<Future<JsonObject>> parts = new ArrayList<>();
    for (Lane lane : lanes) {
      Promise<JsonObject> p = Promise.promise();
      lane.context.runOnContext(v -> p.complete(f.apply(lane)));
      parts.add(p.future());
    }
    return Future.all(parts).map(cf -> WorkerProtocol.sum(parts.stream().map(Future::result).toList()));
  }
}
