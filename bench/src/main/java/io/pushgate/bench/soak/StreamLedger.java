package io.pushgate.bench.soak;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the pushers were told for every stream room: the item id at each acknowledged offset, per
 * epoch. Pushes whose acknowledgement never came (given up after retrying) and answers that
 * contradict an earlier one are counted. At the end each receiver's {@link StreamCursor} is held
 * against it: the same ids in the same offset order, from the receiver's start to the room's top.
 */
final class StreamLedger {

  static final long EMPTY_HASH = 17;

  static long hash(long h, long id) {
    return h * 1_000_003L + id;
  }

  private static final class Room {
    String epoch;
    long[] ids = new long[256];
    long top;
    final TreeSet<String> otherEpochs = new TreeSet<>();
  }

  private final Map<String, Room> rooms = new HashMap<>();
  private long gaveUp;
  private long conflicts;
  private final java.util.List<String> conflictExamples = new java.util.ArrayList<>();

  /** A push's answer: its items have the offsets {@code last - ids.length + 1 ... last} in {@code epoch}. */
  synchronized void acked(String room, String epoch, long last, long[] ids) {
    Room r = rooms.computeIfAbsent(room, k -> new Room());
    if (r.epoch == null) {
      r.epoch = epoch;
    } else if (!r.epoch.equals(epoch)) {
      r.otherEpochs.add(epoch);
      return;
    }
    while (last >= r.ids.length) {
      r.ids = java.util.Arrays.copyOf(r.ids, r.ids.length * 2);
    }
    long first = last - ids.length + 1;
    for (int i = 0; i < ids.length; i++) {
      int at = (int) (first + i);
      long before = r.ids[at];
      if (before != 0 && before != ids[i] + 1) {
        conflicts++;
        if (conflictExamples.size() < 5) {
          conflictExamples.add(room + " epoch " + epoch + " offset " + at + ": item " + (before - 1) + ", then item " + ids[i]);
        }
      }
      r.ids[at] = ids[i] + 1; // 0 marks an offset nobody acknowledged
    }
    r.top = Math.max(r.top, last);
  }

  synchronized void gaveUp() {
    gaveUp++;
  }

  synchronized long gaveUpCount() {
    return gaveUp;
  }

  synchronized long conflicts() {
    return conflicts;
  }

  /** The first few offsets answered to two different pushes: room, epoch, offset, both items. */
  synchronized java.util.List<String> conflictExamples() {
    return java.util.List.copyOf(conflictExamples);
  }

  synchronized long top(String room) {
    Room r = rooms.get(room);
    return r == null ? 0 : r.top;
  }

  synchronized String epoch(String room) {
    Room r = rooms.get(room);
    return r == null ? null : r.epoch;
  }

  /** Epochs other than the first that some push to the room was answered in: history lost whole. */
  synchronized int otherEpochs() {
    return rooms.values().stream().mapToInt(r -> r.otherEpochs.size()).sum();
  }

  synchronized long acknowledgedItems() {
    long n = 0;
    for (Room r : rooms.values()) {
      for (long id : r.ids) {
        n += id != 0 ? 1 : 0;
      }
    }
    return n;
  }

  /**
   * Why the cursor does not hold exactly the acknowledged items after its start, in offset order,
   * or null when it does.
   */
  synchronized String check(StreamCursor c) {
    Room r = rooms.get(c.room);
    long top = r == null ? 0 : r.top;
    if (c.start < 0) {
      return "never joined";
    }
    if (r != null && !r.epoch.equals(c.epoch)) {
      return "in epoch " + c.epoch + ", the pushers were answered in " + r.epoch;
    }
    if (c.gaps > 0 || c.repeats > 0) {
      return c.gaps + " offsets skipped, " + c.repeats + " received twice";
    }
    if (c.position != Math.max(top, c.start)) {
      return "at offset " + c.position + ", the last acknowledged is " + top;
    }
    long h = EMPTY_HASH;
    for (long offset = c.start + 1; offset <= top; offset++) {
      long id = r.ids[(int) offset];
      if (id == 0) {
        return "offset " + offset + " was delivered but never acknowledged to a pusher";
      }
      h = hash(h, id - 1);
    }
    if (h != c.hash || c.items != top - c.start) {
      return "other items than the acknowledged ones, or in another order (" + c.items + " items from offset " + (c.start + 1) + ")";
    }
    return null;
  }
}
