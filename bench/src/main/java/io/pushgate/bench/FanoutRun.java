package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * Fan-out: every subscriber in one room, a publisher at a steady rate for --warmup plus --duration
 * seconds, then a wait until every subscriber has everything (or the time is up). Server CPU is
 * counted from the end of the warm-up to the end of that wait, and so are the delivered items that
 * the efficiency figure divides by it; loss, duplicates and order cover the whole run.
 */
final class FanoutRun {

  /** After publishing stops, how long the last items may take beyond one tick. */
  private static final long DRAIN_GRACE_MILLIS = 5_000;

  private final Coordinator c;
  private final BenchOptions o;

  FanoutRun(Coordinator c) {
    this.c = c;
    this.o = c.options();
  }

  JsonObject run() throws Exception {
    c.phase("connecting");
    long connectStart = System.nanoTime();
    JsonObject ready = c.all(WorkerProtocol.CONNECT, WorkerProtocol.READY, o.maxSeconds * 1_000L);
    long connectMillis = (System.nanoTime() - connectStart) / 1_000_000;
    long joined = ready.getLong("joined", 0L);
    // nchan subscribes during its handshake and has no JOIN acknowledgement: give it a moment.
    c.hold("settling", 1);

    Publisher publisher = new Publisher(c.vertx(), o);
    Publisher lowPublisher = o.lowRate > 0 ? new Publisher(c.vertx(), o, true) : null;
    c.publishing(publisher);
    publisher.start();
    if (lowPublisher != null) {
      lowPublisher.start();
    }
    // JIT compilation and pool growth at the start are not the steady state: CPU is counted after
    // the warm-up, against the items delivered after it too. The first /stats request sends new
    // types down the server's hot write path and deoptimizes it; asked here, the recompilation
    // falls in the warm-up instead of the measured window.
    c.serverStats();
    c.hold("warming", o.warmup);
    c.tell(WorkerProtocol.MEASURE + " " + ItemCodec.nowMicros());
    ProcStats.Sample server0 = c.server();
    ProcStats.Sample gen0 = c.generator();
    JsonObject stats0 = c.serverStats();
    JsonObject progress0 = c.progress();
    long items0 = progress0.getLong("items", 0L);
    long lowItems0 = progress0.getLong("lowItems", 0L);
    c.hold("publishing", o.duration);
    c.phase("draining");
    publisher.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (lowPublisher != null) {
      lowPublisher.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    long pushed = publisher.accepted();
    long expected = expected(pushed, joined);
    boolean complete = Coordinator.waitFor(() -> c.progress().getLong("items", 0L) >= expected,
      o.tickMillis + DRAIN_GRACE_MILLIS);
    ProcStats.Sample server1 = c.server();
    ProcStats.Sample gen1 = c.generator();
    JsonObject progress1 = c.progress();
    long items1 = progress1.getLong("items", 0L);
    long lowItems1 = progress1.getLong("lowItems", 0L);
    JsonObject stats = c.serverStats();
    JsonObject last = c.all(WorkerProtocol.FINISH + " " + pushed, WorkerProtocol.FINAL, WorkerProtocol.FINAL_TIMEOUT_MILLIS);

    long distinct = last.getLong("items", 0L) - last.getLong("duplicates", 0L);
    double ratio = expected == 0 ? 0 : distinct / (double) expected;
    JsonObject serverUse = server1.since(server0);
    double cpu = serverUse.getDouble("cpuSeconds");
    double window = (server1.nanos() - server0.nanos()) / 1e9;
    long measured = items1 - items0;
    JsonObject latency = Outcome.histogram(last, "latency").summaryMillis();
    JsonObject fanout = new JsonObject()
      .put("subscribers", joined)
      .put("connectMillis", connectMillis)
      .put("rate", o.rate)
      .put("itemBytes", o.itemBytes)
      .put("pushed", pushed)
      .put("expected", expected)
      .put("received", last.getLong("items", 0L))
      .put("distinct", distinct)
      .put("lost", last.getLong("lost", 0L))
      .put("connectionsWithLoss", last.getLong("connectionsWithLoss", 0L))
      .put("duplicates", last.getLong("duplicates", 0L))
      .put("outOfOrder", last.getLong("outOfOrder", 0L))
      .put("deliveryRatio", ProcStats.round(ratio, 6))
      .put("drainedInTime", complete)
      .put("frames", last.getLong("frames", 0L))
      .put("bytes", last.getLong("bytes", 0L))
      .put("windowSeconds", ProcStats.round(window, 2))
      .put("itemsInWindow", measured)
      .put("itemsDeliveredPerSecond", Math.round(measured / window))
      .put("latencyMs", latency)
      .put("itemsPerServerCpuSecond", cpu > 0 ? Math.round(measured / cpu) : 0)
      .put("serverFanoutMs", serverFanout(stats0.getJsonObject("fanout"), stats.getJsonObject("fanout")))
      .put("history", HistoryDelta.of(stats0, stats, window))
      .put("offsetGaps", last.getLong("offsetGaps", 0L))
      .put("offsetRepeats", last.getLong("offsetRepeats", 0L))
      .put("publisher", publisher.toJson())
      .put("rooms", o.rooms)
      .put("serverFrames", frameCost(stats0, stats, serverUse));
    if (lowPublisher != null) {
      fanout.put("low", low(lowPublisher, last, lowItems1 - lowItems0, joined, window, stats0, stats));
    }
    JsonObject targets = new JsonObject()
      .put("deliveryRatioOne", last.getLong("lost", 0L) == 0 && last.getLong("duplicates", 0L) == 0 && expected > 0 && distinct == expected)
      .put("p99WithinTickPlus50ms", latency.getDouble("p99") <= o.tickMillis + 50);
    return new JsonObject().put("fanout", fanout).put("targets", targets)
      .put("server", serverUse).put("generator", gen1.since(gen0))
      .put("othersCpuPercent", ProcStats.othersPercent(server0, server1, gen0, gen1))
      .put("clients", Outcome.clients(last))
      .put("serverStats", stats);
  }

  /**
   * What one frame written cost the server over the window (pushgate's /stats framesWritten at both
   * ends): its CPU, user and kernel, over the frames; on loopback the kernel part includes the
   * receiver's TCP input. Empty for a server that does not count frames.
   */
  static JsonObject frameCost(JsonObject stats0, JsonObject stats1, JsonObject serverUse) {
    Number f0 = (Number) stats0.getValue("framesWritten");
    Number f1 = (Number) stats1.getValue("framesWritten");
    if (f0 == null || f1 == null || f1.longValue() <= f0.longValue()) {
      return new JsonObject();
    }
    long frames = f1.longValue() - f0.longValue();
    double cpu = serverUse.getDouble("cpuSeconds");
    double sys = serverUse.getDouble("sysSeconds");
    return new JsonObject().put("written", frames)
      .put("cpuMicrosPerFrame", ProcStats.round(cpu * 1e6 / frames, 2))
      .put("userMicrosPerFrame", ProcStats.round((cpu - sys) * 1e6 / frames, 2))
      .put("sysMicrosPerFrame", ProcStats.round(sys * 1e6 / frames, 2));
  }

  /**
   * Items every subscriber must receive: {@code pushed} each with one room; with several, each
   * subscriber its own room's share (item k went to room k % rooms). Assumes the subscribers joined
   * are the first {@code joined} connections, which holds when all joined.
   */
  private long expected(long pushed, long joined) {
    long sum = 0;
    for (int i = 0; i < joined; i++) {
      sum += o.itemsOfRoom(i, pushed);
    }
    return sum;
  }

  /**
   * The low-priority stream (--low-rate): best effort, so what counts is how many of them each
   * subscriber got a second in the window (the room's budget, less while the node lags), how late,
   * in order, and what the server says it sampled.
   */
  private static JsonObject low(Publisher p, JsonObject last, long inWindow, long joined, double window, JsonObject stats0, JsonObject stats1) {
    JsonObject m0 = stats0.getJsonObject("merger", new JsonObject());
    JsonObject m1 = stats1.getJsonObject("merger", new JsonObject());
    return new JsonObject()
      .put("pushed", p.accepted())
      .put("publisher", p.toJson())
      .put("received", last.getLong("lowItems", 0L))
      .put("outOfOrder", last.getLong("lowOutOfOrder", 0L))
      .put("inWindow", inWindow)
      .put("perSubscriberPerSecond", joined == 0 ? 0 : ProcStats.round(inWindow / (double) joined / window, 1))
      .put("latencyMs", Outcome.histogram(last, "lowLatency").summaryMillis())
      .put("serverSampledInWindow", m1.getLong("itemsSampled", 0L) - m0.getLong("itemsSampled", 0L))
      .put("serverLowItemsInWindow", m1.getLong("lowItems", 0L) - m0.getLong("lowItems", 0L))
      .put("lowPriorityShareAtEnd", m1.getValue("lowPriorityShare"));
  }

  /**
   * The server's own share of the latency over the window: how long after each tick its shards had
   * written the tick's frames (pushgate's /stats "fanout", read at both ends of the window). The
   * percentiles are bucket bounds: p99 100 means 99% of deliveries left within 100 ms. Empty for
   * a server that does not report it.
   */
  static JsonObject serverFanout(JsonObject before, JsonObject after) {
    if (before == null || after == null) {
      return new JsonObject();
    }
    long count = after.getLong("count") - before.getLong("count");
    JsonObject out = new JsonObject().put("deliveries", count);
    if (count == 0) {
      return out;
    }
    out.put("mean", ProcStats.round((after.getLong("sumMicros") - before.getLong("sumMicros")) / 1000.0 / count, 1));
    JsonObject le0 = before.getJsonObject("le");
    JsonObject le1 = after.getJsonObject("le");
    for (double q : new double[] {0.5, 0.99}) {
      String bound = "+Inf";
      for (String b : le1.fieldNames()) {
        if (!b.equals("+Inf") && le1.getLong(b) - le0.getLong(b, 0L) >= Math.ceil(q * count)) {
          bound = b;
          break;
        }
      }
      out.put(q == 0.5 ? "p50AtMost" : "p99AtMost", bound);
    }
    return out;
  }
}
