package io.pushgate.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;

/**
 * The WebSocket framing of a server text message (RFC 6455 section 5.2: FIN, text opcode, unmasked
 * length). Server frames are never masked, so one header serves every connection and a message can
 * be framed once and written to many.
 */
final class TextFrame {

  /** FIN set, opcode 1 (text), no extension bits. */
  private static final int FIN_TEXT = 0x81;

  private TextFrame() {
  }

  static int headerLength(long payload) {
    return payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10;
  }

  static void writeHeader(ByteBuf buf, long payload) {
    buf.writeByte(FIN_TEXT);
    if (payload < 126) {
      buf.writeByte((int) payload);
    } else if (payload <= 0xFFFF) {
      buf.writeByte(126).writeShort((int) payload);
    } else {
      buf.writeByte(127).writeLong(payload);
    }
  }

  /**
   * A small message shared by many connections but never handed between verticles (ONLINE), as a
   * whole wire frame. Nobody releases it: its memory is a direct ByteBuffer that the GC frees, and
   * there are a few per watched room per online interval.
   */
  static EncodedFrame unreleased(Target target, byte[] payload) {
    int header = headerLength(payload.length);
    ByteBuf buf = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(header + payload.length)).clear();
    writeHeader(buf, payload.length);
    buf.writeBytes(payload);
    return new EncodedFrame(target, buf, header, 0, null);
  }
}
