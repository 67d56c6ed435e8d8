package io.pushgate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak of one pushgate node, run as a separate process from the server's target/pushgate.jar (this
 * class is in the bench jar), with tokens and API keys on: for a given time, churn (connect, join,
 * ping, leave, disconnect or drop; some tokens expire meanwhile, some are invalid), pushes to rooms
 * and to all, and slow clients that never read.
 * Well-behaved receivers stay in their rooms the whole time and must get every item, in order.
 * Every second it prints connections, rooms, heap and RSS. At the end everyone leaves, and the node
 * must be back to 0 connections and 0 rooms, with its heap after a full GC near where it started.
 *
 * <p>Traffic goes to 127.0.0.1 only, every loop is bounded by the deadline, and the node is stopped
 * with SIGTERM at the end. Exit 0 when every check passed, 1 otherwise. Run by src/bench/soak.sh.
 */
public final class Soak {

  private static final int RECEIVERS = 16;
  private static final int CHURNERS = 24;
  private static final int SLOW_CLIENTS = 4;
  /** How long a slow client lives before it is replaced (the node cuts it at maxOutboundBytes before that, or not). */
  private static final int SLOW_CLIENT_SECONDS = 8;
  private static final int ROOMS = 4;
  /** Target pushes per second to each room (1 to 3 items each). */
  private static final int PUSHES_PER_SECOND = 40;
  private static final String HEAVY_ROOM = "soak-heavy";

  private final int seconds;
  private final Path jar;
  private final Path workDir;
  private final String secret = randomHex(32);
  private final String apiKey = "soak-" + randomHex(16);
  /** WebSockets share two JDK clients (each has one selector thread) instead of one client each. */
  private final List<HttpClient> wsClients = List.of(HttpClient.newHttpClient(), HttpClient.newHttpClient());
  private final AtomicInteger nextClient = new AtomicInteger();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicLong churnConnections = new AtomicLong();
  private final AtomicLong churnRefused = new AtomicLong();
  private final AtomicLong churnErrors = new AtomicLong();
  private final AtomicLong slowOpened = new AtomicLong();
  private final AtomicLong pushRetries = new AtomicLong();
  private final Map<String, AtomicInteger> pushedPerRoom = new ConcurrentHashMap<>();
  private int publicPort;
  private int apiPort;
  private Process node;

  private Soak(int seconds, Path jar, Path workDir) {
    this.seconds = seconds;
    this.jar = jar;
    this.workDir = workDir;
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    Path jar = Path.of(args.length > 1 ? args[1] : "target/pushgate.jar");
    Path work = Path.of(args.length > 2 ? args[2] : "target/soak");
    Files.createDirectories(work);
    Soak soak = new Soak(seconds, jar, work);
    int code;
    try {
      code = soak.run();
    } finally {
      soak.stopNode();
    }
    System.exit(code);
  }

  // ---- the node ----

  private void startNode() throws IOException, InterruptedException {
    publicPort = freePort();
    apiPort = freePort();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseG1GC", "-jar", jar.toString())
      .redirectErrorStream(true)
      .redirectOutput(workDir.resolve("node.log").toFile());
    Map<String, String> env = pb.environment();
    env.put("PUSHGATE_PUBLIC_HOST", "127.0.0.1");
    env.put("PUSHGATE_API_HOST", "127.0.0.1");
    env.put("PUSHGATE_PUBLIC_PORT", String.valueOf(publicPort));
    env.put("PUSHGATE_API_PORT", String.valueOf(apiPort));
    env.put("PUSHGATE_SHARDS", "2");
    env.put("PUSHGATE_TICK_MILLIS", "50");
    env.put("PUSHGATE_JWT_HS256_SECRET", secret);
    env.put("PUSHGATE_API_KEYS", apiKey);
    env.put("PUSHGATE_MAX_MESSAGES_PER_SECOND", "100");
    env.put("PUSHGATE_MAX_OUTBOUND_BYTES", "262144");
    env.put("PUSHGATE_CLOSE_TIMEOUT_MILLIS", "2000");
    node = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && node.isAlive()) {
      try {
        if (get(publicPort, "/ready", null).statusCode() == 200) {
          log("node " + node.pid() + " ready: ws 127.0.0.1:" + publicPort + ", api 127.0.0.1:" + apiPort);
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100); // polling interval while the JVM starts, not a synchronisation
    }
    throw new IllegalStateException("the node did not become ready; see " + workDir.resolve("node.log"));
  }

