package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import com.hazelcast.spi.merge.MergingEntry;
import io.pushgate.metrics.Throttle;

import java.util.logging.Logger;

/**
 * How the history map merges when the two halves of a split cluster join again. Hazelcast's default
 * keeps one half's entry whole, and a stream both halves appended to after the split would keep one
 * half's items under offsets that the other half's clients hold for other items: a rejoin would then
 * be answered recovered with the wrong items. Here each stream keeps the copy that continues the
 * other, or starts again in a new epoch ({@link StreamLog#merged}), as does one that only the merging
 * half holds (the other may have dropped it after numbering items of its own); the nodes learn of it from the
 * map's merge event and tell returning clients EPOCH_CHANGED. Runs on Hazelcast's threads, on the
 * member that owns the stream's partition; Hazelcast sends the policy to it, hence serializable.
 */
public final class SplitBrainMerge implements SplitBrainMergePolicy<StreamLog, MergingEntry<Object, StreamLog>, Object> {

  private static final Logger log = Logger.getLogger(SplitBrainMerge.class.getName());
  /** One line per 10 s at most, with the streams started again since the last (a merge reports them one by one). */
  private static final Throttle restarts = new Throttle(10_000);

  /** For Hazelcast, which makes the policy from its class name. */
  public SplitBrainMerge() {
  }

  @Override
  public Object merge(MergingEntry<Object, StreamLog> merging, MergingEntry<Object, StreamLog> existing) {
    if (existing == null) {
      // Only the merging half has the stream: made there during the split, or also appended to in the
      // other half and then dropped there (its trim, or idle), whose nodes and clients then hold this
      // epoch's offsets for other items. The two look alike from here, so it starts again.
      restarted(merging.getKey());
      return StreamLog.startedAgain(merging.getDeserializedValue().touchedMillis());
    }
    StreamLog ours = existing.getDeserializedValue();
    StreamLog theirs = merging.getDeserializedValue();
    StreamLog kept = StreamLog.merged(ours, theirs);
    if (kept == ours) {
      return existing.getRawValue();
    }
    if (kept == theirs) {
      return merging.getRawValue();
    }
    restarted(existing.getKey());
    return kept;
  }

  private static void restarted(Object room) {
    long n = restarts.occurred();
    if (n > 0) {
      log.warning("after a split brain, " + n + " stream(s) that both halves appended to, or only the merging half holds, start again in a new epoch (the last: "
        + room + "); their clients are told EPOCH_CHANGED when they rejoin");
    }
  }

  @Override
  public void writeData(ObjectDataOutput out) {
  }

  @Override
  public void readData(ObjectDataInput in) {
  }
}
