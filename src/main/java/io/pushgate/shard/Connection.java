package io.pushgate.shard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.pushgate.protocol.CloseCode;
import io.pushgate.security.ClientSession;

import java.util.HashSet;
import java.util.Set;

/**
 * One client's state, and the last handler of its socket's pipeline once the WebSocket handshake is
 * done. The shard takes the socket over from Vert.x's ServerWebSocket at that point, so that an
 * idle connection costs its Netty channel and this object, not Vert.x's request, response and
 * WebSocket objects as well. Owned and touched only by its shard's event loop, and kept small on
 * purpose: a node holds tens of thousands of these.
 */
final class Connection extends ChannelInboundHandlerAdapter {

  private final ShardVerticle shard;
  /** Netty context of this handler; the fan-out writes here directly so that a tick costs one flush. */
  ChannelHandlerContext channel;
  final Set<String> rooms = new HashSet<>(4);
  long lastSeenNanos;
  /** A fragmented text message being reassembled, bounded by maxFrameBytes. */
  ByteBuf partial;
  /** Set once the server has decided to close; nothing more is written. */
  CloseCode closing;
  /** A close frame went out (the server's, or the echo of the client's). */
  boolean closeSent;
  boolean needsFlush;
  boolean closed;
  /** Its token's grant and its rate buckets (io.pushgate.security). */
  ClientSession session;
  /** Fragments of the message in {@link #partial}, bounded by maxFragmentsPerMessage. */
  int fragments;

  Connection(ShardVerticle shard, ClientSession session, long nowNanos) {
    this.shard = shard;
    this.session = session;
    this.lastSeenNanos = nowNanos;
  }

  /** Frees the message being reassembled, if any. */
  void dropPartial() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  boolean writable() {
    return closing == null && channel.channel().isWritable();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof WebSocketFrame frame) {
      try {
        shard.onFrame(this, frame);
      } finally {
        frame.release();
      }
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    shard.onClosed(this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    shard.onException(this, cause);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // Nothing waits for writability: a connection over its limit is closed (4002), not resumed.
  }
}
