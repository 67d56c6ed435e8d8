package io.pushgate.bench.soak;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Each node's connections, rooms, heap in use and RSS, taken every few seconds; a line every
 * --print seconds (a minute in a long run) with those and the run's totals; all of it kept for the
 * RSS trend, the CSV and the plot.
 */
final class Timeline {

  /** One reading of one node; {@code connections} and the rest are -1 when it did not answer. */
  record Sample(double atSeconds, int node, long pid, double processAgeSeconds, long connections, long rooms,
                double heapUsedMb, double rssMb, long slowConsumersCut) {
  }

  private final Nodes nodes;
  private final long startNanos;
  private final long sampleMillis;
  private final long printMillis;
  private final Supplier<String> totals;
  private final Consumer<String> log;
  private final List<Sample> samples = new ArrayList<>();
  private volatile boolean stopping;
  private Thread thread;

  Timeline(Nodes nodes, long startNanos, long sampleMillis, long printMillis, Supplier<String> totals, Consumer<String> log) {
    this.nodes = nodes;
    this.startNanos = startNanos;
    this.sampleMillis = sampleMillis;
    this.printMillis = printMillis;
    this.totals = totals;
    this.log = log;
  }

  void start() {
    thread = new Thread(this::run, "soak-timeline");
    thread.setDaemon(true);
    thread.start();
  }

  void stop() throws InterruptedException {
    stopping = true;
    if (thread != null) {
      thread.join(60_000);
    }
  }

  synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  private void run() {
    long nextSample = System.nanoTime();
    long nextPrint = System.nanoTime() + printMillis * 1_000_000L;
    while (!stopping) {
      List<Sample> now = takeSamples();
      if (System.nanoTime() >= nextPrint) {
        log.accept(line(now));
        nextPrint += printMillis * 1_000_000L;
      }
      nextSample += sampleMillis * 1_000_000L;
      long wait = (nextSample - System.nanoTime()) / 1_000_000L;
      if (wait > 0) {
        try {
          Thread.sleep(wait); // pacing of the samples
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** One reading of every node, kept; also used for the last line. */
  List<Sample> takeSamples() {
    List<Sample> now = new ArrayList<>();
    for (NodeProcess n : nodes.all) {
      double at = (System.nanoTime() - startNanos) / 1e9;
      JsonObject s = n.stats();
      long pid = n.pid();
      double age = (System.nanoTime() - n.startedNanos()) / 1e9;
      double rss = n.rssKb() / 1024.0;
      if (s == null) {
        now.add(new Sample(at, n.index, pid, age, -1, -1, -1, rss, -1));
      } else {
        JsonObject jvm = s.getJsonObject("jvm", new JsonObject());
        Object cut = s.getJsonObject("closed", new io.vertx.core.json.JsonObject()).getValue("slow_consumer");
        now.add(new Sample(at, n.index, pid, age, s.getLong("connections", -1L), s.getLong("rooms", -1L),
          jvm.getLong("heapUsedBytes", -1L) / 1048576.0, rss, cut instanceof Number c ? c.longValue() : -1));
      }
    }
    synchronized (this) {
      samples.addAll(now);
    }
    return now;
  }

  String line(List<Sample> now) {
    StringBuilder b = new StringBuilder(String.format("[%s]", clock(now.isEmpty() ? 0 : now.get(0).atSeconds())));
    for (Sample s : now) {
      if (s.connections() < 0) {
        b.append(String.format(" | node%d down", s.node()));
      } else {
        b.append(String.format(" | node%d conns %5d rooms %4d heap %4.0f MB rss %4.0f MB", s.node(), s.connections(), s.rooms(),
          s.heapUsedMb(), s.rssMb()));
      }
    }
    return b.append(" | ").append(totals.get()).toString();
  }

  /** Slow clients the nodes cut (4002), over every process: each process's last count, added up. */
  long slowConsumersCut() {
    java.util.Map<Long, Long> perProcess = new java.util.HashMap<>();
    for (Sample s : samples()) {
      perProcess.merge(s.pid(), s.slowConsumersCut(), Math::max);
    }
    return perProcess.values().stream().mapToLong(v -> Math.max(0, v)).sum();
  }

  static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format("%3d:%02d", s / 60, s % 60);
  }

  void writeCsv(Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("seconds,node,pid,process_age_seconds,connections,rooms,heap_used_mb,rss_mb");
    for (Sample s : samples()) {
      lines.add(String.format(java.util.Locale.ROOT, "%.1f,%d,%d,%.1f,%d,%d,%.1f,%.1f", s.atSeconds(), s.node(), s.pid(),
        s.processAgeSeconds(), s.connections(), s.rooms(), s.heapUsedMb(), s.rssMb()));
    }
    Files.write(file, lines);
  }
}
