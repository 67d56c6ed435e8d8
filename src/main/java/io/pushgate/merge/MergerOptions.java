package io.pushgate.merge;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;

/**
 * What the merger needs of the configuration, read once.
 *
 * @param shards             the shards it hands each tick to
 * @param maxBatchItems      items in one PUSH frame at most (an early flush beyond)
 * @param maxBatchBytes      item bytes in one PUSH frame at most
 * @param maxPendingBytes    item bytes it holds between ticks at most (503 beyond)
 * @param closeTimeoutMillis how long shards may take to close their clients on drain
 * @param maxRooms           the node's distinct rooms at most (streams kept are bounded by twice that)
 * @param maxRoomItemsPerSecond a room's budget, beyond which its low-priority items are sampled; 0 for none
 * @param maxHistoryReads    reads of items from the streams' history in flight at once at most
 */
public record MergerOptions(int shards, long tickMillis, long maxBatchItems, long maxBatchBytes, long maxPendingBytes,
                            long closeTimeoutMillis, int maxRooms, long maxRoomItemsPerSecond, int maxHistoryReads) {

  public static final MergerOptions DEFAULTS = from(PushgateConfig.defaults());

  public static MergerOptions from(PushgateConfig config) {
    return new MergerOptions(config.shards(), config.tickMillis(), config.limit(Limit.MAX_BATCH_ITEMS),
      config.limit(Limit.MAX_BATCH_BYTES), config.limit(Limit.MAX_PENDING_BYTES), config.closeTimeoutMillis(), config.intLimit(Limit.MAX_ROOMS),
      config.limit(Limit.MAX_ROOM_ITEMS_PER_SECOND), config.intLimit(Limit.MAX_HISTORY_READS));
  }
}
