package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stream's sequencer state and its recent items: the value of the stream's entry in the
 * {@code pushgate.history} map (or of the standalone node's own map). Its numbering starts at
 * offset 1 in a random epoch; {@link #append} gives the next offsets, keeps the items, remembers
 * idempotency keys for a window, and trims by size, bytes and age. Every change is a pure function of the
 * log and the operation's own fields (its time included), so the partition owner and its backup,
 * applying the same operation, end in the same state.
 */
public final class StreamLog implements DataSerializable {

  /** One kept item: its bytes and when it was appended (epoch milliseconds). */
  record Item(byte[] bytes, long atMillis) {
  }

  /** What a push with an idempotency key was given, kept for the window. */
  record Keyed(long first, long last, int items, long atMillis) {
  }

  private String epoch;
  /** Offset of the oldest kept item; top + 1 when none is kept. */
  private long first = 1;
  /** The last offset given out; 0 before the first item. */
  private long top;
  private final ArrayDeque<Item> items = new ArrayDeque<>();
  /** Bytes of the kept items (not serialized: counted again from them). */
  private long bytes;
  private final LinkedHashMap<String, Keyed> keys = new LinkedHashMap<>();
  /**
   * When the stream was last appended to (the latest append's time), for {@link HistoryTrim} to drop
   * the least recently appended first: set by the append itself, so owner and backup agree on it.
   */
  private long touchedMillis;

  /** For Hazelcast's deserialization only. */
  public StreamLog() {
  }

  StreamLog(String epoch) {
    this.epoch = epoch;
  }

  String epoch() {
    return epoch;
  }

  long first() {
    return first;
  }

  long top() {
    return top;
  }

  long touchedMillis() {
    return touchedMillis;
  }

  /** Bytes of the items kept. */
  long bytes() {
    return bytes;
  }

  /** Bytes of the newest item kept, 0 for none. */
  long lastBytes() {
    return items.isEmpty() ? 0 : items.peekLast().bytes().length;
  }

  /**
   * What a remembered idempotency key of up to 64 characters holds in the heap, counted against
   * historyMaxBytes beside the items: its string, its offsets and its place in the map. A stream may
   * remember maxIdempotencyKeys of them, 190 KB at the default, against 20 KB of typical items.
   */
  static final long KEY_HEAP_BYTES = 192;

  /** Bytes historyMaxBytes counts for this log: its items and its keys. */
  long heldBytes() {
    return bytes + keys.size() * KEY_HEAP_BYTES;
  }

  /** Idempotency keys remembered. */
  int keys() {
    return keys.size();
  }

  /**
   * Whether nothing was appended for historyIdleMillis at {@code nowMillis}: the stream is then gone,
   * whoever looks. Judged by an operation's own time against the log's last append, both of which
   * owner and backup share, so both copies decide alike (Hazelcast's max-idle expired the owner's copy
   * alone, on access or by its sweep, and the next append then started a new epoch on the owner while
   * the backup continued the old one).
   */
  boolean idle(long nowMillis, HistoryOptions options) {
    return idle(touchedMillis, nowMillis, options);
  }

  /** The same test for a log last appended to at {@code touchedMillis}, as the trim reads it. */
  static boolean idle(long touchedMillis, long nowMillis, HistoryOptions options) {
    return nowMillis - touchedMillis >= options.idleMillis();
  }

  /**
   * Whether a log last appended to at {@code touchedMillis} holds only items past historyTtlMillis at
   * {@code nowMillis}, so that {@link #age} would leave it its newest item only (and {@link #expire}
   * none): against historyMaxBytes it counts as that item.
   */
  static boolean aged(long touchedMillis, long nowMillis, HistoryOptions options) {
    return nowMillis - touchedMillis > options.ttlMillis();
  }

  /**
   * Whether a log last appended to at {@code touchedMillis} holds, at {@code nowMillis}, only keys past
   * idempotencyWindowMillis (every key is as old as an append at the latest), so that {@link #expire}
   * would forget them all: with the window longer than historyTtlMillis they outlive the items.
   */
  static boolean keysPast(long touchedMillis, long nowMillis, HistoryOptions options) {
    return nowMillis - touchedMillis > options.idempotencyWindowMillis();
  }

  /**
   * Appends each push's items (or, for a push whose key was seen within the window, gives back
   * what it was given then) and trims.
   */
  AppendResult append(List<Append.Push> pushes, long nowMillis, HistoryOptions options) {
    age(nowMillis, options); // the newest stays, as the trim leaves it: what a healed split compares
    touchedMillis = Math.max(touchedMillis, nowMillis);
    List<AppendResult.Pushed> results = new ArrayList<>(pushes.size());
    for (Append.Push push : pushes) {
      Keyed seen = push.key() == null ? null : keys.get(push.key());
      if (seen != null) {
        results.add(new AppendResult.Pushed(seen.first(), seen.last(), true));
        continue;
      }
      long from = top + 1;
      for (byte[] item : push.items()) {
        items.addLast(new Item(item, nowMillis));
        bytes += item.length;
      }
      top += push.items().size();
      if (push.key() != null) {
        keys.put(push.key(), new Keyed(from, top, push.items().size(), nowMillis));
        while (keys.size() > options.maxIdempotencyKeys()) {
          keys.remove(keys.keySet().iterator().next());
        }
      }
      results.add(new AppendResult.Pushed(from, top, false));
    }
    while (items.size() > options.size() || bytes > options.streamBytes()) {
      bytes -= items.removeFirst().bytes().length;
    }
    first = top + 1 - items.size();
    return new AppendResult(epoch, top, results);
  }

  /** Drops items older than the history's age and keys older than the idempotency window. */
  void expire(long nowMillis, HistoryOptions options) {
    expire(nowMillis, options, 0);
  }

  /**
   * As {@link #expire}, but keeps the newest item past its age: a read skips it like any item past its
   * age, but when two halves of a split cluster join again, their copies of a quiet stream can still be
   * compared at their last offsets ({@link #merged}), where copies with no item left would have to be
   * taken for diverged and every client of the stream told to reload.
   */
  void age(long nowMillis, HistoryOptions options) {
    expire(nowMillis, options, 1);
  }

  private void expire(long nowMillis, HistoryOptions options, int keep) {
    long oldest = nowMillis - options.ttlMillis();
    while (items.size() > keep && items.peekFirst().atMillis() < oldest) {
      bytes -= items.removeFirst().bytes().length;
    }
    first = top + 1 - items.size();
    long oldestKey = nowMillis - options.idempotencyWindowMillis();
    for (Iterator<Keyed> it = keys.values().iterator(); it.hasNext(); ) {
      if (it.next().atMillis() >= oldestKey) {
        break;
      }
      it.remove();
    }
  }

  /**
   * Up to {@code limit} kept items after offset {@code after}, not older than the history's age; a
   * negative {@code after} asks for the last {@code limit} items.
   */
  ReadResult read(long after, int limit, long nowMillis, HistoryOptions options) {
    long oldest = nowMillis - options.ttlMillis();
    long firstLive = first;
    for (Item i : items) {
      if (i.atMillis() >= oldest) {
        break;
      }
      firstLive++;
    }
    long from = after < 0 ? Math.max(firstLive, top - limit + 1) : Math.max(after + 1, firstLive);
    List<byte[]> out = new ArrayList<>();
    long offset = first;
    for (Item i : items) {
      if (offset >= from && out.size() < limit) {
        out.add(i.bytes());
      }
      offset++;
    }
    return new ReadResult(epoch, firstLive, top, from, out);
  }

  /**
   * Of two copies of one stream's log, held by the two halves of a cluster that split and joined
   * again, the one to keep: the copy that continues the other (same epoch, and every item both still
   * hold equal, up to the shorter's last offset), or {@code existing} when their epochs differ (a
   * half that started the stream again: the other epoch's clients are told EPOCH_CHANGED either way).
   * Two copies that both numbered items after the split have given one offset to two items: neither
   * may be kept, so the stream starts again in a new epoch with nothing in it, and every client of it
   * is told EPOCH_CHANGED and reloads (a diverged copy the test cannot confirm counts as diverged).
   */
  static StreamLog merged(StreamLog existing, StreamLog merging) {
    if (!existing.epoch.equals(merging.epoch)) {
      return existing;
    }
    StreamLog longer = merging.top > existing.top ? merging : existing;
    StreamLog shorter = longer == existing ? merging : existing;
    if (longer.continues(shorter)) {
      return longer;
    }
    return startedAgain(Math.max(existing.touchedMillis, merging.touchedMillis));
  }

  /** A stream that starts again after a merge: a new epoch, nothing in it, appended to when its copies last were. */
  static StreamLog startedAgain(long touchedMillis) {
    StreamLog restarted = new StreamLog(Sequencer.newEpoch());
    restarted.touchedMillis = touchedMillis;
    return restarted;
  }

  /** Whether this log holds {@code shorter}'s last item and agrees with every item both hold. */
  private boolean continues(StreamLog shorter) {
    if (shorter.top == 0) {
      return true;
    }
    long from = Math.max(first, shorter.first);
    if (from > shorter.top) {
      return false; // nothing left to compare: assume the worst
    }
    Iterator<Item> mine = items.iterator();
    for (long o = first; o < from; o++) {
      mine.next();
    }
    Iterator<Item> theirs = shorter.items.iterator();
    for (long o = shorter.first; o < from; o++) {
      theirs.next();
    }
    for (long o = from; o <= shorter.top; o++) {
      if (!java.util.Arrays.equals(mine.next().bytes(), theirs.next().bytes())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(first);
    out.writeLong(top);
    out.writeLong(touchedMillis);
    out.writeInt(items.size());
    for (Item i : items) {
      out.writeByteArray(i.bytes());
      out.writeLong(i.atMillis());
    }
    out.writeInt(keys.size());
    for (Map.Entry<String, Keyed> e : keys.entrySet()) {
      out.writeString(e.getKey());
      out.writeLong(e.getValue().first());
      out.writeLong(e.getValue().last());
      out.writeInt(e.getValue().items());
      out.writeLong(e.getValue().atMillis());
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = WireCounts.epoch(in, false);
    first = WireCounts.offset(in, 1, "a stream's first item");
    top = WireCounts.offset(in, 0, "a stream's top");
    touchedMillis = in.readLong();
    int n = WireCounts.read(in, "items");
    // What the log's own methods keep: its items are the last ones given out.
    WireCounts.check(n <= top && first == top + 1 - n, n + " items as " + first + ".." + top);
    for (int i = 0; i < n; i++) {
      Item item = new Item(WireCounts.bytes(in, "an item"), in.readLong());
      items.addLast(item);
      bytes += item.bytes().length;
    }
    int k = WireCounts.read(in, "idempotency keys");
    for (int i = 0; i < k; i++) {
      String key = in.readString();
      WireCounts.check(key != null, "an idempotency key that is none");
      keys.put(key, new Keyed(in.readLong(), in.readLong(), in.readInt(), in.readLong()));
    }
  }
}
