package io.pushgate.history;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import com.hazelcast.core.ReadOnly;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Removes a member's idle streams (no append for historyIdleMillis) and holds it to historyMaxStreams
 * and historyMaxBytes: of the entries it owns, the idle ones and then the least recently appended to
 * beyond either bound are removed, each by an operation on its owner that its backup applies too, so both copies go;
 * the kept streams quiet for historyTtlMillis have their items, all past their age, freed the same way
 * but the newest (and their idempotency keys once quiet for idempotencyWindowMillis).
 * Hazelcast's own eviction and expiry would not do: they act on the owner and on the backup each on
 * its own (eviction by its own sample; a max-idle expiry that the backup failed to match took random
 * other entries of the backup with it), so a backup could keep a stream its owner had dropped and
 * started again, or lose one its owner kept, and take over with the wrong numbering when the owner
 * died. Blocking: run it off the event loop.
 */
public final class HistoryTrim {

  /** How often each node trims its member's share; between two trims a member may hold more. */
  public static final long EVERY_MILLIS = 5_000;

  /**
   * The member attribute of a member that knows {@link Age}: items past their age are freed only
   * while every data member does, since a member of an earlier release, in a rolling update, could
   * not read the operation and would log each one it was sent.
   */
  public static final String AGES_ATTRIBUTE = "pushgate.history.ages";

  private HistoryTrim() {
  }

  /**
   * Removes the streams {@code map}'s local member owns that had no append for historyIdleMillis at
   * {@code nowMillis}, then the least recently appended of the rest until at most historyMaxStreams
   * with at most historyMaxBytes of items are left, each unless appended to since this looked; with
   * {@code age}, frees the items of the kept streams quiet for historyTtlMillis and their keys once quiet
   * for idempotencyWindowMillis.
   *
   * @return the streams removed beyond the bounds (not the idle ones, whose removal is only what any
   * later look would have found)
   */
  public static List<String> run(IMap<String, StreamLog> map, HistoryOptions options, long nowMillis, boolean age) {
    Set<String> owned = map.localKeySet();
    if (owned.isEmpty()) {
      return List.of();
    }
    List<Map.Entry<String, long[]>> idle = new ArrayList<>();
    List<Map.Entry<String, long[]>> live = new ArrayList<>();
    map.executeOnKeys(owned, new Touched()).forEach((room, seen) -> {
      if (seen != null) { // null: gone since localKeySet
        (StreamLog.idle(seen[0], nowMillis, options) ? idle : live).add(Map.entry(room, seen));
      }
    });
    live.sort(java.util.Comparator.comparingLong(e -> e.getValue()[0]));
    // The idle ones first, then the least recently appended beyond the bounds: only those are reported.
    List<Map.Entry<String, long[]>> gone = new ArrayList<>(idle);
    int beyond = beyondBounds(live, options, nowMillis, age);
    gone.addAll(live.subList(0, beyond));
    List<CompletableFuture<Boolean>> emptied = age ? age(map, live.subList(beyond, live.size()), options, nowMillis) : List.of();
    List<CompletableFuture<Boolean>> removals = forget(map, gone);
    emptied.forEach(e -> e.exceptionally(t -> false).join()); // one that failed is aged by the next trim
    List<String> removed = new ArrayList<>();
    RuntimeException failed = null;
    for (int i = 0; i < removals.size(); i++) {
      try {
        if (Boolean.TRUE.equals(removals.get(i).join()) && i >= idle.size()) {
          removed.add(gone.get(i).getKey());
        }
      } catch (java.util.concurrent.CompletionException e) {
        failed = e; // that stream stays, for the next trim
      }
    }
    if (removed.isEmpty() && failed != null) {
      throw failed;
    }
    return removed;
  }

  /** How many of {@code live}, least recently appended first, must go to leave both bounds kept. */
  private static int beyondBounds(List<Map.Entry<String, long[]>> live, HistoryOptions options, long nowMillis, boolean age) {
    long bytes = live.stream().mapToLong(e -> liveBytes(e.getValue(), options, nowMillis, age)).sum();
    int count = live.size();
    int drop = 0;
    // Never the most recently appended to: alone past historyMaxBytes (a stream at historyStreamBytes
    // with its keys, where historyMaxBytes is as small as allowed), dropping it would start it again
    // at every trim; a standalone node keeps the one just appended to the same way.
    while (drop < live.size() - 1 && options.beyondMemberBounds(count, bytes)) {
      bytes -= liveBytes(live.get(drop).getValue(), options, nowMillis, age);
      count--;
      drop++;
    }
    return drop;
  }

  /**
   * A stream's bytes as historyMaxBytes counts them: its newest item's once its last append is past
   * historyTtlMillis, as every item is then past its age (an append or read skips them), when this
   * trim frees the others ({@code age}: {@link Age}); else all of them, as they stay in memory.
   */
  private static long liveBytes(long[] seen, HistoryOptions options, long nowMillis, boolean age) {
    // Keys as StreamLog.heldBytes counts them, until this trim forgets them.
    long keys = age && StreamLog.keysPast(seen[0], nowMillis, options) ? 0 : Touched.keys(seen) * StreamLog.KEY_HEAP_BYTES;
    return keys + (age && StreamLog.aged(seen[0], nowMillis, options) ? Touched.lastBytes(seen) : Touched.bytes(seen));
  }

