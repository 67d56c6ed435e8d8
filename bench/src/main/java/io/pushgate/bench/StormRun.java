package io.pushgate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Reconnect storm: every subscriber connects and joins (ramped), all close, and once the server has
 * let them go, all reconnect and rejoin at the same instant. The clock starts at that instant, in the
 * coordinator, and each child measures against it on the machine's one monotonic clock. Done
 * --storm-rounds times; the last round is the figure, the earlier ones warm both JITs.
 *
 * <p>With --since the rooms are streams and the clients come back as pushgate.js does: before the
 * first drop each room gets --since-items items, so every client has a position; while they are
 * away each room gets --missed more; each client rejoins with JOIN since its last position. A round
 * then also counts the answers (recovered, or the reason not) and lasts until every client holds
 * every item pushed so far, exactly once and in offset order (checked at the end).
 */
final class StormRun {

  private static final long TARGET_MICROS = 2_000_000;

  private final Coordinator c;
  private final BenchOptions o;

  StormRun(Coordinator c) {
    this.c = c;
    this.o = c.options();
  }

  JsonObject run() throws Exception {
    if (ProcStats.somaxconn() >= 0 && ProcStats.somaxconn() < o.connections) {
      System.err.println("bench storm: net.core.somaxconn is " + ProcStats.somaxconn() + ", below " + o.connections
        + " clients: SYNs beyond the accept queue are dropped and retried after 1 s (see listenOverflows per round);"
        + " raise it with sysctl -w net.core.somaxconn=" + Math.max(4096, Integer.highestOneBit(o.connections) * 2)
        + " and restart the server");
    }
    c.phase("connecting");
    JsonObject ready = c.all(WorkerProtocol.CONNECT, WorkerProtocol.READY, o.maxSeconds * 1_000L);
    RoomPusher pusher = o.since ? new RoomPusher(o) : null;
    if (pusher != null) {
      c.phase("positions");
      long primed = pusher.push(o.sinceItems) * o.connections;
      if (!Coordinator.waitFor(() -> c.progress().getLong("items", 0L) >= primed, o.stormTimeout * 1_000L)) {
        throw new IllegalStateException("the clients did not receive the first " + o.sinceItems + " items of their rooms within "
          + o.stormTimeout + " s: they have no position to rejoin from");
      }
    }
    JsonArray rounds = new JsonArray();
    boolean serverEmpty = true;
    JsonObject before = new JsonObject();
    JsonObject after = new JsonObject();
    JsonObject failuresBefore = ready.getJsonObject("connectFailures", new JsonObject());
    ProcStats.Sample server0 = null;
    ProcStats.Sample server1 = null;
    ProcStats.Sample gen0 = null;
    ProcStats.Sample gen1 = null;
    for (int round = 1; round <= o.stormRounds; round++) {
      c.phase("dropping");
      c.all(WorkerProtocol.DROP, WorkerProtocol.DROPPED, 60_000);
      serverEmpty = o.target != BenchOptions.Target.PUSHGATE
        || Coordinator.waitFor(() -> c.serverStats().getInteger("connections", -1) == 0, 20_000);
      before = c.serverStats();
      Thread.sleep(500);
      failuresBefore = c.progress().getJsonObject("connectFailures", new JsonObject());
      long expected = 0;
      if (pusher != null) {
        c.phase("missing " + round);
        expected = pusher.push(o.missed);
        before = c.serverStats();
      }

      c.phase("storm " + round);
      server0 = c.server();
      gen0 = c.generator();
      long overflows0 = ProcStats.listenOverflows();
      long t0 = System.nanoTime();
      JsonObject rejoined = c.all(WorkerProtocol.RECONNECT + " " + t0 + " " + expected, WorkerProtocol.REJOINED, (o.stormTimeout + 30) * 1_000L);
      boolean caughtUp = pusher == null || Coordinator.waitFor(() -> c.progress().getLong("caughtUpCount", 0L) >= o.connections,
        Math.max(1_000, o.stormTimeout * 1_000L - (System.nanoTime() - t0) / 1_000_000));
      server1 = c.server();
      gen1 = c.generator();
      after = c.serverStats();
      JsonObject r = new JsonObject().put("round", round).put("joined", rejoined.getLong("joined", 0L))
        .put("lastAttemptEndedMs", (rejoined.getLong("endNanos", t0) - t0) / 1_000_000)
        .put("serverCpuSeconds", server1.since(server0).getDouble("cpuSeconds"))
        .put("listenOverflows", ProcStats.listenOverflows() - overflows0);
      if (pusher != null) {
        JsonObject p = c.progress();
        r.put("itemsPerRoom", expected).put("caughtUp", p.getLong("caughtUpCount", 0L)).put("allCaughtUp", caughtUp)
          .put("caughtUpAfterMs", (System.nanoTime() - t0) / 1_000_000)
          .put("answers", p.getJsonObject("recovery", new JsonObject()))
          .put("history", HistoryDelta.of(before, after, 0));
      }
      rounds.add(r);
    }
    JsonObject last = c.all(WorkerProtocol.FINISH + " " + (pusher == null ? 0 : pusher.pushed()), WorkerProtocol.FINAL, WorkerProtocol.FINAL_TIMEOUT_MILLIS);

    LatencyHistogram rejoin = Outcome.histogram(last, "rejoin");
    long within = rejoin.countAtMost(TARGET_MICROS);
    JsonObject failures = subtract(last.getJsonObject("connectFailures", new JsonObject()), failuresBefore);
    JsonObject storm = new JsonObject()
      .put("clients", o.connections)
      .put("somaxconn", ProcStats.somaxconn())
      .put("joinedBeforeStorm", ready.getLong("joined", 0L))
      .put("serverEmptyBeforeStorm", serverEmpty)
      .put("rejoined", rejoin.total())
      .put("rejoinedWithin2s", within)
      .put("rejoinMs", rejoin.summaryMillis())
      .put("allRejoinedMs", rejoin.total() == o.connections ? rejoin.quantileMicros(1.0) / 1000.0 : null)
      .put("rounds", rounds)
      .put("failedAttempts", failures)
      .put("failedAttemptsTotal", failures.stream().mapToLong(e -> ((Number) e.getValue()).longValue()).sum())
      .put("serverRefusedDelta", subtract(after.getJsonObject("refused", new JsonObject()), before.getJsonObject("refused", new JsonObject())));
    JsonObject targets = new JsonObject()
      .put("allRejoinedWithin2s", within == o.connections)
      .put("noFailedHandshake", failures.isEmpty());
    if (pusher != null) {
      LatencyHistogram caughtUp = Outcome.histogram(last, "caughtUp");
      JsonObject answers = last.getJsonObject("recovery", new JsonObject());
      storm.put("rooms", o.roomNames().size())
        .put("itemsPerRoom", pusher.pushed())
        .put("pushRetries", pusher.retries())
        .put("answers", answers)
        .put("caughtUp", caughtUp.total())
        .put("caughtUpMs", caughtUp.summaryMillis())
        .put("allRecoveredMs", caughtUp.total() == o.connections ? caughtUp.quantileMicros(1.0) / 1000.0 : null)
        .put("history", HistoryDelta.of(before, after, 0))
        .put("lost", last.getLong("lost", 0L))
        .put("duplicates", last.getLong("duplicates", 0L))
        .put("outOfOrder", last.getLong("outOfOrder", 0L))
        .put("offsetGaps", last.getLong("offsetGaps", 0L))
        .put("offsetRepeats", last.getLong("offsetRepeats", 0L));
      targets.put("everyRejoinRecovered", answers.getLong("recovered", 0L) == o.connections && answers.size() == 1)
        .put("exactlyOnceInOrder", last.getLong("lost", 0L) == 0 && last.getLong("duplicates", 0L) == 0
          && last.getLong("outOfOrder", 0L) == 0 && last.getLong("offsetGaps", 0L) == 0 && last.getLong("offsetRepeats", 0L) == 0);
    }
    return new JsonObject().put("storm", storm).put("targets", targets)
      .put("server", server1.since(server0)).put("generator", gen1.since(gen0))
      .put("othersCpuPercent", ProcStats.othersPercent(server0, server1, gen0, gen1))
      .put("clients", Outcome.clients(last));
  }

  private static JsonObject subtract(JsonObject after, JsonObject before) {
    JsonObject out = new JsonObject();
    after.forEach(e -> {
      if (e.getValue() instanceof Number n) {
        long d = n.longValue() - before.getLong(e.getKey(), 0L);
        if (d != 0) {
          out.put(e.getKey(), d);
        }
      }
    });
    return out;
  }
}
