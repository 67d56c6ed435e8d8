package io.pushgate.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

import java.nio.charset.StandardCharsets;

/**
 * One PUSH frame's bytes, encoded once per room per tick and written to every member.
 *
 * <p>Each write gets its own duplicate of the shared buffer: Netty's frame encoder advances the
 * reader index of what it writes, and a buffer shared without duplicating would reach every
 * connection after the first as an empty frame. Vert.x's {@code writeFinalTextFrame(String)} would
 * instead re-encode the string per connection, so shards write Netty text frames over these bytes.
 */
public final class EncodedFrame {

  private final String room;
  private final ByteBuf bytes;
  private final int items;

  EncodedFrame(String room, ByteBuf bytes, int items) {
    this.room = room;
    this.bytes = bytes;
    this.items = items;
  }

  /** null for a push to all. */
  public String room() {
    return room;
  }

  public int items() {
    return items;
  }

  public int length() {
    return bytes.readableBytes();
  }

  /**
   * A text frame over the shared bytes, for exactly one connection's write. The encoder releases
   * what it writes, so each write holds its own reference; the frame's own reference is never
   * released and the GC frees the heap bytes once the last write is done.
   */
  public TextWebSocketFrame newNettyFrame() {
    return new TextWebSocketFrame(true, 0, bytes.retainedDuplicate());
  }

  /** For tests and logs only: decodes the bytes. */
  public String text() {
    return bytes.toString(bytes.readerIndex(), bytes.readableBytes(), StandardCharsets.UTF_8);
  }
}
