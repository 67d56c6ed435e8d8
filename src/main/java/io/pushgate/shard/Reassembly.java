package io.pushgate.shard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/**
 * One fragmented text message being put together, bounded in bytes (maxFrameBytes) and in
 * fragments (maxFragmentsPerMessage): past either bound the message is dropped and the connection
 * closed with 1009, as an oversized frame is.
 */
final class Reassembly {

  /** What a fragment did to the message. */
  enum Outcome { MORE, COMPLETE, TOO_BIG }

  private final ByteBuf bytes;
  private int fragments = 1;

  Reassembly(ByteBuf first, int maxBytes) {
    bytes = Unpooled.buffer(Math.min(maxBytes, 2 * first.readableBytes()), maxBytes);
  }

  /** Appends one fragment's bytes; the caller frees this reassembly on TOO_BIG and after COMPLETE. */
  Outcome append(ByteBuf data, boolean last, int maxBytes) {
    if (bytes.readableBytes() + data.readableBytes() > maxBytes) {
      return Outcome.TOO_BIG;
    }
    bytes.writeBytes(data, data.readerIndex(), data.readableBytes());
    return last ? Outcome.COMPLETE : Outcome.MORE;
  }

  /** Counts a continuation frame; false once there are more than {@code maxFragments}. */
  boolean countFragment(int maxFragments) {
    return ++fragments <= maxFragments;
  }

  String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  void release() {
    bytes.release();
  }
}
