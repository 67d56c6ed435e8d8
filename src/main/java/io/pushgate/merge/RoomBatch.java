package io.pushgate.merge;

import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Position;
import io.pushgate.protocol.PushFrameEncoder;
import io.pushgate.protocol.Target;

import java.util.ArrayList;
import java.util.List;

/**
 * Items waiting for the next tick for one target (a room, or all). A stream's batch holds items
 * with consecutive offsets of one epoch, and its frame says where its last item stands.
 */
final class RoomBatch {

  private final Target target;
  private final List<byte[]> items = new ArrayList<>();
  private long bytes;
  /** Offset of the first item, -1 for a batch that is not a stream's. */
  private long firstOffset = -1;
  private String epoch;

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

  /**
   * A stream's item at {@code offset}; the caller adds them in order, one epoch per batch. An item
   * that does not follow the last is refused: the frame would give it the wrong offset.
   */
  void add(byte[] item, long offset, String epoch) {
    if (items.isEmpty()) {
      firstOffset = offset;
      this.epoch = epoch;
    } else if (offset != lastOffset() + 1 || !epoch.equals(this.epoch)) {
      throw new IllegalStateException("offset " + offset + " of epoch " + epoch + " cannot follow " + lastOffset() + " of " + this.epoch + " in one frame");
    }
    add(item);
  }

  long bytes() {
    return bytes;
  }

  /** What the batch counts against maxPendingBytes ({@link PushBatch#cost}). */
  long cost() {
    return PushBatch.cost(bytes, items.size());
  }

  Target target() {
    return target;
  }

  boolean isStream() {
    return firstOffset >= 0;
  }

  String epoch() {
    return epoch;
  }

  long lastOffset() {
    return firstOffset + items.size() - 1;
  }

  List<byte[]> items() {
    return items;
  }

  /** Keeps only {@code kept} (a sample of this batch's items, in order); never for a stream's batch. */
  void keepOnly(List<byte[]> kept) {
    if (kept == items) {
      return;
    }
    List<byte[]> copy = List.copyOf(kept);
    items.clear();
    items.addAll(copy);
    bytes = 0;
    for (byte[] item : items) {
      bytes += item.length;
    }
  }

  EncodedFrame encode() {
    return PushFrameEncoder.encode(target, items, bytes, isStream() ? new Position(lastOffset(), epoch) : null);
  }
}
