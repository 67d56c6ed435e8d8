package io.pushgate.security;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.util.AttributeKey;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * The public port's defences, for one shard; every method runs on the shard's event loop. In the
 * order a client meets them: the handshake timeout (from TCP accept), the handshake rate limits
 * (429), the Origin allow-list (403), the connection token (401), then per connection the UTF-8
 * check of text frames (1007), the token's expiry (1008), and the message and JOIN limits.
 */
public final class ShardGuard {

  private static final AttributeKey<HeadClock> CLOCK = AttributeKey.valueOf("pushgate.handshakeClock");

  private final NodeSecurity node;
  private final Vertx vertx;
  private final boolean reportsNodeStats;
  private final long handshakeTimeoutMillis;
  private final long messagesPerSecond;
  private final long joinsPerSecond;
  private final ClientSession unlimited;

  ShardGuard(NodeSecurity node, Vertx vertx, boolean reportsNodeStats) {
    this.node = node;
    this.vertx = vertx;
    this.reportsNodeStats = reportsNodeStats;
    PushgateConfig config = node.config;
    this.handshakeTimeoutMillis = config.limit(Limit.HANDSHAKE_TIMEOUT_MILLIS);
    this.messagesPerSecond = config.limit(Limit.MAX_MESSAGES_PER_SECOND);
    this.joinsPerSecond = config.limit(Limit.MAX_JOINS_PER_SECOND);
    this.unlimited = ClientSession.unlimited(node.stats);
  }

  /**
   * The public port's HTTP server options: request-head bounds, and HTTP/1.1 only. WebSocket
   * upgrades are HTTP/1.1, and browsers speak HTTP/2 only over TLS, which the load balancer ends;
   * without cleartext HTTP/2 detection a connection gets its handshake clock as soon as it is accepted,
   * not only once its first bytes arrive.
   */
  public HttpServerOptions configure(HttpServerOptions options) {
    return ServerLimits.apply(options, node.config).setHttp2ClearTextEnabled(false);
  }

  // ---- handshake timeout ----

  /** A connection's state until it becomes a WebSocket: its timer and its latest plain request. */
  private static final class HeadClock {
    long timer = -1;
    HttpServerRequest last;
  }

  /** The server's connection handler: every new TCP connection starts its handshake clock. */
  public void onConnection(HttpConnection conn) {
    Channel channel = channel(conn);
    if (channel == null) {
      return;
    }
    HeadClock clock = new HeadClock();
    channel.attr(CLOCK).set(clock);
    arm(channel, clock);
  }

  /** Wraps the public port's request handler so that the clock knows when a response is in progress. */
  public Handler<HttpServerRequest> trackRequests(Handler<HttpServerRequest> next) {
    return request -> {
      Channel channel = channel(request.connection());
      HeadClock clock = channel == null ? null : channel.attr(CLOCK).get();
      if (clock != null) {
        clock.last = request;
      }
      next.handle(request);
    };
  }

  private void arm(Channel channel, HeadClock clock) {
    clock.timer = vertx.setTimer(handshakeTimeoutMillis, id -> {
      if (!channel.isActive() || channel.attr(CLOCK).get() != clock) {
        return; // closed, or became a WebSocket
      }
      HttpServerRequest last = clock.last;
      boolean answering = last != null && !last.response().ended() && !last.response().closed();
      // ended() turns true when a file starts sending; the file is still in the outbound buffer then.
      ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
      if (answering || (pending != null && !pending.isEmpty())) {
        arm(channel, clock); // a response is being produced or sent: look again later
        return;
      }
      node.stats.handshakeTimeouts.increment();
      channel.close();
    });
  }

  private static Channel channel(HttpConnection conn) {
    return conn instanceof io.vertx.core.http.impl.HttpServerConnection http
      ? http.channelHandlerContext().channel() : null;
  }

