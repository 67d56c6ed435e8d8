package io.pushgate.merge;

import io.pushgate.metrics.Counter;
import io.pushgate.metrics.DirectMemory;
import io.pushgate.metrics.Distribution;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Target;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The items waiting for the tick, per target and kind: a stream's in their own batch (consecutive
 * offsets of one epoch), low-priority ones in theirs (sampled when flushed), other rooms' and pushes
 * to all in theirs. A batch that reaches its item or byte limit is flushed at once; the tick flushes
 * the rest, rooms in the order they first got an item (a room's low batch right after its normal
 * one) and all last. Flushing encodes the batch once,
 * whatever its audience.
 *
 * <p>Leading edge: the first item of a batch that had no frame in this tick or the last is flushed
 * on the merger's next turn instead of waiting for the tick, so a quiet room is fast, and what
 * follows merges until the tick, so a busy room still costs one frame a tick.
 *
 * <p>A frame that cannot be encoded for want of direct memory leaves its batch pending, whole, for
 * the next attempt: nothing is taken out before it is handed on. A batch kept back that way takes no
 * items beyond its limits, and a stream's none that cannot follow it (another epoch, or offsets
 * skipped), since a frame's items must be consecutive (PROTOCOL.md): they start a batch of their own
 * behind it, and the batches go out in order once memory allows.
 */
final class Batches {

  enum Kind { PLAIN, STREAM, LOW }

  record Key(Target target, Kind kind) {
  }

  /** What a flush produced: the frame, and for a stream the items it carried. */
  record Flushed(EncodedFrame frame, RoomBatch batch) {
  }

  /** The merger's side: frames flushed at a limit, and batches whose first item should leave now. */
  interface Outlet {
    void early(Flushed flushed);

    void leading(Key key);
  }

  private final MergerOptions options;
  private final Sampler sampler;
  private final Map<Key, RoomBatch> pending = new LinkedHashMap<>();
  /**
   * Batches that could not be encoded when items came that cannot join them (past a limit, or not
   * following a stream's); they go out before their key's pending batch (which a key here always
   * has), oldest first.
   */
  private final Map<Key, ArrayDeque<RoomBatch>> blocked = new HashMap<>();
  private final Encoder encoder;
  private long bytes;
  /** Keys that had a frame since the current tick began, and in the tick before. */
  private Set<Key> framedThisTick = new HashSet<>();
  private Set<Key> framedLastTick = new HashSet<>();
  private long lastShortageNanos = Long.MIN_VALUE;
  private final java.util.function.LongSupplier clock;
  private boolean holding;
  private final Counter batches;
  private final Counter earlyFlushes;
  private final Counter leadingFlushes;
  private final Counter bytesEncoded;
  private final Counter encodeFailures;
  private final Distribution itemsPerFrame;

  /** Encodes a batch into its frame; throws OutOfMemoryError when direct memory is short. */
  interface Encoder {
    EncodedFrame encode(RoomBatch batch);
  }

  Batches(MergerOptions options, Sampler sampler, MergerStats stats) {
    this(options, sampler, stats, RoomBatch::encode, System::nanoTime);
  }

  /**
   * @param encoder RoomBatch::encode, or a test's, which can run short of direct memory on demand
   * @param clock   System::nanoTime, or a test's
   */
  Batches(MergerOptions options, Sampler sampler, MergerStats stats, Encoder encoder, java.util.function.LongSupplier clock) {
    this.encoder = encoder;
    this.clock = clock;
    this.options = options;
    this.sampler = sampler;
    this.batches = stats.batches;
    this.earlyFlushes = stats.earlyFlushes;
    this.leadingFlushes = stats.leadingFlushes;
    this.bytesEncoded = stats.bytesEncoded;
    this.encodeFailures = stats.encodeFailures;
    this.itemsPerFrame = stats.batchItems;
  }

  long bytes() {
    return bytes;
  }

  int targets() {
    return pending.size();
  }

  /**
   * Whether a frame could not be encoded for want of direct memory in the last two ticks. Until then
   * only the tick tries again (once): a batch at its limit, or a quiet room's first items, wait for
   * it, as each refused allocation costs the merger's loop the JDK's collection and sleeps, and
   * another node's pushes, taken while memory is short, would otherwise pay that once each.
   */
  boolean shortRecently() {
    return lastShortageNanos != Long.MIN_VALUE && clock.getAsLong() - lastShortageNanos < 2 * options.tickMillis() * 1_000_000L;
  }

