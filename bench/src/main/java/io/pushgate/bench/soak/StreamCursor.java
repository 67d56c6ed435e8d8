package io.pushgate.bench.soak;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;

/**
 * What one receiver got of one stream room: where it started (the position its first JOIN was
 * answered with), where it stands, and an order-sensitive hash of the item ids it took, in offset
 * order, from there. Offsets skipped or received twice, epochs changed and rejoins not recovered are
 * counted. Only the receiver's event loop touches it; the check at the end reads it after the
 * receivers are quiet.
 */
final class StreamCursor {

  final String room;
  String epoch;
  long start = -1;
  long position = -1;
  long items;
  long hash = StreamLedger.EMPTY_HASH;
  long gaps;
  long repeats;
  long epochChanges;
  long recovered;
  final Map<String, Long> notRecovered = new TreeMap<>();

  StreamCursor(String room) {
    this.room = room;
  }

  boolean hasPosition() {
    return epoch != null;
  }

  /** The JOIN's answer; {@code sinceSent}: the JOIN carried this cursor's position. */
  void onAck(JsonObject data, boolean sinceSent) {
    String ackEpoch = data.getString("epoch");
    Long offset = data.getLong("offset");
    if (sinceSent) {
      if (Boolean.TRUE.equals(data.getBoolean("recovered"))) {
        recovered++;
        return; // the replay follows and moves the position
      }
      notRecovered.merge(data.getString("reason", "?"), 1L, Long::sum);
    }
    if (ackEpoch != null && offset != null) {
      // A first JOIN, or a rejoin that could not recover: the stream continues from here for this receiver.
      epoch = ackEpoch;
      start = offset;
      position = offset;
      items = 0;
      hash = StreamLedger.EMPTY_HASH;
    }
  }

  /** A PUSH frame of this room: items numbered up to {@code lastOffset} in {@code frameEpoch}. */
  void onFrame(long lastOffset, String frameEpoch, JsonArray frameItems) {
    if (epoch == null) {
      return; // before the first answer: the server never sends this (the ACK comes first)
    }
    if (!epoch.equals(frameEpoch)) {
      if (position != 0 || items != 0) {
        epochChanges++; // at 0, having taken nothing, it is the stream's first epoch (it had none when joined)
      }
      epoch = frameEpoch;
      start = lastOffset - frameItems.size();
      position = start;
      items = 0;
      hash = StreamLedger.EMPTY_HASH;
    }
    long first = lastOffset - frameItems.size() + 1;
    if (first > position + 1) {
      gaps += first - position - 1;
    }
    for (int i = 0; i < frameItems.size(); i++) {
      long offset = first + i;
      if (offset <= position) {
        repeats++;
        continue;
      }
      Object item = frameItems.getValue(i);
      long id = item instanceof JsonObject o ? o.getLong("n", -1L) : -1L;
      hash = StreamLedger.hash(hash, id);
      items++;
      position = offset;
    }
  }
}
