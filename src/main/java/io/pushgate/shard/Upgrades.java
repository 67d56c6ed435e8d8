package io.pushgate.shard;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.pushgate.security.Handshake;
import io.pushgate.vertx.VertxInternals;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The public port's WebSocket upgrades, answered below Vert.x's HTTP server. Placed just before
 * Vert.x's connection handler, it takes each request that asks for a WebSocket before Vert.x makes
 * a request, a response, a handshake and a WebSocket of it (with a multi-producer write queue each
 * connection would carry until the shard took it over): in a reconnect storm those were a good part
 * of what every handshake allocated. Plain requests (health, the client script, the demo) go on to
 * Vert.x unchanged. An upgrade that follows a plain request on the same connection waits until
 * Vert.x has answered that request, so answers leave in the order they were asked.
 */
final class Upgrades extends ChannelDuplexHandler {

  /** RFC 6455's only version; drafts and hixie-76 get 426 with this one named. */
  private static final String VERSION = "13";

  private final Consumer<Handshake> onUpgrade;
  private final WebSocketDecoderConfig frames;
  private ChannelHandlerContext ctx;
  /** Requests handed to Vert.x and not yet answered in full. */
  private int unanswered;
  /** The upgrade being decided, or held until Vert.x has answered the requests before it. */
  private Upgrade current;
  private boolean held;
  /** The rest of an upgrade request taken (its end; a body, if one was sent, is dropped). */
  private boolean skipContent;

  /**
   * @param onUpgrade decides each upgrade to a well-formed version-13 handshake (the shard)
   * @param frames    the WebSocket frame decoder's settings once upgraded
   */
  Upgrades(Consumer<Handshake> onUpgrade, WebSocketDecoderConfig frames) {
    this.onUpgrade = onUpgrade;
    this.frames = frames;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (skipContent && msg instanceof HttpContent) {
      skipContent = !(msg instanceof LastHttpContent);
      ReferenceCountUtil.release(msg);
      return;
    }
    if (current != null) {
      // RFC 6455, 4.1: a client waits for the answer to its upgrade before it sends anything more.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()
      && request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
      skipContent = !(msg instanceof LastHttpContent);
      ReferenceCountUtil.release(msg);
      current = new Upgrade(request);
      if (unanswered == 0) {
        start();
      } else {
        held = true;
        ctx.channel().config().setAutoRead(false);
      }
      return;
    }
    if (msg instanceof HttpRequest) {
      unanswered++;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    boolean answered = msg instanceof LastHttpContent && !(msg instanceof HttpResponse r && r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL);
    ctx.write(msg, promise);
    if (answered && unanswered > 0 && --unanswered == 0 && held) {
      held = false;
      ctx.channel().config().setAutoRead(true);
      start();
    }
  }

  /** Answers what is malformed here, as Vert.x did, and hands the rest to the shard. */
  private void start() {
    Upgrade upgrade = current;
    HttpRequest request = upgrade.request;
    String connection = request.headers().get(HttpHeaderNames.CONNECTION);
    if (connection == null || !connection.toLowerCase(java.util.Locale.ROOT).contains("upgrade")) {
      upgrade.answer(HttpResponseStatus.BAD_REQUEST, "\"Connection\" header must be \"Upgrade\".");
    } else if (request.method() != HttpMethod.GET) {
      upgrade.answer(HttpResponseStatus.METHOD_NOT_ALLOWED, "");
    } else if (!VERSION.equals(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
      upgrade.answer(HttpResponseStatus.UPGRADE_REQUIRED, "");
    } else if (request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY) == null) {
      upgrade.answer(HttpResponseStatus.BAD_REQUEST, "Sec-WebSocket-Key is missing.");
    } else {
      onUpgrade.accept(upgrade);
    }
  }

  /** One upgrade request, answered once. */
  private final class Upgrade implements Handshake {

    private final HttpRequest request;
    private final String path;
    private final String query;

    Upgrade(HttpRequest request) {
      this.request = request;
      String uri = request.uri();
      if (!uri.startsWith("/")) {
        // Absolute form (RFC 9112, 3.2.2): the path starts after the authority.
        int scheme = uri.indexOf("://");
        int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
        uri = slash < 0 ? "/" : uri.substring(slash);
      }
      int mark = uri.indexOf('?');
      int hash = uri.indexOf('#');
      String target = hash < 0 ? uri : uri.substring(0, hash);
      this.path = mark < 0 || (hash >= 0 && hash < mark) ? target : target.substring(0, mark);
      this.query = mark < 0 || (hash >= 0 && hash < mark) ? null : target.substring(mark + 1);
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public String query() {
      return query;
    }

    @Override
    public String header(String name) {
      return request.headers().get(name);
    }

    @Override
    public List<String> headers(String name) {
      return request.headers().getAll(name);
    }

    @Override
    public String peer() {
      return ctx.channel().remoteAddress() instanceof InetSocketAddress address && address.getAddress() != null
        ? address.getAddress().getHostAddress() : null;
    }

    @Override
    public EventExecutor loop() {
      return ctx.executor();
    }

    @Override
    public void reject(int status) {
      HttpResponseStatus s = HttpResponseStatus.valueOf(status);
      answer(s, s.reasonPhrase());
    }

    /** The upgrade's answer when it is not a WebSocket; the connection may then ask again. */
    void answer(HttpResponseStatus status, String body) {
      if (current != this) {
        return;
      }
      current = null;
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
      if (status == HttpResponseStatus.UPGRADE_REQUIRED) {
        response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, VERSION);
      }
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (!keepAlive) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      ChannelFuture written = ctx.writeAndFlush(response);
      if (!keepAlive) {
        written.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public Channel accept() {
      if (current != this) {
        return null;
      }
      current = null;
      Channel channel = ctx.channel();
      if (!channel.isActive()) {
        return null;
      }
      VertxInternals.upgrade(ctx, request, frames);
      return channel;
    }
  }
}
