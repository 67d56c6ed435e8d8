package io.pushgate.bench.soak;

import io.vertx.core.Future;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The soak (src/bench/soak.sh; README "Soak"): pushgate nodes as their own processes (one
 * standalone, or a -cluster of several, with --chaos killing and rolling them), receivers that
 * behave like real clients and must end with every acknowledged item exactly once, churn, pushes,
 * slow clients and expiring tokens, for --seconds. A line per minute; at the end the pass criteria,
 * one per line, a CSV of the samples and a PNG plot in --work. Exit 0 when every criterion passed.
 *
 * <p>Traffic goes to 127.0.0.1 only; every loop ends at the deadline or a bound; the nodes are
 * stopped with SIGTERM at the end and killed if the soak itself dies.
 */
public final class Soak {

  private static final long CATCH_UP_MILLIS = 120_000;
  private static final long HEAP_TOLERANCE_MB = 32;

  /**
   * The pushers' HTTP client logs every connection a killed node reset at SEVERE: in a soak that
   * kills nodes on purpose that is the expected, and counted (pushes refused), outcome.
   */
  private static final java.util.logging.Logger CLIENT_RESETS = java.util.logging.Logger.getLogger("io.vertx.core.net.impl.ConnectionBase");

  private final SoakOptions o;
  private Nodes nodes;
  private Sockets sockets;

  private Soak(SoakOptions o) {
    this.o = o;
  }

  public static void main(String[] args) throws Exception {
    CLIENT_RESETS.setLevel(java.util.logging.Level.OFF);
    if (java.util.List.of(args).contains("--help")) {
      System.out.print(SoakOptions.USAGE);
      return;
    }
    SoakOptions o;
    try {
      o = SoakOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("soak: " + e.getMessage());
      System.err.print(SoakOptions.USAGE);
      System.exit(64);
      return;
    }
    Files.createDirectories(o.work);
    try (var old = Files.newDirectoryStream(o.work, "{node*.log,samples.csv,soak.png,cluster.xml}")) {
      for (Path f : old) {
        Files.delete(f); // an earlier run's: the logs scanned and the plot drawn are this run's only
      }
    }
    Soak soak = new Soak(o);
    int code;
    try {
      code = soak.run();
    } catch (Exception e) {
      log("FAIL: the soak itself failed: " + e);
      e.printStackTrace();
      code = 1;
    } finally {
      soak.shutdown();
    }
    System.exit(code);
  }

  static void log(String line) {
    System.out.println("soak: " + line);
  }

