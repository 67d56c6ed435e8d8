package io.pushgate.bench.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The chaos schedule, printed as it happens: every --kill-every seconds (drawn uniformly) a random
 * node is killed with SIGKILL and started again; every --roll-every seconds every node in turn is
 * stopped with SIGTERM (it drains), started again and waited for until it is ready and sees the whole
 * cluster, then the next. One event at a time, and none within --settle seconds of the last node
 * coming back: Hazelcast needs that long to give every partition its backup again, and two nodes
 * lost before that lose the streams they held between them (PROTOCOL.md says what happens then).
 */
final class Chaos {

  /** One thing that happened to the cluster, at seconds since the load began, and on the wall clock. */
  record Event(double atSeconds, java.time.Instant at, String kind, int node) {
  }

  /** SIGTERM waits this long for the drain (shutdownTimeoutMillis 30 s) before SIGKILL. */
  private static final long TERM_SECONDS = 60;
  /** The nodes' shutdownTimeoutMillis (30 s, the default) and 5 s for the JVM to exit: a drain past it is not clean. */
  private static final double DRAIN_BUDGET_SECONDS = 35;

  final AtomicLong kills = new AtomicLong();
  final AtomicLong restarts = new AtomicLong();
  final AtomicLong rolls = new AtomicLong();
  /** SIGTERMs after which the node did not exit by itself within its shutdown budget (143 = by the signal, as it should). */
  final AtomicLong uncleanExits = new AtomicLong();
  private final List<Event> events = new ArrayList<>();
  private final SoakOptions o;
  private final Nodes nodes;
  private final Random random;
  private final Consumer<String> log;
  private final long startNanos;
  private volatile boolean stopping;
  private Thread thread;

  Chaos(SoakOptions o, Nodes nodes, Random random, Consumer<String> log, long startNanos) {
    this.o = o;
    this.nodes = nodes;
    this.random = random;
    this.log = log;
    this.startNanos = startNanos;
  }

  synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /** Runs the schedule until {@code deadlineNanos} (no event starts after it) or {@link #stop}. */
  void start(long deadlineNanos) {
    thread = new Thread(() -> {
      try {
        run(deadlineNanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        log.accept("chaos: stopped by " + e);
        throw e;
      }
    }, "soak-chaos");
    thread.setDaemon(true);
    thread.start();
  }

  /** Lets an event under way finish, then ends the schedule. */
  void stop() throws InterruptedException {
    stopping = true;
    if (thread != null) {
      thread.join(600_000);
    }
  }

  private void run(long deadlineNanos) throws InterruptedException {
    long nextKill = System.nanoTime() + killInterval();
    long nextRoll = System.nanoTime() + o.rollEverySeconds * 1_000_000_000L;
    log.accept(String.format("chaos: first kill in %d s, a roll every %d s, %d s to settle after each",
      (nextKill - System.nanoTime()) / 1_000_000_000L, o.rollEverySeconds, o.settleSeconds));
    while (!stopping) {
      long next = Math.min(nextKill, nextRoll);
      if (next >= deadlineNanos) {
        return;
      }
      while (!stopping && System.nanoTime() < next) {
        Thread.sleep(Math.min(1_000, Math.max(1, (next - System.nanoTime()) / 1_000_000))); // waiting for the schedule
      }
      if (stopping) {
        return;
      }
      if (nextRoll <= nextKill) {
        roll();
        nextRoll += o.rollEverySeconds * 1_000_000_000L;
      } else {
        kill();
      }
      settle();
      // A kill that fell due meanwhile is drawn again from now; a roll that did waits no longer.
      long now = System.nanoTime();
      if (nextKill <= now) {
        nextKill = now + killInterval();
      }
    }
  }

  private long killInterval() {
    return (o.killMinSeconds + (long) random.nextInt(o.killMaxSeconds - o.killMinSeconds + 1)) * 1_000_000_000L;
  }

  private void kill() throws InterruptedException {
    NodeProcess n = nodes.all.get(random.nextInt(nodes.all.size()));
    long pid = n.pid();
    event("kill", n);
    n.kill();
    kills.incrementAndGet();
    log.accept(String.format("chaos: kill %d: SIGKILL %s (pid %d); starting it again", kills.get(), n.name(), pid));
    restart(n);
  }

  private void roll() throws InterruptedException {
    long roll = rolls.incrementAndGet();
    log.accept("chaos: roll " + roll + ": every node in turn, SIGTERM, start, ready, next");
    for (NodeProcess n : nodes.all) {
      long pid = n.pid();
      event("roll", n);
      long t0 = System.nanoTime();
      int status = n.terminate(TERM_SECONDS);
      double took = (System.nanoTime() - t0) / 1e9;
      if ((status != 0 && status != 143) || took > DRAIN_BUDGET_SECONDS) {
        uncleanExits.incrementAndGet();
      }
      log.accept(String.format("chaos: roll %d: SIGTERM %s (pid %d): exited with %d after %.1f s", roll, n.name(), pid, status, took));
      restart(n);
    }
  }

  private void restart(NodeProcess n) throws InterruptedException {
    long t0 = System.nanoTime();
    try {
      n.start();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(n.name() + " could not be started again", e);
    }
    restarts.incrementAndGet();
    nodes.awaitReady(n);
    event("ready", n);
    log.accept(String.format("chaos: %s (pid %d) ready with %d members after %.1f s", n.name(), n.pid(), o.nodes, (System.nanoTime() - t0) / 1e9));
  }

  private void settle() throws InterruptedException {
    long until = System.nanoTime() + o.settleSeconds * 1_000_000_000L;
    while (!stopping && System.nanoTime() < until) {
      Thread.sleep(200); // the settling time itself
    }
  }

  private synchronized void event(String kind, NodeProcess n) {
    events.add(new Event((System.nanoTime() - startNanos) / 1e9, java.time.Instant.now(), kind, n.index));
  }
}
