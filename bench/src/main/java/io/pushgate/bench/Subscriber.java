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

  long distinct() {
    return received - duplicates;
  }

  /** Items missing of the first {@code pushed}; items received past that count are not lost ones. */
  long lost(long pushed) {
    return Math.max(0, pushed - distinct());
  }
}
