package io.pushgate.bench.soak;

import io.pushgate.bench.ClientSocket;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client that stays to the end and behaves as pushgate.js does: it PINGs within the heartbeat
 * timeout (and drops a socket whose PING went unanswered for a whole interval), sends REFRESH with a
 * new token before its token expires, reconnects after every close to any node with the same policy
 * (at once spread over a second after 1001, exponential backoff with full jitter otherwise), and
 * rejoins each of its stream rooms with {@code since} its last position. What it gets of each room
 * is kept in a {@link StreamCursor}. Everything runs on its lane.
 */
final class Receiver {

  private static final long RATE_LIMITED_RETRY_MILLIS = 1_000;

  final String name;
  final Map<String, StreamCursor> cursors = new LinkedHashMap<>();
  private final SoakOptions o;
  private final Nodes nodes;
  private final Tokens tokens;
  private final Sockets sockets;
  private final ContextInternal lane;
  private final ClientStats stats;
  /** Request id → the room its JOIN is for, or REFRESH. */
  private final Map<Integer, String> pending = new HashMap<>();
  private final Map<Integer, Boolean> joinHadSince = new HashMap<>();
  private ClientSocket ws;
  private int nextId = 1;
  private int attempt;
  private long openedNanos;
  private boolean pingOutstanding;
  private long pingDueNanos;
  private long pingTimer = -1;
  private long refreshTimer = -1;
  private boolean stopping;
  private boolean everConnected;
  private Promise<Void> stopped;

  Receiver(String name, List<String> rooms, SoakOptions o, Nodes nodes, Tokens tokens, Sockets sockets, ClientStats stats) {
    this.name = name;
    rooms.forEach(r -> cursors.put(r, new StreamCursor(r)));
    this.o = o;
    this.nodes = nodes;
    this.tokens = tokens;
    this.sockets = sockets;
    this.lane = (ContextInternal) sockets.lane();
    this.stats = stats;
  }

  void start() {
    lane.runOnContext(v -> connect());
  }

  /** Whether it is connected and in every room with a position: read on its lane. */
  Future<Boolean> joinedEverywhere() {
    Promise<Boolean> p = Promise.promise();
    lane.runOnContext(v -> p.complete(ws != null && pending.isEmpty() && cursors.values().stream().allMatch(StreamCursor::hasPosition)));
    return p.future();
  }

  /** Runs {@code check} on the receiver's lane, where its cursors may be read. */
  <T> Future<T> onLane(java.util.function.Supplier<T> check) {
    Promise<T> p = Promise.promise();
    lane.runOnContext(v -> p.complete(check.get()));
    return p.future();
  }

  /** Leaves for good: a close frame (1000), no reconnect. Completes once the socket is closed. */
  Future<Void> stop() {
    Promise<Void> p = Promise.promise();
    lane.runOnContext(v -> {
      stopping = true;
      cancelTimers();
      if (ws == null) {
        p.complete();
      } else {
        stopped = p;
        ws.close();
      }
    });
    return p.future();
  }

  private void connect() {
    if (stopping) {
      return;
    }
    NodeProcess node = nodes.any();
    sockets.connect(lane, node, tokens.token(name, o.tokenSeconds),
        frame -> lane.emit(frame, this::onFrame), status -> lane.emit(status, this::onClosed))
      .onComplete(ar -> lane.emit(v -> {
        if (ar.failed()) {
          stats.receiverConnectFailures.increment();
          retry(ClientSocket.ABNORMAL);
        } else if (stopping) {
          ar.result().close();
        } else {
          opened(ar.result());
        }
      }));
  }

  private void opened(ClientSocket socket) {
    ws = socket;
    openedNanos = System.nanoTime();
    stats.receiverConnects.increment();
    if (everConnected) {
      stats.rejoins.increment();
    }
    everConnected = true;
    for (StreamCursor c : cursors.values()) {
      join(c);
    }
    pingOutstanding = false;
    schedulePing();
    scheduleRefresh(o.tokenSeconds * 1_000L);
  }

  private void join(StreamCursor c) {
    int id = nextId++;
    JsonObject data = new JsonObject().put("room", c.room);
    if (c.hasPosition()) {
      data.put("since", new JsonObject().put("offset", c.position).put("epoch", c.epoch));
    }
    pending.put(id, c.room);
    joinHadSince.put(id, c.hasPosition());
    ws.sendText(new JsonObject().put("type", "JOIN").put("id", id).put("data", data).encode());
  }

  private void schedulePing() {
    pingDueNanos = System.nanoTime() + o.pingMillis() * 1_000_000L;
    pingTimer = lane.setTimer(o.pingMillis(), id -> ping());
  }

  /**
   * As pushgate.js: nothing received for a whole interval since the last PING drops the socket,
   * unless the timer itself fired late (a starved process: the answer may be queued right behind it).
   */
  private void ping() {
    pingTimer = -1;
    if (ws == null) {
      return;
    }
    boolean late = System.nanoTime() - pingDueNanos > Math.max(1_000, o.pingMillis() / 2) * 1_000_000L;
    if (pingOutstanding && !late) {
      stats.pingTimeouts.increment();
      ws.abort();
      return;
    }
    pingOutstanding = true;
    ws.sendText("{\"type\":\"PING\"}");
    schedulePing();
  }

