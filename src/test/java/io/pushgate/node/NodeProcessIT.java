package io.pushgate.node;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.StreamReader;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged jar as users run it: {@code java -jar target/pushgate.jar -conf FILE}, stopped by SIGTERM. */
class NodeProcessIT {

  @Test
  void sigtermFlushesWhatIsMergedClosesClientsWith1001AndExits(@TempDir Path dir) throws Exception {
    int publicPort = TestNode.freePort();
    int apiPort = TestNode.freePort();
    Path conf = dir.resolve("node.json");
    // A long tick: the pushed item is still merged, not sent, when SIGTERM arrives.
    Files.writeString(conf, new JsonObject().put("publicHost", "127.0.0.1").put("apiHost", "127.0.0.1")
      .put("publicPort", publicPort).put("apiPort", apiPort).put("tickMillis", 60_000).encode());
    Path log = dir.resolve("node.log");
    // Two CPUs, as in a small pod: the JDK would give its common pool a parallelism of 1.
    // -instances 6: more shards than the 4 of two CPUs' default, so that the event loops must be counted from it.
    Process node = new ProcessBuilder("java", "-XX:ActiveProcessorCount=2", "-jar", Path.of("target", "pushgate.jar").toString(), "-conf", conf.toString(), "-instances", "6")
      .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      Eventually.await("node ready", () -> Http.statusOrMinusOne(publicPort, "/ready") == 200, java.time.Duration.ofSeconds(30));
      TestClient client = TestClient.connect(publicPort).joinAcked("r", 1);
      HttpResponse<String> push = Http.postJson(apiPort, "/push/room", new JsonObject().put("room", "r").put("items", new JsonArray().add("last words")));
      assertEquals(200, push.statusCode());
      JsonObject stats = new JsonObject(Http.get(apiPort, "/stats").body());
      assertEquals(6, stats.getJsonArray("shards").size(), "-instances 6 means six shards");
      assertEquals(2, stats.getJsonObject("jvm").getInteger("commonPoolParallelism"), "callbacks pooled, not a thread each");

      node.destroy(); // SIGTERM
      assertEquals(List.of("last words"), client.awaitItems("r", 1));
      assertEquals(1001, client.awaitClose());
      assertTrue(node.waitFor(30, TimeUnit.SECONDS), "node exited");
      String output = Files.readString(log);
      assertTrue(output.contains("drained {\"clientsClosed\":1"), output);
      assertTrue(output.contains(", transport epoll (native)"), "the start line names the transport: " + output);
      assertTrue(output.contains("push API and merger on an event loop of their own"), "one loop per shard and one more: " + output);
      assertTrue(!output.contains("WARNING: Illegal") && !output.contains("WARNING: An illegal"), output);
    } finally {
      node.destroyForcibly();
    }
  }

  /**
   * SIGTERM with 2,000 clients: their 1001s go out spread over drainSpreadMillis, not in one burst,
   * and the process is gone within shutdownTimeoutMillis of the signal.
   */
  @Test
  void aDrainSpreadsItsClosesOverTheWindowAndTheShutdownEndsWithinItsDeadline(@TempDir Path dir) throws Exception {
    int clients = 2_000;
    long spreadMillis = 4_000;
    long shutdownMillis = 12_000;
    int publicPort = TestNode.freePort();
    Path conf = dir.resolve("node.json");
    Files.writeString(conf, new JsonObject().put("publicHost", "127.0.0.1").put("apiHost", "127.0.0.1")
      .put("publicPort", publicPort).put("apiPort", TestNode.freePort())
      .put("drainSpreadMillis", spreadMillis).put("drainMinClosesPerSecond", 100).put("shutdownTimeoutMillis", shutdownMillis)
      .put("maxHandshakesPerSecondPerIp", 100_000).encode());
    Path log = dir.resolve("node.log");
    Process node = new ProcessBuilder("java", "-jar", Path.of("target", "pushgate.jar").toString(), "-conf", conf.toString())
      .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      Eventually.await("node ready", () -> Http.statusOrMinusOne(publicPort, "/ready") == 200, java.time.Duration.ofSeconds(30));
      io.vertx.core.http.WebSocketClient ws = StreamReader.client(vertx);
      List<Long> closedAt = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      List<Integer> codes = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      for (int i = 0; i < clients; i++) {
        StreamReader r = StreamReader.connect(ws, publicPort, "r").await(10, TimeUnit.SECONDS);
        r.onClose(code -> {
          closedAt.add(System.nanoTime());
          codes.add(code);
        });
      }
      long signal = System.nanoTime();
      node.destroy(); // SIGTERM
      assertTrue(node.waitFor(shutdownMillis + 5_000, TimeUnit.MILLISECONDS), "node exited");
      long exited = System.nanoTime();
      Eventually.await("every client closed", () -> closedAt.size() == clients);
      long first = java.util.Collections.min(closedAt);
      long last = java.util.Collections.max(closedAt);
      String output = Files.readString(log);
      assertTrue(codes.stream().allMatch(c -> c == 1001), "every client got 1001");
      assertTrue(last - first >= spreadMillis * 3 / 4 * 1_000_000L,
        "first and last 1001 " + (last - first) / 1_000_000 + " ms apart, the window is " + spreadMillis + " ms");
      assertTrue(last - signal <= (spreadMillis + 2_000) * 1_000_000L, "the last 1001 " + (last - signal) / 1_000_000 + " ms after SIGTERM");
      assertTrue(exited - signal < shutdownMillis * 1_000_000L, "exited " + (exited - signal) / 1_000_000 + " ms after SIGTERM: " + output);
      assertTrue(output.contains("drained {\"clientsClosed\":" + clients), output);
      assertTrue(!output.contains("shutdown passed"), output);
    } finally {
      node.destroyForcibly();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A tick that needs more direct memory than -XX:MaxDirectMemorySize allows: the frames that fit go
   * out, the rest stay pending (counted) and go with the next tick, pushes meanwhile get 503, every
   * item accepted with 200 arrives, and direct memory returns to where it was.
   */
  @Test
  void aTickShortOfDirectMemoryLosesNothingAndRefusesPushesMeanwhile(@TempDir Path dir) throws Exception {
    int rooms = 30;
    int itemsPerRoom = 60;
    String item = "\"" + "d".repeat(15_000) + "\"";
    int publicPort = TestNode.freePort();
    int apiPort = TestNode.freePort();
    Path conf = dir.resolve("node.json");
    // One tick holds every room's 900 KB at once (frames up to 1 MB): 27 MB of frames, over the 24 MB limit.
    Files.writeString(conf, new JsonObject().put("publicHost", "127.0.0.1").put("apiHost", "127.0.0.1")
      .put("publicPort", publicPort).put("apiPort", apiPort).put("tickMillis", 8_000).put("historySize", 0)
      .put("maxBatchBytes", 1_048_576).encode());
    Path log = dir.resolve("node.log");
    Process node = new ProcessBuilder("java", "-XX:MaxDirectMemorySize=24m", "-Dio.netty.leakDetection.level=paranoid", "-jar", Path.of("target", "pushgate.jar").toString(), "-conf", conf.toString())
      .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      Eventually.await("node ready", () -> Http.statusOrMinusOne(publicPort, "/ready") == 200, java.time.Duration.ofSeconds(30));
      io.vertx.core.http.WebSocketClient ws = StreamReader.client(vertx);
      java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> received = new java.util.concurrent.ConcurrentHashMap<>();
      for (int r = 0; r < rooms; r++) {
        String room = "room-" + r;
        received.put(room, new java.util.concurrent.atomic.AtomicInteger());
        io.vertx.core.http.WebSocket socket = ws.connect(publicPort, "127.0.0.1", "/connect").await(10, TimeUnit.SECONDS);
        socket.textMessageHandler(text -> {
          JsonObject m = new JsonObject(text);
          if ("PUSH".equals(m.getString("type"))) {
            received.get(room).addAndGet(m.getJsonObject("data").getJsonArray("items").size());
          }
        });
        socket.writeTextMessage(new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", room)).encode());
      }
      Eventually.await("every room joined", () -> new JsonObject(Http.get(apiPort, "/stats").body()).getLong("rooms") == rooms);
      // One small item per room first: a quiet room's first item leaves at once, what follows waits for the tick.
      for (int r = 0; r < rooms; r++) {
        assertEquals(200, Http.postJson(apiPort, "/push/room", new JsonObject().put("room", "room-" + r).put("items", new JsonArray().add("warm"))).statusCode());
      }
      Eventually.await("the warm items delivered", () -> received.values().stream().allMatch(n -> n.get() == 1));
      long baseline = new JsonObject(Http.get(apiPort, "/stats").body()).getJsonObject("node").getLong("directMemoryUsedBytes");

      String body = java.util.stream.IntStream.range(0, itemsPerRoom).mapToObj(i -> item).collect(java.util.stream.Collectors.joining(",", "[", "]"));
      for (int r = 0; r < rooms; r++) {
        HttpResponse<String> push = Http.send("POST", apiPort, "/push/room", "application/json",
          "{\"room\":\"room-" + r + "\",\"items\":" + body + "}", java.util.Map.of());
        assertEquals(200, push.statusCode(), push.body());
      }
      // The tick that takes them all fails part way: the rest stay pending and pushes are refused meanwhile.
      Eventually.await("an encode short of direct memory", () -> merger(apiPort).getLong("encodeFailures") > 0, java.time.Duration.ofSeconds(20));
      HttpResponse<String> refused = Http.postJson(apiPort, "/push/room", new JsonObject().put("room", "room-0").put("items", new JsonArray().add("late")));
      assertEquals(503, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("direct memory short"), refused.body());

      Eventually.await("every accepted item delivered", () -> received.values().stream().allMatch(n -> n.get() == 1 + itemsPerRoom),
        java.time.Duration.ofSeconds(40));
      JsonObject merger = merger(apiPort);
      assertTrue(merger.getLong("directMemoryRefusals") >= 1, merger.encode());
      try {
        Eventually.await("direct memory back to its baseline (" + baseline + " bytes)", () -> new JsonObject(Http.get(apiPort, "/stats").body())
          .getJsonObject("node").getLong("directMemoryUsedBytes") <= baseline + ALLOCATOR_SLACK_BYTES, java.time.Duration.ofSeconds(20));
      } catch (AssertionError e) {
        JsonObject st = new JsonObject(Http.get(apiPort, "/stats").body());
        throw new AssertionError(e.getMessage() + ": node " + st.getJsonObject("node").encode() + " jvm " + st.getJsonObject("jvm").encode());
      }
      String[] lastRefusal = {null};
      try {
        Eventually.await("pushes accepted again", () -> {
          HttpResponse<String> again = Http.postJson(apiPort, "/push/room", new JsonObject().put("room", "room-0").put("items", new JsonArray().add("after")));
          lastRefusal[0] = again.statusCode() + " " + again.body();
          return again.statusCode() == 200;
        });
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + ": the last answer " + lastRefusal[0] + "; merger " + merger(apiPort).encode() + "\nLOG:\n" + Files.readString(log));
      }
      String output = Files.readString(log);
      assertTrue(!output.contains("SEVERE") && !output.contains("LEAK:"), output);
    } finally {
      node.destroyForcibly();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * What Netty's pooled allocator may keep after a burst of large requests (its chunks are reused,
   * not returned); a tick's frames that were never released would be tens of MB.
   */
  private static final long ALLOCATOR_SLACK_BYTES = 4L << 20;

  private static JsonObject merger(int apiPort) {
    return new JsonObject(Http.get(apiPort, "/stats").body()).getJsonObject("merger");
  }

  /**
   * bin/pushgate sizes the JVM from the configuration (heap from maxConnections, maxPendingBytes,
   * historyRingBytes and what the history's reads may hold, direct memory from maxPendingBytes, the parallel collector) and steps back where
   * JDK_JAVA_OPTIONS decides.
   */
  @Test
  void theLauncherSizesMemoryFromTheConfigurationAndDefersToTheOperator(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("node.json");
    JsonObject settings = new JsonObject().put("publicHost", "127.0.0.1").put("apiHost", "127.0.0.1")
      .put("maxConnections", 1_000).put("maxPendingBytes", 8 * 1_048_576).put("historyRingBytes", 128 * 1_048_576);
    JsonObject sized = launch(dir, conf, settings, null);
    assertEquals(80L * 1_048_576, sized.getJsonObject("node").getLong("directMemoryMaxBytes"), "2 x 8 MiB pending + 64 MiB");
    long heap = sized.getJsonObject("jvm").getLong("heapMaxBytes");
    assertTrue(heap <= 351L * 1_048_576 && heap >= 320L * 1_048_576, "16 KiB x 1,000 connections + 2 x (8 MiB pending + 128 MiB rings + 32 reads x 1 MiB), was " + heap);

    JsonObject operator = launch(dir, conf, settings, "-Xmx400m");
    long operatorHeap = operator.getJsonObject("jvm").getLong("heapMaxBytes");
    assertTrue(operatorHeap > 351L * 1_048_576 && operatorHeap <= 400L * 1_048_576, "the operator's -Xmx400m, was " + operatorHeap);
    assertEquals(80L * 1_048_576, operator.getJsonObject("node").getLong("directMemoryMaxBytes"), "what the operator left alone is still sized");
  }

  /** Starts bin/pushgate with {@code settings}, reads /stats once ready, stops it with SIGTERM. */
  private static JsonObject launch(Path dir, Path conf, JsonObject settings, String jdkJavaOptions) throws Exception {
    int publicPort = TestNode.freePort();
    int apiPort = TestNode.freePort();
    Files.writeString(conf, settings.copy().put("publicPort", publicPort).put("apiPort", apiPort).encode());
    Path log = dir.resolve("launcher-" + System.nanoTime() + ".log");
    ProcessBuilder builder = new ProcessBuilder("bin/pushgate", "-conf", conf.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().remove("JAVA_OPTS");
    // Options of this shell's that would choose the jar or class sharing for the launcher.
    builder.environment().remove("PUSHGATE_JAR");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().remove("_JAVA_OPTIONS");
    if (jdkJavaOptions == null) {
      builder.environment().remove("JDK_JAVA_OPTIONS");
    } else {
      builder.environment().put("JDK_JAVA_OPTIONS", jdkJavaOptions);
    }
    Process node = builder.start();
    try {
      Eventually.await("node ready", () -> Http.statusOrMinusOne(publicPort, "/ready") == 200, java.time.Duration.ofSeconds(30));
      String output = Files.readString(log);
      assertTrue(output.contains(jdkJavaOptions == null ? "pushgate: java -XX:+UseParallelGC -Xmn32m -XX:-UseAdaptiveSizePolicy -XX:+ExitOnOutOfMemoryError -Xmx351m -XX:MaxDirectMemorySize=80m "
        : "heap from JDK_JAVA_OPTIONS"), "the launcher says what it chose: " + output);
      // The class-data archive mvn package trained beside the jar (if it did: it never fails a build)
      // is named, and this JVM maps it: one of another jar or JVM build it would refuse with a warning.
      Path archive = Path.of("target", "pushgate.jsa");
      if (Files.exists(archive) && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(Path.of("target", "pushgate.jar"))) > 0) {
        assertTrue(output.contains(" -XX:SharedArchiveFile=" + archive.toAbsolutePath() + " -jar "), "the launcher maps the archive: " + output);
        assertFalse(output.contains("Unable to use shared archive"), "the JVM took the archive: " + output);
      }
      JsonObject stats = new JsonObject(Http.get(apiPort, "/stats").body());
      node.destroy();
      assertTrue(node.waitFor(30, TimeUnit.SECONDS), "the launched JVM gets SIGTERM itself and exits");
      return stats;
    } finally {
      node.destroyForcibly();
    }
  }

  /** An operator who starts a node on a port that is taken learns which one, and the node exits. */
  @Test
  void aPortInUseStopsTheNodeWithAMessageNamingIt(@TempDir Path dir) throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      int publicPort = taken.getLocalPort();
      Path conf = dir.resolve("node.json");
      Files.writeString(conf, new JsonObject().put("publicHost", "127.0.0.1").put("apiHost", "127.0.0.1")
        .put("publicPort", publicPort).put("apiPort", TestNode.freePort()).encode());
      Exited node = runToExit(dir, new ProcessBuilder("java", "-jar", Path.of("target", "pushgate.jar").toString(), "-conf", conf.toString()));
      assertEquals(15, node.code(), node.output()); // Vert.x's launcher: the verticle failed to deploy
      assertTrue(node.output().contains("cannot listen on the public port 127.0.0.1:" + publicPort + " (publicPort)"), node.output());
      assertTrue(node.output().contains("the node did not start") && !node.output().contains("draining clients"), node.output());
    }
  }

  /** A node that is expected to stop by itself: its exit code and what it logged. */
  private record Exited(int code, String output) {
  }

  private static Exited runToExit(Path dir, ProcessBuilder builder) throws Exception {
    Path log = Files.createTempFile(dir, "node", ".log");
    Process node = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertTrue(node.waitFor(30, TimeUnit.SECONDS), "node exited");
      return new Exited(node.exitValue(), Files.readString(log));
    } finally {
      node.destroyForcibly();
    }
  }

  /**
   * A -conf file that is missing or not JSON, or inline JSON that is not, stops the node, saying where:
   * Vert.x's launcher only warns, and the node would start on other settings (tokens off, any origin)
   * as if none had been named. The text is never logged: the token the parser stumbled on (an unquoted
   * secret, a missing comma after one) would be.
   */
  @Test
  void aConfThatIsMissingOrNotJsonStopsTheNodeSayingWhereWithoutItsText(@TempDir Path dir) throws Exception {
    String secret = "Zx9SuperSecretValue" + "s".repeat(32);
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"jwtHs256Secret\": " + secret + "}");
    Path missing = dir.resolve("missing.json");
    Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put(missing.toString(), "-conf " + missing + ": cannot read");
    expected.put(broken.toString(), "-conf: " + broken + " is not a JSON object (at line 1, column ");
    expected.put("{\"jwtHs256Secret\": \"" + secret + "\" \"apiPort\": 7799}", "-conf: -conf (inline JSON) is not a JSON object (at line 1, column ");
    for (Map.Entry<String, String> conf : expected.entrySet()) {
      Exited node = runToExit(dir, new ProcessBuilder("java", "-jar", Path.of("target", "pushgate.jar").toString(), "-conf", conf.getKey()));
      String output = node.output();
      assertEquals(11, node.code(), output); // Vert.x's launcher: initialization failed
      assertTrue(output.contains(conf.getValue()) && output.contains("the node does not start on other settings"), output);
      assertTrue(!output.contains("built-in defaults") && !output.contains("pushgate node ready"), output);
      assertTrue(!output.contains("SuperSecret"), output);
    }
    // No -conf: conf/pushgate.json of the working directory, as bin/pushgate without arguments reads it.
    Path work = Files.createDirectories(dir.resolve("work").resolve("conf")).getParent();
    Files.writeString(work.resolve("conf").resolve("pushgate.json"), "{\"jwtHs256Secret\": " + secret + "}");
    Exited node = runToExit(dir, new ProcessBuilder("java", "-jar", Path.of("target", "pushgate.jar").toAbsolutePath().toString()).directory(work.toFile()));
    assertEquals(11, node.code(), node.output());
    assertTrue(node.output().contains("pushgate.json (no -conf given) is not a JSON object (at line 1, column "), node.output());
    assertTrue(!node.output().contains("SuperSecret"), node.output());
  }

  /** The jar as shipped refuses to open its push API to the network without keys, and says which two settings decide. */
  @Test
  void anOpenApiOnAllInterfacesStopsTheNodeAtStart(@TempDir Path dir) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("java", "-jar", Path.of("target", "pushgate.jar").toString());
    builder.environment().put("PUSHGATE_API_HOST", "0.0.0.0");
    builder.environment().put("PUSHGATE_PUBLIC_HOST", "127.0.0.1");
    builder.environment().put("PUSHGATE_PUBLIC_PORT", String.valueOf(TestNode.freePort()));
    builder.environment().put("PUSHGATE_API_PORT", String.valueOf(TestNode.freePort()));
    Exited node = runToExit(dir, builder);
    assertTrue(node.code() != 0, node.output());
    assertTrue(node.output().contains("apiHost=0.0.0.0 is not a loopback address and apiKeys is empty"), node.output());
    assertTrue(!node.output().contains("pushgate node ready"), node.output());
  }

}
