package io.pushgate.merge;

import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Distribution;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Target;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The items waiting for the tick, per target: a stream's in their own batch (consecutive offsets
 * of one epoch), other rooms' and pushes to all in theirs. A batch that reaches its item or byte
 * limit is flushed at once; the tick flushes the rest, rooms in the order they first got an item and
 * all last. Flushing encodes the batch once, whatever its audience.
 */
final class Batches {

  private record Key(Target target, boolean stream) {
  }

  /** What a flush produced: the frame, and for a stream the items it carried. */
  record Flushed(EncodedFrame frame, RoomBatch batch) {
  }

  private final MergerOptions options;
  private final Map<Key, RoomBatch> pending = new LinkedHashMap<>();
  private long bytes;
  private final Counter batches;
  private final Counter earlyFlushes;
  private final Counter bytesEncoded;
  private final Distribution itemsPerFrame;

  Batches(MergerOptions options, Counter batches, Counter earlyFlushes, Counter bytesEncoded, Distribution itemsPerFrame) {
    this.options = options;
    this.batches = batches;
    this.earlyFlushes = earlyFlushes;
    this.bytesEncoded = bytesEncoded;
    this.itemsPerFrame = itemsPerFrame;
  }

  long bytes() {
    return bytes;
  }

  int targets() {
    return pending.size();
  }

  /** A push to a room that is no stream, or to all; {@code early} gets the frames of batches flushed at their limit. */
  void add(PushBatch push, Consumer<Flushed> early) {
    Key key = new Key(push.target(), false);
    for (byte[] item : push.items()) {
      RoomBatch batch = pending.get(key);
      if (batch != null && batch.wouldOverflow(item, options.maxBatchItems(), options.maxBatchBytes())) {
        earlyFlushes.inc();
        early.accept(flush(key));
      }
      pending.computeIfAbsent(key, k -> new RoomBatch(push.target())).add(item);
      bytes += item.length;
    }
  }

  /** A stream's items in offset order; a batch of another epoch, or not followed by these, goes first. */
  void addNumbered(PushBatch push, Consumer<Flushed> early) {
    Key key = new Key(push.target(), true);
    long offset = push.first().offset();
    String epoch = push.first().epoch();
    RoomBatch current = pending.get(key);
    if (current != null && (!epoch.equals(current.epoch()) || current.lastOffset() + 1 != offset)) {
      early.accept(flush(key));
    }
    for (byte[] item : push.items()) {
      RoomBatch batch = pending.get(key);
      if (batch != null && batch.wouldOverflow(item, options.maxBatchItems(), options.maxBatchBytes())) {
        earlyFlushes.inc();
        early.accept(flush(key));
      }
      pending.computeIfAbsent(key, k -> new RoomBatch(push.target())).add(item, offset++, epoch);
      bytes += item.length;
    }
  }

  /** Flushes a stream's waiting batch, if it has one. */
  Flushed flushStream(Target target) {
    return pending.containsKey(new Key(target, true)) ? flush(new Key(target, true)) : null;
  }

  /** Everything waiting: rooms in the order they first got an item, all last. */
  List<Flushed> flushAll() {
    List<Flushed> out = new ArrayList<>(pending.size());
    List<Key> all = new ArrayList<>(2);
    for (Key key : new ArrayList<>(pending.keySet())) {
      if (key.target().isAll()) {
        all.add(key);
      } else {
        out.add(flush(key));
      }
    }
    all.forEach(key -> out.add(flush(key)));
    return out;
  }

  /** Removes the batch and encodes it: the one encode per frame. */
  private Flushed flush(Key key) {
    RoomBatch batch = pending.remove(key);
    bytes -= batch.bytes();
    EncodedFrame frame = batch.encode();
    batches.inc();
    itemsPerFrame.record(frame.items());
    bytesEncoded.add(frame.length());
    return new Flushed(frame, batch);
  }
}
