package io.pushgate.security;

import io.pushgate.testing.ClientMessages;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.Generators;
import io.pushgate.testing.RawClient;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A running node under thousands of random and mutated frames (JDK client and raw socket) and HTTP
 * bodies, while a well-behaved client in a room keeps receiving: it must get every item pushed to
 * it, in order, and afterwards the node's connection and room counts must be back at their baseline.
 * The seed is printed; {@code -Dfuzz.seed=N} replays its inputs (how many go to each connection
 * still depends on when the node closes one).
 */
class FuzzLiveTest {

  private static final int ROUNDS = 60;
  /** Frames per round from each kind of client (JDK, raw socket). */
  private static final int FRAMES_PER_SESSION = 25;
  private static final int BODIES_PER_ROUND = 20;
  private static final Set<Integer> API_STATUSES = Set.of(200, 400, 404, 405, 413, 415);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void randomAndMutatedTrafficNeitherDisturbsAWellBehavedClientNorLeaks() throws Exception {
    long seed = Long.getLong("fuzz.seed", System.nanoTime());
    System.out.println("FuzzLiveTest seed " + seed + " (replay with -Dfuzz.seed=" + seed + ")");
    Random random = new Random(seed);
    JsonObject config = new JsonObject().put("maxFrameBytes", 1_024).put("maxFragmentsPerMessage", 8)
      .put("maxRoomsPerConnection", 8).put("maxItemsPerPush", 50).put("maxItemBytes", 2_048).put("maxBodyBytes", 16_384)
      .put("maxMessagesPerSecond", 2_000).put("maxJoinsPerSecond", 500).put("handshakeTimeoutMillis", 3_000);
    try (TestNode node = TestNode.start(config); TestClient steady = node.client().joinAcked("steady", 1)) {
      Eventually.await("baseline", () -> node.stats().getLong("connections") == 1 && node.stats().getLong("rooms") == 1);
      String tag = UUID.randomUUID().toString();
      int pushed = 0;
      int frames = 0;
      int bodies = 0;
      for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < 5; i++, pushed++) {
          HttpResponse<String> r = node.pushJson("/push/room", new JsonObject().put("room", "steady")
            .put("items", new JsonArray().add(new JsonObject().put("tag", tag).put("seq", pushed))));
          assertEquals(200, r.statusCode(), r.body());
        }
        // Fuzzed connections are often closed by the server (that is the point): reconnect until the round's share is sent.
        int sent = 0;
        for (int connections = 0; sent < FRAMES_PER_SESSION && connections < 50; connections++) {
          sent += jdkClientSession(node, random, FRAMES_PER_SESSION - sent);
        }
        for (int connections = 0; sent < 2 * FRAMES_PER_SESSION && connections < 50; connections++) {
          sent += rawSession(node, random, 2 * FRAMES_PER_SESSION - sent);
        }
        frames += sent;
        for (int i = 0; i < BODIES_PER_ROUND; i++, bodies++) {
          fuzzBody(node, random);
        }
        if (round % 10 == 0) {
          rawHttpGarbage(random.nextBoolean() ? node.publicPort() : node.apiPort(), random);
        }
      }
      System.out.println("FuzzLiveTest sent " + frames + " frames and " + bodies + " HTTP bodies");
      assertTrue(frames >= 2_000 && bodies >= 1_000, frames + " frames, " + bodies + " bodies");

      // Every item, in order, to the well-behaved client; whatever else valid fuzz pushes added is skipped.
      int expected = 0;
      while (expected < pushed) {
        JsonObject push = steady.await(m -> "PUSH".equals(m.getString("type")));
        for (Object item : push.getJsonObject("data").getJsonArray("items")) {
          if (item instanceof JsonObject o && tag.equals(o.getString("tag"))) {
            assertEquals(expected, o.getInteger("seq"), "items out of order or lost");
            expected++;
          }
        }
      }
      assertEquals(pushed, expected);
      assertTrue(!steady.isClosed());
      steady.send(ClientMessages.ping());
      steady.await(m -> "PONG".equals(m.getString("type")));