  private int run() throws Exception {
    log(String.format("%s: %d s, %d node%s%s, %d receivers in %d of %d rooms each, churn %d/s, pushes %d/s to rooms and %d/s to all, "
        + "%d low-priority items/s to %s, %d slow clients, tokens of %d s, heartbeat timeout %d ms, seed %d", Instant.now(), o.seconds, o.nodes, o.nodes > 1 ? "s (-cluster)" : "",
      o.chaos ? ", chaos" : "", o.receivers, o.roomsPerReceiver, o.rooms, o.churn, o.pushes, o.pushesToAll, o.low, o.room(0), o.slow, o.tokenSeconds,
      o.heartbeatMillis, o.seed));
    Tokens tokens = new Tokens();
    nodes = new Nodes(o, tokens);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> nodes.all.forEach(n -> {
      if (n.alive()) {
        try {
          n.kill();
        } catch (InterruptedException ignored) {
          // exiting anyway
        }
      }
    })));
    nodes.startAll();
    for (NodeProcess n : nodes.all) {
      log(String.format("%s pid %d: ws 127.0.0.1:%d, api 127.0.0.1:%d, log %s", n.name(), n.pid(), n.publicPort, n.apiPort, n.logs().get(0)));
    }
    sockets = new Sockets(3);
    ClientStats stats = new ClientStats();
    StreamLedger ledger = new StreamLedger();
    Random random = new Random(o.seed);

    List<Receiver> receivers = receivers(random, tokens, stats);
    receivers.forEach(Receiver::start);
    if (!waitFor(() -> all(receivers, Receiver::joinedEverywhere), 120_000)) {
      throw new IllegalStateException("the receivers did not all join their rooms within 120 s");
    }
    log(receivers.size() + " receivers joined " + o.roomsPerReceiver + " rooms each");

    Pusher pusher = new Pusher(o, nodes, tokens, ledger, sockets);
    Churn churn = new Churn(o, nodes, tokens, sockets, stats);
    SlowClients slow = new SlowClients(o, nodes, tokens, stats);
    long loadStart = System.nanoTime();
    Chaos chaos = new Chaos(o, nodes, random, Soak::log, loadStart);
    Supplier<String> totals = () -> String.format("items %,d (all %,d, low %,d) | rejoins %,d: recovered %,d, not %,d | pushes acked %,d, retried %,d | churn %,d | kills %d, restarts %d, rolls %d",
      stats.streamItems.sum(), stats.allItems.sum(), stats.lowItems.sum(), stats.rejoins.sum(), stats.recovered.sum(), stats.notRecovered.sum(),
      pusher.streamPushesAcked.sum(), pusher.retries.sum(), stats.churnConnections.sum(), chaos.kills.get(), chaos.restarts.get(), chaos.rolls.get());
    long sampleMillis = Math.max(1_000, Math.min(10_000, o.seconds * 1_000L / 20));
    long printMillis = o.seconds >= 600 ? 60_000 : Math.max(sampleMillis, o.seconds * 1_000L / 6);
    Timeline timeline = new Timeline(nodes, loadStart, sampleMillis, printMillis, totals, Soak::log);
    timeline.start();
    pusher.start();
    churn.start();
    slow.start();
    long deadline = loadStart + TimeUnit.SECONDS.toNanos(o.seconds);

    // The heap's baseline once the load runs and the JIT has settled, before any chaos.
    long warmupSeconds = Math.min(60, o.seconds / 3);
    Thread.sleep(warmupSeconds * 1_000); // the warm-up itself
    long[] heapBase = heapsAfterGc();
    log("heap after full GC, baseline: " + mb(heapBase));
    if (o.chaos) {
      chaos.start(deadline);
    }
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left > 0) {
      Thread.sleep(left); // the run itself
    }
    chaos.stop();
    log("load ends: churn, slow clients and pushers stop");
    churn.stop(30_000);
    slow.stop();
    pusher.stop(150_000);

    Verdict verdict = new Verdict();
    boolean caughtUp = waitFor(() -> all(receivers, r -> r.onLane(() -> r.cursors.values().stream()
      .allMatch(c -> c.position >= ledger.top(c.room)))).compose(done -> done ? all(receivers, Receiver::joinedEverywhere) : Future.succeededFuture(false)),
      CATCH_UP_MILLIS);
    log("receivers " + (caughtUp ? "hold every acknowledged item" : "did not all catch up within " + CATCH_UP_MILLIS / 1000 + " s"));
    judgeStreams(verdict, receivers, ledger, stats, pusher);
    judgeCloses(verdict, stats);

    List<Future<Void>> closes = new ArrayList<>();
    receivers.forEach(r -> closes.add(r.stop()));
    Future.join(closes).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    judgeEmpty(verdict);
    long[] heapEnd = heapsAfterGc();
    timeline.stop();
    log(timeline.line(timeline.takeSamples()));
    judgeHeap(verdict, heapBase, heapEnd);
    judgeRss(verdict, timeline.samples(), (System.nanoTime() - loadStart) / 1e9);
    long cut = timeline.slowConsumersCut();
    verdict.judge("slow clients cut with 4002", o.slow == 0 || o.seconds < 20 || cut > 0,
      cut + " cut by the nodes, " + stats.slowOpened.sum() + " opened" + (o.slow == 0 ? " (none asked for)" : ""));
    verdict.judge("the load ran", (stats.churnConnections.sum() > 0 || o.churn == 0) && (o.low == 0 || stats.lowItems.sum() > 0)
        && pusher.streamPushesAcked.sum() > 0,
      String.format("%,d churn connections (%,d refused with 401 as meant, %,d closed at token expiry, %,d failed, %,d not started at the cap), "
          + "%,d stream pushes acknowledged, %,d to all, %,d to the heavy room, %,d skipped at the in-flight cap; "
          + "%,d low-priority items accepted (%,d best effort), %,d received",
        stats.churnConnections.sum(), stats.churnRefused401.sum(), stats.churnTokenExpired.sum(), stats.churnFailures.sum(),
        stats.churnSkipped.sum(), pusher.streamPushesAcked.sum(), pusher.allPushesAcked.sum(), pusher.heavyPushesAcked.sum(), pusher.skipped.sum(),
        pusher.lowItemsAcked.sum(), pusher.lowItemsBestEffort.sum(), stats.lowItems.sum()));

    nodes.stopAll();
    List<Path> logs = new ArrayList<>();
    nodes.all.forEach(n -> logs.addAll(n.logs()));
    List<String> errors = LogScan.unexpected(logs, chaos.events().stream().filter(e -> e.kind().equals("kill")).map(Chaos.Event::at).toList());
    errors.stream().limit(20).forEach(e -> log("log: " + e));
    verdict.judge("no unexpected ERROR or SEVERE in the nodes' logs", errors.isEmpty(),
      errors.size() + " found in " + logs.size() + " logs (" + o.work + "/node*.log)");
    if (o.chaos) {
      verdict.judge("every node stopped with SIGTERM drained and exited within its shutdown budget", chaos.uncleanExits.get() == 0,
        String.format("%d rolls: %d SIGTERMs, %d exited otherwise than by the signal (143); %d kills, %d restarts", chaos.rolls.get(),
          chaos.rolls.get() * o.nodes, chaos.uncleanExits.get(), chaos.kills.get(), chaos.restarts.get()));
    }
    writeOutputs(timeline, chaos);
    verdict.print(Soak::log);
    return verdict.passed() ? 0 : 1;
  }

  private List<Receiver> receivers(Random random, Tokens tokens, ClientStats stats) {
    List<Receiver> list = new ArrayList<>();
    for (int i = 0; i < o.receivers; i++) {
      List<String> rooms = new ArrayList<>();
      if (i == 0) {
        rooms.add(o.room(0)); // the low-priority flood's room has at least one receiver
      }
      while (rooms.size() < o.roomsPerReceiver) {
        String room = o.room(random.nextInt(o.rooms));
        if (!rooms.contains(room)) {
          rooms.add(room);
        }
      }
      list.add(new Receiver("receiver-" + i, rooms, o, nodes, tokens, sockets, stats));
    }
    return list;
  }

  private void judgeStreams(Verdict verdict, List<Receiver> receivers, StreamLedger ledger, ClientStats stats, Pusher pusher) throws Exception {
    List<String> wrong = new ArrayList<>();
    long cursors = 0;
    for (Receiver r : receivers) {
      List<String> problems = r.onLane(() -> r.cursors.values().stream()
        .map(c -> {
          String why = ledger.check(c);
          return why == null ? null : r.name + " " + c.room + ": " + why;
        })
        .filter(java.util.Objects::nonNull).toList()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      wrong.addAll(problems);
      cursors += r.cursors.size();
    }
    wrong.stream().limit(10).forEach(w -> log("stream: " + w));
    ledger.conflictExamples().forEach(c -> log("stream: one offset, two pushes: " + c));
    long gaveUp = ledger.gaveUpCount();
    long conflicts = ledger.conflicts();
    int epochs = ledger.otherEpochs();
    verdict.judge("every receiver holds every acknowledged item exactly once, in offset order",
      wrong.isEmpty() && gaveUp == 0 && conflicts == 0 && epochs == 0,
      String.format("%d of %d receiver-rooms wrong; %,d items acknowledged to %d rooms (%,d pushes, %,d retried sends); "
          + "%d pushes given up, %d contradicting answers, %d new epochs", wrong.size(), cursors, ledger.acknowledgedItems(), o.rooms,
        pusher.streamPushesAcked.sum(), pusher.retries.sum(), gaveUp, conflicts, epochs));
    verdict.judge("every rejoin recovered", stats.notRecovered.sum() == 0,
      String.format("%,d reconnects, %,d JOINs with since answered recovered:true, %,d not %s", stats.rejoins.sum(), stats.recovered.sum(),
        stats.notRecovered.sum(), notRecoveredReasons(receivers)));
    log(String.format("receivers: %,d PONGs, %,d REFRESHes acknowledged (%,d refused), %,d PINGs unanswered, %,d JOINs retried after RATE_LIMITED, "
        + "%,d connect attempts failed, errors %s; pushes refused %s", stats.pongs.sum(), stats.refreshes.sum(), stats.refreshFailures.sum(),
      stats.pingTimeouts.sum(), stats.joinRetries.sum(), stats.receiverConnectFailures.sum(), ClientStats.snapshot(stats.receiverErrors),
      ClientStats.snapshot(pusher.refusals)));
  }

  private static String notRecoveredReasons(List<Receiver> receivers) throws Exception {
    Map<String, Long> reasons = new java.util.TreeMap<>();
    for (Receiver r : receivers) {
      r.onLane(() -> {
        Map<String, Long> mine = new java.util.TreeMap<>();
        r.cursors.values().forEach(c -> c.notRecovered.forEach((k, v) -> mine.merge(k, v, Long::sum)));
        return mine;
      }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).forEach((k, v) -> reasons.merge(k, v, Long::sum));
    }
    return reasons.toString();
  }

  /** A well-behaved receiver is closed only by a node that goes away: 1001 (drain) or 1006 (killed). */
  private void judgeCloses(Verdict verdict, ClientStats stats) {
    Map<Integer, Long> closes = ClientStats.snapshot(stats.receiverCloses);
    // A receiver that drops its socket after an unanswered PING reports 1006 too: that is never a kill's doing.
    boolean ok = stats.pingTimeouts.sum() == 0 && closes.keySet().stream().allMatch(code -> o.chaos && (code == 1001 || code == 1006));
    verdict.judge("receivers closed only by node kills and drains" + (o.chaos ? "" : " (none without chaos)"), ok,
      "closes by code " + closes + "; PINGs unanswered " + stats.pingTimeouts.sum());
  }

  private void judgeEmpty(Verdict verdict) throws InterruptedException {
    boolean empty = waitFor(() -> Future.succeededFuture(nodes.all.stream().allMatch(n -> {
      var s = n.stats();
      return s != null && s.getLong("connections", -1L) == 0 && s.getLong("rooms", -1L) == 0;
    })), 60_000);
    StringBuilder detail = new StringBuilder();
    for (NodeProcess n : nodes.all) {
      var s = n.stats();
      detail.append(n.name()).append(s == null ? " no answer" : " " + s.getLong("connections") + " connections, " + s.getLong("rooms") + " rooms").append("; ");
    }
    verdict.judge("connections and rooms back to 0 on every node", empty, detail.toString());
  }

  private void judgeHeap(Verdict verdict, long[] base, long[] end) {
    boolean ok = true;
    StringBuilder detail = new StringBuilder();
    for (int i = 0; i < base.length; i++) {
      boolean within = base[i] > 0 && end[i] > 0 && end[i] - base[i] <= HEAP_TOLERANCE_MB * 1024 * 1024;
      ok &= within;
      detail.append(String.format("node%d %d -> %d MB; ", i + 1, base[i] >> 20, end[i] >> 20));
    }
    verdict.judge("heap after a full GC within " + HEAP_TOLERANCE_MB + " MB of its baseline on every node", ok, detail.toString());
  }

  /**
   * RSS over the last 40 minutes (two thirds of a shorter run), each process's first two minutes (a
   * third of a shorter run) left out: it passes when the slope would add less than 32 MB over the window.
   */
  private void judgeRss(Verdict verdict, List<Timeline.Sample> samples, double runSeconds) {
    // The load's own samples: after it, everyone leaves and the flat tail would pull the slope down.
    runSeconds = Math.min(runSeconds, o.seconds);
    double end = runSeconds;
    samples = samples.stream().filter(s -> s.atSeconds() <= end).toList();
    double window = Math.min(2_400, runSeconds * 2 / 3);
    double warmup = Math.min(120, runSeconds / 3);
    double from = runSeconds - window;
    boolean ok = true;
    // Without chaos each node is one process for the whole run: its own slope is the leak check.
    // With chaos no process outlives its warm-up by much, so the trend is between processes of one age.
    String judged = o.chaos ? "at equal process age" : "within its processes";
    StringBuilder detail = new StringBuilder(String.format("over the last %.0f min, judged %s: ", window / 60, judged));
    for (NodeProcess n : nodes.all) {
      RssTrend.Slope within = RssTrend.withinProcesses(samples, n.index, from, warmup);
      RssTrend.Slope equalAge = RssTrend.atEqualAge(samples, n.index, from, warmup);
      RssTrend.Slope across = RssTrend.acrossProcesses(samples, n.index, from);
      RssTrend.Slope judgedSlope = o.chaos ? equalAge : within;
      double growth = judgedSlope.mbPerHour() * window / 3_600;
      ok &= growth < HEAP_TOLERANCE_MB;
      detail.append(String.format("%s %+.1f MB over the window (%d samples); %+.1f MB/h within its processes, %+.1f MB/h at equal age, "
          + "%+.1f MB/h across restarts; ",
        n.name(), growth, judgedSlope.samples(), within.mbPerHour(), equalAge.mbPerHour(), across.mbPerHour()));
    }
    verdict.judge("RSS shows no upward trend (slope fit, less than " + HEAP_TOLERANCE_MB + " MB over the window)", ok, detail.toString());
  }

  private void writeOutputs(Timeline timeline, Chaos chaos) {
    Path csv = o.work.resolve("samples.csv");
    Path png = o.work.resolve("soak.png");
    try {
      timeline.writeCsv(csv);
      log("samples: " + csv);
    } catch (IOException e) {
      log("samples not written: " + e);
    }
    try {
      String title = String.format("pushgate soak %s: %d s, %d node%s%s, %d receivers, churn %d/s", Instant.now().toString().substring(0, 16),
        o.seconds, o.nodes, o.nodes > 1 ? "s" : "", o.chaos ? ", chaos (" + chaos.kills.get() + " kills, " + chaos.rolls.get() + " rolls)" : "",
        o.receivers, o.churn);
      Plot.write(png, title, timeline.samples(), chaos.events(), o.nodes);
      log("plot: " + png);
    } catch (IOException | RuntimeException | Error e) {
      log("plot not written (the run is judged without it): " + e);
    }
  }

  private long[] heapsAfterGc() throws IOException, InterruptedException {
    long[] heaps = new long[nodes.all.size()];
    for (int i = 0; i < heaps.length; i++) {
      heaps[i] = nodes.all.get(i).heapAfterGc();
    }
    return heaps;
  }

  private static String mb(long[] bytes) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < bytes.length; i++) {
      b.append(String.format("node%d %d MB; ", i + 1, bytes[i] >> 20));
    }
    return b.toString();
  }

  /** Whether {@code check} answered true for every receiver. */
  private static Future<Boolean> all(List<Receiver> receivers, java.util.function.Function<Receiver, Future<Boolean>> check) {
    List<Future<Boolean>> parts = receivers.stream().map(check).toList();
    return Future.all(parts).map(cf -> parts.stream().allMatch(Future::result));
  }

  /** Polls {@code condition} every 200 ms until it holds or the time is up. */
  private static boolean waitFor(Supplier<Future<Boolean>> condition, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.get().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)) {
          return true;
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // not this time
      }
      Thread.sleep(200); // polling interval of the condition
    }
    return false;
  }

  private void shutdown() {
    try {
      if (nodes != null) {
        nodes.stopAll();
      }
      if (sockets != null) {
        sockets.close();
      }
    } catch (Exception e) {
      log("shutdown: " + e);
    }
  }
}
