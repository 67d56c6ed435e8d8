package io.pushgate.shard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.pushgate.protocol.CloseCode;
import io.pushgate.security.ClientSession;
import io.vertx.core.http.ServerWebSocket;

import java.util.HashSet;
import java.util.Set;

/**
 * One client's state, owned and touched only by its shard's event loop. Kept small on purpose:
 * a node holds tens of thousands of these.
 */
final class Connection {

  final ServerWebSocket ws;
  /** Netty context of the WebSocket; shard writes go here directly so that a tick costs one flush. */
  final ChannelHandlerContext channel;
  final Set<String> rooms = new HashSet<>(4);
  long lastSeenNanos;
  /** A fragmented text message being reassembled, bounded by maxFrameBytes. */
  ByteBuf partial;
  /** Set once the server has decided to close; nothing more is written. */
  CloseCode closing;
  boolean needsFlush;
  boolean closed;
  /** Its token's grant and its rate buckets (io.pushgate.security). */
  ClientSession session;
  /** Fragments of the message in {@link #partial}, bounded by maxFragmentsPerMessage. */
  int fragments;

  Connection(ServerWebSocket ws, ChannelHandlerContext channel, long nowNanos) {
    this.ws = ws;
    this.channel = channel;
    this.lastSeenNanos = nowNanos;
  }

  boolean writable() {
    return closing == null && channel.channel().isWritable();
  }
}
