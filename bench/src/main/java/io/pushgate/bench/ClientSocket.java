package io.pushgate.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.ChannelFactory;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * One subscriber's WebSocket on a plain Netty channel: bound to its loopback source address,
 * upgraded by Netty's client handshaker, then read where the frame decoder leaves each frame.
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
    WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13, null,
      false, new DefaultHttpHeaders(), MAX_FRAME_BYTES);
    Bootstrap bootstrap = new Bootstrap()
      .group(loop)
      .channelFactory(channels)
      .option(ChannelOption.TCP_NODELAY, true)
      .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
      .handler(new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
            new Upgrade(handshaker, socket, opened, timeoutMillis));
        }
      });
    bootstrap.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), new InetSocketAddress(source, 0))
      .addListener(f -> {
        if (!f.isSuccess()) {
          opened.tryFail(f.cause());
        }
      });
    return opened.future();
  }

  /** Sends the upgrade once connected and hands the channel to the socket once the server agrees. */
  private static final class Upgrade extends SimpleChannelInboundHandler<FullHttpResponse> {

    private final WebSocketClientHandshaker handshaker;
    private final ClientSocket socket;
    private final Promise<ClientSocket> opened;
    private final long timeoutMillis;
    private ScheduledFuture<?> timeout;

    Upgrade(WebSocketClientHandshaker handshaker, ClientSocket socket, Promise<ClientSocket> opened, long timeoutMillis) {
      this.handshaker = handshaker;
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
      handshaker.handshake(ctx.channel());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      timeout.cancel(false);
      if (!HttpResponseStatus.SWITCHING_PROTOCOLS.equals(response.status())) {
        opened.tryFail("http " + response.status().code());
        ctx.close();
        return;
      }
      try {
        handshaker.finishHandshake(ctx.channel(), response);
      } catch (RuntimeException e) {
        opened.tryFail(e);
        ctx.close();
        return;
      }
      ctx.pipeline().replace(this, "bench", socket);
      opened.tryComplete(socket);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (timeout != null) {
        timeout.cancel(false);
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