      Eventually.await("connections and rooms back at their baseline", () -> {
        JsonObject s = node.stats();
        return s.getLong("connections") == 1 && s.getLong("rooms") == 1;
      }, Duration.ofSeconds(30));
      assertEquals(200, node.get(node.publicPort(), "/health").statusCode());
      JsonObject stats = node.stats();
      assertEquals(0, stats.getJsonObject("closed").getLong("internal_error"), "no fuzz input is an internal error");
      assertEquals(0, stats.getJsonObject("api").getJsonObject("refused").getLong("INTERNAL"), "no fuzz body is a 500");
      assertEquals(0, stats.getJsonObject("closed").getLong("slow_consumer"), "the well-behaved client kept up");
    }
  }

  private static String validMessage(Random random) {
    String[] rooms = {"steady", "r1", "r2", "默认房间", "x".repeat(128)};
    String type = new String[] {"PING", "JOIN", "LEAVE"}[random.nextInt(3)];
    JsonObject m = new JsonObject().put("type", type);
    if (random.nextBoolean()) {
      m.put("id", random.nextInt(1_000));
    }
    if (!type.equals("PING") || random.nextBoolean()) {
      m.put("data", new JsonObject().put("room", rooms[random.nextInt(rooms.length)]).put("online", random.nextBoolean()));
    }
    return m.encode();
  }

  private static List<Integer> edits(Random random) {
    List<Integer> edits = new ArrayList<>();
    for (int i = 0, n = 3 * (1 + random.nextInt(4)); i < n; i++) {
      edits.add(random.nextInt(Integer.MAX_VALUE));
    }
    return edits;
  }

  private static String fuzzText(Random random) {
    return switch (random.nextInt(5)) {
      case 0 -> validMessage(random);
      case 1, 2 -> Generators.mutate(validMessage(random), edits(random));
      case 3 -> randomString(random, random.nextInt(64));
      default -> "{\"type\":\"PING\",\"data\":" + "[".repeat(random.nextInt(40)) + "}";
    };
  }

  private static String randomString(Random random, int length) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      b.append((char) random.nextInt(0x10000));
    }
    return b.toString();
  }

  /** The JDK client: text (valid, mutated, random; whole or fragmented), binary, pings. */
  private static int jdkClientSession(TestNode node, Random random, int budget) {
    int sent = 0;
    try (TestClient c = node.client()) {
      for (int i = 0; i < budget && !c.isClosed(); i++, sent++) {
        try {
          switch (random.nextInt(10)) {
            case 0 -> c.raw().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
            case 1 -> c.raw().sendPing(ByteBuffer.wrap(new byte[random.nextInt(100)])).join();
            case 2 -> {
              String text = fuzzText(random);
              int cut = text.isEmpty() ? 0 : random.nextInt(text.length());
              c.raw().sendText(text.substring(0, cut), false).join();
              c.raw().sendText(text.substring(cut), true).join();
              sent++;
            }
            default -> c.raw().sendText(fuzzText(random), true).join();
          }
        } catch (RuntimeException closedByTheServer) {
          break;
        }
      }
    }
    return sent;
  }

  /** A raw socket: any opcode, RSV bits, unmasked frames, lying lengths, invalid UTF-8, cut frames. */
  private static int rawSession(TestNode node, Random random, int budget) {
    int sent = 0;
    try (RawClient c = RawClient.connect(node.publicPort())) {
      if (c.handshake() != 101) {
        return 0;
      }
      for (int i = 0; i < budget; i++, sent++) {
        try {
          switch (random.nextInt(8)) {
            case 0 -> c.sendFrame(random.nextInt(16), random.nextBoolean(), randomBytes(random, random.nextInt(200)));
            case 1 -> c.sendFrame(RawClient.OP_TEXT, true, randomBytes(random, random.nextInt(50)));
            case 2 -> c.sendFrame(RawClient.OP_TEXT, true, fuzzText(random).getBytes(StandardCharsets.UTF_8), false);
            case 3 -> c.sendFrame(RawClient.OP_CONTINUATION, random.nextBoolean(), fuzzText(random).getBytes(StandardCharsets.UTF_8));
            case 4 -> c.sendFrame(RawClient.OP_PING, true, randomBytes(random, random.nextInt(200)));
            case 5 -> c.writeRaw(new byte[] {(byte) (0x80 | random.nextInt(256)), (byte) 0xFF, 0x7F, (byte) 0xFF, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4});
            case 6 -> c.sendFrame(RawClient.OP_CLOSE, true, randomBytes(random, random.nextInt(4)));
            default -> c.sendText(fuzzText(random));
          }
        } catch (AssertionError closedByTheServer) {
          break;
        }
      }
      if (random.nextBoolean()) {
        c.writeRaw(randomBytes(random, random.nextInt(20))); // and leave a frame half-sent
      }
    } catch (AssertionError refused) {
      // the server may close before the handshake's answer is read: nothing to check here
    }
    return sent;
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private void fuzzBody(TestNode node, Random random) throws IOException, InterruptedException {
    String[] paths = {"/push/room", "/push/all", "/push/room?x=1", "/push/", "/stats", "/nowhere"};
    String[] types = {"application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8", "text/plain", null, "application/JSON"};
    String valid = new JsonObject().put("room", random.nextBoolean() ? "steady-not" : "r1")
      .put("items", new JsonArray().add(new JsonObject().put("fuzz", random.nextInt())).add("s").add(1)).encode();
    String form = "room=r2&items=" + java.net.URLEncoder.encode("[{\"a\":1},2]", StandardCharsets.UTF_8);
    String body = switch (random.nextInt(5)) {
      case 0 -> Generators.mutate(valid, edits(random));
      case 1 -> Generators.mutate(form, edits(random));
      case 2 -> randomString(random, random.nextInt(300));
      case 3 -> "{\"room\":\"r\",\"items\":[" + "[".repeat(random.nextInt(200)) + "]}";
      default -> valid;
    };
    String type = types[random.nextInt(types.length)];
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + paths[random.nextInt(paths.length)]))
      .timeout(Duration.ofSeconds(10))
      .method(random.nextInt(8) == 0 ? "PUT" : "POST", HttpRequest.BodyPublishers.ofString(body));
    if (type != null) {
      request.header("Content-Type", type);
    }
    HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(API_STATUSES.contains(r.statusCode()), r.statusCode() + " for " + body + ": " + r.body());
    JsonObject answer = new JsonObject(r.body());
    assertTrue(r.statusCode() == 200 || answer.getJsonObject("error").getString("code") != null, r.body());
  }

  private static void rawHttpGarbage(int port, Random random) {
    try (RawClient c = RawClient.connect(port)) {
      c.writeRaw(randomBytes(random, 1 + random.nextInt(500)));
      c.writeRaw("\r\n\r\n");
      c.soTimeout(2_000).awaitEof();
    } catch (AssertionError keptOpen) {
      // the socket closes with the try; the node must not care either way
    }
  }
}
