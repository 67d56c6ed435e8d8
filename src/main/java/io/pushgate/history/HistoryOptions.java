package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.pushgate.protocol.RoomPatterns;

import java.io.IOException;

/**
 * Streams' configuration, read once. The first five travel with every operation on the cluster's
 * history, so each member trims and forgets by the sender's rules.
 *
 * @param size                    items kept per stream; 0: streams are off
 * @param ttlMillis               age after which an item is trimmed
 * @param idempotencyWindowMillis how long an idempotency key is remembered
 * @param maxIdempotencyKeys      keys remembered per stream at most
 * @param streamBytes             item bytes kept per stream at most
 * @param maxStreams              streams each member holds at most (the least recently appended to are dropped, see HistoryTrim)
 * @param maxBytes                item bytes of the streams each member holds at most (dropped alike)
 * @param maxRecoveryItems        a JOIN that missed more gets TOO_FAR
 * @param ringBytes               item bytes the node keeps in memory for replays
 * @param holeMillis              how long a gap in offsets waits before it is read from the history
 * @param idleMillis              how long a stream with no append stays in the history
 * @param rooms                   which rooms are streams
 */
public record HistoryOptions(int size, long ttlMillis, long idempotencyWindowMillis, int maxIdempotencyKeys, long streamBytes,
                             int maxStreams, long maxBytes, int maxRecoveryItems, long ringBytes, long holeMillis, long idleMillis, RoomPatterns rooms) {

  /** The Hazelcast map that holds every stream's log. */
  public static final String MAP = "pushgate.history";
  public static final HistoryOptions DEFAULTS = from(PushgateConfig.defaults());

  public static HistoryOptions from(PushgateConfig config) {
    return new HistoryOptions(config.intLimit(Limit.HISTORY_SIZE), config.limit(Limit.HISTORY_TTL_MILLIS),
      config.limit(Limit.IDEMPOTENCY_WINDOW_MILLIS), config.intLimit(Limit.MAX_IDEMPOTENCY_KEYS), config.limit(Limit.HISTORY_STREAM_BYTES),
      config.intLimit(Limit.HISTORY_MAX_STREAMS), maxBytes(config), config.intLimit(Limit.MAX_RECOVERY_ITEMS),
      config.limit(Limit.HISTORY_RING_BYTES), config.limit(Limit.HISTORY_HOLE_MILLIS), config.limit(Limit.HISTORY_IDLE_MILLIS),
      RoomPatterns.fromList(config.text(Setting.HISTORY_ROOMS)));
  }

  /** historyMaxBytes, or for 0 an eighth of the heap: what the heap holds besides connections and pushes (README). */
  static long maxBytes(PushgateConfig config) {
    long set = config.limit(Limit.HISTORY_MAX_BYTES);
    return set > 0 ? set : Math.max(Runtime.getRuntime().maxMemory() / 8, config.limit(Limit.HISTORY_STREAM_BYTES));
  }

  /** Whether a member holding {@code streams} streams of {@code bytes} item bytes is past historyMaxStreams or historyMaxBytes. */
  boolean beyondMemberBounds(int streams, long bytes) {
    return streams > maxStreams || bytes > maxBytes;
  }

  /** These options with other bounds for a member's share ({@link HistoryTrim}). */
  HistoryOptions withMemberBounds(int maxStreams, long maxBytes) {
    return new HistoryOptions(size, ttlMillis, idempotencyWindowMillis, maxIdempotencyKeys, streamBytes, maxStreams, maxBytes,
      maxRecoveryItems, ringBytes, holeMillis, idleMillis, rooms);
  }

  public boolean enabled() {
    return size > 0;
  }

  /** Whether pushes to {@code room} are numbered and kept. */
  public boolean isStream(String room) {
    return enabled() && room != null && rooms.allows(room);
  }

  void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(size);
    out.writeLong(ttlMillis);
    out.writeLong(idempotencyWindowMillis);
    out.writeInt(maxIdempotencyKeys);
    out.writeLong(streamBytes);
    out.writeLong(idleMillis);
  }

  /** The part of the options an operation carries; the rest is the reading node's own business. */
  static HistoryOptions readData(ObjectDataInput in) throws IOException {
    return new HistoryOptions(in.readInt(), in.readLong(), in.readLong(), in.readInt(), in.readLong(), 0, 0, 0, 0, 0, in.readLong(), RoomPatterns.ANY);
  }
}
