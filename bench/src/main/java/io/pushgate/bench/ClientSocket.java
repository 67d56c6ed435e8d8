package io.pushgate.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.ChannelFactory;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * One subscriber's WebSocket on a plain Netty channel: bound to its loopback source address,
 * upgraded by a request written by hand ({@link Upgrade}), then read where Netty's frame decoder
 * leaves each frame.
 * Vert.x's WebSocket client cost the generator more CPU than the server spent per handshake in a
 * reconnect storm, and copied every inbound frame into a new heap buffer; the generator must
 * measure the server, not itself. Everything runs on the channel's event loop, the subscriber's lane.
 */
public final class ClientSocket extends ChannelInboundHandlerAdapter {

  /** RFC 6455: the connection closed without a close frame. */
  public static final int ABNORMAL = 1006;
  private static final int MAX_FRAME_BYTES = 1 << 20;
  private static final int MAX_RESPONSE_BYTES = 16 * 1024;
  private static final long CLOSE_WAIT_SECONDS = 5;

  private final Consumer<Buffer> onFrame;
  private final IntConsumer onClosed;
  private ChannelHandlerContext ctx;
  private int closeStatus = ABNORMAL;
  private boolean closeSent;
  private Promise<Void> closed;

  private ClientSocket(Consumer<Buffer> onFrame, IntConsumer onClosed) {
    this.onFrame = onFrame;
    this.onClosed = onClosed;
  }

