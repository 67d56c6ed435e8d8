package io.pushgate.bench.soak;

import io.pushgate.bench.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The soak's command line: its scale, its mix and its mode (one node, or a cluster with chaos). */
final class SoakOptions {

  static final String USAGE = """
    usage: java -jar bench/target/pushgate-bench.jar soak [SECONDS] [options]      (see src/bench/soak.sh)
      --seconds S              how long the load runs (default 30; a bare number says the same)
      --nodes N                pushgate processes: 1 runs standalone, 2 or more run -cluster on loopback (default 1)
      --chaos                  SIGKILL a random node and start it again every --kill-every seconds, and roll every node
                               (SIGTERM, start, wait for /ready, next) every --roll-every seconds; needs --nodes 3 or more
      --kill-every MIN-MAX     seconds between kills, drawn uniformly (default 120-240)
      --roll-every S           seconds between rolls of the whole cluster (default 600)
      --settle S               seconds after a node is back before the next kill or roll (default 30)
      --receivers N            clients that stay to the end, each in --rooms-per-receiver stream rooms (default 1000)
      --rooms R                stream rooms the receivers are spread over (default 100)
      --rooms-per-receiver K   (default 3)
      --churn N                connections a second that connect, join, ping and leave, close or drop (default 200)
      --pushes N               pushes a second to the receivers' rooms, 1 to 3 items each (default 20)
      --pushes-to-all N        pushes a second to all (default 1)
      --low N                  low-priority items a second, in pushes of 50, all to the receivers' first room: best effort,
                               sampled by the nodes beyond maxRoomItemsPerSecond (1000), never in the stream (default 1500)
      --slow N                 clients in a heavy room that stop reading, each replaced every 8 s (default 4)
      --token-seconds S        life of a receiver's token; it sends REFRESH with a new one before it ends (default 120)
      --heartbeat-ms MS        the nodes' heartbeatTimeoutMillis; receivers PING every min(25 s, a third of it) (default 60000)
      --node-jvm "FLAGS"       JVM flags of each node (default "-Xms256m -Xmx256m -XX:+AlwaysPreTouch -XX:+UseG1GC")
      --jar PATH               the server's jar (default target/pushgate.jar)
      --work DIR               logs, samples (CSV) and the plot (PNG) (default target/soak)
      --seed N                 random seed of the mix and the chaos schedule (default: the time)
    """;

  private static final Set<String> FLAGS = Set.of("chaos");
  private static final Set<String> KNOWN = Set.of("seconds", "nodes", "chaos", "kill-every", "roll-every", "settle", "receivers", "rooms",
    "rooms-per-receiver", "churn", "pushes", "pushes-to-all", "low", "slow", "token-seconds", "heartbeat-ms", "node-jvm", "jar", "work", "seed");

  int seconds = 30;
  int nodes = 1;
  boolean chaos;
  int killMinSeconds = 120;
  int killMaxSeconds = 240;
  int rollEverySeconds = 600;
  int settleSeconds = 30;
  int receivers = 1000;
  int rooms = 100;
  int roomsPerReceiver = 3;
  int churn = 200;
  int pushes = 20;
  int pushesToAll = 1;
  int low = 1500;
  int slow = 4;
  int tokenSeconds = 120;
  int heartbeatMillis = 60_000;
  String nodeJvm = "-Xms256m -Xmx256m -XX:+AlwaysPreTouch -XX:+UseG1GC";
  Path jar = Path.of("target", "pushgate.jar");
  Path work = Path.of("target", "soak");
  long seed = System.nanoTime();