  /** A push to a room that is no stream, a low-priority push, or one to all. */
  void add(PushBatch push, Outlet outlet) {
    Key key = new Key(push.target(), push.low() ? Kind.LOW : Kind.PLAIN);
    for (byte[] item : push.items()) {
      RoomBatch batch = pending.get(key);
      if (batch != null && holding && key.kind() == Kind.LOW && batch.wouldOverflow(item, options.maxBatchItems(), options.maxBatchBytes())) {
        thin(key, batch);
      }
      if (batch != null && batch.wouldOverflow(item, options.maxBatchItems(), options.maxBatchBytes())) {
        earlyFlushes.inc();
        flushEarly(key, outlet);
      }
      addItem(key, outlet).add(item);
      bytes += PushBatch.cost(item.length, 1);
    }
  }

  /** A stream's items in offset order; a batch of another epoch, or not followed by these, goes first. */
  void addNumbered(PushBatch push, Outlet outlet) {
    Key key = new Key(push.target(), Kind.STREAM);
    long offset = push.first().offset();
    String epoch = push.first().epoch();
    RoomBatch current = pending.get(key);
    if (current != null && (!epoch.equals(current.epoch()) || current.lastOffset() + 1 != offset)) {
      flushEarly(key, outlet);
    }
    for (byte[] item : push.items()) {
      RoomBatch batch = pending.get(key);
      if (batch != null && batch.wouldOverflow(item, options.maxBatchItems(), options.maxBatchBytes())) {
        earlyFlushes.inc();
        flushEarly(key, outlet);
      }
      addItem(key, outlet).add(item, offset++, epoch);
      bytes += PushBatch.cost(item.length, 1);
    }
  }

  /**
   * While the merger holds ticks (the shards are still writing), a low batch at its limit keeps half
   * its items, evenly spaced, the rest counted as sampled, instead of going out early as a frame of
   * its own: an overloaded node then writes fewer frames, which is what it is short of.
   */
  void holding(boolean holding) {
    this.holding = holding;
  }

  private void thin(Key key, RoomBatch batch) {
    List<byte[]> items = batch.items();
    List<byte[]> kept = Sampler.evenly(items, (items.size() + 1) / 2);
    int dropped = items.size() - kept.size();
    long before = batch.cost();
    batch.keepOnly(kept);
    bytes -= before - batch.cost();
    sampler.dropped(key.target(), dropped);
  }

  /** The key's batch, new if it had none: a new batch of a quiet key goes out on the next turn. */
  private RoomBatch addItem(Key key, Outlet outlet) {
    RoomBatch batch = pending.get(key);
    if (batch == null) {
      batch = new RoomBatch(key.target());
      pending.put(key, batch);
      if (!framedThisTick.contains(key) && !framedLastTick.contains(key)) {
        framedThisTick.add(key); // what follows in this tick merges
        outlet.leading(key);
      }
    }
    return batch;
  }

  /**
   * At a limit (or before items that cannot join the batch): the frame goes now, unless memory was
   * short lately ({@link #shortRecently}). One that cannot be encoded, or is not tried, waits, whole,
   * behind in {@link #blocked}, and what follows starts a new batch: growing, it would carry more than
   * maxBatchItems in one frame, and hold ever more bytes while memory is short.
   */
  private void flushEarly(Key key, Outlet outlet) {
    RoomBatch current = pending.get(key);
    if (!shortRecently()) {
      flushKey(key, outlet::early);
    }
    if (pending.get(key) == current && current != null) {
      pending.remove(key);
      blocked.computeIfAbsent(key, k -> new ArrayDeque<>()).add(current);
    }
  }

  /**
   * The leading flush of a quiet key, if its batch is still waiting.
   *
   * @return false when direct memory ran short, now or lately: the caller tries no more this turn (see flushAll)
   */
  boolean flushLeading(Key key, List<Flushed> out) {
    if (shortRecently()) {
      return false;
    }
    int before = out.size();
    boolean encoded = flushKey(key, out::add);
    if (out.size() > before) {
      leadingFlushes.inc();
    }
    return encoded;
  }

  /** A stream's waiting batches, oldest first; none when it has none, or direct memory is short. */
  List<Flushed> flushStream(Target target) {
    List<Flushed> out = new ArrayList<>(1);
    flushKey(new Key(target, Kind.STREAM), out::add);
    return out;
  }

  /** Whether any of the stream's items wait for a frame (after a flush: direct memory kept them back). */
  boolean waiting(Target target) {
    Key key = new Key(target, Kind.STREAM);
    return pending.containsKey(key) || blocked.containsKey(key);
  }

  /**
   * A tick's frames ({@link #flushAll}) with the rooms' budgets of {@code ticks} ticks, less the normal
   * items each sent in early frames since the last tick (Sampler); what is sent after counts towards
   * the next.
   */
  List<Flushed> flushTick(long nowNanos, int ticks) {
    sampler.startTick(nowNanos, ticks);
    try {
      return flushAll();
    } finally {
      sampler.endTick();
    }
  }