  /**
   * Connects from {@code source} and upgrades. The future fails with "http NNN" when the server
   * answers the upgrade with another status. Once open, {@code onFrame} gets each data frame's
   * payload (valid only during the call) and {@code onClosed} the server's close status (1006 when
   * none came).
   */
  public static Future<ClientSocket> connect(EventLoop loop, ChannelFactory<? extends Channel> channels, URI uri, String source, long timeoutMillis,
                                      Consumer<Buffer> onFrame, IntConsumer onClosed) {
    Promise<ClientSocket> opened = Promise.promise();
    ClientSocket socket = new ClientSocket(onFrame, onClosed);
    Bootstrap bootstrap = new Bootstrap()
      .group(loop)
      .channelFactory(channels)
      .option(ChannelOption.TCP_NODELAY, true)
      .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
      .handler(new Upgrade(uri, socket, opened, timeoutMillis));
    bootstrap.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), new InetSocketAddress(source, 0))
      .addListener(f -> {
        if (!f.isSuccess()) {
          opened.tryFail(f.cause());
        }
      });
    return opened.future();
  }

  /**
   * Sends the upgrade once connected and hands the channel to the socket once the server agrees.
   * Written by hand rather than with Netty's HTTP codec, aggregator and handshaker: in a storm those
   * cost the generator more CPU per connection than the server spent on it, on the same two cores,
   * and the generator must measure the server, not itself. Every connection sends the same
   * Sec-WebSocket-Key (RFC 6455's sample nonce), which a server has no way to tell from a random one.
   */
  private static final class Upgrade extends ChannelInboundHandlerAdapter {

    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    /** Base64 of SHA-1 of KEY and RFC 6455's GUID: the only answer that completes the handshake. */
    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    private static final String ACCEPT_NAME = "\r\nsec-websocket-accept:";
    private static final String SWITCHING = "HTTP/1.1 101";
    private static final int STATUS_END = SWITCHING.length();
    private static final ByteBuf HEADERS_END = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer("\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));

    private final URI uri;
    private final ClientSocket socket;
    private final Promise<ClientSocket> opened;
    private final long timeoutMillis;
    private ScheduledFuture<?> timeout;
    private ByteBuf response;

    Upgrade(URI uri, ClientSocket socket, Promise<ClientSocket> opened, long timeoutMillis) {
      this.uri = uri;
      this.socket = socket;
      this.opened = opened;
      this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      timeout = ctx.executor().schedule(() -> {
        if (opened.tryFail("handshake timeout")) {
          ctx.close();
        }
      }, timeoutMillis, TimeUnit.MILLISECONDS);
      String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      String request = "GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
      ctx.writeAndFlush(Unpooled.wrappedBuffer(request.getBytes(StandardCharsets.US_ASCII)), ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      if (response == null) {
        response = in;
      } else {
        response = Unpooled.wrappedBuffer(response, in);
      }
      int end = ByteBufUtil.indexOf(HEADERS_END, response);
      if (end < 0) {
        if (response.readableBytes() > MAX_RESPONSE_BYTES) {
          fail(ctx, "response headers over " + MAX_RESPONSE_BYTES + " bytes");
        }
        return;
      }
      timeout.cancel(false);
      String failure = check(response, end);
      if (failure != null) {
        fail(ctx, failure);
        return;
      }
      response.readerIndex(end + HEADERS_END.readableBytes());
      ByteBuf rest = response;
      response = null;
      ctx.pipeline().addAfter(ctx.name(), "ws-decoder", new WebSocket13FrameDecoder(false, false, MAX_FRAME_BYTES));
      ctx.pipeline().addAfter("ws-decoder", "ws-encoder", new WebSocket13FrameEncoder(true));
      ctx.pipeline().addAfter("ws-encoder", "bench", socket);
      ctx.pipeline().remove(this);
      opened.tryComplete(socket);
      if (rest.isReadable()) {
        ctx.pipeline().fireChannelRead(rest);
      } else {
        rest.release();
      }
    }

    /** Null when {@code headers[readerIndex, end)} is a 101 with the accept value KEY calls for, else why not. */
    private static String check(ByteBuf headers, int end) {
      String head = headers.toString(headers.readerIndex(), end - headers.readerIndex(), StandardCharsets.US_ASCII);
      if (head.length() < STATUS_END || !head.startsWith("HTTP/1.")) {
        return "malformed response";
      }
      if (!head.startsWith(SWITCHING)) {
        return "http " + head.substring(STATUS_END - 3, STATUS_END);
      }
      // Header names are case-insensitive, the value is not.
      int name = head.toLowerCase(Locale.ROOT).indexOf(ACCEPT_NAME);
      if (name < 0) {
        return "no Sec-WebSocket-Accept";
      }
      int from = name + ACCEPT_NAME.length();
      int to = head.indexOf('\r', from);
      return head.substring(from, to < 0 ? head.length() : to).trim().equals(ACCEPT) ? null : "wrong Sec-WebSocket-Accept";
    }

    private void fail(ChannelHandlerContext ctx, String why) {
      if (response != null) {
        response.release();
        response = null;
      }
      opened.tryFail(why);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (timeout != null) {
        timeout.cancel(false);
      }
      if (response != null) {
        response.release();
        response = null;
      }
      opened.tryFail("closed during the handshake");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      opened.tryFail(cause);
      ctx.close();
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  public InetSocketAddress localAddress() {
    return (InetSocketAddress) ctx.channel().localAddress();
  }

  public void sendText(String text) {
    ctx.writeAndFlush(new TextWebSocketFrame(text), ctx.voidPromise());
  }

  public void ping() {
    ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
  }

  /** Sends a close frame; completes once the server has closed the connection (or after 5 s, cut). */
  public Future<Void> close() {
    if (closed == null) {
      closed = Promise.promise();
      ctx.channel().closeFuture().addListener(f -> closed.tryComplete());
      if (!closeSent) {
        closeSent = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(1000, ""), ctx.voidPromise());
      }
      ctx.executor().schedule(() -> ctx.close(), CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    }
    return closed.future();
  }

  /** Drops the connection without a close frame, as a vanished network or a killed process would. */
  public void abort() {
    ctx.channel().close();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
        onFrame.accept(BufferInternal.buffer(frame.content()));
      } else if (frame instanceof PingWebSocketFrame) {
        ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retainedDuplicate()), ctx.voidPromise());
      } else if (frame instanceof CloseWebSocketFrame close) {
        int status = close.statusCode();
        closeStatus = status < 0 ? 1005 : status;
        if (closeSent) {
          ctx.close();
        } else {
          closeSent = true;
          ctx.writeAndFlush(new CloseWebSocketFrame(closeStatus == 1005 ? 1000 : closeStatus, "")).addListener(ChannelFutureListener.CLOSE);
        }
      }
    } finally {
      frame.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    onClosed.accept(closeStatus);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
