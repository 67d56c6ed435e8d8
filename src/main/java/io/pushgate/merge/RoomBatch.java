package io.pushgate.merge;

import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.PushFrameEncoder;
import io.pushgate.protocol.Target;

import java.util.ArrayList;
import java.util.List;

/** Items waiting for the next tick for one target (a room, or all). */
final class RoomBatch {

  private final Target target;
  private final List<byte[]> items = new ArrayList<>();
  private long bytes;

  RoomBatch(Target target) {
    this.target = target;
  }

  /** Whether {@code item} would push this batch past either limit; an empty batch always takes it. */
  boolean wouldOverflow(byte[] item, long maxItems, long maxBytes) {
    return !items.isEmpty() && (items.size() >= maxItems || bytes + item.length > maxBytes);
  }

  void add(byte[] item) {
    items.add(item);
    bytes += item.length;
  }

  long bytes() {
    return bytes;
  }

  EncodedFrame encode() {
    return PushFrameEncoder.encode(target, items, bytes);
  }
}
