package io.pushgate.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real {@code java -jar target/pushgate.jar -cluster} processes on loopback, with the shipped
 * conf/cluster.xml given a cluster name and ports no other run shares. Each node keeps its ports
 * across restarts, as a pod keeps its name. Closing kills whatever still runs.
 */
public final class ProcessCluster implements AutoCloseable {

  public static final Duration START = Duration.ofSeconds(60);

  /** One node: its index, ports and the process that runs it now. */
  public record Node(int index, int publicPort, int apiPort, Process process) {

    public JsonObject stats() {
      return new JsonObject(Http.bodyOrEmpty(apiPort, "/stats"));
    }

    public boolean ready() {
      return Http.statusOrMinusOne(publicPort, "/ready") == 200;
    }

    public int members() {
      JsonObject cluster = stats().getJsonObject("cluster");
      return cluster == null ? 0 : cluster.getInteger("members", 0);
    }

    /** The node's Hazelcast member id, as /stats names it. */
    public String nodeId() {
      return stats().getJsonObject("cluster").getString("nodeId");
    }

    /** SIGKILL, and wait for it to be gone. */
    public void kill() throws InterruptedException {
      process.destroyForcibly();
      assertTrue(process.waitFor(10, TimeUnit.SECONDS), "node " + index + " killed");
    }