  private void stopNode() {
    if (node != null && node.isAlive()) {
      node.destroy(); // SIGTERM: the node drains
      try {
        if (!node.waitFor(30, TimeUnit.SECONDS)) {
          node.destroyForcibly();
        }
      } catch (InterruptedException e) {
        node.destroyForcibly();
      }
    }
  }

  // ---- the run ----

  private int run() throws Exception {
    startNode();
    long start = System.nanoTime();
    List<Receiver> receivers = new ArrayList<>();
    for (int i = 0; i < RECEIVERS; i++) {
      List<String> rooms = List.of("soak-" + (i % ROOMS), "soak-" + ((i + 1) % ROOMS));
      receivers.add(Receiver.open(this, "receiver-" + i, rooms));
    }
    log(RECEIVERS + " receivers joined");
    JsonObject first = stats();
    long heapStart = heapAfterGc();

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(CHURNERS + 3);
    List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
    for (int i = 0; i < CHURNERS; i++) {
      long seed = i;
      tasks.add(pool.submit(() -> churn(deadline, new Random(seed))));
    }
    tasks.add(pool.submit(() -> slowClients(deadline)));
    tasks.add(pool.submit(() -> pushes(deadline)));
    long nextSample = System.nanoTime();
    while (System.nanoTime() < deadline) {
      if (System.nanoTime() >= nextSample) {
        sample(start);
        nextSample += TimeUnit.SECONDS.toNanos(1);
      }
      Thread.sleep(50); // pacing of the sampler
    }
    for (java.util.concurrent.Future<?> t : tasks) {
      t.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    sample(start);

    // Every receiver must now get every item pushed to its rooms (and to all), in order.
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (Receiver r : receivers) {
      r.awaitAll(waitUntil);
    }
    long lost = 0;
    long disorder = 0;
    for (Receiver r : receivers) {
      lost += r.lost();
      disorder += r.disorder.get();
      if (r.closeCode.isDone()) {
        failures.add(r.name + " was closed with " + r.closeCode.getNow(-1));
      }
      r.close();
    }
    if (lost > 0) {
      failures.add(lost + " items lost by well-behaved receivers");
    }
    if (disorder > 0) {
      failures.add(disorder + " items duplicated or out of order");
    }

    // Everyone has left: the connection maps and the room index must be empty again.
    JsonObject end = null;
    long leakDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < leakDeadline) {
      end = stats();
      if (end.getLong("connections") == 0 && end.getLong("rooms") == 0) {
        break;
      }
      Thread.sleep(100); // polling interval of the condition
    }
    if (end.getLong("connections") != 0 || end.getLong("rooms") != 0) {
      failures.add("after everyone left: " + end.getLong("connections") + " connections, " + end.getLong("rooms") + " rooms (want 0, 0)");
    }
    long heapEnd = heapAfterGc();
    // The live heap after a full GC: a leak of connections, sessions, timers or batches grows it.
    if (heapStart > 0 && heapEnd > heapStart + 32L * 1024 * 1024) {
      failures.add("heap after GC grew from " + mb(heapStart) + " to " + mb(heapEnd) + " MB");
    }
    JsonObject security = end.getJsonObject("security", new JsonObject());
    JsonObject summary = new JsonObject()
      .put("seconds", seconds)
      .put("receivers", RECEIVERS)
      .put("itemsExpectedPerReceiver", receivers.stream().mapToLong(Receiver::expected).sum() / RECEIVERS)
      .put("itemsLost", lost)
      .put("itemsOutOfOrder", disorder)
      .put("churnConnections", churnConnections.get())
      .put("churnRefusedWith401", churnRefused.get())
      .put("churnErrors", churnErrors.get())
      .put("slowClientsOpened", slowOpened.get())
      .put("pushRetries", pushRetries.get())
      .put("connectionsAccepted", end.getLong("connectionsAccepted") - first.getLong("connectionsAccepted"))
      .put("closed", end.getJsonObject("closed"))
      .put("tokenExpiredClosed", security.getJsonObject("closed", new JsonObject()).getLong("token_expired"))
      .put("endConnections", end.getLong("connections"))
      .put("endRooms", end.getLong("rooms"))
      .put("heapAfterGcStartMb", mb(heapStart))
      .put("heapAfterGcEndMb", mb(heapEnd))
      .put("rssEndMb", mb(rss()));
    log("summary " + summary.encode());
    if (seconds >= 20 && end.getJsonObject("closed").getLong("slow_consumer") == 0) {
      failures.add("no slow client was cut with 4002: the node buffered for clients that read nothing");
    }
    if (churnConnections.get() == 0 || summary.getLong("itemsExpectedPerReceiver") == 0) {
      failures.add("the soak did nothing: no churn or no pushes");
    }
    if (failures.isEmpty()) {
      log("PASS");
      return 0;
    }
    failures.forEach(f -> log("FAIL: " + f));
    return 1;
  }

