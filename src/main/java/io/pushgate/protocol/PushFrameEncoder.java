package io.pushgate.protocol;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds one PUSH frame, {@code {"type":"PUSH","data":{"room":R,"items":[..]}}}, by concatenation:
 * items arrive already validated and compact, so nothing is parsed again. The bytes are the whole
 * WebSocket text frame (RFC 6455 section 5.2: FIN, text opcode, unmasked length), see {@link EncodedFrame}.
 */
public final class PushFrameEncoder {

  private static final byte[] ROOM_PREFIX = "{\"type\":\"PUSH\",\"data\":{\"room\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ITEMS_AFTER_ROOM = ",\"items\":[".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ALL_PREFIX = "{\"type\":\"PUSH\",\"data\":{\"items\":[".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SUFFIX = "]}}".getBytes(StandardCharsets.US_ASCII);
  /** FIN set, opcode 1 (text), no extension bits. */
  private static final int FIN_TEXT = 0x81;

  private PushFrameEncoder() {
  }

  /**
   * The frame holds one reference, its caller's, to be released when the caller is done with it.
   *
   * @param room  null for a push to all
   * @param items compact UTF-8 JSON values, in delivery order
   * @param itemBytes the sum of the items' lengths, known to the caller
   */
  public static EncodedFrame encode(String room, List<byte[]> items, long itemBytes) {
    byte[] quotedRoom = room == null ? null : quote(room);
    long size = itemBytes + Math.max(0, items.size() - 1) + SUFFIX.length
      + (room == null ? ALL_PREFIX.length : ROOM_PREFIX.length + quotedRoom.length + ITEMS_AFTER_ROOM.length);
    int header = headerLength(size);
    ByteBuf buf = Unpooled.directBuffer((int) (header + size), (int) (header + size));
    writeHeader(buf, size);
    if (room == null) {
      buf.writeBytes(ALL_PREFIX);
    } else {
      buf.writeBytes(ROOM_PREFIX).writeBytes(quotedRoom).writeBytes(ITEMS_AFTER_ROOM);
    }
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        buf.writeByte(',');
      }
      buf.writeBytes(items.get(i));
    }
    buf.writeBytes(SUFFIX);
    return new EncodedFrame(room, buf, header, items.size());
  }

  /**
   * Any other server message shared by many connections (ONLINE), as a whole wire frame. Unlike a
   * PUSH frame it is never handed between verticles, so nobody releases it: its memory is a direct
   * ByteBuffer that the GC frees. These are a few per room per online interval.
   */
  static EncodedFrame frame(String room, byte[] payload) {
    int header = headerLength(payload.length);
    ByteBuf buf = Unpooled.wrappedBuffer(java.nio.ByteBuffer.allocateDirect(header + payload.length)).clear();
    writeHeader(buf, payload.length);
    buf.writeBytes(payload);
    return new EncodedFrame(room, buf, header, 0);
  }

  static int headerLength(long payload) {
    return payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10;
  }

  private static void writeHeader(ByteBuf buf, long payload) {
    buf.writeByte(FIN_TEXT);
    if (payload < 126) {
      buf.writeByte((int) payload);
    } else if (payload <= 0xFFFF) {
      buf.writeByte(126).writeShort((int) payload);
    } else {
      buf.writeByte(127).writeLong(payload);
    }
  }

  private static byte[] quote(String s) {
    byte[] body = JsonStringEncoder.getInstance().quoteAsUTF8(s);
    byte[] quoted = new byte[body.length + 2];
    quoted[0] = '"';
    System.arraycopy(body, 0, quoted, 1, body.length);
    quoted[quoted.length - 1] = '"';
    return quoted;
  }
}
