package io.pushgate.merge;

import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Stats;
import io.pushgate.protocol.NotRecovered;

import java.util.EnumMap;
import java.util.Map;

/** The streams' counters, each declared once with its /stats path ({@code history.*}) and its meter. */
final class StreamStats {

  final Counter appends;
  final Counter appendedItems;
  final Counter appendFailures;
  final Counter idempotentRepeats;
  final Counter historyOps;
  final Counter historyFailures;
  final Counter readsWaited;
  final Counter holesFilled;
  final Counter holeItemsRead;
  final Counter itemsSkipped;
  final Counter itemsNeverGiven;
  final Counter duplicateItems;
  final Counter otherEpochItems;
  final Counter epochChanges;
  final Counter ringEvictions;
  final Counter streamsEvicted;
  final Counter streamsForgotten;
  final Counter recovered;
  final Counter joinsUnavailable;
  final Map<NotRecovered, Counter> notRecovered;
  final Counter replayEncodes;
  final Counter replayShared;
  final Counter replaysNotCached;
  final Counter replayedItems;

  StreamStats(Stats stats) {
    appends = stats.counter("history.appends", "pushgate_history_appends", "appends to the streams' history (one per batch of pushes, at most one in flight per stream)");
    appendedItems = stats.counter("history.appendedItems", "pushgate_history_appended_items", "items this node appended to the streams' history");
    appendFailures = stats.counter("history.appendFailures", "pushgate_history_append_failures", "appends that failed: those pushes got 503, or 500 when the history did not confirm the append (it may have been taken)");
    idempotentRepeats = stats.counter("history.idempotentRepeats", "pushgate_history_idempotent_repeats",
      "pushes whose idempotencyKey was seen within the window: answered with the first push's offsets, not appended");
    historyOps = stats.counter("history.operations", "pushgate_history_operations", "operations on the streams' history: appends, reads, heads");
    historyFailures = stats.counter("history.failures", "pushgate_history_failures", "operations on the streams' history that failed (retried)");
    readsWaited = stats.counter("history.readsWaited", "pushgate_history_reads_waited",
      "reads of items from the streams' history that waited for their turn because maxHistoryReads were in flight");
    holesFilled = stats.counter("history.holesFilled", "pushgate_history_holes_filled",
      "reads of the history that filled a gap in a stream's offsets (delivered or skipped some of them)");
    holeItemsRead = stats.counter("history.holeItemsRead", "pushgate_history_hole_items_read", "items read from the history to fill gaps");
    itemsSkipped = stats.counter("history.itemsSkipped", "pushgate_history_items_skipped",
      "items gone from the history before this node got them: its clients skip them (logged)");
    itemsNeverGiven = stats.counter("history.itemsNeverGiven", "pushgate_history_items_never_given",
      "items another member sent at offsets the stream never gave out (a broken or hostile member): dropped once a read of the stream's top said so (logged)");
    duplicateItems = stats.counter("history.duplicateItems", "pushgate_history_duplicate_items", "items that came again and were dropped");
    otherEpochItems = stats.counter("history.otherEpochItems", "pushgate_history_other_epoch_items",
      "items that came in an epoch other than the stream's current one and were dropped: a lost numbering's stragglers (or a newer one's, read from the history once checked)");
    epochChanges = stats.counter("history.epochChanges", "pushgate_history_epoch_changes",
      "streams whose numbering started again while this node kept their state: their history was lost whole (every copy down, or both halves of a split appended to it), or let go (idle for historyIdleMillis, or dropped at historyMaxStreams)");
    ringEvictions = stats.counter("history.ringEvictions", "pushgate_history_ring_evictions",
      "replay rings dropped to stay within historyRingBytes (their replays read the history instead)");
    streamsEvicted = stats.counter("history.streamsEvicted", "pushgate_history_streams_evicted",
      "streams this member dropped from the history because it held historyMaxStreams or historyMaxBytes (least recently appended to first): their next push starts a new epoch");
    streamsForgotten = stats.counter("history.streamsForgotten", "pushgate_history_streams_forgotten",
      "streams whose state this node's merger let go because it kept more than twice maxRooms (the least recently active first, never one with members here or anything pending): a later JOIN here reads where the stream stands from the history again");
    recovered = stats.counter("history.joins.recovered", "pushgate_stream_joins", "JOINs with since, by outcome", Tags.of("outcome", "recovered"));
    joinsUnavailable = stats.counter("history.joins.unavailable", "pushgate_stream_joins_unavailable",
      "JOINs of streams answered RATE_LIMITED because the stream's history could not be read (a read failed, or did not answer by the JOIN's deadline)");
    // NO_HISTORY is answered, and counted, by the shards: the room is no stream, the merger never sees it.
    Map<NotRecovered, Counter> reasons = new EnumMap<>(NotRecovered.class);
    for (NotRecovered r : NotRecovered.values()) {
      if (r != NotRecovered.NO_HISTORY) {
        reasons.put(r, stats.counter("history.joins." + r.name(), "pushgate_stream_joins", "JOINs with since, by outcome", Tags.of("outcome", r.name())));
      }
    }
    notRecovered = Map.copyOf(reasons);
    replayEncodes = stats.counter("history.replayEncodes", "pushgate_history_replay_encodes", "replay frames encoded (each shared by the JOINs of one position)");
    replaysNotCached = stats.counter("history.replaysNotCached", "pushgate_history_replays_not_cached",
      "replays sent to their JOIN alone, not kept for others at the same position: the node's cached replays were at historyRingBytes");
    replayShared = stats.counter("history.replayShared", "pushgate_history_replay_shared", "replays served from one already encoded for the same position");
    replayedItems = stats.counter("history.replayedItems", "pushgate_history_replayed_items", "items sent to rejoining clients");
  }
}