  /**
   * The tick: everything waiting, rooms in the order they first got an item (a key whose frame could
   * not be encoded last), all after them, and a room's low items right after its normal ones, whichever
   * came first: they are sampled against what the normal ones leave of the room's budget (README,
   * Priority). Stops at the
   * first frame that cannot be encoded: the rest wait, whole, for the next tick. Trying the others
   * would cost more than it saves: each refused allocation runs the JDK's reservation retries (a full
   * collection and up to half a second of sleeps) on the merger's event loop, and seven of them held
   * it 3.7 s in NodeProcessIT's tick short of memory.
   */
  List<Flushed> flushAll() {
    Set<Key> last = framedThisTick;
    framedLastTick = last;
    framedThisTick = new HashSet<>();
    List<Flushed> out = new ArrayList<>(pending.size());
    List<Key> keys = new ArrayList<>(pending.keySet());
    keys.sort(Comparator.comparing((Key key) -> key.target().isAll())); // stable: the order of first items otherwise
    Set<Target> normalToCome = new HashSet<>();
    for (Key key : keys) {
      if (key.kind() != Kind.LOW) {
        normalToCome.add(key.target());
      }
    }
    for (Key key : keys) {
      if (key.kind() == Kind.LOW && normalToCome.contains(key.target())) {
        continue; // goes right after its room's normal batch, below
      }
      if (!flushKey(key, out::add)) {
        return toTheBack(key, out);
      }
      Key low = new Key(key.target(), Kind.LOW);
      if (key.kind() != Kind.LOW && normalToCome.remove(key.target()) && pending.containsKey(low) && !flushKey(low, out::add)) {
        return toTheBack(low, out);
      }
    }
    return out;
  }

  /**
   * The key whose frame could not be encoded goes behind the others (its own batches keep their
   * order in {@link #blocked}): one large frame that does not fit must not be the one the next ticks
   * try first, and fail on, while smaller ones of other rooms wait behind it.
   */
  private List<Flushed> toTheBack(Key key, List<Flushed> out) {
    RoomBatch batch = pending.remove(key);
    if (batch != null) {
      pending.put(key, batch);
    }
    return out;
  }

  /**
   * Everything waiting for {@code key}, oldest first, each encoded (the one encode per frame) and
   * only then taken out and handed to {@code out}. Stops at the first that cannot be encoded for
   * want of direct memory, which stays with those behind it.
   *
   * @return false when direct memory ran short
   */
  private boolean flushKey(Key key, Consumer<Flushed> out) {
    ArrayDeque<RoomBatch> older = blocked.get(key);
    while (older != null && !older.isEmpty()) {
      if (!flushBatch(key, older.peekFirst(), out)) {
        return false;
      }
      older.pollFirst();
    }
    blocked.remove(key);
    RoomBatch batch = pending.get(key);
    if (batch == null) {
      return true;
    }
    if (!flushBatch(key, batch, out)) {
      return false;
    }
    pending.remove(key);
    return true;
  }

  /**
   * One batch, sampled first if it is low-priority (a batch kept back waited for memory, not for its
   * room's budget), encoded and handed to {@code out}.
   *
   * @return false when direct memory ran short: the caller keeps the batch
   */
  private boolean flushBatch(Key key, RoomBatch batch, Consumer<Flushed> out) {
    if (key.kind() == Kind.LOW) {
      long before = batch.cost();
      batch.keepOnly(sampler.sample(key.target(), batch.items()));
      bytes -= before - batch.cost();
      if (batch.items().isEmpty()) {
        return true;
      }
    }
    Flushed f = encode(key, batch);
    if (f == null) {
      return false;
    }
    out.accept(f);
    return true;
  }

  /** The batch's frame, counted; null when direct memory ran short (the caller keeps the batch). */
  private Flushed encode(Key key, RoomBatch batch) {
    EncodedFrame frame;
    try {
      frame = encoder.encode(batch);
    } catch (OutOfMemoryError e) {
      if (!DirectMemory.isShortage(e)) {
        throw e;
      }
      lastShortageNanos = clock.getAsLong();
      encodeFailures.inc();
      return null;
    }
    bytes -= batch.cost();
    framedThisTick.add(key);
    if (key.kind() != Kind.LOW) {
      sampler.sent(key.target(), batch.items().size());
    }
    batches.inc();
    itemsPerFrame.record(frame.items());
    bytesEncoded.add(frame.length());
    return new Flushed(frame, batch);
  }
}
