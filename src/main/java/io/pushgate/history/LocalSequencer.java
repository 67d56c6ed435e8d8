package io.pushgate.history;

import io.vertx.core.Future;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A standalone node's streams, in its own memory and on the merger's thread: the same logs and the
 * same rules as the cluster's, so the wire behaves the same. They die with the node: after a
 * restart every stream has a new epoch, and returning clients are told EPOCH_CHANGED.
 */
public final class LocalSequencer implements Sequencer {

  private final HistoryOptions options;
  private final LongSupplier clock;
  /** Streams in order of last append, so idle ones, and the first to drop at historyMaxStreams, come first. */
  private final LinkedHashMap<String, StreamLog> logs = new LinkedHashMap<>();
  /** Streams dropped at historyMaxStreams or historyMaxBytes since the last {@link #trim}. */
  private final List<String> evicted = new java.util.ArrayList<>();
  /** Bytes of all the streams held, as historyMaxBytes counts them (items and keys). */
  private long bytes;

  public LocalSequencer(HistoryOptions options) {
    this(options, System::currentTimeMillis);
  }

  /** With a clock of its own, in milliseconds, for tests. */
  LocalSequencer(HistoryOptions options, LongSupplier clock) {
    this.options = options;
    this.clock = clock;
  }

  @Override
  public Future<AppendResult> append(String room, List<Append.Push> pushes) {
    long now = clock.getAsLong();
    expireIdle(now);
    StreamLog log = logs.remove(room); // and put back last: the most recently appended
    if (log != null) {
      bytes -= log.heldBytes();
    }
    if (log == null || log.idle(now, options)) {
      log = new StreamLog(Sequencer.newEpoch());
    }
    AppendResult result = log.append(pushes, now, options);
    logs.put(room, log);
    bytes += log.heldBytes();
    if (options.beyondMemberBounds(logs.size(), bytes)) {
      expireQuiet(now);
    }
    while (logs.size() > 1 && options.beyondMemberBounds(logs.size(), bytes)) {
      // The first is the least recently appended, never the one just appended (the last).
      Map.Entry<String, StreamLog> eldest = logs.entrySet().iterator().next();
      logs.remove(eldest.getKey());
      bytes -= eldest.getValue().heldBytes();
      evicted.add(eldest.getKey());
    }
    return Future.succeededFuture(result);
  }

  @Override
  public Future<ReadResult> read(String room, long after, int limit) {
    long now = clock.getAsLong();
    expireIdle(now);
    StreamLog log = logs.get(room);
    if (log == null || log.idle(now, options)) {
      return Future.succeededFuture(ReadResult.none());
    }
    return Future.succeededFuture(log.read(after, limit, now, options));
  }

  @Override
  public long entries() {
    return logs.size();
  }

  @Override
  public Future<List<String>> trim() {
    long now = clock.getAsLong();
    expireIdle(now);
    expireQuiet(now);
    List<String> dropped = List.copyOf(evicted);
    evicted.clear();
    return Future.succeededFuture(dropped);
  }

  /** Drops streams with no append for historyIdleMillis, as the cluster's appends, reads and trims do. */
  private void expireIdle(long now) {
    for (Iterator<StreamLog> it = logs.values().iterator(); it.hasNext(); ) {
      StreamLog log = it.next();
      if (!log.idle(now, options)) {
        break; // in order of last append: the rest were appended to more recently
      }
      it.remove();
      bytes -= log.heldBytes();
    }
  }

  /**
   * Empties the streams with no append for historyTtlMillis, whose items are all past their age, so
   * that they count as empty against historyMaxBytes (a standalone node has no split to heal, so it
   * keeps no newest item for one to compare, as the cluster's trim does), and forgets the keys of those quiet for
   * idempotencyWindowMillis, as the cluster's trim does: at each trim, and when a bound is passed.
   */
  private void expireQuiet(long now) {
    for (StreamLog log : logs.values()) {
      long touched = log.touchedMillis();
      if (!StreamLog.aged(touched, now, options) && !StreamLog.keysPast(touched, now, options)) {
        break; // in order of last append: the rest were appended to more recently
      }
      bytes -= log.heldBytes();
      log.expire(now, options);
      bytes += log.heldBytes();
    }
  }

  /** Idempotency keys {@code room}'s stream remembers, for tests. */
  int keys(String room) {
    StreamLog log = logs.get(room);
    return log == null ? 0 : log.keys();
  }

  /** Streams held, for tests and stats. */
  int streams() {
    return logs.size();
  }
}
