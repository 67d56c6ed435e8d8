package io.pushgate.security;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.TimeUnit;

/**
 * A whole-request deadline for the API port. The idle timeout alone does not stop a client that
 * sends one byte every few seconds (slowloris), and a slow body may hold up to maxBodyBytes: so
 * from the first byte of a request, its head, body and answer must be complete within the
 * deadline, or the connection is closed. Keep-alive time between requests is the idle timeout's.
 *
 * <p>The clock is a Netty handler first in the connection's pipeline: it sees the first bytes of a
 * request before any decoder, and it runs on the connection's own event loop, as does the end of
 * the response, so it needs no lock.
 */
public final class RequestDeadline {

  private static final AttributeKey<Clock> CLOCK = AttributeKey.valueOf("pushgate.requestDeadline");

  private final long timeoutMillis;
  private final Runnable onTimeout;

  /** @param onTimeout counts a connection closed at its deadline */
  public RequestDeadline(long timeoutMillis, Runnable onTimeout) {
    this.timeoutMillis = timeoutMillis;
    this.onTimeout = onTimeout;
  }

  /** The server's connection handler: every connection gets its clock. */
  public void onConnection(HttpConnection connection) {
    Channel channel = VertxInternals.channel(connection);
    if (channel != null) {
      Clock clock = new Clock();
      channel.attr(CLOCK).set(clock);
      VertxInternals.addFirst(channel, "pushgate-request-deadline", clock);
    }
  }

  /** The first route: a request's end (answered, or its connection gone) stops its clock. */
  public void onRequest(RoutingContext ctx) {
    Channel channel = VertxInternals.channel(ctx.request().connection());
    Clock clock = channel == null ? null : channel.attr(CLOCK).get();
    if (clock != null) {
      ctx.addEndHandler(v -> clock.stop());
    }
    ctx.next();
  }

  private final class Clock extends ChannelInboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> deadline;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (deadline == null) {
        deadline = ctx.executor().schedule(this::expire, timeoutMillis, TimeUnit.MILLISECONDS);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      stop();
      ctx.fireChannelInactive();
    }

    void stop() {
      if (deadline != null) {
        deadline.cancel(false);
        deadline = null;
      }
    }

    private void expire() {
      deadline = null;
      if (ctx.channel().isActive()) {
        onTimeout.run();
        ctx.channel().close();
      }
    }
  }
}
