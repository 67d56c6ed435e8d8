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
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.pushgate.security.PublicPortHeaders;
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
   * Once the 101 is written: frames the client sent with its upgrade, which the handshake decodes as
   * it swaps the decoders (before the shard's connection is in place), and any read until then, held
   * for the connection; null while none is held. Vert.x's handler, still behind this one, would drop
   * them without releasing them.
   */
  private java.util.ArrayDeque<Object> early;
  private boolean upgraded;
  private Throwable earlyFailure;
  private boolean handedOver;

  /** Frames held for the connection at most: a client is to wait for the 101 before it sends any. */
  static final int MAX_EARLY_FRAMES = 64;

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
    if (upgraded) {
      if (earlyFailure == null) {
        hold(msg);
      } else {
        ReferenceCountUtil.release(msg); // after a frame the connection will close for: never acted on
      }
      return;
    }
    if (current != null) {
      // RFC 6455, 4.1: a client waits for the answer to its upgrade before it sends anything more.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    // An upgrade exactly as Vert.x and Netty's handshaker see one (Upgrade: websocket, one value, any case).
    if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()
      && request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
      skipContent = !(msg instanceof LastHttpContent);
      ReferenceCountUtil.release(msg);
      current = new Upgrade(request);
      if (HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0) {
        // Its body would be read as the first WebSocket frames: refused before anything is decided;
        // behind an answer Vert.x still owes, a 400 would pass it, so the connection just ends.
        if (unanswered == 0) {
          current.answer(HttpResponseStatus.BAD_REQUEST, "A WebSocket upgrade has no body.", true);
        } else {
          ctx.close();
        }
      } else if (unanswered == 0) {
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
    // A response's end answers its request; a 1xx (100 Continue) answers nothing yet.
    boolean answered = msg instanceof LastHttpContent && !(msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL);
    ctx.write(msg, promise);
    if (answered && unanswered > 0 && --unanswered == 0 && held) {
      held = false;
      ctx.channel().config().setAutoRead(true);
      // Not inside Vert.x's write of its answer, which goes on after it (the 101 still follows it).
      ctx.executor().execute(this::start);
    }
  }

  /**
   * A frame decoded early that is not valid: the connection answers it (1007, 1009...) once it is in
   * place, after the frames before it; what comes after it, frames or more of the decoder's complaints
   * (its state stays failed), is dropped, as the connection would drop it. Anything else goes on.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (upgraded && cause instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException) {
      if (earlyFailure == null) {
        earlyFailure = cause;
      }
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  private void hold(Object msg) {
    if (early == null) {
      early = new java.util.ArrayDeque<>();
    }
    if (early.size() == MAX_EARLY_FRAMES) {
      ReferenceCountUtil.release(msg);
      releaseEarly();
      ctx.close();
      return;
    }
    early.add(msg);
  }

  private void releaseEarly() {
    if (early != null) {
      early.forEach(ReferenceCountUtil::release);
      early.clear();
    }
  }

  /**
   * Leaves the pipeline of {@code channel}, whose WebSocket the shard's handler now reads: what was held
   * goes on to it, in order, then a failure met meanwhile. Nothing when this handler is not there.
   */
  static void handOver(Channel channel) {
    Upgrades upgrades = channel.pipeline().get(Upgrades.class);
    if (upgrades != null) {
      upgrades.handedOver = channel.isActive(); // closed meanwhile: what was held is released, not read
      channel.pipeline().remove(upgrades);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (!handedOver) {
      releaseEarly(); // the connection closed, or was turned away: nobody reads them
      return;
    }
    boolean any = early != null && !early.isEmpty();
    while (early != null && !early.isEmpty()) {
      ctx.fireChannelRead(early.poll());
    }
    if (any) {
      ctx.fireChannelReadComplete();
    }
    if (earlyFailure != null) {
      ctx.fireExceptionCaught(earlyFailure);
    }
  }

  /** Answers what is malformed here, as Vert.x did, and hands the rest to the shard. */
  private void start() {
    Upgrade upgrade = current;
    if (upgrade == null || !ctx.channel().isActive()) {
      return;
    }
    HttpRequest request = upgrade.request;
    // What Netty's handshaker requires, checked before the guard takes a per-client slot for it.
    if (!request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
      upgrade.answer(HttpResponseStatus.BAD_REQUEST, "\"Connection\" header must be \"Upgrade\".", false);
    } else if (request.method() != HttpMethod.GET) {
      upgrade.answer(HttpResponseStatus.METHOD_NOT_ALLOWED, "", false);
    } else if (!VERSION.equals(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
      upgrade.answer(HttpResponseStatus.UPGRADE_REQUIRED, "", false);
    } else if (request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY) == null) {
      upgrade.answer(HttpResponseStatus.BAD_REQUEST, "Sec-WebSocket-Key is missing.", false);
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
      answer(s, s.reasonPhrase(), false);
    }

    /**
     * The upgrade's answer when it is not a WebSocket; the connection may then ask again, unless
     * {@code close} or the client asked to close.
     */
    void answer(HttpResponseStatus status, String body, boolean close) {
      if (current != this) {
        return;
      }
      current = null;
      respond(status, body, close);
    }

    private void respond(HttpResponseStatus status, String body, boolean close) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      PublicPortHeaders.apply(response.headers()::set);
      if (status == HttpResponseStatus.UPGRADE_REQUIRED) {
        response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, VERSION);
      }
      boolean keepAlive = !close && HttpUtil.isKeepAlive(request);
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
      try {
        upgraded = true;
        VertxInternals.upgrade(ctx, request, frames);
      } catch (WebSocketHandshakeException e) {
        // Netty's handshaker refused what the checks above let through: nothing of the pipeline changed yet.
        upgraded = false;
        respond(HttpResponseStatus.BAD_REQUEST, "Not a WebSocket handshake: " + e.getMessage(), true);
        return null;
      } catch (RuntimeException e) {
        upgraded = false;
        releaseEarly();
        throw e;
      }
      // This handler stays until the shard's connection is in place (handOver), holding what is read meanwhile.
      return channel;
    }
  }
}