  private void sample(long start) {
    try {
      JsonObject s = stats();
      JsonObject jvm = s.getJsonObject("jvm", new JsonObject());
      log(String.format("t=%3ds connections=%d rooms=%d heapUsed=%dMB heapCommitted=%dMB rss=%dMB items=%d slowConsumersClosed=%d tokenExpired=%d",
        (System.nanoTime() - start) / 1_000_000_000L, s.getLong("connections"), s.getLong("rooms"),
        mb(jvm.getLong("heapUsedBytes", 0L)), mb(jvm.getLong("heapCommittedBytes", 0L)), mb(rss()),
        s.getLong("itemsPushed"), s.getJsonObject("closed").getLong("slow_consumer"),
        s.getJsonObject("security", new JsonObject()).getJsonObject("closed", new JsonObject()).getLong("token_expired", 0L)));
    } catch (Exception e) {
      failures.add("stats unavailable: " + e);
    }
  }

  // ---- traffic ----

  /** One churner: connect, join, ping, maybe leave, then close or drop; again until the deadline. */
  private void churn(long deadline, Random random) {
    while (System.nanoTime() < deadline) {
      int kind = random.nextInt(20);
      String token = kind == 0 ? "not-a-token" : token("churn", kind == 1 ? 2 + random.nextInt(5) : 3_600);
      CollectingListener listener = new CollectingListener(null);
      WebSocket ws;
      try {
        ws = connect(token, listener);
      } catch (RuntimeException e) {
        if (kind == 0 && isHandshakeStatus(e, 401)) {
          churnRefused.incrementAndGet();
        } else {
          churnErrors.incrementAndGet();
        }
        continue;
      }
      churnConnections.incrementAndGet();
      try {
        int joins = 1 + random.nextInt(3);
        for (int j = 0; j < joins; j++) {
          String room = random.nextBoolean() ? "soak-" + random.nextInt(ROOMS) : "churn-" + random.nextInt(200);
          send(ws, new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", room)));
        }
        send(ws, new JsonObject().put("type", "PING"));
        pause(50 + random.nextInt(kind == 1 ? 8_000 : 600), deadline);
        if (random.nextBoolean()) {
          send(ws, new JsonObject().put("type", "LEAVE").put("data", new JsonObject().put("room", "soak-0")));
        }
        if (random.nextInt(4) == 0) {
          ws.abort(); // drop without a close frame
        } else {
          ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
          listener.closed.orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> -1).join();
          ws.abort();
        }
      } catch (RuntimeException closedByTheServer) {
        ws.abort(); // e.g. its short token expired: 1008
      }
    }
  }

