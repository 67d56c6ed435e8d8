package io.pushgate.bench;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A subscriber's socket after its handshake. Vert.x's client opens it (source address, upgrade);
 * then this handler replaces Vert.x's in the pipeline and reads Netty's frames where the decoder
 * left them. Vert.x would copy every inbound frame into a new heap buffer, which at ten million
 * items a second made the generator, not the server, the bottleneck. Runs on the channel's event
 * loop, which is the subscriber's lane.
 */
final class ClientSocket extends ChannelInboundHandlerAdapter {

  /** RFC 6455: the connection closed without a close frame. */
  static final int ABNORMAL = 1006;
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
   * Takes {@code ws}'s socket over. {@code onFrame} gets each text or binary frame's payload, valid
   * only during the call; {@code onClosed} the server's close status (1006 when none came).
   */
  static ClientSocket takeOver(WebSocket ws, Consumer<Buffer> onFrame, IntConsumer onClosed) {
    ClientSocket socket = new ClientSocket(onFrame, onClosed);
    ChannelHandlerContext vertxHandler = ((WebSocketInternal) ws).channelHandlerContext();
    vertxHandler.pipeline().replace(vertxHandler.name(), "bench", socket);
    if (!socket.ctx.channel().isActive()) {
      socket.ctx.executor().execute(() -> onClosed.accept(ABNORMAL));
    }
    return socket;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  void sendText(String text) {
    ctx.writeAndFlush(new TextWebSocketFrame(text), ctx.voidPromise());
  }

  void ping() {
    ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
  }

  /** Sends a close frame; completes once the server has closed the connection (or after 5 s, cut). */
  Future<Void> close() {
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
