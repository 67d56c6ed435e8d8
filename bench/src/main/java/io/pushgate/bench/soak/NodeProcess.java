package io.pushgate.bench.soak;

import io.pushgate.bench.ProcStats;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One pushgate node: its ports, which it keeps across restarts as a pod keeps its name, and the
 * process that runs it now. Every start is an incarnation with a log file of its own.
 */
final class NodeProcess {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final int index;
  final int publicPort;
  final int apiPort;
  private final List<String> command;
  private final Map<String, String> env;
  private final Path work;
  private final String apiKey;
  private final List<Path> logs = new ArrayList<>();
  private volatile Process process;
  private volatile long startedNanos;

  NodeProcess(int index, int publicPort, int apiPort, List<String> command, Map<String, String> env, Path work, String apiKey) {
    this.index = index;
    this.publicPort = publicPort;
    this.apiPort = apiPort;
    this.command = command;
    this.env = env;
    this.work = work;
    this.apiKey = apiKey;
  }

  String name() {
    return "node" + index;
  }

  synchronized void start() throws IOException {
    Path log = work.resolve(name() + "." + (logs.size() + 1) + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("PUSHGATE_PUBLIC_PORT", String.valueOf(publicPort));
    pb.environment().put("PUSHGATE_API_PORT", String.valueOf(apiPort));
    process = pb.start();
    startedNanos = System.nanoTime();
    logs.add(log);
  }

  long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  /** When the running process was started (System.nanoTime). */
  long startedNanos() {
    return startedNanos;
  }

  boolean alive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Every log this node wrote, one per start, oldest first. */
  synchronized List<Path> logs() {
    return List.copyOf(logs);
  }

  boolean ready() {
    return alive() && status(publicPort, "/ready", null) == 200;
  }

  /** /stats, or null when the node does not answer. */
  JsonObject stats() {
    try {
      HttpResponse<String> r = HTTP.send(request(apiPort, "/stats", "Bearer " + apiKey), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  int members() {
    JsonObject s = stats();
    JsonObject cluster = s == null ? null : s.getJsonObject("cluster");
    return cluster == null ? 0 : cluster.getInteger("members", 0);
  }

  /** SIGKILL, and wait until the process is gone. */
  void kill() throws InterruptedException {
    Process p = process;
    p.destroyForcibly();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name() + " (pid " + p.pid() + ") still runs 30 s after SIGKILL");
    }
  }

  /**
   * SIGTERM: the node drains (1001 to its clients, spread) and leaves the cluster.
   *
   * @return the exit status, or -1 when it had to be killed after {@code timeoutSeconds}
   */
  int terminate(long timeoutSeconds) throws InterruptedException {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return p == null ? -1 : p.exitValue();
    }
    p.destroy();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      return -1;
    }
    return p.exitValue();
  }

  /** Resident set size in KB, 0 when the process is gone. */
  long rssKb() {
    long pid = pid();
    return pid < 0 ? 0 : ProcStats.rssKb(pid);
  }

  /** The heap in use right after a full GC (jcmd GC.run), from /stats; -1 when it could not be taken. */
  long heapAfterGc() throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(jcmd) || !alive()) {
      return -1;
    }
    Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid()), "GC.run").redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      return -1;
    }
    JsonObject s = stats();
    return s == null ? -1 : s.getJsonObject("jvm", new JsonObject()).getLong("heapUsedBytes", -1L);
  }

  static int status(int port, String path, String authorization) {
    try {
      return HTTP.send(request(port, path, authorization), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static HttpRequest request(int port, String path, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b.build();
  }
}
