package io.pushgate.merge;

import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.PushFrameEncoder;

import java.util.ArrayList;
import java.util.List;

/** Items waiting for the next tick for one target (a room, or all when room is null). */
final class RoomBatch {

  private final String room;
  private final List<byte[]> items = new ArrayList<>();
  private long bytes;

  RoomBatch(String room) {
    this.room = room;
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

  int size() {
    return items.size();
  }

  EncodedFrame encode() {
    return PushFrameEncoder.encode(room, items, bytes);
  }
}
