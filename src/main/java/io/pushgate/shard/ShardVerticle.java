package io.pushgate.shard;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.metrics.NodeStats;
import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.security.ClientSession;
import io.pushgate.security.Handshake;
import io.pushgate.security.NodeSecurity;
import io.pushgate.security.ShardGuard;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.Router;

import java.util.function.Function;

/**
 * One connection shard, one per event loop: its lifecycle. It listens on the public port with a
 * listening socket of its own (SO_REUSEPORT: the kernel spreads new connections over the shards'
 * sockets, each with its own accept queue), admits handshakes through the security guard,
 * takes each WebSocket over into a {@link Connection}, takes the merger's commands in order, and
 * drains. What connections ask is {@link ClientRequests}'; what is written to many is the
 * {@link Hub}'s. The shard alone owns its connections and rooms, so the delivery path needs no lock.
 */
public final class ShardVerticle extends VerticleBase implements ConnectionContext.Listener {

  private final int index;
  private final ShardOptions options;
  private final Budget connectionBudget;
  private final Function<Vertx, Router> publicRoutes;
  private final NodeSecurity security;
  private final ShardStats stats;
  private final Hub hub;
  private final FanoutPressure pressure;
  private ClientRequests requests;
  private final ConnectionContext shared;
  /** Outbound bytes a connection may have queued before it counts as a slow consumer (4002). */
  private final WriteBufferWaterMark outboundLimit;
  /** The frame decoder's settings once a connection is upgraded: frames up to maxFrameBytes, masked, no extensions. */
  private final WebSocketDecoderConfig frames;
  private ShardGuard guard;
  private boolean draining;
  private Promise<Void> drained;
  /** The port this shard listens on, known once it listens (publicPort 0 picks one). */
  private volatile int listeningPort;

  /**
   * @param publicRoutes the public port's HTTP routes besides /connect (health, files, demo),
   *                     composed by the node so the shard knows only connections
   */
  public ShardVerticle(int index, ShardOptions options, Budget connectionBudget, NodeRooms nodeRooms, FanoutPressure pressure,
                       Function<Vertx, Router> publicRoutes, NodeSecurity security, NodeStats nodeStats) {
    this.index = index;
    this.options = options;
    this.connectionBudget = connectionBudget;
    this.publicRoutes = publicRoutes;
    this.security = security;
    this.stats = new ShardStats(index, options.tickMillis());
    this.pressure = pressure;
    this.hub = new Hub(index, options, stats, nodeRooms, pressure);
    this.shared = new ConnectionContext(options, stats, this);
    this.outboundLimit = new WriteBufferWaterMark(options.maxOutboundBytes() / 2, options.maxOutboundBytes());
    // Each frame is encoded once and written to many sockets; per-connection deflate would undo that,
    // so no extension is offered. Protocol violations are the connection's to answer (its close code).
    this.frames = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(options.maxFrameBytes())
      .allowExtensions(false).allowMaskMismatch(false).closeOnProtocolViolation(false).build();
    // Sizes read from another thread: a racy but harmless read of one int field each.
    stats.stats.gauge("connections", "pushgate_connections", "open WebSocket connections", hub.connections::size).perShard("connections");
    stats.stats.gauge("shards.rooms", "pushgate_rooms", "rooms with members on this shard", hub.rooms::rooms);
    nodeStats.add(stats.stats);
  }

