package io.pushgate.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The command line of the generator, shared by the coordinator and its child processes. */
final class BenchOptions {

  enum Mode { IDLE, FANOUT, STORM }

  enum Target { PUSHGATE, NCHAN }

  static final String USAGE = """
    usage: java -jar bench/target/pushgate-bench.jar MODE [options]     (MODE: idle | fanout | storm)
           java -jar bench/target/pushgate-bench.jar soak [SECONDS] [options]  (soak --help; see src/bench/soak.sh)
      --target pushgate|nchan     server kind (default pushgate)
      --ws URL[,URL...]           subscribe URL; {room} is replaced (default ws://127.0.0.1:7777/connect,
                                  nchan: ws://127.0.0.1:8090/sub/{room}); several: connection i uses the (i % n)-th (a cluster)
      --push URL[,URL...]         publish URL (default http://127.0.0.1:7799/push/room, nchan: http://127.0.0.1:8090/pub/{room});
                                  several: publish request j goes to the (j % n)-th; /stats is read from the first
      --connections N             subscribers (default 1000)
      --room NAME                 the room; NAME-0 … NAME-(rooms-1) when --rooms > 1 (default bench)
      --rooms R                   rooms to spread the connections over, connection i in room i % R (default 1); fanout
                                  then pushes item k to room k % R, one item a request, each room numbered on its own
      --rate N                    fanout: items per second, over all rooms (default 1000)
      --low-rate N                fanout: also N low-priority items per second ("priority":"low"), numbered on their
                                  own and marked in their padding; best effort: counted, not required (default 0)
      --low-unmarked              fanout: push the --low-rate items without "priority":"low", as a pusher did before
                                  priorities (every item normal); they are still counted apart
      --item-bytes B              size of one item's JSON (default 100, at least 48)
      --push-batch N              most items in one publish request (default 1000; nchan always 1)
      --duration S                fanout: seconds of publishing that are measured (default 10)
      --warmup S                  fanout: seconds of publishing before that, left out of latency and CPU (default 2)
      --hold S                    idle: seconds to hold every connection before measuring (default 10)
      --tick-ms T                 the server's tick, for the latency target tick+50 ms (default 100)
      --sources K                 source addresses 127.0.0.2 … 127.0.0.(K+1) (default 8)
      --per-process N             most connections in one child process (default 9500; the limit is 20,000 files)
      --loops N                   event loops per child process (default 2)
      --connect-concurrency N     handshakes in flight per child while ramping up (default 256)
      --storm-timeout S           storm: give up on reconnecting after S seconds (default 20)
      --storm-rounds N            storm: drop and reconnect N times, measure the last (default 2: one warms the JIT)
      --since                     storm of streams: every client has a position (--since-items pushed to each room
                                  before the first drop), --missed items are pushed while they are away, and each
                                  rejoins with JOIN since its last position; counts recovered:true/false by reason
                                  and the time until every client holds every item
      --since-items N             storm --since: items pushed to each room before the first drop (default 5)
      --missed N                  storm --since: items pushed to each room while its clients are away, per round (default 20)
      --server-pid P[,P...]       processes whose CPU time and RSS are the server's (e.g. nginx workers)
      --jcmd                      also take the server's live heap with jcmd GC.class_histogram (Java servers)
      --child-jvm "FLAGS"         JVM flags of the child processes (default "-Xms1g -Xmx4g -XX:+UseParallelGC", plus -XX:TieredStopAtLevel=1 in storm)
      --max-seconds S             hard bound on the whole run (default: derived from the other options)
    """;

  private static final Set<String> FLAGS = Set.of("jcmd", "child", "since", "low-unmarked");

  Mode mode;
  Target target = Target.PUSHGATE;
  String ws;
  String push;
  int connections = 1000;
  String room = "bench";
  int rooms = 1;
  int rate = 1000;
  int lowRate;
  boolean lowUnmarked;
  int itemBytes = 100;
  int pushBatch = 1000;
  int duration = 10;
  int warmup = 2;
  int hold = 10;
  int tickMillis = 100;
  int sources = 8;
  int perProcess = 9500;
  int loops = 2;
  int connectConcurrency = 256;
  int stormTimeout = 20;
  int stormRounds = 2;
  boolean since;
  int sinceItems = 5;
  int missed = 20;
  List<Long> serverPids = new ArrayList<>();
  boolean jcmd;
  String childJvm = "-Xms1g -Xmx4g -XX:+UseParallelGC";
  int maxSeconds;

  boolean child;
  int childIndex;
  int childOffset;
  int childCount;

  /** The arguments as given, so that a child process is launched with exactly the same options. */
  String[] raw;

  static BenchOptions parse(String[] args) {
    BenchOptions o = new BenchOptions();
    o.raw = args.clone();
    List<String> positional = new ArrayList<>();
    Map<String, String> values = CommandLine.parse(args, FLAGS, positional);
    if (positional.size() != 1) {
      throw new IllegalArgumentException("give exactly one mode (idle, fanout, storm), got " + positional);
    }
    o.mode = Mode.valueOf(positional.get(0).toUpperCase());
    o.apply(values);
    o.validate();
    return o;
  }

