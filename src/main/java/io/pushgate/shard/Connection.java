package io.pushgate.shard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.security.ClientSession;
import io.pushgate.vertx.VertxInternals;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client's WebSocket, from the moment the shard takes its socket over from Vert.x: the last
 * handler of the socket's pipeline, and the owner of its mechanics and state. It reassembles
 * fragmented messages within their bounds, answers pings, runs the close handshake (its own close
 * frame, the client's echo, a deadline for a client that never answers), applies the per-connection
 * limits a frame meets before it is read, and writes what the hub and the requests give it.
 * Complete text messages go to its {@link Listener}. Owned and touched only by its shard's event
 * loop, and kept small on purpose: a node holds tens of thousands of these.
 */
final class Connection extends ChannelInboundHandlerAdapter {

  private static final Logger log = Logger.getLogger(Connection.class.getName());

  final ConnectionContext shared;
  /** Netty context of this handler; the fan-out writes here directly, below the WebSocket encoder. */
  ChannelHandlerContext ctx;
  final Set<String> rooms = new HashSet<>(4);
  /** Its token's grant and its rate buckets (io.pushgate.security). */
  final ClientSession session;
  long lastSeenNanos;
  /** Set once a server ping went out in the current silence; cleared by any frame. */
  boolean pinged;
  /** A fragmented text message being reassembled; null between messages. */
  Reassembly partial;
  /** Set once the server has decided to close; nothing more is written. */
  CloseCode closing;
  /** A close frame went out (the server's, or the echo of the client's). */
  private boolean closeSent;
  /** The client closed first: its close was echoed, and nothing may follow the echo (RFC 6455, 5.5.1). */
  private boolean peerClosed;
  private boolean closed;
  /** Frames handed to it in the current delivery of several, written together by {@link #writeQueued}; null until the first. */
  private EncodedFrame[] queued;
  private int queuedCount;
  /** Streams whose JOIN the merger has not answered yet; requests behind them wait in {@link #waiting}. */
  Set<String> joining = Set.of();
  /**
   * Rooms this connection left to rejoin with since, whose place among the node's maxRooms it keeps
   * until the merger answers (another JOIN must not take it meanwhile); null until the first.
   */
  Set<String> keptRooms;
  /** Requests that came while JOINs of streams were being answered, in order; null until the first. */
  java.util.ArrayDeque<ClientRequests.Waiting> waiting;

  Connection(ConnectionContext shared, ClientSession session, long nowNanos) {
    this.shared = shared;
    this.session = session;
    this.lastSeenNanos = nowNanos;
  }

  // ---- state ----

  boolean isClosing() {
    return closing != null || peerClosed || closed;
  }

  /** Open, not closing, and under its outbound limit. */
  boolean writable() {
    return closing == null && !peerClosed && ctx != null && ctx.channel().isWritable();
  }

  /** Bytes that may still be queued for the socket before it is over maxOutboundBytes. */
  long canQueue() {
    return ctx == null ? 0 : ctx.channel().bytesBeforeUnwritable();
  }

  boolean isActive() {
    return ctx != null && ctx.channel().isActive();
  }

  // ---- writing ----

  /**
   * One connection's write of a frame encoded once for many, flushed. It goes straight to the socket
   * when nothing else waits for it; what the kernel does not take, and any write that cannot go that
   * way, goes through Netty as a duplicate of the shared bytes, written below the WebSocket encoder,
   * which passes a plain ByteBuf on unchanged.
   * @return false, writing nothing, when the connection is over its outbound limit
   */
  boolean write(EncodedFrame frame) {
    if (!ctx.channel().isWritable()) {
      return false;
    }
    counted(frame);
    writeCounted(frame);
    return true;
  }

  /**
   * Holds {@code frame} until {@link #writeQueued}, which writes all it holds as one: a socket handed
   * several frames in one delivery (rooms of its own with items in the same tick, a stream's frame
   * and a low-priority one) gets one write, not one each.
   * @return false, holding nothing, when the connection is over its outbound limit
   */
  boolean queue(EncodedFrame frame) {
    if (!ctx.channel().isWritable()) {
      return false;
    }
    if (queued == null) {
      queued = new EncodedFrame[2];
    } else if (queuedCount == queued.length) {
      queued = Arrays.copyOf(queued, queuedCount * 2);
    }
    queued[queuedCount++] = frame;
    return true;
  }

  /** Whether frames are held for {@link #writeQueued}. */
  boolean hasQueued() {
    return queuedCount > 0;
  }

  /**
   * Writes the frames held by {@link #queue}, in order, and flushes: with one writev straight to the
   * socket when nothing else waits for it; what the kernel did not take, or all of them when they
   * cannot go that way, through Netty as duplicates. Done with every frame when it returns, so the
   * caller may release its references.
   * @return false when the frames written through Netty took it over its outbound limit before the
   *         last of them (those after are not written): the caller closes it as a slow consumer
   */
  boolean writeQueued() {
    int n = queuedCount;
    EncodedFrame[] frames = queued;
    queuedCount = 0;
    if (n == 0) {
      return true;
    }
    if (isClosing()) {
      // Closed since they were queued (a failed write's 1011): nothing goes out after a close frame.
      Arrays.fill(frames, 0, n, null);
      return true;
    }
    try {
      if (n == 1) {
        counted(frames[0]);
        writeCounted(frames[0]);
        return true;
      }
      VertxInternals.Gather gather = VertxInternals.gather();
      boolean gathered = true;
      for (int i = 0; i < n && gathered; i++) {
        gathered = gather.add(frames[i].wireAddress(), frames[i].wireLength());
      }
      long sent = -1;
      if (gathered) {
        sent = gather.writeTo(ctx);
      } else {
        gather.clear();
      }
      return writeRest(frames, n, Math.max(0, sent));
    } finally {
      Arrays.fill(frames, 0, n, null);
    }
  }

  /** The write of a frame already counted: straight to the socket if it can, the rest through Netty. */
  private void writeCounted(EncodedFrame frame) {
    int sent = VertxInternals.writeDirect(ctx, frame.wireAddress(), frame.wireLength());
    if (sent == frame.wireLength()) {
      shared.stats().framesWrittenDirect.inc();
      return;
    }
    ByteBuf rest = frame.newWireBuffer();
    ctx.writeAndFlush(sent > 0 ? rest.skipBytes(sent) : rest, ctx.voidPromise());
  }

  /**
   * After {@code sent} bytes of the {@code n} frames went straight to the socket: the frames it took
   * whole are counted so, the others go through Netty, the first of them from where the kernel
   * stopped, as long as the connection stays under its outbound limit. Only frames written count.
   */
  private boolean writeRest(EncodedFrame[] frames, int n, long sent) {
    long skip = sent;
    boolean wrote = false;
    boolean under = true;
    for (int i = 0; i < n && under; i++) {
      int length = frames[i].wireLength();
      if (skip >= length) {
        skip -= length;
        counted(frames[i]);
        shared.stats().framesWrittenDirect.inc();
      } else if (wrote && !ctx.channel().isWritable()) {
        under = false;
      } else {
        counted(frames[i]);
        ByteBuf buf = frames[i].newWireBuffer();
        ctx.write(skip > 0 ? buf.skipBytes((int) skip) : buf, ctx.voidPromise());
        skip = 0;
        wrote = true;
      }
    }
    if (wrote) {
      ctx.flush();
    }
    return under;
  }

  private void counted(EncodedFrame frame) {
    shared.stats().framesWritten.inc();
    shared.stats().bytesWritten.add(frame.length());
  }

  /** A reply to this client alone (PONG, ACK, ERROR); a client that cannot take it is a slow consumer. */
  void send(String text) {
    if (!writable()) {
      slowConsumer();
      return;
    }
    ctx.writeAndFlush(new TextWebSocketFrame(text), ctx.voidPromise());
  }

  /**
   * A WebSocket ping to a silent client: every client answers it with a pong by itself.
   * @return whether a ping went out (not to a connection over its outbound limit or closing)
   */
  boolean ping() {
    pinged = true;
    if (!writable()) {
      return false;
    }
    ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
    return true;
  }

  /** Over its outbound limit: closed with 4002, unless it is already gone (reset by the client: not slow, uncounted). */
  void slowConsumer() {
    if (isActive()) {
      close(CloseCode.SLOW_CONSUMER);
    }
  }

  // ---- closing ----

  /**
   * Sends the close frame and leaves the cleanup to channelInactive. A client that does not answer
   * (or does not read at all, like a slow consumer) has its socket cut after closeTimeoutMillis, so
   * no connection outlives a close by more than that.
   */
  boolean close(CloseCode code) {
    return close(code, false);
  }

  /**
   * @param endAfterFrame end the TCP connection once the close frame is sent, without waiting for the client's
   * @return false when the connection was closing already (nothing done, nothing counted)
   */
  boolean close(CloseCode code, boolean endAfterFrame) {
    if (isClosing()) {
      return false;
    }
    closing = code;
    shared.stats().serverCloses.get(code).inc();
    if (!closeSent) {
      closeSent = true;
      CloseWebSocketFrame frame = new CloseWebSocketFrame(code.code(), code.reason());
      if (endAfterFrame) {
        ctx.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.writeAndFlush(frame, ctx.voidPromise());
      }
    } else if (endAfterFrame) {
      ctx.close();
    }
    cutAfterCloseTimeout();
    return true;
  }

  /** A client that does not finish the close (does not answer ours, or read our echo) loses the socket after closeTimeoutMillis. */
  private void cutAfterCloseTimeout() {
    ctx.executor().schedule(() -> {
      if (!closed) {
        ctx.close();
      }
    }, shared.options().closeTimeoutMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The client's close frame: either its answer to ours, after which the TCP connection ends, or its
   * own close, which is echoed with its status code (RFC 6455, 5.5.1) before the server ends it.
   */
  void onCloseFrame(CloseWebSocketFrame close) {
    if (closeSent) {
      ctx.close();
      return;
    }
    closeSent = true;
    peerClosed = true;
    int status = close.statusCode();
    CloseWebSocketFrame echo = status < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(status, "");
    ctx.writeAndFlush(echo).addListener(ChannelFutureListener.CLOSE);
    // The echo waits behind whatever the client has not read yet: one that stopped reading would
    // otherwise keep its socket, its rooms and its place until the outbound limit or the heartbeat.
    cutAfterCloseTimeout();
  }

  /** Frees the message being reassembled, if any. */
  void dropPartial() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  // ---- Netty ----

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      FrameReader.read(this, frame);
    } catch (RuntimeException e) {
      // A bug must cost one connection, not the shard: close it with 1011 and say why.
      log.log(Level.SEVERE, "closing a connection after an internal error", e);
      close(CloseCode.INTERNAL_ERROR);
    } finally {
      frame.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (closed) {
      return;
    }
    closed = true;
    if (closing == null) {
      shared.stats().clientCloses.inc();
    }
    dropPartial();
    shared.listener().onClosed(this);
  }

  /**
   * Netty's decoder reports an oversized frame (1009), invalid UTF-8 (1007) or a protocol violation
   * as an exception and then discards everything the client sends, its close frame included: the
   * protocol's close code goes out and the TCP connection ends at once (RFC 6455, 7.1.7) instead of
   * waiting closeTimeoutMillis for an answer that could not be read.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException corrupted) {
      CloseCode code = CloseCode.of(corrupted.closeStatus().code());
      close(code != null ? code : CloseCode.POLICY_VIOLATION, true);
    } else {
      log.log(Level.FINE, "connection error", cause);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // Nothing waits for writability: a connection over its limit is closed (4002), not resumed.
  }

  /** Gone while it was handed over: no channelInactive will come, so the shard cleans up now. */
  void checkStillOpen() {
    if (!ctx.channel().isActive()) {
      channelInactive(ctx);
    }
  }
}
