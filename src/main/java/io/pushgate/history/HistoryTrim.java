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
 * Holds a member to historyMaxStreams streams: of the entries it owns, the least recently appended
 * to are removed, each by an operation on its owner that its backup applies too, so both copies go.
 * Hazelcast's own eviction would not do: it evicts on the owner and on the backup each by its own
 * sample, so a backup could keep a stream its owner had dropped and started again, and take over
 * with the old numbering when the owner died. Blocking: run it off the event loop.
 */
public final class HistoryTrim {

  /** How often each node trims its member's share; between two trims a member may hold more. */
  public static final long EVERY_MILLIS = 5_000;

  private HistoryTrim() {
  }

  /**
   * Removes the least recently appended of the streams {@code map}'s local member owns beyond
   * {@code maxStreams}, each unless appended to since this looked. Reading the times counts as an
   * access for the map's max-idle: while a member is over the bound, its idle streams go by this
   * trim (counted) rather than by expiry.
   *
   * @return the streams removed
   */
  public static List<String> run(IMap<String, StreamLog> map, int maxStreams) {
    if (map.getLocalMapStats().getOwnedEntryCount() <= maxStreams) {
      return List.of();
    }
    Set<String> owned = map.localKeySet();
    int excess = owned.size() - maxStreams;
    if (excess <= 0) {
      return List.of();
    }
    List<Map.Entry<String, long[]>> byAge = new ArrayList<>();
    map.executeOnKeys(owned, new Touched()).forEach((room, seen) -> {
      if (seen != null) {
        byAge.add(Map.entry(room, seen)); // null: gone since localKeySet
      }
    });
    byAge.sort(java.util.Comparator.comparingLong(e -> e.getValue()[0]));
    // One operation per stream, not executeOnKeys: that one's backups are asynchronous, and the owner
    // would answer (and the stream be made again) before its backup had let the old copy go.
    List<Map.Entry<String, CompletableFuture<Boolean>>> removals = new ArrayList<>();
    for (Map.Entry<String, long[]> e : byAge.subList(0, Math.min(excess, byAge.size()))) {
      removals.add(Map.entry(e.getKey(), map.submitToKey(e.getKey(), new Forget(e.getValue()[0], e.getValue()[1])).toCompletableFuture()));
    }
    List<String> removed = new ArrayList<>();
    RuntimeException failed = null;
    for (Map.Entry<String, CompletableFuture<Boolean>> r : removals) {
      try {
        if (Boolean.TRUE.equals(r.getValue().join())) {
          removed.add(r.getKey());
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

  /** When a stream was last appended to, and its top then: {touchedMillis, top}; null for none. Read on the owner only. */
  public static final class Touched implements EntryProcessor<String, StreamLog, long[]>, ReadOnly, DataSerializable {

    /** For Hazelcast's deserialization. */
    public Touched() {
    }

    @Override
    public long[] process(Map.Entry<String, StreamLog> entry) {
      StreamLog log = entry.getValue();
      return log == null ? null : new long[] {log.touchedMillis(), log.top()};
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
      if (log == null || log.touchedMillis() != touchedMillis || log.top() != top) {
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
