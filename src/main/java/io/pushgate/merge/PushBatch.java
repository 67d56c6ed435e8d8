package io.pushgate.merge;

import io.pushgate.protocol.Position;
import io.pushgate.protocol.Target;

import java.util.List;

/**
 * One accepted push: validated, compact UTF-8 JSON items for one target (a room, or all).
 * Immutable, so it can pass between verticles by reference.
 *
 * @param key   the pusher's idempotency key, or null
 * @param first for a push to a stream once its offsets are given: the first item's position (the
 *              others follow, consecutive); null before, and for rooms that are not streams
 * @param low   best effort (priority "low"): never numbered, sampled when its room is overloaded
 */
public record PushBatch(Target target, List<byte[]> items, long bytes, String key, Position first, boolean low) {

  /**
   * What an item costs the heap beside its bytes while it waits (the array's header and padding, a
   * list's reference): maxPendingBytes counts it for each item, so that a bound set in bytes holds
   * for a million one-byte items too (they take 28 bytes each, measured).
   */
  public static final int ITEM_OVERHEAD_BYTES = 32;

  public PushBatch {
    items = List.copyOf(items);
  }

  public PushBatch(Target target, List<byte[]> items, long bytes, String key, Position first) {
    this(target, items, bytes, key, first, false);
  }

  public PushBatch(Target target, List<byte[]> items, long bytes) {
    this(target, items, bytes, null, null, false);
  }

  /** Items of a stream as its history holds them, numbered from {@code first} (no key: nobody pushed them now). */
  static PushBatch fromHistory(Target target, List<byte[]> items, Position first) {
    return new PushBatch(target, items, items.stream().mapToLong(i -> i.length).sum(), null, first);
  }

  /** The same push with its offsets, from {@code firstOffset} in {@code epoch}. */
  public PushBatch numbered(long firstOffset, String epoch) {
    return new PushBatch(target, items, bytes, key, new Position(firstOffset, epoch), false);
  }

  /** What the push counts against maxPendingBytes: its bytes and {@link #ITEM_OVERHEAD_BYTES} per item. */
  public long cost() {
    return cost(bytes, items.size());
  }

  /** What {@code items} items of {@code bytes} bytes together count against maxPendingBytes. */
  static long cost(long bytes, int items) {
    return bytes + (long) ITEM_OVERHEAD_BYTES * items;
  }

  /** Offset of the last item; only for a numbered push. */
  public long lastOffset() {
    return first.offset() + items.size() - 1;
  }
}