  /**
   * Clients that join the heavy room and never read, on plain sockets with a 4 KB receive buffer (the
   * JDK client keeps reading into its own buffers): the node must cut them (4002), not buffer forever.
   * A client that reads nothing never notices being cut, so each is replaced after a few seconds; the
   * node's closed.slow_consumer in the summary counts the cuts.
   */
  private void slowClients(long deadline) {
    List<java.net.Socket> sockets = new ArrayList<>();
    List<Long> openedAt = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < sockets.size(); i++) {
        if (System.nanoTime() - openedAt.get(i) > TimeUnit.SECONDS.toNanos(SLOW_CLIENT_SECONDS)) {
          closeQuietly(sockets.remove(i));
          openedAt.remove(i);
          i--;
        }
      }
      while (sockets.size() < SLOW_CLIENTS) {
        try {
          sockets.add(openSlowClient());
          openedAt.add(System.nanoTime());
          slowOpened.incrementAndGet();
        } catch (IOException e) {
          churnErrors.incrementAndGet();
          break;
        }
      }
      pause(200, deadline);
    }
    sockets.forEach(Soak::closeQuietly);
  }

  /** A WebSocket handshake and two JOINs written by hand; afterwards the socket is never read. */
  private java.net.Socket openSlowClient() throws IOException {
    java.net.Socket socket = new java.net.Socket();
    socket.setReceiveBufferSize(4_096);
    socket.setSoTimeout(10_000);
    socket.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), publicPort), 10_000);
    try {
      java.io.OutputStream out = socket.getOutputStream();
      out.write(("GET /connect?token=" + token("slow", 3_600) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: c29hay1zbG93LWNsaWVudA==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      java.io.InputStream in = socket.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed during the handshake");
        }
        head.append((char) b);
      }
      if (!head.toString().startsWith("HTTP/1.1 101")) {
        throw new IOException("handshake refused: " + head.toString().lines().findFirst().orElse(""));
      }
      for (String room : List.of(HEAVY_ROOM, "soak-0")) {
        out.write(maskedText(new JsonObject().put("type", "JOIN").put("data", new JsonObject().put("room", room)).encode()));
      }
      out.flush();
      return socket;
    } catch (IOException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  /** One client text frame (always masked, as RFC 6455 requires), for payloads under 126 bytes. */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    byte[] mask = {0x5a, 0x3c, 0x11, 0x7e};
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x81;
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    return frame;
  }

  private static void closeQuietly(java.net.Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** Pushes to every soak room, to the heavy room and to all, paced; a refused push is retried whole. */
  private void pushes(long deadline) {
    String pad = "x".repeat(6_000);
    long interval = 1_000_000_000L / PUSHES_PER_SECOND;
    long next = System.nanoTime();
    Random random = new Random(7);
    int round = 0;
    while (System.nanoTime() < deadline) {
      for (int r = 0; r < ROOMS; r++) {
        push("soak-" + r, 1 + random.nextInt(3), null);
      }
      if (round % 10 == 0) {
        push(null, 1, null);
      }
      push(HEAVY_ROOM, 2, pad);
      round++;
      next += interval;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        pause(wait / 1_000_000, deadline);
      }
    }
  }

  private void push(String room, int count, String pad) {
    String key = room == null ? "*" : room;
    AtomicInteger seq = pushedPerRoom.computeIfAbsent(key, k -> new AtomicInteger());
    int from = seq.get();
    JsonArray items = new JsonArray();
    for (int i = 0; i < count; i++) {
      JsonObject item = new JsonObject().put("r", key).put("s", from + i);
      if (pad != null) {
        item.put("p", pad);
      }
      items.add(item);
    }
    JsonObject body = new JsonObject().put("items", items);
    if (room != null) {
      body.put("room", room);
    }
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + (room == null ? "/push/all" : "/push/room")))
          .timeout(Duration.ofSeconds(10))
          .header("Content-Type", "application/json").header("Authorization", "Bearer " + apiKey)
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          seq.addAndGet(count);
          return;
        }
        if (r.statusCode() != 503) {
          failures.add("push to " + key + " answered " + r.statusCode() + ": " + r.body());
          return;
        }
      } catch (IOException | InterruptedException e) {
        failures.add("push to " + key + " failed: " + e);
        return;
      }
      pushRetries.incrementAndGet();
      pause(20, Long.MAX_VALUE);
    }
    failures.add("push to " + key + " refused 50 times in a row");
  }

  // ---- receivers ----

  /** A client that stays in its rooms from before the first push to the end, reading everything. */
  private static final class Receiver {
    final String name;
    final Soak soak;
    final List<String> rooms;
    final Map<String, AtomicInteger> next = new ConcurrentHashMap<>();
    final AtomicLong disorder = new AtomicLong();
    final CompletableFuture<Integer> closeCode;
    final WebSocket ws;

    private Receiver(Soak soak, String name, List<String> rooms, CollectingListener listener, WebSocket ws) {
      this.soak = soak;
      this.name = name;
      this.rooms = rooms;
      this.closeCode = listener.closed;
      this.ws = ws;
    }

    static Receiver open(Soak soak, String name, List<String> rooms) {
      Receiver[] self = new Receiver[1];
      CompletableFuture<Void> acked = new CompletableFuture<>();
      AtomicInteger acks = new AtomicInteger();
      CollectingListener listener = new CollectingListener(message -> {
        if ("ACK".equals(message.getString("type")) && acks.incrementAndGet() == rooms.size()) {
          acked.complete(null);
        } else if ("PUSH".equals(message.getString("type"))) {
          self[0].onItems(message.getJsonObject("data").getJsonArray("items"));
        }
      });
      WebSocket ws = soak.connect(soak.token(name, 3_600), listener);
      self[0] = new Receiver(soak, name, rooms, listener, ws);
      for (int i = 0; i < rooms.size(); i++) {
        send(ws, new JsonObject().put("type", "JOIN").put("id", i).put("data", new JsonObject().put("room", rooms.get(i))));
      }
      acked.orTimeout(10, TimeUnit.SECONDS).join();
      return self[0];
    }

    void onItems(JsonArray items) {
      for (Object o : items) {
        JsonObject item = (JsonObject) o;
        String room = item.getString("r");
        int seq = item.getInteger("s");
        AtomicInteger expected = next.computeIfAbsent(room, r -> new AtomicInteger());
        if (seq == expected.get()) {
          expected.incrementAndGet();
        } else {
          disorder.incrementAndGet();
          expected.set(Math.max(expected.get(), seq + 1));
        }
      }
    }

    private List<String> keys() {
      List<String> keys = new ArrayList<>(rooms);
      keys.add("*");
      return keys;
    }

    long expected() {
      return keys().stream().mapToLong(k -> soak.pushedPerRoom.getOrDefault(k, new AtomicInteger()).get()).sum();
    }

    long received() {
      return keys().stream().mapToLong(k -> next.getOrDefault(k, new AtomicInteger()).get()).sum();
    }

    long lost() {
      return Math.max(0, expected() - received());
    }

    void awaitAll(long deadlineNanos) throws InterruptedException {
      while (received() < expected() && System.nanoTime() < deadlineNanos && !closeCode.isDone()) {
        Thread.sleep(20); // polling interval of the condition
      }
    }

    void close() {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
      ws.abort();
    }
  }

  /** Reads every message (unless {@code reading} is false: then nothing at all is read) and notes the close. */
  private static final class CollectingListener implements WebSocket.Listener {
    final java.util.function.Consumer<JsonObject> onMessage;
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final StringBuilder partial = new StringBuilder();
    volatile boolean reading = true;

    CollectingListener(java.util.function.Consumer<JsonObject> onMessage) {
      this.onMessage = onMessage;
    }

    @Override
    public void onOpen(WebSocket ws) {
      if (reading) {
        ws.request(1);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      if (onMessage != null) {
        partial.append(data);
        if (last) {
          onMessage.accept(new JsonObject(partial.toString()));
          partial.setLength(0);
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(1006);
    }
  }

  // ---- helpers ----

  private WebSocket connect(String token, WebSocket.Listener listener) {
    HttpClient client = wsClients.get(Math.floorMod(nextClient.getAndIncrement(), wsClients.size()));
    return client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
      .buildAsync(URI.create("ws://127.0.0.1:" + publicPort + "/connect?token=" + token), listener)
      .orTimeout(15, TimeUnit.SECONDS).join();
  }

  private static void send(WebSocket ws, JsonObject message) {
    ws.sendText(message.encode(), true).orTimeout(10, TimeUnit.SECONDS).join();
  }

  private static boolean isHandshakeStatus(Throwable e, int status) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.http.WebSocketHandshakeException h) {
        return h.getResponse().statusCode() == status;
      }
    }
    return false;
  }

  /** An HS256 connection token, signed here with the node's secret. */
  String token(String subject, long validSeconds) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String payload = b64.encodeToString(new JsonObject().put("sub", subject)
      .put("exp", System.currentTimeMillis() / 1000 + validSeconds).encode().getBytes(StandardCharsets.UTF_8));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return header + "." + payload + "." + b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonObject stats() throws IOException, InterruptedException {
    HttpResponse<String> r = get(apiPort, "/stats", "Bearer " + apiKey);
    if (r.statusCode() != 200) {
      throw new IOException("/stats answered " + r.statusCode());
    }
    return new JsonObject(r.body());
  }

  private HttpResponse<String> get(int port, String path, String authorization) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The node's heap after a full GC (jcmd GC.run), from /stats; -1 when jcmd is not available. */
  private long heapAfterGc() throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(jcmd)) {
      log("no jcmd in " + jcmd.getParent() + ": heap after GC not measured");
      return -1;
    }
    Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(node.pid()), "GC.run").redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      log("jcmd GC.run failed: heap after GC not measured");
      return -1;
    }
    return stats().getJsonObject("jvm").getLong("heapUsedBytes");
  }

  /** The node's resident set size in bytes, from /proc; -1 when it cannot be read. */
  private long rss() {
    long kb = ProcStats.rssKb(node.pid());
    return kb > 0 ? kb * 1024 : -1;
  }

  private static void pause(long millis, long deadlineNanos) {
    long until = Math.min(System.nanoTime() + millis * 1_000_000L, deadlineNanos);
    long left = until - System.nanoTime();
    if (left > 0) {
      try {
        Thread.sleep(left / 1_000_000L, (int) (left % 1_000_000L)); // pacing of the load, not a synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static long mb(long bytes) {
    return bytes < 0 ? -1 : bytes / (1024 * 1024);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void log(String line) {
    System.out.println("soak: " + line);
  }
}
