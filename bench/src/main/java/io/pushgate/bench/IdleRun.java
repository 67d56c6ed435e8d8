package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

/**
 * Idle capacity: every connection joined to a room and then left alone. Memory is read before the
 * first connection and after the hold; the difference divided by the connections is the cost of one.
 */
final class IdleRun {

  private final Coordinator c;
  private final BenchOptions o;

  IdleRun(Coordinator c) {
    this.c = c;
    this.o = c.options();
  }

  JsonObject run() throws InterruptedException {
    c.phase("baseline");
    long pid = o.serverPids.isEmpty() ? -1 : o.serverPids.get(0);
    // The live heap first: its full GC may give memory back, and RSS is read after it, both times.
    long heapBase = o.jcmd && pid > 0 ? HeapProbe.liveBytes(pid) : -1;
    ProcStats.Sample base = c.server();
    JsonObject tcpBase = ProcStats.tcp();

    c.phase("connecting");
    long connectStart = System.nanoTime();
    JsonObject ready = c.all(WorkerProtocol.CONNECT, WorkerProtocol.READY, o.maxSeconds * 1_000L);
    long connectMillis = (System.nanoTime() - connectStart) / 1_000_000;
    long joined = ready.getLong("joined", 0L);

    ProcStats.Sample holdStart = c.server();
    ProcStats.Sample genStart = c.generator();
    c.hold("holding", o.hold);
    ProcStats.Sample holdEnd = c.server();
    ProcStats.Sample genEnd = c.generator();
    c.phase("measuring");
    long heap = o.jcmd && pid > 0 ? HeapProbe.liveBytes(pid) : -1;
    ProcStats.Sample end = c.server();
    JsonObject tcpEnd = ProcStats.tcp();
    JsonObject stillOpen = c.progress();
    JsonObject last = c.all(WorkerProtocol.FINISH + " 0", WorkerProtocol.FINAL, WorkerProtocol.FINAL_TIMEOUT_MILLIS);

    double perConnection = joined == 0 ? 0 : (end.rssKb() - base.rssKb()) * 1024.0 / joined;
    JsonObject idle = new JsonObject()
      .put("joined", joined)
      .put("openAtEnd", stillOpen.getLong("opened", 0L) - stillOpen.getLong("closed", 0L))
      .put("connectMillis", connectMillis)
      .put("rssBaseMB", ProcStats.round(base.rssKb() / 1024.0, 1))
      .put("rssMB", ProcStats.round(end.rssKb() / 1024.0, 1))
      .put("rssPerConnectionBytes", Math.round(perConnection))
      .put("cpuPercentWhileIdle", holdEnd.since(holdStart).getDouble("cpuPercent"))
      .put("othersCpuPercent", ProcStats.othersPercent(holdStart, holdEnd, genStart, genEnd))
      .put("kernel", kernel(tcpBase, tcpEnd, joined));
    if (heap >= 0 && heapBase >= 0) {
      idle.put("heapLiveBaseMB", ProcStats.round(heapBase / 1048576.0, 1))
        .put("heapLiveMB", ProcStats.round(heap / 1048576.0, 1))
        .put("heapPerConnectionBytes", joined == 0 ? 0 : Math.round((heap - heapBase) / (double) joined));
    }
    return new JsonObject().put("idle", idle)
      .put("clients", Outcome.clients(last))
      .put("serverStats", c.serverStats());
  }

  /** Socket memory and slab growth over the run; loopback, so both ends of each connection count. */
  private static JsonObject kernel(JsonObject before, JsonObject after, long joined) {
    long memPages = after.getLong("mem", 0L) - before.getLong("mem", 0L);
    long slabKb = after.getLong("slabKb", 0L) - before.getLong("slabKb", 0L);
    return new JsonObject()
      .put("tcpInUse", after.getLong("inuse", 0L) + after.getLong("inuse6", 0L))
      .put("tcpBufferPagesDelta", memPages)
      .put("slabDeltaMB", ProcStats.round(slabKb / 1024.0, 1))
      .put("slabPerConnectionPairBytes", joined == 0 ? 0 : Math.round(slabKb * 1024.0 / joined));
  }
}