  /**
   * The server's invalid-request handler: counts request heads Netty refused (request line over
   * maxRequestLineBytes, headers over maxHeaderBytes, malformed), then answers as Vert.x does (414,
   * 431 or 400) and closes the connection.
   */
  public void onInvalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof TooLongHttpLineException) {
      node.stats.requestLineTooLong.increment();
    } else if (cause instanceof TooLongHttpHeaderException) {
      node.stats.headersTooLarge.increment();
    } else {
      node.stats.malformedRequests.increment();
    }
    HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
  }

  // ---- handshake ----

  /**
   * Rate limits, Origin and token, in that order (the cheapest refusal first); then the upgrade.
   * {@code onAccepted} gets the new WebSocket, already guarded, and its session.
   */
  public void admit(ServerWebSocketHandshake handshake, BiConsumer<ServerWebSocket, ClientSession> onAccepted) {
    if (node.limiter.enabled()) {
      String ip = handshake.remoteAddress() == null ? "?" : handshake.remoteAddress().hostAddress();
      HandshakeLimiter.Verdict verdict = node.limiter.check(ip, System.nanoTime());
      if (verdict != HandshakeLimiter.Verdict.ALLOWED) {
        (verdict == HandshakeLimiter.Verdict.IP_RATE ? node.stats.handshakeRateIp : node.stats.handshakeRateNode).increment();
        handshake.reject(429);
        return;
      }
    }
    if (!node.origins.allows(handshake.headers().get("Origin"))) {
      node.stats.originRefused.increment();
      handshake.reject(403);
      return;
    }
    if (node.verifier == null) {
      accept(handshake, Grant.OPEN, onAccepted);
      return;
    }
    String token = token(handshake.query());
    if (token == null) {
      node.stats.tokenMissing.increment();
      handshake.reject(401);
      return;
    }
    node.verifier.verify(token).onComplete(ar -> {
      if (ar.succeeded()) {
        accept(handshake, ar.result(), onAccepted);
      } else {
        node.stats.tokenInvalid.increment();
        handshake.reject(401);
      }
    });
  }

  private void accept(ServerWebSocketHandshake handshake, Grant grant, BiConsumer<ServerWebSocket, ClientSession> onAccepted) {
    ClientSession session = grant == Grant.OPEN && messagesPerSecond == 0 && joinsPerSecond == 0
      ? unlimited : new ClientSession(grant, node.stats, messagesPerSecond, joinsPerSecond, System.nanoTime());
    handshake.accept().onSuccess(ws -> {
      Channel channel = ((WebSocketInternal) ws).channelHandlerContext().channel();
      HeadClock clock = removeClock(channel);
      if (clock != null && clock.timer >= 0) {
        vertx.cancelTimer(clock.timer);
      }
      installUtf8Validator(channel.pipeline());
      onAccepted.accept(ws, session);
    });
  }

  /** Removes the attribute itself, not only its value: an idle WebSocket should not keep an empty slot. */
  @SuppressWarnings("deprecation")
  private static HeadClock removeClock(Channel channel) {
    return channel.attr(CLOCK).getAndRemove();
  }

  /**
   * Vert.x's server WebSocket does not validate text frames as UTF-8 (Netty adds its validator only
   * through WebSocketServerProtocolHandler, which Vert.x does not use), so invalid bytes would reach
   * the decoder as U+FFFD. Netty's validator, placed after the frame decoder, raises a
   * CorruptedWebSocketFrameException (1007) instead, which the shard turns into its close frame.
   */
  static void installUtf8Validator(ChannelPipeline pipeline) {
    if (pipeline.get(Utf8FrameValidator.class) != null) {
      return;
    }
    if (pipeline.get("handler") != null) {
      pipeline.addBefore("handler", "pushgate-utf8", new Utf8FrameValidator(false));
    } else {
      pipeline.addLast("pushgate-utf8", new Utf8FrameValidator(false));
    }
  }

  static String token(String query) {
    if (query == null || query.isEmpty()) {
      return null;
    }
    List<String> values = new QueryStringDecoder(query, false).parameters().get("token");
    return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
  }

  // ---- connection lifetime ----

  /** Closes the connection (through {@code onExpired}) when its token expires. */
  public void watchExpiry(ClientSession session, Runnable onExpired) {
    if (!session.grant().expires()) {
      return;
    }
    long delay = session.grant().expiresAtMillis() - System.currentTimeMillis();
    Runnable expire = () -> {
      session.expiryTimer = -1;
      node.stats.tokenExpiredClosed.increment();
      onExpired.run();
    };
    if (delay < 1) {
      expire.run();
    } else {
      session.expiryTimer = vertx.setTimer(delay, id -> expire.run());
    }
  }

  /** The connection closed: its timer goes with it. */
  public void release(ClientSession session) {
    if (session.expiryTimer >= 0) {
      vertx.cancelTimer(session.expiryTimer);
      session.expiryTimer = -1;
    }
  }

  /** The node's security counters, from one shard only so that /stats does not add them up N times. */
  public JsonObject stats() {
    return reportsNodeStats ? node.stats() : null;
  }
}
