package io.pushgate.security;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import io.pushgate.config.Limit;
import io.pushgate.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.pushgate.vertx.VertxInternals;

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
  private final long handshakeTimeoutMillis;
  private final long messagesPerSecond;
  private final long joinsPerSecond;
  private final long rejoinAllowance;
  private final ClientSession unlimited;

  ShardGuard(NodeSecurity node, Vertx vertx) {
    this.node = node;
    this.vertx = vertx;
    this.handshakeTimeoutMillis = node.options.handshakeTimeoutMillis();
    this.messagesPerSecond = node.options.messagesPerSecond();
    this.joinsPerSecond = node.options.joinsPerSecond();
    this.rejoinAllowance = node.options.rejoinAllowance();
    this.unlimited = ClientSession.unlimited(node.stats);
  }

  /**
   * The public port's HTTP server options: request-head bounds, and HTTP/1.1 only. WebSocket
   * upgrades are HTTP/1.1, and browsers speak HTTP/2 only over TLS, which the load balancer ends;
   * without cleartext HTTP/2 detection a connection gets its handshake clock as soon as it is accepted,
   * not only once its first bytes arrive.
   */
  public HttpServerOptions configure(HttpServerOptions options) {
    return ServerLimits.apply(options, node.options).setHttp2ClearTextEnabled(false);
  }

  // ---- handshake timeout ----

  /** A connection's deadline until it becomes a WebSocket. */
  private static final class HeadClock {
    long timer = -1;
  }

  /** The server's connection handler: every new TCP connection starts its handshake clock. */
  public void onConnection(HttpConnection conn) {
    Channel channel = VertxInternals.channel(conn);
    if (channel == null) {
      return;
    }
    HeadClock clock = new HeadClock();
    channel.attr(CLOCK).set(clock);
    arm(channel, clock);
  }

  /**
   * One deadline from TCP accept to the upgrade, whatever the connection does meanwhile: a response
   * the client never reads, pipelined requests or a body trickled a byte at a time would each keep
   * a deadline that waits for them open for ever, outside every connection limit.
   */
  private void arm(Channel channel, HeadClock clock) {
    clock.timer = vertx.setTimer(handshakeTimeoutMillis, id -> {
      if (!channel.isActive() || channel.attr(CLOCK).get() != clock) {
        return; // closed, or became a WebSocket
      }
      node.stats.handshakeTimeouts.inc();
      channel.close();
    });
  }

  /**
   * The server's invalid-request handler: counts request heads Netty refused (request line over
   * maxRequestLineBytes, headers over maxHeaderBytes, malformed), then answers as Vert.x does (414,
   * 431 or 400) and closes the connection.
   */
  public void onInvalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof TooLongHttpLineException) {
      node.stats.requestLineTooLong.inc();
    } else if (cause instanceof TooLongHttpHeaderException) {
      node.stats.headersTooLarge.inc();
    } else {
      node.stats.malformedRequests.inc();
    }
    HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
  }

  // ---- handshake ----

  /**
   * Rate limits, Origin and token, in that order (the cheapest refusal first); then the upgrade.
   * {@code onAccepted} gets the upgraded channel, its handshake clock stopped, and its session.
   */
  public void admit(Handshake handshake, BiConsumer<Channel, ClientSession> onAccepted) {
    if (node.limiter.enabled()) {
      HandshakeLimiter.Verdict verdict = node.limiter.check(clientAddress(handshake), System.nanoTime());
      if (verdict != HandshakeLimiter.Verdict.ALLOWED) {
        (verdict == HandshakeLimiter.Verdict.IP_RATE ? node.stats.handshakeRateIp : node.stats.handshakeRateNode).inc();
        handshake.reject(429);
        return;
      }
    }
    if (!node.origins.allows(handshake.header("Origin"))) {
      node.stats.originRefused.inc();
      handshake.reject(403);
      return;
    }
    if (node.verifier == null) {
      accept(handshake, Grant.OPEN, onAccepted);
      return;
    }
    String token = token(handshake.query());
    if (token == null) {
      node.stats.tokenMissing.inc();
      handshake.reject(401);
      return;
    }
    node.verifier.verify(token).onComplete(ar -> {
      Runnable decide = () -> {
        if (ar.succeeded()) {
          accept(handshake, ar.result(), onAccepted);
        } else {
          node.stats.tokenInvalid.inc();
          handshake.reject(401);
        }
      };
      // The verifier answers on the caller's loop with static keys; an answer from elsewhere comes back to it.
      if (handshake.loop().inEventLoop()) {
        decide.run();
      } else {
        handshake.loop().execute(decide);
      }
    });
  }

  private void accept(Handshake handshake, Grant grant, BiConsumer<Channel, ClientSession> onAccepted) {
    String ipKey = null;
    if (node.perIp.enabled()) {
      ipKey = clientAddress(handshake);
      if (!node.perIp.tryAcquire(ipKey)) {
        node.stats.connectionsPerIp.inc();
        handshake.reject(429);
        return;
      }
    }
    String userKey = null;
    if (node.perUser.enabled() && grant.subject() != null) {
      userKey = grant.subject();
      if (!node.perUser.tryAcquire(userKey)) {
        if (ipKey != null) {
          node.perIp.release(ipKey);
        }
        node.stats.connectionsPerUser.inc();
        handshake.reject(429);
        return;
      }
    }
    ClientSession session = grant == Grant.OPEN && messagesPerSecond == 0 && joinsPerSecond == 0 && ipKey == null
      ? unlimited : new ClientSession(grant, node.stats, messagesPerSecond, joinsPerSecond, rejoinAllowance, ipKey, userKey, System.nanoTime());
    Channel channel = null;
    try {
      channel = handshake.accept();
    } finally {
      if (channel == null) {
        release(session); // a per-client slot must not outlive a handshake that failed, however it failed
      }
    }
    if (channel == null) {
      return;
    }
    HeadClock clock = removeClock(channel);
    if (clock != null && clock.timer >= 0) {
      vertx.cancelTimer(clock.timer);
    }
    onAccepted.accept(channel, session);
  }

  /**
   * The address per-IP limits count: the TCP peer, or behind a trusted proxy the client it forwards
   * for (trustedProxies); IPv6 grouped by /64.
   */
  private String clientAddress(Handshake handshake) {
    String peer = handshake.peer();
    TrustedProxies proxies = node.options.trustedProxies();
    return ClientAddress.group(proxies.isEmpty() ? peer : proxies.client(peer, handshake.headers("X-Forwarded-For")));
  }

  /** Removes the attribute itself, not only its value: an idle WebSocket should not keep an empty slot. */
  @SuppressWarnings("deprecation")
  private static HeadClock removeClock(Channel channel) {
    return channel.attr(CLOCK).getAndRemove();
  }

  static String token(String query) {
    if (query == null || query.isEmpty()) {
      return null;
    }
    List<String> values = new QueryStringDecoder(query, false).parameters().get("token");
    return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
  }

  // ---- connection lifetime ----

  /**
   * Closes the connection (through {@code onExpired}, which says whether it closed it: not one that was
   * closing already) when its token expires.
   */
  public void watchExpiry(ClientSession session, java.util.function.BooleanSupplier onExpired) {
    if (!session.grant().expires()) {
      return;
    }
    long delay = session.grant().expiresAtMillis() - System.currentTimeMillis();
    Runnable expire = () -> {
      session.expiryTimer = -1;
      if (onExpired.getAsBoolean()) {
        node.stats.tokenExpiredClosed.inc();
      }
    };
    if (delay < 1) {
      expire.run();
    } else {
      session.expiryTimer = vertx.setTimer(delay, id -> expire.run());
    }
  }

  /**
   * REFRESH (PROTOCOL.md): a new token for an open connection. It must be valid and for the same
   * user; its {@code exp} becomes the connection's deadline and its {@code rooms} claim what the
   * connection may join from now on. With tokens off there is nothing to replace: the grant stays.
   * The future fails, its message saying why, when the token is refused; the old one then stays.
   */
  public Future<Grant> refresh(ClientSession session, String token, java.util.function.BooleanSupplier onExpired) {
    if (node.verifier == null) {
      return Future.succeededFuture(session.grant());
    }
    long now = System.nanoTime();
    ClientSession.Refusal soon = session.checkRefresh(now);
    if (soon == null && node.limiter.checkRefresh(now) != HandshakeLimiter.Verdict.ALLOWED) {
      node.stats.refreshesLimited.inc();
      soon = new ClientSession.Refusal(ErrorCode.RATE_LIMITED, "REFRESHes on this node are at " + Limit.MAX_HANDSHAKES_PER_SECOND.key() + ": retry in a second");
    }
    if (soon != null) {
      return Future.failedFuture(new RefreshLimited(soon.message()));
    }
    return node.verifier.verify(token)
      .recover(e -> Future.failedFuture(new SecurityException("the token is not valid: " + e.getMessage())))
      .compose(grant -> {
        if (!grant.subject().equals(session.grant().subject())) {
          return Future.failedFuture(new SecurityException("the new token is for another user than the connection's"));
        }
        if (session.expiryTimer >= 0) {
          vertx.cancelTimer(session.expiryTimer);
          session.expiryTimer = -1;
        }
        session.replace(grant);
        node.stats.tokensRefreshed.inc();
        watchExpiry(session, onExpired);
        return Future.succeededFuture(grant);
      })
      .onFailure(e -> node.stats.refreshRefused.inc());
  }

  /** A REFRESH not checked for its rate (ERROR RATE_LIMITED): the connection keeps its token; it may try again. */
  public static final class RefreshLimited extends RuntimeException {
    RefreshLimited(String message) {
      super(message, null, false, false);
    }
  }

  /** The connection closed (or was never opened): its timer and its place in the per-client counts go with it. */
  public void release(ClientSession session) {
    if (session.expiryTimer >= 0) {
      vertx.cancelTimer(session.expiryTimer);
      session.expiryTimer = -1;
    }
    if (session.ipKey != null) {
      node.perIp.release(session.ipKey);
    }
    if (session.userKey != null) {
      node.perUser.release(session.userKey);
    }
  }

}
