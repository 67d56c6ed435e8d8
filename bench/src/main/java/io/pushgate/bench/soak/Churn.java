package io.pushgate.bench.soak;

import io.pushgate.bench.ClientSocket;
import io.vertx.core.internal.ContextInternal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connections that come and go at --churn a second, to any node: each joins one to three rooms
 * (the receivers' streams and rooms of its own), PINGs, stays a moment, maybe leaves a room, and
 * then closes or drops without a close frame. One in twenty has a token that is not one (refused
 * with 401); one in twenty has a token that expires a few seconds in, and stays until the node
 * closes it (1008). At most {@link #MAX_ACTIVE} are open at once.
 */
final class Churn {

  private static final int MAX_ACTIVE = 3_000;
  private static final long TICK_MILLIS = 50;

  private final SoakOptions o;
  private final Nodes nodes;
  private final Tokens tokens;
  private final Sockets sockets;
  private final ClientStats stats;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicLong launched = new AtomicLong();
  private volatile boolean stopping;

  Churn(SoakOptions o, Nodes nodes, Tokens tokens, Sockets sockets, ClientStats stats) {
    this.o = o;
    this.nodes = nodes;
    this.tokens = tokens;
    this.sockets = sockets;
    this.stats = stats;
  }

  /** Starts launching on two lanes, half the rate each. */
  void start() {
    for (int i = 0; i < 2; i++) {
      ContextInternal lane = (ContextInternal) sockets.lane();
      double perTick = o.churn / 2.0 * TICK_MILLIS / 1_000.0;
      double[] credit = {0};
      lane.runOnContext(v -> lane.setPeriodic(TICK_MILLIS, id -> {
        if (stopping) {
          sockets.vertx.cancelTimer(id);
          return;
        }
        credit[0] += perTick;
        while (credit[0] >= 1) {
          credit[0] -= 1;
          if (active.get() >= MAX_ACTIVE) {
            stats.churnSkipped.increment();
          } else {
            launch(lane);
          }
        }
      }));
    }
  }

  /** Stops launching; waits (bounded) until every churn connection has ended. */
  void stop(long timeoutMillis) throws InterruptedException {
    stopping = true;
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (active.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50); // polling interval of the condition
    }
  }

  int active() {
    return active.get();
  }

  private void launch(ContextInternal lane) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int kind = random.nextInt(20);
    long n = launched.incrementAndGet();
    boolean invalid = kind == 0;
    boolean expiring = kind == 1;
    String token = invalid ? "not-a-token" : tokens.token("churn-" + n % 10_000, expiring ? 2 + random.nextInt(5) : 3_600);
    active.incrementAndGet();
    sockets.connect(lane, nodes.any(), token, frame -> { }, status -> lane.emit(v -> {
      active.decrementAndGet();
      if (status == 1008) {
        stats.churnTokenExpired.increment();
      }
    })).onComplete(ar -> lane.emit(v -> {
      if (ar.failed()) {
        active.decrementAndGet();
        if (invalid && String.valueOf(ar.cause().getMessage()).startsWith("http 401")) {
          stats.churnRefused401.increment();
        } else {
          stats.churnFailures.increment();
        }
        return;
      }
      stats.churnConnections.increment();
      use(lane, ar.result(), expiring);
    }));
  }

  private void use(ContextInternal lane, ClientSocket ws, boolean expiring) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int joins = 1 + random.nextInt(3);
    String soakRoom = o.room(random.nextInt(o.rooms));
    for (int j = 0; j < joins; j++) {
      String room = j == 0 ? soakRoom : "churn-" + random.nextInt(200);
      ws.sendText("{\"type\":\"JOIN\",\"data\":{\"room\":\"" + room + "\"}}");
    }
    ws.sendText("{\"type\":\"PING\"}");
    // An expiring token stays until the node closes it at exp (1008), cut after 10 s regardless.
    long hold = expiring ? 10_000 : 50 + random.nextInt(1_500);
    lane.setTimer(hold, id -> {
      if (random.nextBoolean()) {
        ws.sendText("{\"type\":\"LEAVE\",\"data\":{\"room\":\"" + soakRoom + "\"}}");
      }
      if (random.nextInt(4) == 0) {
        ws.abort();
      } else {
        ws.close();
      }
    });
  }
}