  /**
   * Frees the items of the kept streams whose every item is past historyTtlMillis, but the newest
   * ({@link StreamLog#age}): counted as that item against historyMaxBytes, they would otherwise stay in
   * memory, on the owner and its backup, until the stream went idle (historyIdleMillis, a day by
   * default). Their numbering stays. The same for
   * idempotency keys past idempotencyWindowMillis, which may be longer than historyTtlMillis: a
   * stream whose items went by age keeps its keys until this trim finds them past their window.
   */
  private static List<CompletableFuture<Boolean>> age(IMap<String, StreamLog> map, List<Map.Entry<String, long[]>> kept,
                                                      HistoryOptions options, long nowMillis) {
    List<CompletableFuture<Boolean>> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : kept) {
      long[] seen = e.getValue();
      if (Touched.bytes(seen) > Touched.lastBytes(seen) && StreamLog.aged(seen[0], nowMillis, options)
        || Touched.keys(seen) > 0 && StreamLog.keysPast(seen[0], nowMillis, options)) {
        out.add(map.submitToKey(e.getKey(), new Age(e.getValue()[0], e.getValue()[1], nowMillis, options)).toCompletableFuture());
      }
    }
    return out;
  }

  /**
   * One operation per stream, not executeOnKeys: that one's backups are asynchronous, and the owner
   * would answer (and the stream be made again) before its backup had let the old copy go.
   */
  private static List<CompletableFuture<Boolean>> forget(IMap<String, StreamLog> map, List<Map.Entry<String, long[]>> streams) {
    List<CompletableFuture<Boolean>> removals = new ArrayList<>(streams.size());
    for (Map.Entry<String, long[]> e : streams) {
      removals.add(map.submitToKey(e.getKey(), new Forget(e.getValue()[0], e.getValue()[1])).toCompletableFuture());
    }
    return removals;
  }

  /**
   * When a stream was last appended to, its top then, its items' bytes, its idempotency keys and its
   * newest item's bytes: {touchedMillis, top, bytes, keys, lastBytes}; null for none. Read on the owner
   * only (a member of an earlier release, in a rolling update, answers with fewer: what is missing is
   * taken as no keys, and as all the bytes for the newest item, so such a stream is counted whole).
   */
  public static final class Touched implements EntryProcessor<String, StreamLog, long[]>, ReadOnly, DataSerializable {

    /** For Hazelcast's deserialization. */
    public Touched() {
    }

    @Override
    public long[] process(Map.Entry<String, StreamLog> entry) {
      StreamLog log = entry.getValue();
      return log == null ? null : new long[] {log.touchedMillis(), log.top(), log.bytes(), log.keys(), log.lastBytes()};
    }

    static long bytes(long[] seen) {
      return seen.length > 2 ? seen[2] : 0;
    }

    static long keys(long[] seen) {
      return seen.length > 3 ? seen[3] : 0;
    }

    static long lastBytes(long[] seen) {
      return seen.length > 4 ? seen[4] : bytes(seen);
    }

    @Override
    public EntryProcessor<String, StreamLog, long[]> getBackupProcessor() {
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
    }

    @Override
    public void readData(ObjectDataInput in) {
    }
  }

  /** Whether {@code log} is still as {@link Touched} saw it: the same last append time and top. */
  private static boolean asSeen(StreamLog log, long touchedMillis, long top) {
    return log != null && log.touchedMillis() == touchedMillis && log.top() == top;
  }

  /**
   * Drops the items past their age, but the newest, of a stream that is still as {@link Touched} saw it,
   * at the trim's time, so that owner and backup, which run it alike, keep the same items; the epoch
   * and the top stay.
   */
  public static final class Age implements EntryProcessor<String, StreamLog, Boolean>, DataSerializable {

    private long touchedMillis;
    private long top;
    private long nowMillis;
    private HistoryOptions options;

    /** For Hazelcast's deserialization. */
    public Age() {
    }

    Age(long touchedMillis, long top, long nowMillis, HistoryOptions options) {
      this.touchedMillis = touchedMillis;
      this.top = top;
      this.nowMillis = nowMillis;
      this.options = options;
    }

    @Override
    public Boolean process(Map.Entry<String, StreamLog> entry) {
      StreamLog log = entry.getValue();
      if (!asSeen(log, touchedMillis, top)) {
        return false;
      }
      log.age(nowMillis, options);
      entry.setValue(log);
      return true;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(touchedMillis);
      out.writeLong(top);
      out.writeLong(nowMillis);
      options.writeData(out);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      touchedMillis = in.readLong();
      top = in.readLong();
      nowMillis = in.readLong();
      options = HistoryOptions.readData(in);
    }
  }

  /**
   * Removes a stream that is still as {@link Touched} saw it (the same last append time and top):
   * appended to since, it stays. The backup runs the same test on its copy, which the same appends made equal to
   * the owner's, so both copies go or both stay; the owner answers once the backup has.
   */
  public static final class Forget implements EntryProcessor<String, StreamLog, Boolean>, DataSerializable {

    private long touchedMillis;
    private long top;

    /** For Hazelcast's deserialization. */
    public Forget() {
    }

    Forget(long touchedMillis, long top) {
      this.touchedMillis = touchedMillis;
      this.top = top;
    }

    @Override
    public Boolean process(Map.Entry<String, StreamLog> entry) {
      StreamLog log = entry.getValue();
      if (!asSeen(log, touchedMillis, top)) {
        return false;
      }
      entry.setValue(null);
      return true;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(touchedMillis);
      out.writeLong(top);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      touchedMillis = in.readLong();
      top = in.readLong();
    }
  }
}