  static SoakOptions parse(String[] args) {
    SoakOptions o = new SoakOptions();
    List<String> bare = new ArrayList<>();
    Map<String, String> v = CommandLine.parse(args, FLAGS, bare);
    if (bare.size() > 1) {
      throw new IllegalArgumentException("one bare number (the seconds) at most, got " + bare);
    }
    if (!bare.isEmpty()) {
      v.putIfAbsent("seconds", bare.get(0));
    }
    for (String key : v.keySet()) {
      if (!KNOWN.contains(key)) {
        throw new IllegalArgumentException("unknown option --" + key);
      }
    }
    o.seconds = integer(v, "seconds", o.seconds);
    o.nodes = integer(v, "nodes", o.nodes);
    o.chaos = v.containsKey("chaos");
    if (v.containsKey("kill-every")) {
      String[] range = v.get("kill-every").split("-");
      o.killMinSeconds = Integer.parseInt(range[0].trim());
      o.killMaxSeconds = Integer.parseInt(range[range.length - 1].trim());
    }
    o.rollEverySeconds = integer(v, "roll-every", o.rollEverySeconds);
    o.settleSeconds = integer(v, "settle", o.settleSeconds);
    o.receivers = integer(v, "receivers", o.receivers);
    o.rooms = integer(v, "rooms", o.rooms);
    o.roomsPerReceiver = integer(v, "rooms-per-receiver", o.roomsPerReceiver);
    o.churn = integer(v, "churn", o.churn);
    o.pushes = integer(v, "pushes", o.pushes);
    o.pushesToAll = integer(v, "pushes-to-all", o.pushesToAll);
    o.low = integer(v, "low", o.low);
    o.slow = integer(v, "slow", o.slow);
    o.tokenSeconds = integer(v, "token-seconds", o.tokenSeconds);
    o.heartbeatMillis = integer(v, "heartbeat-ms", o.heartbeatMillis);
    o.nodeJvm = v.getOrDefault("node-jvm", o.nodeJvm);
    o.jar = Path.of(v.getOrDefault("jar", o.jar.toString()));
    o.work = Path.of(v.getOrDefault("work", o.work.toString()));
    if (v.containsKey("seed")) {
      o.seed = Long.parseLong(v.get("seed"));
    }
    o.validate();
    return o;
  }

  private static int integer(Map<String, String> v, String key, int fallback) {
    return CommandLine.integer(v, key, fallback);
  }

  private void validate() {
    if (seconds < 1 || nodes < 1 || nodes > 10 || receivers < 1 || rooms < 1 || roomsPerReceiver < 1 || roomsPerReceiver > rooms) {
      throw new IllegalArgumentException("need seconds >= 1, 1 <= nodes <= 10, receivers >= 1, 1 <= rooms-per-receiver <= rooms");
    }
    if (chaos && nodes < 3) {
      throw new IllegalArgumentException("--chaos needs --nodes 3 or more: with fewer, one death loses a stream's owner and its backup");
    }
    if (killMinSeconds < 1 || killMaxSeconds < killMinSeconds || rollEverySeconds < 1 || settleSeconds < 0) {
      throw new IllegalArgumentException("--kill-every MIN-MAX needs 1 <= MIN <= MAX; --roll-every >= 1; --settle >= 0");
    }
    if (churn < 0 || pushes < 1 || pushesToAll < 0 || low < 0 || slow < 0 || tokenSeconds < 10 || heartbeatMillis < 3_000) {
      throw new IllegalArgumentException("need churn >= 0, pushes >= 1, pushes-to-all >= 0, low >= 0, slow >= 0, token-seconds >= 10, heartbeat-ms >= 3000");
    }
  }

  boolean clustered() {
    return nodes > 1;
  }

  /** How often a receiver sends PING: pushgate.js's 25 s, or a third of a shorter server timeout. */
  long pingMillis() {
    return Math.min(25_000, heartbeatMillis / 3);
  }

  /** Stream rooms of the receivers. */
  String room(int i) {
    return "soak-" + i;
  }

  static final String HEAVY_ROOM = "soak-heavy";
  /** Items in one low-priority push. */
  static final int LOW_PER_PUSH = 50;
  /** The field that marks a low-priority item: receivers tell these frames from a stream's by it. */
  static final String LOW_FIELD = "l";
}
