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
  private static final String OFFSET = ",\"offset\":";
  private static final String EPOCH = ",\"epoch\":";
  private static final byte[] CLOSE_DATA = "}}".getBytes(StandardCharsets.US_ASCII);

  private PushFrameEncoder() {
  }

  /**
   * The frame holds one reference, its caller's, to be released when the caller is done with it.
   *
   * @param target    a room, or all
   * @param items     compact UTF-8 JSON values, in delivery order
   * @param itemBytes the sum of the items' lengths, known to the caller
   */
  public static EncodedFrame encode(Target target, List<byte[]> items, long itemBytes) {
    return encode(target, items, itemBytes, null);
  }

  /**
   * A stream's frame carries the position of its last item once, after the items:
   * {@code {"type":"PUSH","data":{"room":R,"items":[..],"offset":O,"epoch":E}}}.
   *
   * @param last the last item's position; null for a frame that is not a stream's
   */
  public static EncodedFrame encode(Target target, List<byte[]> items, long itemBytes, Position last) {
    byte[] quotedRoom = target.isAll() ? null : quote(target.room());
    byte[] position = last == null ? null : (OFFSET + last.offset() + EPOCH).getBytes(StandardCharsets.US_ASCII);
    byte[] quotedEpoch = last == null ? null : quote(last.epoch());
    long size = itemBytes + Math.max(0, items.size() - 1) + SUFFIX.length
      + (position == null ? 0 : position.length + quotedEpoch.length)
      + (target.isAll() ? ALL_PREFIX.length : ROOM_PREFIX.length + quotedRoom.length + ITEMS_AFTER_ROOM.length);
    int header = TextFrame.headerLength(size);
    ByteBuf buf = Unpooled.directBuffer((int) (header + size), (int) (header + size));
    TextFrame.writeHeader(buf, size);
    if (target.isAll()) {
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
    if (position != null) {
      buf.writeByte(']').writeBytes(position).writeBytes(quotedEpoch).writeBytes(CLOSE_DATA);
    } else {
      buf.writeBytes(SUFFIX);
    }
    return new EncodedFrame(target, buf, header, items.size(), last);
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
