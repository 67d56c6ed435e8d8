package io.pushgate.bench.soak;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The soak's pushgate processes on loopback, with tokens and API keys on. With more than one they
 * run {@code -cluster} on a private copy of conf/cluster.xml: its own cluster name and ports, so that
 * nothing else on the machine (another run, another engineer's cluster) joins it.
 */
final class Nodes {

  private static final long START_SECONDS = 120;

  final List<NodeProcess> all = new ArrayList<>();
  private final SoakOptions o;

  Nodes(SoakOptions o, Tokens tokens) throws IOException {
    this.o = o;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(List.of(o.nodeJvm.trim().split("\\s+")));
    if (o.clustered()) {
      // No 5 s wait before joining. Hazelcast's heartbeat timeout stays at its 60 s: on two shared
      // cores a JVM can stall for over 5 s, and a shorter timeout then splits a healthy cluster. A
      // killed member is noticed at once anyway: its sockets are refused.
      command.addAll(List.of("-Dvertx.hazelcast.config=" + clusterXml().toAbsolutePath(), "-Dhazelcast.wait.seconds.before.join=0"));
    }
    command.addAll(List.of("-jar", o.jar.toAbsolutePath().toString()));
    if (o.clustered()) {
      command.addAll(List.of("-cluster", "-cluster-host", "127.0.0.1"));
    }
    Map<String, String> env = new HashMap<>();
    env.put("PUSHGATE_PUBLIC_HOST", "127.0.0.1");
    env.put("PUSHGATE_API_HOST", "127.0.0.1");
    env.put("PUSHGATE_SHARDS", "2");
    env.put("PUSHGATE_TICK_MILLIS", "50");
    env.put("PUSHGATE_JWT_HS256_SECRET", tokens.secret);
    env.put("PUSHGATE_API_KEYS", tokens.apiKey);
    // A slow client is cut after 256 KB instead of 1 MB: the heavy room fills that within seconds.
    env.put("PUSHGATE_MAX_OUTBOUND_BYTES", "262144");
    env.put("PUSHGATE_CLOSE_TIMEOUT_MILLIS", "2000");
    env.put("PUSHGATE_HEARTBEAT_TIMEOUT_MILLIS", String.valueOf(o.heartbeatMillis));
    if (o.clustered()) {
      // As k8s/ sets it: a node that sees less than a majority is not ready, so no new client or
      // pusher (through a load balancer) reaches a side of a split that cannot be trusted with streams.
      env.put("PUSHGATE_MIN_CLUSTER_MEMBERS", String.valueOf(o.nodes / 2 + 1));
    }
    for (int i = 1; i <= o.nodes; i++) {
      all.add(new NodeProcess(i, freePort(), freePort(), command, env, o.work, tokens.apiKey));
    }
  }

  /** conf/cluster.xml with a cluster name of its own and a range of ten free ports instead of 5701-5710. */
  private Path clusterXml() throws IOException {
    Path shipped = Path.of("conf", "cluster.xml");
    if (!Files.isRegularFile(shipped)) {
      throw new IllegalStateException(shipped.toAbsolutePath() + " is missing: run the soak from the repository's root");
    }
    int base = freePortRange(10);
    String xml = Files.readString(shipped)
      .replace("<cluster-name>pushgate-dev</cluster-name>", "<cluster-name>pushgate-soak-" + UUID.randomUUID() + "</cluster-name>")
      .replace(">5701</port>", ">" + base + "</port>");
    for (int i = 0; i < 10; i++) {
      xml = xml.replace("<member>127.0.0.1:" + (5701 + i) + "</member>", "<member>127.0.0.1:" + (base + i) + "</member>");
    }
    if (!xml.contains(">" + base + "</port>") || xml.contains(":5701<") || !xml.contains("pushgate-soak-")) {
      throw new IllegalStateException("conf/cluster.xml changed shape: the soak cannot give its cluster a name and ports of its own");
    }
    Path file = o.work.resolve("cluster.xml");
    Files.writeString(file, xml);
    return file;
  }

  void startAll() throws IOException, InterruptedException {
    for (NodeProcess n : all) {
      n.start();
    }
    for (NodeProcess n : all) {
      awaitReady(n);
    }
  }

  /** Waits until the node answers /ready and, in a cluster, sees every member. */
  void awaitReady(NodeProcess n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
    while (System.nanoTime() < deadline) {
      if (!n.alive()) {
        throw new IllegalStateException(n.name() + " exited at start; see " + n.logs().get(n.logs().size() - 1));
      }
      if (n.ready() && (!o.clustered() || n.members() == o.nodes)) {
        return;
      }
      Thread.sleep(100); // polling interval of the condition
    }
    throw new IllegalStateException(n.name() + " not ready with " + o.nodes + " members within " + START_SECONDS + " s");
  }

  /** A node for a client or a pusher to try, as a load balancer would pick one: any, up or not. */
  NodeProcess any() {
    return all.get(ThreadLocalRandom.current().nextInt(all.size()));
  }

  /** SIGTERM to every node, at once; SIGKILL what is still running after the shutdown budget. */
  void stopAll() throws InterruptedException {
    List<Thread> stops = new ArrayList<>();
    for (NodeProcess n : all) {
      Thread t = new Thread(() -> {
        try {
          n.terminate(60);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.start();
      stops.add(t);
    }
    for (Thread t : stops) {
      t.join(TimeUnit.SECONDS.toMillis(120));
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static int freePortRange(int count) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + ThreadLocalRandom.current().nextInt(30_000);
      boolean free = true;
      for (int p = base; p < base + count && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(false);
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no " + count + " consecutive free ports on loopback");
  }
}