  /** As pushgate.js (refreshDelay): 30 s before exp, or a third of a shorter life before it. */
  private void scheduleRefresh(long lifeMillis) {
    long delay = lifeMillis - Math.min(30_000, lifeMillis / 3);
    refreshTimer = lane.setTimer(delay, id -> {
      refreshTimer = -1;
      if (ws == null) {
        return;
      }
      int requestId = nextId++;
      pending.put(requestId, "REFRESH");
      ws.sendText(new JsonObject().put("type", "REFRESH").put("id", requestId)
        .put("data", new JsonObject().put("token", tokens.token(name, o.tokenSeconds))).encode());
      scheduleRefresh(o.tokenSeconds * 1_000L);
    });
  }

  private void onFrame(Buffer frame) {
    pingOutstanding = false; // any frame shows the socket is alive
    JsonObject message;
    try {
      message = new JsonObject(frame);
    } catch (RuntimeException e) {
      ClientStats.count(stats.receiverErrors, "not JSON");
      return;
    }
    JsonObject data = message.getJsonObject("data", new JsonObject());
    switch (message.getString("type", "")) {
      case "PONG" -> stats.pongs.increment();
      case "PUSH" -> onPush(data);
      case "ACK" -> onAck(message.getInteger("id", -1), data);
      case "ERROR" -> onError(message.getInteger("id", -1), data);
      default -> {
        // ONLINE and the like: not asked for, not counted
      }
    }
  }

  private void onPush(JsonObject data) {
    JsonArray items = data.getJsonArray("items", new JsonArray());
    String room = data.getString("room");
    if (room == null) {
      stats.allItems.add(items.size());
      return;
    }
    StreamCursor c = cursors.get(room);
    if (c != null && data.getValue("offset") == null && allLow(items)) {
      stats.lowItems.add(items.size()); // low priority: its own frames, no offset (PROTOCOL.md)
      return;
    }
    if (c == null || !(data.getValue("offset") instanceof Number offset)) {
      ClientStats.count(stats.receiverErrors, "PUSH of a room not joined or without an offset");
      return;
    }
    stats.streamItems.add(items.size());
    c.onFrame(offset.longValue(), data.getString("epoch"), items);
  }

  private static boolean allLow(JsonArray items) {
    for (int i = 0; i < items.size(); i++) {
      if (!(items.getValue(i) instanceof JsonObject o) || !o.containsKey(SoakOptions.LOW_FIELD)) {
        return false;
      }
    }
    return !items.isEmpty();
  }

  private void onAck(int id, JsonObject data) {
    String what = pending.remove(id);
    Boolean hadSince = joinHadSince.remove(id);
    if (what == null) {
      return;
    }
    if (what.equals("REFRESH")) {
      stats.refreshes.increment();
      return;
    }
    StreamCursor c = cursors.get(what);
    if (Boolean.TRUE.equals(hadSince)) {
      if (Boolean.TRUE.equals(data.getBoolean("recovered"))) {
        stats.recovered.increment();
      } else {
        stats.notRecovered.increment();
      }
    }
    c.onAck(data, Boolean.TRUE.equals(hadSince));
  }

  private void onError(int id, JsonObject data) {
    String what = pending.remove(id);
    joinHadSince.remove(id);
    String code = data.getString("code", "?");
    if (what == null) {
      ClientStats.count(stats.receiverErrors, code);
      return;
    }
    if (what.equals("REFRESH")) {
      stats.refreshFailures.increment();
      return;
    }
    if (code.equals("RATE_LIMITED")) {
      stats.joinRetries.increment(); // temporary: the same JOIN again later, as pushgate.js does
      ClientSocket socket = ws;
      lane.setTimer(RATE_LIMITED_RETRY_MILLIS, t -> {
        if (ws == socket && ws != null) {
          join(cursors.get(what));
        }
      });
      return;
    }
    ClientStats.count(stats.receiverErrors, "JOIN " + code);
  }

  private void onClosed(int status) {
    ws = null;
    cancelTimers();
    pending.clear();
    joinHadSince.clear();
    if (stopping) {
      if (stopped != null) {
        stopped.tryComplete();
      }
      return;
    }
    ClientStats.count(stats.receiverCloses, status);
    retry(status);
  }

  private void retry(int status) {
    if (stopping) {
      return;
    }
    if (openedNanos != 0 && System.nanoTime() - openedNanos >= ReconnectPolicy.STABLE_MILLIS * 1_000_000L) {
      attempt = 0; // the last connection was stable: start the backoff again
    }
    openedNanos = 0;
    long delay = ReconnectPolicy.delay(status, attempt);
    attempt++;
    lane.setTimer(Math.max(1, delay), id -> connect());
  }

  private void cancelTimers() {
    if (pingTimer >= 0) {
      sockets.vertx.cancelTimer(pingTimer);
      pingTimer = -1;
    }
    if (refreshTimer >= 0) {
      sockets.vertx.cancelTimer(refreshTimer);
      refreshTimer = -1;
    }
  }
}