    /** SIGTERM: the node drains and leaves the cluster; waits for it to exit. */
    public void stop() throws InterruptedException {
      process.destroy();
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "node " + index + " exited after SIGTERM");
    }
  }

  private final Path dir;
  private final Path xml;
  private final Path logging;
  private final Map<String, String> env;
  private final List<Process> processes = new ArrayList<>();

  /** @param env further PUSHGATE_* settings of every node */
  public ProcessCluster(Path dir, Map<String, String> env) throws IOException {
    this.dir = dir;
    this.env = env;
    this.xml = clusterXml(dir);
    this.logging = loggingConfig(dir);
  }

  /**
   * The shipped logging with Hazelcast's membership and lifecycle at INFO: each node's log then says
   * who was a member when, and whether a cluster split and merged, which a failure needs to be read.
   */
  private static Path loggingConfig(Path dir) throws IOException {
    String shipped;
    try (var in = ProcessCluster.class.getResourceAsStream("/pushgate-logging.properties")) {
      shipped = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    Path file = dir.resolve("logging.properties");
    Files.writeString(file, shipped + "\ncom.hazelcast.internal.cluster.level=INFO\ncom.hazelcast.core.LifecycleService.level=INFO\n");
    return file;
  }

  /** conf/cluster.xml as shipped, with a cluster name and port range no other run shares. */
  private static Path clusterXml(Path dir) throws IOException {
    String shipped = Files.readString(Path.of("conf", "cluster.xml"));
    int base = TestNode.freePortRange(10);
    String xml = shipped.replace("<cluster-name>pushgate-dev</cluster-name>", "<cluster-name>pushgate-it-" + UUID.randomUUID() + "</cluster-name>")
      .replace(">5701</port>", ">" + base + "</port>");
    for (int i = 0; i < 10; i++) {
      xml = xml.replace("<member>127.0.0.1:" + (5701 + i) + "</member>", "<member>127.0.0.1:" + (base + i) + "</member>");
    }
    assertTrue(xml.contains(">" + base + "</port>") && xml.contains("127.0.0.1:" + (base + 2) + "<") && !xml.contains(":5701<"),
      "the shipped cluster.xml changed shape: " + xml);
    Path file = dir.resolve("cluster.xml");
    Files.writeString(file, xml);
    return file;
  }

  /** Starts {@code count} nodes and waits until each is ready and sees all of them. */
  public List<Node> startAll(int count) throws IOException {
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      nodes.add(start(i, TestNode.freePort(), TestNode.freePort()));
    }
    for (Node n : nodes) {
      awaitReady(n, count);
    }
    return nodes;
  }

  public Node start(int index, int publicPort, int apiPort) throws IOException {
    Path log = dir.resolve("node-" + index + "-" + System.nanoTime() + ".log");
    ProcessBuilder builder = new ProcessBuilder("java", "-Dvertx.hazelcast.config=" + xml, "-Djava.util.logging.config.file=" + logging,
      // A member that sends no heartbeat for 5 s is taken for dead (60 s shipped), so a killed or stopped
      // node is noticed quickly; the heartbeat goes every second (5 s shipped), so that takes five missed
      // in a row: with one every 5 s, a single late heartbeat on a starved machine could split the cluster.
      "-Dhazelcast.wait.seconds.before.join=0", "-Dhazelcast.max.no.heartbeat.seconds=5", "-Dhazelcast.heartbeat.interval.seconds=1",
      "-jar", Path.of("target", "pushgate.jar").toAbsolutePath().toString(), "-cluster", "-cluster-host", "127.0.0.1")
      .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("PUSHGATE_PUBLIC_HOST", "127.0.0.1");
    builder.environment().put("PUSHGATE_API_HOST", "127.0.0.1");
    builder.environment().put("PUSHGATE_PUBLIC_PORT", String.valueOf(publicPort));
    builder.environment().put("PUSHGATE_API_PORT", String.valueOf(apiPort));
    builder.environment().put("PUSHGATE_SHARDS", "2");
    builder.environment().putAll(env);
    Process p = builder.start();
    processes.add(p);
    return new Node(index, publicPort, apiPort, p);
  }

  /** The same node (its index and ports) started again. */
  public Node restart(Node n) throws IOException {
    return start(n.index(), n.publicPort(), n.apiPort());
  }

  public static void awaitReady(Node n, int members) {
    Eventually.await("node " + n.index() + " ready with " + members + " members", () -> n.ready() && n.members() == members, START);
  }

  /**
   * A push as a careful pusher makes one: with an idempotency key, retried while the node answers
   * 503 (an append whose owner just died fails until the cluster has noticed) or 500 (an append whose
   * backup was on a node that just died: it may have been taken, which the key sorts out).
   *
   * @return the 200 answer
   */
  public static JsonObject push(Node n, String room, Object item, String key) {
    JsonObject body = new JsonObject().put("room", room).put("items", new JsonArray().add(item)).put("idempotencyKey", key);
    long deadline = System.nanoTime() + START.toNanos();
    HttpResponse<String> r = Http.postJson(n.apiPort(), "/push/room", body);
    while ((r.statusCode() == 503 || r.statusCode() == 500) && System.nanoTime() < deadline) {
      r = Http.postJson(n.apiPort(), "/push/room", body);
    }
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  /** Lines of the nodes' logs that tell the cluster's story: memberships, splits, merges, and severe errors. */
  private static final java.util.regex.Pattern STORY =
    java.util.regex.Pattern.compile("Members \\{size|is MERGING|is MERGED|suspected to be dead|SEVERE|both halves");

  /** Kills whatever still runs, and prints the cluster's story from every node's log (at most 80 lines). */
  @Override
  public void close() {
    processes.forEach(Process::destroyForcibly);
    try (var logs = Files.list(dir)) {
      List<String> story = new ArrayList<>();
      for (Path log : logs.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
        String stamp = "";
        for (String line : Files.readAllLines(log, java.nio.charset.StandardCharsets.ISO_8859_1)) {
          boolean record = line.startsWith("20") && line.length() > 23;
          if (record) {
            stamp = line.substring(11, 23); // the time of day, for the lines of a record that spans several
          }
          if (STORY.matcher(line).find()) {
            String told = (record ? line.substring(11) : stamp + " " + line).replaceAll("\\[pushgate-it-[^\\]]*\\] \\[[0-9.]+\\] ", "");
            story.add(log.getFileName() + " " + (told.length() > 240 ? told.substring(0, 240) : told));
          }
        }
      }
      System.out.println("ProcessCluster: " + story.size() + " line(s) of the cluster's story"
        + (story.size() > 80 ? ", the first 80" : "") + "\n  " + String.join("\n  ", story.subList(0, Math.min(80, story.size()))));
    } catch (IOException e) {
      System.out.println("ProcessCluster: could not read the nodes' logs: " + e);
    }
  }
}