  @Override
  public Future<?> start() {
    guard = security.forShard(vertx);
    requests = new ClientRequests(options, stats, hub, guard, index,
      join -> vertx.eventBus().send(Addresses.STREAM_JOIN, join, Local.OPTIONS));
    vertx.eventBus().<ShardCommand>localConsumer(Addresses.shard(index), this::onCommand);
    vertx.eventBus().localConsumer(Addresses.shardCounts(index), msg -> msg.reply(hub.rooms.report(Boolean.TRUE.equals(msg.body()))));
    long sweep = Math.max(50, Math.min(1_000, options.heartbeatTimeoutMillis() / 4));
    vertx.setPeriodic(sweep, id -> hub.sweep(System.nanoTime()));

    // Elsewhere than Linux with epoll the shards share Vert.x's one socket, as they did before.
    boolean ownSocket = VertxInternals.reusePortSpreads(vertx);
    HttpServerOptions http = new HttpServerOptions()
      .setHost(options.publicHost())
      .setPort(options.publicPort())
      // Each frame is encoded once and written to many sockets; per-connection deflate would undo that.
      // Upgrades offers no extension, and with these off Vert.x puts no extension handler in the
      // pipeline, which would otherwise answer a browser's permessage-deflate on the 101 behind our back.
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false)
      // Everything here runs on the shard's own event loop, which is what strict thread mode asks;
      // in return each HTTP connection (every WebSocket's until its upgrade) has no multi-producer
      // write queue, whose first 1,024-slot chunk was 4 KB of heap. WebSockets are not Vert.x's:
      // Upgrades answers them.
      .setStrictThreadMode(true)
      // Listening sockets of the shard's own instead of one that Vert.x shares: in a reconnect storm
      // each socket's accept queue takes its share of the SYNs, so the node queues listenSockets x
      // the backlog before the kernel drops any (a dropped SYN is retried only after 1 s).
      .setReusePort(ownSocket)
      // Explicit, not Netty's reading of somaxconn at start: the kernel caps it at somaxconn anyway,
      // so a node started before somaxconn was raised still gets the longer queue on its next start.
      .setAcceptBacklog(options.acceptBacklog());
    guard.configure(http);
    Future<Void> listening = listen(http, options.publicPort(), ownSocket);
    for (int i = 1; ownSocket && i < options.listenSockets(); i++) {
      listening = listening.compose(v -> listen(http, listeningPort, true));
    }
    return listening;
  }

  /**
   * One listening socket for this shard on {@code port} (0: any), with the shard's handlers. With
   * {@code ownSocket} the next server of this Vert.x on that address binds a socket of its own
   * beside it instead of sharing it.
   */
  private Future<Void> listen(HttpServerOptions http, int port, boolean ownSocket) {
    return vertx.createHttpServer(new HttpServerOptions(http).setPort(port))
      .connectionHandler(this::onConnection)
      .invalidRequestHandler(guard::onInvalidRequest)
      .requestHandler(publicRoutes.apply(vertx))
      .listen()
      .<Void>map(server -> {
        listeningPort = server.actualPort();
        if (ownSocket) {
          VertxInternals.listenAlone(vertx, options.publicHost(), listeningPort);
        }
        return null;
      })
      .recover(e -> Future.failedFuture(new IllegalStateException("cannot listen on the public port "
        + options.publicHost() + ":" + port + " (publicPort): " + e.getMessage(), e)));
  }

  /** The port this shard listens on, once started; the next shard listens on the same one. */
  public int listeningPort() {
    return listeningPort;
  }

  /** Every new connection: its handshake clock starts, and its upgrades come to the shard, not to Vert.x. */
  private void onConnection(HttpConnection connection) {
    guard.onConnection(connection);
    if (!VertxInternals.beforeVertx(connection, "pushgate-upgrades", new Upgrades(this::handshake, frames))) {
      connection.close();
    }
  }

  private void handshake(Handshake handshake) {
    if (!"/connect".equals(handshake.path())) {
      handshake.reject(404);
    } else if (draining) {
      // Refused before the upgrade, so the client's next attempt lands on a node that stays.
      stats.refused.get(ShardStats.Refusal.DRAINING).inc();
      handshake.reject(503);
    } else {
      // Rate limits (429), Origin (403), token (401), per-client caps (429); accept() gets the WebSockets that pass.
      guard.admit(handshake, this::accept);
    }
  }

  private void accept(Channel channel, ClientSession session) {
    if (draining) {
      // Admitted across the start of a drain (the guard's checks may answer later than the handshake
      // came): the drain's list of clients to close was taken without it, so it goes now, as they do.
      turnAway(channel, session, ShardStats.Refusal.DRAINING, CloseCode.GOING_AWAY);
      return;
    }
    if (!connectionBudget.tryAcquire()) {
      turnAway(channel, session, ShardStats.Refusal.CONNECTION_LIMIT, CloseCode.TRY_AGAIN_LATER);
      return;
    }
    Connection c = new Connection(shared, session, System.nanoTime());
    try {
      // From here the socket is ours: Vert.x's HTTP connection leaves the pipeline.
      // Vert.x's server still owns the channel's accept and shutdown.
      VertxInternals.takeOver(channel, "pushgate", c, outboundLimit);
    } catch (RuntimeException e) {
      // Not ours after all (TLS on the public port): nothing of it is kept.
      connectionBudget.release();
      guard.release(session);
      refuse(channel, CloseCode.INTERNAL_ERROR);
      throw e;
    }
    stats.accepted.inc();
    hub.add(c);
    guard.watchExpiry(session, () -> c.close(CloseCode.POLICY_VIOLATION));
    c.checkStillOpen();
    // Last, once the connection is all set up (an early REFRESH replaces the expiry timer just set):
    // what the client sent with its upgrade goes on to it, before anything read later.
    Upgrades.handOver(channel);
  }

  /** An admitted client the shard does not take after all: its per-client slots given back, counted, closed. */
  private void turnAway(Channel channel, ClientSession session, ShardStats.Refusal why, CloseCode code) {
    guard.release(session);
    stats.refused.get(why).inc();
    refuse(channel, code);
  }

  /** An upgraded connection the shard does not take: its close frame, then the end of it. */
  private static void refuse(Channel channel, CloseCode code) {
    channel.writeAndFlush(new CloseWebSocketFrame(code.code(), code.reason())).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void onText(Connection c, String text) {
    requests.onText(c, text);
  }

  @Override
  public void onRateLimited(Connection c, String text) {
    requests.onRateLimited(c, text);
  }

  @Override
  public void onClosed(Connection c) {
    guard.release(c.session);
    hub.remove(c);
    connectionBudget.release();
    if (drained != null && hub.connections.isEmpty()) {
      drained.tryComplete();
    }
  }

  private void onCommand(Message<ShardCommand> msg) {
    if (msg.body() instanceof ShardCommand.Deliver deliver) {
      try {
        hub.deliver(deliver.frames(), deliver.tickNanos());
      } finally {
        // The writes hold their own references until sent; this shard's reference ends here.
        deliver.frames().forEach(EncodedFrame::release);
        if (deliver.tick()) {
          pressure.tickWritten();
        }
      }
    } else if (msg.body() instanceof ShardCommand.StreamJoined joined) {
      requests.onStreamJoined(joined);
    } else if (msg.body() instanceof ShardCommand.StreamRestarted restarted) {
      hub.rooms.forget(restarted.room());
    } else if (msg.body() instanceof ShardCommand.Missed missed) {
      hub.missed(missed.target());
    } else if (msg.body() instanceof ShardCommand.Online online) {
      hub.online(online.totals(), online.spacingNanos(), System.nanoTime());
    } else if (msg.body() instanceof ShardCommand.Drain d) {
      int clients = hub.connections.size();
      drain(d).onComplete(ar -> msg.reply(clients));
    }
  }

  private Future<Void> drain(ShardCommand.Drain d) {
    draining = true;
    if (drained == null) {
      drained = Promise.promise();
      if (hub.connections.isEmpty()) {
        drained.complete();
      } else {
        new DrainSpread(vertx, hub, d).start();
      }
    }
    return drained.future();
  }
}
