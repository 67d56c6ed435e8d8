package io.pushgate.merge;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream's recent items as this node delivered them, in offset order, for replays: a client that
 * rejoins with {@code since} gets what it missed from here, without asking the cluster. Bounded
 * per stream as the history bounds its log (historySize, historyStreamBytes, historyTtlMillis), so
 * that it never replays what the history has let go; {@link Streams} bounds the node's rings together.
 */
final class ReplayRing {

  private record Item(byte[] bytes, long atNanos) {
  }

  private final ArrayDeque<Item> items = new ArrayDeque<>();
  /** Offset of the oldest item held; top + 1 when empty. */
  private long first;
  private long bytes;

  /** @param top the offset before the first item this ring will hold */
  ReplayRing(long top) {
    this.first = top + 1;
  }

  long first() {
    return first;
  }

  long bytes() {
    return bytes;
  }

  /** The offset the next appended item must have. */
  long next() {
    return first + items.size();
  }

  /** Appends items that follow the ring's last one. */
  void append(List<byte[]> delivered, long nowNanos, int maxItems, long maxBytes, long maxAgeNanos) {
    for (byte[] item : delivered) {
      items.addLast(new Item(item, nowNanos));
      bytes += item.length;
    }
    trim(nowNanos, maxItems, maxBytes, maxAgeNanos);
  }

  /** Drops the oldest items beyond {@code maxItems} or {@code maxBytes}, or older than {@code maxAgeNanos}. */
  void trim(long nowNanos, int maxItems, long maxBytes, long maxAgeNanos) {
    while (items.size() > maxItems || bytes > maxBytes || (!items.isEmpty() && nowNanos - items.peekFirst().atNanos() > maxAgeNanos)) {
      bytes -= items.removeFirst().bytes().length;
      first++;
    }
  }

  /** Items from offset {@code from} to {@code to}, both included; the caller checks {@code from >= first()}. */
  List<byte[]> range(long from, long to) {
    List<byte[]> out = new ArrayList<>((int) Math.max(0, to - from + 1));
    long offset = first;
    for (Item i : items) {
      if (offset > to) {
        break;
      }
      if (offset >= from) {
        out.add(i.bytes());
      }
      offset++;
    }
    return out;
  }

  /** Drops everything, as if the ring started after {@code top}. */
  void clear(long top) {
    items.clear();
    bytes = 0;
    first = top + 1;
  }
}
