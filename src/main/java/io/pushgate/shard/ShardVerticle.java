package io.pushgate.shard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.metrics.Metrics;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.protocol.ClientFrameDecoder;
import io.pushgate.protocol.ClientRequest;
import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.DecodeResult;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.ErrorCode;
import io.pushgate.protocol.ServerMessages;
import io.pushgate.security.ClientSession;
import io.pushgate.security.NodeSecurity;
import io.pushgate.security.ShardGuard;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.pushgate.vertx.VertxInternals;
import io.vertx.ext.web.Router;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection shard. Vert.x spreads the public port's accepted connections across the shard
 * instances; each shard alone owns its connections and its room index, and writes only to its own
 * sockets on its own event loop, so the delivery path needs no lock.
 */
public final class ShardVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(ShardVerticle.class.getName());
  private static final long LATE_TICK_WARNING_INTERVAL_NANOS = 60_000_000_000L;

  private final int index;
  private final PushgateConfig config;
  private final Budget permits;
  private final Function<Vertx, Router> publicRoutes;
  private final int maxFrameBytes;
  private final int maxRooms;
  private final long heartbeatTimeoutNanos;
  private final NodeSecurity security;
  private final int maxFragments;
  /** Outbound bytes a connection may have queued before it counts as a slow consumer (4002). */
  private final WriteBufferWaterMark outboundLimit;
  private ShardGuard guard;

  private final Set<Connection> connections = new LinkedHashSet<>();
  private final RoomIndex rooms;
  private final ShardCounters counters;
  /** When this shard last warned of a tick written late, and how many came since (nanoTime). */
  private long lastLateTickWarning;
  private long lateTicksSinceWarning;
  /** Connections written to during the current delivery, flushed once at its end. */
  private final List<Connection> toFlush = new ArrayList<>();
  /** Connections found over their outbound limit during the current delivery. */
  private Set<Connection> slow;
  private boolean draining;
  private Promise<Void> drained;

  /** Last ONLINE count sent per room, so watchers hear only changes. */
  private final Map<String, Integer> onlineSent = new HashMap<>();
  private Map<String, Integer> onlineTotals = Map.of();

  /**
   * @param publicRoutes the public port's HTTP routes besides /connect (health, files, demo),
   *                     composed by the node so the shard knows only connections
   */
  public ShardVerticle(int index, PushgateConfig config, Budget permits, NodeRooms nodeRooms,
                       Function<Vertx, Router> publicRoutes, NodeSecurity security) {
    this.index = index;
    this.rooms = new RoomIndex(nodeRooms);
    this.security = security;
    this.maxFragments = config.intLimit(Limit.MAX_FRAGMENTS_PER_MESSAGE);
    int maxOutbound = config.intLimit(Limit.MAX_OUTBOUND_BYTES);
    this.outboundLimit = new WriteBufferWaterMark(maxOutbound / 2, maxOutbound);
    this.config = config;
    this.counters = new ShardCounters(config.tickMillis());
    this.permits = permits;
    this.publicRoutes = publicRoutes;
    this.maxFrameBytes = config.intLimit(Limit.MAX_FRAME_BYTES);
    this.maxRooms = config.intLimit(Limit.MAX_ROOMS_PER_CONNECTION);
    this.heartbeatTimeoutNanos = config.heartbeatTimeoutMillis() * 1_000_000L;
  }

  @Override
  public Future<?> start() {
    guard = security.forShard(vertx, index);
    MeterRegistry registry = Metrics.registry();
    if (registry != null) {
      counters.bind(registry, index);
      Tags tags = Tags.of("shard", String.valueOf(index));
      // Sizes read from another thread: a racy but harmless read of one int field each.
      Gauge.builder("pushgate_connections", connections, Set::size).description("open WebSocket connections").tags(tags).register(registry);
      Gauge.builder("pushgate_rooms", rooms, RoomIndex::rooms).description("rooms with members on this shard").tags(tags).register(registry);
    }
    vertx.eventBus().<ShardCommand>localConsumer(Addresses.shard(index), this::onCommand);
    vertx.eventBus().localConsumer(Addresses.stats("shard." + index), msg -> msg.reply(stats()));
    vertx.eventBus().localConsumer(Addresses.shardCounts(index), msg -> msg.reply(rooms.report()));
    long sweep = Math.max(50, Math.min(1_000, config.heartbeatTimeoutMillis() / 4));
    vertx.setPeriodic(sweep, id -> closeSilentConnections());

    Router router = publicRoutes.apply(vertx);
    HttpServerOptions options = new HttpServerOptions()
      .setHost(config.publicHost())
      .setPort(config.publicPort())
      .setMaxWebSocketFrameSize(maxFrameBytes)
      .setMaxWebSocketMessageSize(maxFrameBytes)
      // Each frame is encoded once and written to many sockets; per-connection deflate would undo that.
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false)
      .setWebSocketClosingTimeout((int) Math.max(1, config.closeTimeoutMillis() / 1000))
      // Everything here runs on the shard's own event loop, which is what strict thread mode asks;
      // in return the HTTP connection that each WebSocket keeps alive has no multi-producer write
      // queue, whose first 1,024-slot chunk was 4 KB of heap per idle connection.
      .setStrictThreadMode(true);
    guard.configure(options);
    return vertx.createHttpServer(options)
      .connectionHandler(guard::onConnection)
      .invalidRequestHandler(guard::onInvalidRequest)
      .webSocketHandshakeHandler(this::handshake)
      .requestHandler(router)
      .listen()
      .recover(e -> Future.failedFuture(new IllegalStateException("cannot listen on the public port "
        + config.publicHost() + ":" + config.publicPort() + " (publicPort): " + e.getMessage(), e)));
  }


  private void handshake(ServerWebSocketHandshake handshake) {
    if (!"/connect".equals(handshake.path())) {
      handshake.reject(404);
    } else if (draining) {
      // Refused before the upgrade, so the client's next attempt lands on a node that stays.
      counters.refused(ShardCounters.Refusal.DRAINING);
      handshake.reject(503);
    } else {
      // Rate limits (429), Origin (403) and token (401); accept() gets the WebSockets that pass.
      guard.admit(handshake, this::accept);
    }
  }

  private void accept(ServerWebSocket ws, ClientSession session) {
    if (!permits.tryAcquire()) {
      guard.release(session);
      counters.refused(ShardCounters.Refusal.CONNECTION_LIMIT);
      ws.close(CloseCode.TRY_AGAIN_LATER.code(), CloseCode.TRY_AGAIN_LATER.reason());
      return;
    }
    counters.accepted++;
    Connection c = new Connection(this, session, System.nanoTime());
    connections.add(c);
    // From here the socket is ours: the connection replaces Vert.x's WebSocket handler, after which
    // nothing holds Vert.x's request, response and WebSocket objects (about 8 KB per idle
    // connection). Vert.x's server still owns the channel's accept and its shutdown.
    VertxInternals.takeOver(ws, "pushgate", c, outboundLimit);
    guard.watchExpiry(session, () -> close(c, CloseCode.POLICY_VIOLATION));
    if (!c.channel.channel().isActive()) {
      onClosed(c); // gone while it was handed over: no channelInactive will come
    }
  }

  /**
   * Netty's decoder reports an oversized frame (1009), invalid UTF-8 (1007) or a protocol violation
   * as an exception and then discards everything the client sends, its close frame included: the
   * shard sends the protocol's close code and ends the TCP connection at once (RFC 6455, 7.1.7)
   * instead of waiting closeTimeoutMillis for an answer it could not read.
   */
  void onException(Connection c, Throwable e) {
    if (e instanceof CorruptedWebSocketFrameException corrupted) {
      CloseCode code = CloseCode.of(corrupted.closeStatus().code());
      close(c, code != null ? code : CloseCode.POLICY_VIOLATION, true);
    } else {
      log.log(Level.FINE, "connection error", e);
    }
  }

  void onClosed(Connection c) {
    if (c.closed) {
      return;
    }
    c.closed = true;
    if (c.closing == null) {
      counters.clientCloses++;
    }
    c.dropPartial();
    guard.release(c.session);
    rooms.leaveAll(c);
    connections.remove(c);
    permits.release();
    if (drained != null && connections.isEmpty()) {
      drained.tryComplete();
    }
  }

  void onFrame(Connection c, WebSocketFrame frame) {
    try {
      handleFrame(c, frame);
    } catch (RuntimeException e) {
      // A bug must cost one connection, not the shard: close it with 1011 and say why.
      log.log(Level.SEVERE, "closing a connection after an internal error", e);
      close(c, CloseCode.INTERNAL_ERROR);
    }
  }

  private void handleFrame(Connection c, WebSocketFrame frame) {
    c.lastSeenNanos = System.nanoTime();
    if (frame instanceof CloseWebSocketFrame close) {
      onCloseFrame(c, close);
      return;
    }
    if (c.closing != null || !admitFrame(c, frame)) {
      return;
    }
    if (frame instanceof PingWebSocketFrame) {
      c.channel.writeAndFlush(new PongWebSocketFrame(frame.content().retainedDuplicate()), c.channel.voidPromise());
    } else if (frame instanceof BinaryWebSocketFrame) {
      close(c, CloseCode.UNSUPPORTED_DATA);
    } else if (frame instanceof TextWebSocketFrame text) {
      if (frame.isFinalFragment()) {
        onMessage(c, text.text());
      } else {
        c.partial = Unpooled.buffer(Math.min(maxFrameBytes, 2 * frame.content().readableBytes()), maxFrameBytes);
        append(c, frame);
      }
    } else if (frame instanceof ContinuationWebSocketFrame) {
      if (c.partial == null) {
        return;
      }
      if (append(c, frame) && frame.isFinalFragment()) {
        String text = c.partial.toString(StandardCharsets.UTF_8);
        c.dropPartial();
        onMessage(c, text);
      }
    }
    // A pong needs nothing more: it already counted as a sign of life.
  }

  /**
   * The client's close frame: either its answer to ours, after which the TCP connection ends, or its
   * own close, which is echoed with its status code (RFC 6455, 5.5.1) before the server ends the
   * TCP connection.
   */
  private void onCloseFrame(Connection c, CloseWebSocketFrame close) {
    if (c.closeSent) {
      c.channel.close();
      return;
    }
    c.closeSent = true;
    int status = close.statusCode();
    CloseWebSocketFrame echo = status < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(status, "");
    c.channel.writeAndFlush(echo).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * The per-connection limits a frame meets before it is read: the message rate (ERROR RATE_LIMITED,
   * then 1008), pings answered while the client reads nothing (4002), fragments per message (1009).
   * @return false when the frame goes no further
   */
  private boolean admitFrame(Connection c, WebSocketFrame frame) {
    ClientSession.FrameVerdict verdict = c.session.onFrame(c.lastSeenNanos);
    if (verdict == ClientSession.FrameVerdict.CLOSE) {
      close(c, CloseCode.POLICY_VIOLATION);
      return false;
    }
    if (verdict == ClientSession.FrameVerdict.LIMITED) {
      // The message this frame belongs to is dropped whole; it is answered once.
      boolean text = frame instanceof TextWebSocketFrame;
      boolean dropsMessage = text || (frame instanceof ContinuationWebSocketFrame && c.partial != null);
      c.dropPartial();
      if (dropsMessage) {
        reject(c, ErrorCode.RATE_LIMITED, c.session.limitedMessage(), text && frame.isFinalFragment() ? idOf(((TextWebSocketFrame) frame).text()) : null);
      }
      return false;
    }
    if (frame instanceof PingWebSocketFrame && !c.channel.channel().isWritable()) {
      // Every ping is answered with a pong, whether or not the client reads: bound that backlog too.
      slowConsumer(c);
      return false;
    }
    if (frame instanceof TextWebSocketFrame && !frame.isFinalFragment()) {
      c.fragments = 1;
    } else if (frame instanceof ContinuationWebSocketFrame && c.partial != null && ++c.fragments > maxFragments) {
      c.dropPartial();
      close(c, CloseCode.MESSAGE_TOO_BIG);
      return false;
    }
    return true;
  }

  private static Long idOf(String text) {
    DecodeResult result = ClientFrameDecoder.decode(text);
    return result instanceof DecodeResult.Request r ? r.request().id()
      : result instanceof DecodeResult.Rejected r ? r.id() : null;
  }

  /** @return false when the message grew past maxFrameBytes and the connection is being closed */
  private boolean append(Connection c, WebSocketFrame frame) {
    ByteBuf data = frame.content();
    if (c.partial.readableBytes() + data.readableBytes() > maxFrameBytes) {
      c.dropPartial();
      close(c, CloseCode.MESSAGE_TOO_BIG);
      return false;
    }
    c.partial.writeBytes(data, data.readerIndex(), data.readableBytes());
    return true;
  }

  private void onMessage(Connection c, String text) {
    DecodeResult result = ClientFrameDecoder.decode(text);
    if (result instanceof DecodeResult.Fatal fatal) {
      close(c, fatal.code());
    } else if (result instanceof DecodeResult.Rejected rejected) {
      reject(c, rejected.code(), rejected.message(), rejected.id());
    } else if (result instanceof DecodeResult.Request request) {
      handle(c, request.request());
    }
  }

  private void handle(Connection c, ClientRequest request) {
    if (request.type() == ClientRequest.Type.JOIN) {
      ClientSession.Refusal refusal = c.session.checkJoin(request.room(), System.nanoTime());
      if (refusal != null) {
        reject(c, refusal.code(), refusal.message(), request.id());
        return;
      }
    }
    switch (request.type()) {
      case PING -> reply(c, ServerMessages.PONG);
      case JOIN -> {
        if (!c.rooms.contains(request.room()) && c.rooms.size() >= maxRooms) {
          reject(c, ErrorCode.ROOM_LIMIT, "already in " + maxRooms + " rooms (" + Limit.MAX_ROOMS_PER_CONNECTION.key() + ")", request.id());
          return;
        }
        RoomIndex.Joined joined = rooms.join(request.room(), c);
        if (joined == RoomIndex.Joined.NODE_FULL) {
          counters.roomLimitRefusals++;
          reject(c, ErrorCode.ROOM_LIMIT, "this node already has " + Limit.MAX_ROOMS.key() + "=" + config.limit(Limit.MAX_ROOMS)
            + " rooms with members", request.id());
          return;
        }
        if (joined == RoomIndex.Joined.NEW_MEMBER) {
          counters.joins++;
        }
        if (request.online() && !rooms.watching(request.room(), c)) {
          rooms.watch(request.room(), c);
          tellOnlineCount(c, request.room());
        }
      }
      case LEAVE -> {
        if (rooms.leave(request.room(), c)) {
          counters.leaves++;
        }
      }
    }
    if (request.id() != null) {
      reply(c, ServerMessages.ack(request.id()));
    }
  }

  private void reject(Connection c, ErrorCode code, String message, Long id) {
    counters.error(code);
    reply(c, ServerMessages.error(code, message, id));
  }

  private void reply(Connection c, String text) {
    if (!c.writable()) {
      slowConsumer(c);
      return;
    }
    c.channel.writeAndFlush(new TextWebSocketFrame(text), c.channel.voidPromise());
  }

  private void onCommand(Message<ShardCommand> msg) {
    if (msg.body() instanceof ShardCommand.Deliver deliver) {
      try {
        deliver(deliver.frames());
        long lag = System.nanoTime() - deliver.tickNanos();
        if (counters.fanout.record(lag)) {
          warnOfLateTick(lag);
        }
      } finally {
        // The writes hold their own references until sent; this shard's reference ends here.
        deliver.frames().forEach(EncodedFrame::release);
      }
    } else if (msg.body() instanceof ShardCommand.Online online) {
      onlineTotals = online.totals();
      sendOnlineCounts();
    } else if (msg.body() instanceof ShardCommand.Drain) {
      int clients = connections.size();
      drain().onComplete(ar -> msg.reply(clients));
    }
  }

  /** At most one line a minute per shard: a node that falls behind would otherwise log every tick. */
  private void warnOfLateTick(long lagNanos) {
    lateTicksSinceWarning++;
    long now = System.nanoTime();
    if (lastLateTickWarning != 0 && now - lastLateTickWarning < LATE_TICK_WARNING_INTERVAL_NANOS) {
      return;
    }
    log.warning("shard " + index + ": a tick took " + lagNanos / 1_000_000 + " ms to reach all " + connections.size()
      + " sockets, longer than tickMillis=" + config.tickMillis() + " (" + lateTicksSinceWarning
      + (lastLateTickWarning == 0 ? " such tick" : " such ticks in the last minute")
      + "): this node is short of CPU for its audience; add nodes or CPU, or raise tickMillis (pushgate_fanout_seconds)");
    lastLateTickWarning = now;
    lateTicksSinceWarning = 0;
  }

  /**
   * Writes each frame's shared bytes to the members of its room and flushes every touched socket
   * once: one syscall per connection per delivery, however many of its rooms had items. The bytes
   * are a complete WebSocket frame in direct memory, written from this handler's context, below
   * which the WebSocket encoder passes a plain ByteBuf on unchanged.
   */
  private void deliver(List<EncodedFrame> frames) {
    // One frame (the usual tick: one busy room) reaches each socket once, so each is flushed as it
    // is written: one pass over the connections instead of a write pass and a flush pass.
    boolean flushNow = frames.size() == 1;
    for (EncodedFrame frame : frames) {
      Iterable<Connection> targets = frame.room() == null ? connections : rooms.members(frame.room());
      if (targets != null) {
        for (Connection c : targets) {
          write(c, frame, flushNow);
        }
      }
    }
    flushAndCloseSlow();
  }

  private void write(Connection c, EncodedFrame frame) {
    write(c, frame, false);
  }

  private void write(Connection c, EncodedFrame frame, boolean flushNow) {
    if (c.closing != null) {
      return;
    }
    if (!c.channel.channel().isWritable()) {
      // Over maxOutboundBytes: closed after the loop, which must not change the set it walks.
      if (slow == null) {
        slow = new LinkedHashSet<>();
      }
      slow.add(c);
      return;
    }
    counters.framesWritten++;
    counters.bytesWritten += frame.length();
    if (flushNow) {
      c.channel.writeAndFlush(frame.newWireBuffer(), c.channel.voidPromise());
      return;
    }
    c.channel.write(frame.newWireBuffer(), c.channel.voidPromise());
    if (!c.needsFlush) {
      c.needsFlush = true;
      toFlush.add(c);
    }
  }

  private void flushAndCloseSlow() {
    for (Connection c : toFlush) {
      c.needsFlush = false;
      c.channel.flush();
    }
    toFlush.clear();
    if (slow != null) {
      Set<Connection> closing = slow;
      slow = null;
      closing.forEach(this::slowConsumer);
    }
  }

  /** ONLINE to every watcher of a room whose cluster-wide count changed since it was last sent. */
  private void sendOnlineCounts() {
    onlineSent.keySet().retainAll(rooms.watchers().keySet());
    rooms.watchers().forEach((room, watchers) -> {
      Integer count = onlineTotals.get(room);
      if (count == null || count.equals(onlineSent.get(room))) {
        return;
      }
      onlineSent.put(room, count);
      EncodedFrame frame = ServerMessages.online(room, count);
      for (Connection c : watchers) {
        write(c, frame);
      }
    });
    flushAndCloseSlow();
  }

  /** A new watcher hears the count at once: the last one sent, else the best this node knows. */
  private void tellOnlineCount(Connection c, String room) {
    Integer count = onlineSent.get(room);
    if (count == null) {
      count = Math.max(onlineTotals.getOrDefault(room, 0), rooms.members(room, 0));
    }
    write(c, ServerMessages.online(room, count));
    flushAndCloseSlow();
  }

  private void slowConsumer(Connection c) {
    if (!c.channel.channel().isActive()) {
      return; // not slow but gone (reset by the client): its close handler cleans up, uncounted
    }
    close(c, CloseCode.SLOW_CONSUMER);
  }

  /**
   * Sends the close frame and leaves the connection's cleanup to its close handler. A client that
   * does not answer (or does not read at all, like a slow consumer) has its socket cut after
   * closeTimeoutMillis, so no connection outlives a close by more than that.
   */
  private void close(Connection c, CloseCode code) {
    close(c, code, false);
  }

  /** @param endAfterFrame end the TCP connection once the close frame is sent, without waiting for the client's */
  private void close(Connection c, CloseCode code, boolean endAfterFrame) {
    if (c.closing != null || c.closed) {
      return;
    }
    c.closing = code;
    counters.closedByServer(code);
    if (!c.closeSent) {
      c.closeSent = true;
      CloseWebSocketFrame frame = new CloseWebSocketFrame(code.code(), code.reason());
      if (endAfterFrame) {
        c.channel.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
      } else {
        c.channel.writeAndFlush(frame, c.channel.voidPromise());
      }
    } else if (endAfterFrame) {
      c.channel.close();
    }
    vertx.setTimer(config.closeTimeoutMillis(), id -> {
      if (!c.closed) {
        c.channel.close();
      }
    });
  }

  private void closeSilentConnections() {
    long now = System.nanoTime();
    List<Connection> silent = null;
    for (Connection c : connections) {
      if (c.closing == null && now - c.lastSeenNanos > heartbeatTimeoutNanos) {
        if (silent == null) {
          silent = new ArrayList<>();
        }
        silent.add(c);
      }
    }
    if (silent != null) {
      silent.forEach(c -> close(c, CloseCode.HEARTBEAT_TIMEOUT));
    }
  }

  private Future<Void> drain() {
    draining = true;
    if (drained == null) {
      drained = Promise.promise();
      if (connections.isEmpty()) {
        drained.complete();
      }
      for (Connection c : new ArrayList<>(connections)) {
        close(c, CloseCode.GOING_AWAY);
      }
    }
    return drained.future();
  }

  private ShardStats stats() {
    return new ShardStats(index, connections.size(), counters.toJson().put("rooms", rooms.rooms()).put("security", guard.stats()), new HashSet<>(rooms.roomNames()));
  }
}
