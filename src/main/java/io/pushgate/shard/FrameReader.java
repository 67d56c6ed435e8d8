package io.pushgate.shard;

import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.pushgate.protocol.CloseCode;
import io.pushgate.security.ClientSession;

/**
 * What a connection does with each frame its client sends: every frame is a sign of life; a close
 * frame runs the close handshake; the per-connection limits come next; then a ping is answered, a
 * binary frame closes with 1003, and text, whole or reassembled from fragments, goes to the
 * connection's listener. State lives in the {@link Connection}; this is only its reading.
 */
final class FrameReader {

  private FrameReader() {
  }

  static void read(Connection c, WebSocketFrame frame) {
    c.lastSeenNanos = System.nanoTime();
    c.pinged = false;
    if (frame instanceof CloseWebSocketFrame close) {
      c.onCloseFrame(close);
      return;
    }
    if (c.isClosing() || !admit(c, frame)) {
      return;
    }
    if (frame instanceof PingWebSocketFrame) {
      c.ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retainedDuplicate()), c.ctx.voidPromise());
    } else if (frame instanceof BinaryWebSocketFrame) {
      c.close(CloseCode.UNSUPPORTED_DATA);
    } else if (frame instanceof TextWebSocketFrame text) {
      if (frame.isFinalFragment()) {
        c.shared.listener().onText(c, text.text());
      } else {
        c.partial = new Reassembly(frame.content(), c.shared.options().maxFrameBytes());
        append(c, frame);
      }
    } else if (frame instanceof ContinuationWebSocketFrame && c.partial != null) {
      append(c, frame);
    }
    // A pong needs nothing more: it already counted as a sign of life.
  }

  /**
   * The per-connection limits a frame meets before it is read: the message rate (answered by the
   * listener, then 1008), pings answered while the client reads nothing (4002), fragments per
   * message (1009).
   * @return false when the frame goes no further
   */
  private static boolean admit(Connection c, WebSocketFrame frame) {
    ClientSession.FrameVerdict verdict = c.session.onFrame(c.lastSeenNanos);
    if (verdict == ClientSession.FrameVerdict.CLOSE) {
      c.close(CloseCode.POLICY_VIOLATION);
      return false;
    }
    if (verdict == ClientSession.FrameVerdict.LIMITED) {
      if (frame instanceof BinaryWebSocketFrame) {
        c.close(CloseCode.UNSUPPORTED_DATA); // what a binary frame gets at any rate
        return false;
      }
      // A limited part of a message drops the message whole, answered once. A limited ping or pong
      // is only not answered: a message whose fragments it came between is no part of it, and is
      // read on (it would otherwise be lost without an answer, its later fragments ignored).
      boolean text = frame instanceof TextWebSocketFrame;
      if (text || (frame instanceof ContinuationWebSocketFrame && c.partial != null)) {
        c.dropPartial();
        c.shared.listener().onRateLimited(c, text && frame.isFinalFragment() ? ((TextWebSocketFrame) frame).text() : null);
      }
      return false;
    }
    if (frame instanceof PingWebSocketFrame && !c.ctx.channel().isWritable()) {
      // Every ping is answered with a pong, whether or not the client reads: bound that backlog too.
      c.slowConsumer();
      return false;
    }
    if (frame instanceof ContinuationWebSocketFrame && c.partial != null && !c.partial.countFragment(c.shared.options().maxFragments())) {
      c.dropPartial();
      c.close(CloseCode.MESSAGE_TOO_BIG);
      return false;
    }
    return true;
  }

  private static void append(Connection c, WebSocketFrame frame) {
    switch (c.partial.append(frame.content(), frame.isFinalFragment(), c.shared.options().maxFrameBytes())) {
      case TOO_BIG -> {
        c.dropPartial();
        c.close(CloseCode.MESSAGE_TOO_BIG);
      }
      case COMPLETE -> {
        String text = c.partial.text();
        c.dropPartial();
        c.shared.listener().onText(c, text);
      }
      case MORE -> {
      }
    }
  }
}
