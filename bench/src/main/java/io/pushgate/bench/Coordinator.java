package io.pushgate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The generator's parent process: starts the children, runs one mode, watches the server through
 * /proc, publishes (fanout), prints a progress line a second, then one {@code RESULT {json}} line
 * and a short summary. It never holds subscribers itself, so its own CPU is small and separate.
 */
final class Coordinator {

  private final BenchOptions o;
  private final List<WorkerProcess> workers = new ArrayList<>();
  private final List<Long> generatorPids = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-progress");
    t.setDaemon(true);
    return t;
  });
  private final HttpClient statsHttp = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private volatile String phase = "starting";
  private volatile Publisher publisher;
  private Vertx vertx;
  private ProcStats.Sample lastServer;
  private ProcStats.Sample lastGenerator;
  private long lastItems;

  Coordinator(BenchOptions o) {
    this.o = o;
    generatorPids.add(ProcessHandle.current().pid());
  }

  int run() throws Exception {
    startWatchdog();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> workers.forEach(WorkerProcess::stop)));
    for (long pid : o.serverPids) {
      if (!ProcStats.alive(pid)) {
        throw new IllegalArgumentException("--server-pid " + pid + ": no such process");
      }
    }
    JsonObject result = new JsonObject()
      .put("mode", o.mode.name().toLowerCase())
      .put("target", o.target.name().toLowerCase())
      .put("date", Instant.now().toString())
      .put("connections", o.connections)
      .put("processes", o.processes())
      .put("sources", o.sources)
      .put("ws", o.ws)
      .put("push", o.push)
      .put("serverPids", o.serverPids.toString())
      .put("loadStart", ProcStats.load1());
    startWorkers();
    lastServer = ProcStats.sample(o.serverPids);
    lastGenerator = ProcStats.sample(generatorPids);
    ticker.scheduleAtFixedRate(this::printProgress, 1, 1, TimeUnit.SECONDS);
    try {
      JsonObject measured = switch (o.mode) {
        case IDLE -> new IdleRun(this).run();
        case FANOUT -> new FanoutRun(this).run();
        case STORM -> new StormRun(this).run();
      };
      result.mergeIn(measured);
    } finally {
      ticker.shutdownNow();
      workers.forEach(WorkerProcess::stop);
      if (vertx != null) {
        vertx.close();
      }
    }
    result.put("loadEnd", ProcStats.load1()).put("elapsedSeconds", ProcStats.round((System.nanoTime() - startNanos) / 1e9, 1));
    System.out.println("RESULT " + result.encode());
    System.out.println(Summary.of(result));
    return 0;
  }

  private void startWatchdog() {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(o.maxSeconds * 1_000L);
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("bench: --max-seconds " + o.maxSeconds + " reached in phase '" + phase + "'; stopping");
      workers.forEach(WorkerProcess::stop);
      Runtime.getRuntime().halt(2);
    }, "bench-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private void startWorkers() throws Exception {
    int n = o.processes();
    int offset = 0;
    for (int i = 0; i < n; i++) {
      int count = o.connections / n + (i < o.connections % n ? 1 : 0);
      WorkerProcess w = WorkerProcess.start(o, i, offset, count);
      workers.add(w);
      generatorPids.add(w.pid());
      offset += count;
    }
  }

  BenchOptions options() {
    return o;
  }

  void phase(String name) {
    phase = name;
  }

  /** Sends {@code command} to every child at once, then collects each one's {@code reply}, summed. */
  JsonObject all(String command, String reply, long timeoutMillis) throws InterruptedException {
    workers.forEach(w -> w.send(command));
    List<JsonObject> parts = new ArrayList<>();
    for (WorkerProcess w : workers) {
      parts.add(w.await(reply, timeoutMillis));
    }
    return WorkerProtocol.sum(parts);
  }

  /** A command that has no reply, to every child. */
  void tell(String command) {
    workers.forEach(w -> w.send(command));
  }

  JsonObject progress() {
    return WorkerProtocol.sum(workers.stream().map(WorkerProcess::progress).toList());
  }

  ProcStats.Sample server() {
    return ProcStats.sample(o.serverPids);
  }

  ProcStats.Sample generator() {
    return ProcStats.sample(generatorPids);
  }

  Vertx vertx() {
    if (vertx == null) {
      vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
    }
    return vertx;
  }

  void publishing(Publisher p) {
    publisher = p;
  }

  /** pushgate's own counters, or an empty object for another server or when it does not answer. */
  JsonObject serverStats() {
    if (o.target != BenchOptions.Target.PUSHGATE) {
      return new JsonObject();
    }
    try {
      HttpResponse<String> r = statsHttp.send(HttpRequest.newBuilder(o.statsUri()).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : new JsonObject();
    } catch (Exception e) {
      return new JsonObject();
    }
  }

  /** Polls {@code done} every 50 ms until it holds or the time is up; @return whether it held. */
  static boolean waitFor(java.util.function.BooleanSupplier done, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  /** Sleeps, in the phase given, for whole seconds. */
  void hold(String name, int seconds) throws InterruptedException {
    phase(name);
    Thread.sleep(seconds * 1_000L);
  }

  private void printProgress() {
    try {
      JsonObject p = progress();
      ProcStats.Sample server = server();
      ProcStats.Sample gen = generator();
      long items = p.getLong("items", 0L);
      double seconds = (server.nanos() - lastServer.nanos()) / 1e9;
      String line = String.format("[%6.1fs] %-10s conns %6d joined %6d failed %4d | pushed %8d | items %,13d (%s/s) | server cpu %4.0f%% rss %6.0f MB | generator cpu %4.0f%% | others %4.0f%% | load %.2f",
        (System.nanoTime() - startNanos) / 1e9, phase,
        p.getLong("opened", 0L) - p.getLong("closed", 0L), p.getLong("joined", 0L), p.getLong("failed", 0L),
        publisher == null ? 0 : publisher.accepted(), items, Summary.si((items - lastItems) / seconds),
        percent(server, lastServer, seconds), server.rssKb() / 1024.0, percent(gen, lastGenerator, seconds),
        ProcStats.othersPercent(lastServer, server, lastGenerator, gen), ProcStats.load1());
      lastServer = server;
      lastGenerator = gen;
      lastItems = items;
      System.out.println(line);
    } catch (RuntimeException e) {
      System.err.println("bench: progress: " + e);
    }
  }

  private static double percent(ProcStats.Sample now, ProcStats.Sample before, double seconds) {
    return seconds <= 0 ? 0 : 100 * (now.cpuSeconds() - before.cpuSeconds()) / seconds;
  }
}
