package io.pushgate.merge;

import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Distribution;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;

/** The merger's counters, each declared once with its /stats path and its meter. */
final class MergerStats {

  private static final long[] ITEMS_PER_FRAME_BOUNDS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000};
  private static final long[] TICK_BOUNDS_MILLIS = {1, 2, 5, 10, 20, 50, 100, 200, 500};

  final Stats stats;
  final Counter itemsPushed;
  final Counter pushesAccepted;
  final Counter pushesRefused;
  final Counter batches;
  final Counter earlyFlushes;
  final Counter leadingFlushes;
  final Counter bytesEncoded;
  final Counter encodeFailures;
  final Counter directMemoryRefusals;
  final Counter itemsSampled;
  final Counter lowItems;
  final Counter ticksHeld;
  final Counter missedCloses;
  final Distribution batchItems;
  final Distribution tickTime;

  MergerStats(NodeStats nodeStats) {
    stats = nodeStats.add(Stats.of(Tags.empty(), null));
    itemsPushed = stats.counter("itemsPushed", "pushgate_items_pushed", "items accepted by this node's merger");
    batches = stats.counter("batches", "pushgate_batches", "PUSH frames encoded (once per room per tick, or at a batch limit, or a quiet room's first item)");
    pushesAccepted = stats.counter("merger.pushesAccepted", "pushgate_pushes_accepted", "pushes accepted by this node's merger");
    pushesRefused = stats.counter("merger.pushesRefused", "pushgate_pushes_refused",
      "pushes refused by the merger (queue full, draining, history unavailable, direct memory short)");
    earlyFlushes = stats.counter("merger.earlyFlushes", "pushgate_early_flushes", "batches flushed before the tick at their item or byte limit");
    leadingFlushes = stats.counter("merger.leadingFlushes", "pushgate_leading_flushes",
      "first items of quiet rooms sent at once instead of at the tick (a room with no frame in this tick or the last)");
    bytesEncoded = stats.counter("merger.bytesEncoded", "pushgate_bytes_encoded", "PUSH frame bytes encoded (once per room per tick)");
    encodeFailures = stats.counter("merger.encodeFailures", "pushgate_encode_failures",
      "frames that could not be encoded for want of direct memory: their items stayed pending for the next tick");
    directMemoryRefusals = stats.counter("merger.directMemoryRefusals", "pushgate_direct_memory_refusals",
      "pushes refused with 503 while direct memory was short (an encode failed in the last two ticks, or over 90% of the limit in use)");
    itemsSampled = stats.counter("merger.itemsSampled", "pushgate_items_sampled",
      "low-priority items sampled away: their room was over maxRoomItemsPerSecond, or the node's fan-out lagged behind its tick");
    ticksHeld = stats.counter("merger.ticksHeld", "pushgate_ticks_held",
      "ticks whose frames waited for the next tick because a shard was still writing the last one's (the node is short of CPU for its audience)");
    missedCloses = stats.counter("merger.missedCloses", "pushgate_missed_closes",
      "pushes from other nodes to rooms that are not streams (or to all) that found the merge queue full or were over this node's item limits: their clients here were closed with 1013");
    lowItems = stats.counter("merger.lowItems", "pushgate_low_items", "low-priority (best effort) items accepted");
    batchItems = Distribution.summary(stats, "merger.batchItems", "pushgate_batch_items", "items per encoded PUSH frame", ITEMS_PER_FRAME_BOUNDS);
    tickTime = Distribution.timer(stats, "merger.tick", "pushgate_tick", "time to encode and hand out one tick's frames", TICK_BOUNDS_MILLIS);
  }
}
