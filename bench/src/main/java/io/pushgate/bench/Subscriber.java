package io.pushgate.bench;

/**
 * One simulated viewer: its socket and what it has received. Only its lane's event loop touches it.
 *
 * <p>Sequence numbers of one run start at 0 and rise by one per item, and every subscriber has
 * joined before the first push, so each must see 0, 1, 2, … exactly once. The last 64 numbers below
 * the highest seen are kept as a bit window: an item arriving below the highest is a duplicate when
 * its bit is already set, otherwise a late (out-of-order) arrival. Anything older than the window is
 * counted late without telling the two apart; at this server's delivery order none should occur.
 */
final class Subscriber {

  final int index;
  final String room;
  final Lane lane;
  final byte[] pushPrefix;
  ClientSocket ws;
  boolean joined;
  boolean closing;
  /** Told once whether the current connect attempt ended joined; null when no attempt waits. */
  java.util.function.Consumer<Boolean> whenJoined;

  private long next;
  private long window;
  long received;
  long duplicates;
  long outOfOrder;
  long beyondWindow;
  /** Low-priority items (fanout --low-rate): best effort, so only counted, and checked for order. */
  long lowReceived;
  long lowOutOfOrder;
  private long lowNext;

  /** A stream's position: the offset of the last item received and its epoch; -1 and null before any. */
  long offset = -1;
  byte[] epoch;
  /** Offsets skipped between frames (a gap) or received again (a repeat): zero when delivery was exactly once. */
  long offsetGaps;
  long offsetRepeats;
  /** Storm: the items this subscriber must hold once it has recovered, and whether it still waits for them. */
  long expectedItems;
  boolean awaitingCatchUp;

  Subscriber(int index, String room, Lane lane, byte[] pushPrefix) {
    this.index = index;
    this.room = room;
    this.lane = lane;
    this.pushPrefix = pushPrefix;
  }

  void onItem(long seq) {
    received++;
    if (seq >= next) {
      long shift = seq - next + 1;
      window = shift >= 64 ? 1 : (window << shift) | 1;
      next = seq + 1;
      return;
    }
    long back = next - 1 - seq;
    if (back >= 64) {
      beyondWindow++;
      outOfOrder++;
    } else if ((window >>> back & 1) != 0) {
      duplicates++;
    } else {
      window |= 1L << back;
      outOfOrder++;
    }
  }

  /** A low item: sampling may skip any, but what arrives must keep its order and come once. */
  void onLowItem(long seq) {
    lowReceived++;
    if (seq < lowNext) {
      lowOutOfOrder++;
    } else {
      lowNext = seq + 1;
    }
  }

  /**
   * A stream frame of {@code items} items whose last has {@code lastOffset}, in the epoch held by
   * {@code frame[from, to)}. Within one epoch each frame must start right after the last.
   */
  void onPosition(long lastOffset, int items, byte[] frame, int from, int to) {
    if (epoch == null || !java.util.Arrays.equals(frame, from, to, epoch, 0, epoch.length)) {
      epoch = java.util.Arrays.copyOfRange(frame, from, to);
      offset = lastOffset;
      return;
    }
    long first = lastOffset - items + 1;
    if (first > offset + 1) {
      offsetGaps += first - offset - 1;
    } else if (first <= offset) {
      offsetRepeats += Math.min(items, offset - first + 1);
    }
    offset = Math.max(offset, lastOffset);
  }

  /**
   * The position an ACK gives: where this connection stands in the stream from now on. A recovered
   * rejoin's replay follows and moves the position itself, so only the other answers set it.
   */
  void onAckPosition(long ackOffset, String ackEpoch, boolean recovered) {
    if (!recovered) {
      epoch = ackEpoch.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      offset = ackOffset;
    }
  }

  boolean hasPosition() {
    return epoch != null && offset >= 0;
  }

  long distinct() {
    return received - duplicates;
  }

  /** Items missing of the first {@code pushed}; items received past that count are not lost ones. */
  long lost(long pushed) {
    return Math.max(0, pushed - distinct());
  }
}