  private void apply(Map<String, String> v) {
    target = Target.valueOf(v.getOrDefault("target", "pushgate").toUpperCase());
    boolean nchan = target == Target.NCHAN;
    ws = v.getOrDefault("ws", nchan ? "ws://127.0.0.1:8090/sub/{room}" : "ws://127.0.0.1:7777/connect");
    push = v.getOrDefault("push", nchan ? "http://127.0.0.1:8090/pub/{room}" : "http://127.0.0.1:7799/push/room");
    connections = integer(v, "connections", connections);
    room = v.getOrDefault("room", room);
    rooms = integer(v, "rooms", rooms);
    rate = integer(v, "rate", rate);
    lowRate = integer(v, "low-rate", lowRate);
    lowUnmarked = v.containsKey("low-unmarked");
    itemBytes = integer(v, "item-bytes", itemBytes);
    pushBatch = nchan ? 1 : integer(v, "push-batch", pushBatch);
    duration = integer(v, "duration", duration);
    warmup = integer(v, "warmup", warmup);
    hold = integer(v, "hold", hold);
    tickMillis = integer(v, "tick-ms", tickMillis);
    sources = integer(v, "sources", sources);
    perProcess = integer(v, "per-process", perProcess);
    loops = integer(v, "loops", loops);
    connectConcurrency = integer(v, "connect-concurrency", connectConcurrency);
    stormTimeout = integer(v, "storm-timeout", stormTimeout);
    stormRounds = integer(v, "storm-rounds", stormRounds);
    since = v.containsKey("since");
    sinceItems = integer(v, "since-items", sinceItems);
    missed = integer(v, "missed", missed);
    if (v.containsKey("server-pid")) {
      Arrays.stream(v.get("server-pid").split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .forEach(p -> serverPids.add(Long.parseLong(p)));
    }
    jcmd = v.containsKey("jcmd");
    // A storm's children run each handshake path a few thousand times and exit: C2 would still be
    // compiling it when the round ends, on the cores the server needs, so storms stop at C1.
    childJvm = v.getOrDefault("child-jvm", mode == Mode.STORM ? childJvm + " -XX:TieredStopAtLevel=1" : childJvm);
    child = v.containsKey("child");
    childIndex = integer(v, "child-index", 0);
    childOffset = integer(v, "child-offset", 0);
    childCount = integer(v, "child-count", connections);
    maxSeconds = integer(v, "max-seconds", 240 + duration + warmup + hold + stormRounds * (stormTimeout + 30) + connections / 500);
  }

  private static int integer(Map<String, String> v, String key, int fallback) {
    return CommandLine.integer(v, key, fallback);
  }

  private void validate() {
    for (String url : ws.split(",")) {
      Loopback.require(url.replace("{room}", "r"));
    }
    for (String url : push.split(",")) {
      Loopback.require(url.replace("{room}", "r"));
    }
    Loopback.sources(sources);
    positive("connections", connections);
    positive("rooms", rooms);
    positive("rate", rate);
    positive("duration", duration);
    positive("per-process", perProcess);
    positive("loops", loops);
    positive("connect-concurrency", connectConcurrency);
    positive("storm-rounds", stormRounds);
    positive("max-seconds", maxSeconds);
    if (since) {
      if (mode != Mode.STORM || target != Target.PUSHGATE) {
        throw new IllegalArgumentException("--since is a pushgate storm's option");
      }
      positive("since-items", sinceItems);
      positive("missed", missed);
    }
    if (lowRate < 0) {
      throw new IllegalArgumentException("--low-rate must be at least 0");
    }
    if (lowRate > 0 && (mode != Mode.FANOUT || target != Target.PUSHGATE)) {
      throw new IllegalArgumentException("--low-rate is a pushgate fanout's option");
    }
    if (lowRate > 0 && itemBytes <= ItemCodec.MIN_BYTES) {
      throw new IllegalArgumentException("--low-rate needs --item-bytes over " + ItemCodec.MIN_BYTES + ": low items are marked in their padding");
    }
    if (itemBytes < ItemCodec.MIN_BYTES) {
      throw new IllegalArgumentException("--item-bytes must be at least " + ItemCodec.MIN_BYTES);
    }
    if (perProcess > 19_500) {
      throw new IllegalArgumentException("--per-process over 19,500 would pass the 20,000 open files of one process");
    }
  }

  private static void positive(String key, int value) {
    if (value < 1) {
      throw new IllegalArgumentException("--" + key + " must be at least 1");
    }
  }

  String roomOf(int connection) {
    return rooms > 1 ? room + "-" + (connection % rooms) : room;
  }

  /**
   * Fanout: of the first {@code pushed} items (item k went to room k % rooms), how many the room of
   * {@code connection} got: what each of its subscribers must receive.
   */
  long itemsOfRoom(int connection, long pushed) {
    if (rooms == 1) {
      return pushed;
    }
    long r = connection % rooms;
    return pushed <= r ? 0 : (pushed - r + rooms - 1) / rooms;
  }

  /** The publish URL of {@code roomName} (nchan names the channel in the path) for the {@code request}-th request. */
  URI pushUri(String roomName, long request) {
    String[] urls = push.split(",");
    return URI.create(urls[(int) (request % urls.length)].replace("{room}", java.net.URLEncoder.encode(roomName, java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** The subscribe URL of connection {@code connection}: with several, spread over them in turn. */
  URI wsUri(String roomName, int connection) {
    String[] urls = ws.split(",");
    return URI.create(urls[connection % urls.length].replace("{room}", java.net.URLEncoder.encode(roomName, java.nio.charset.StandardCharsets.UTF_8)));
  }

  URI pushUri() {
    return pushUri(room, 0);
  }

  /** Every room the subscribers are in, in order. */
  List<String> roomNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < Math.min(rooms, connections); i++) {
      names.add(roomOf(i));
    }
    return names.stream().distinct().toList();
  }

  /** pushgate's /stats on the same host and port as its push API. */
  URI statsUri() {
    URI p = pushUri();
    return URI.create("http://" + p.getHost() + ":" + p.getPort() + "/stats");
  }

  int processes() {
    return (connections + perProcess - 1) / perProcess;
  }
}
