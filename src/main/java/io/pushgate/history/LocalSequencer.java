package io.pushgate.history;

import io.vertx.core.Future;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A standalone node's streams, in its own memory and on the merger's thread: the same logs and the
 * same rules as the cluster's, so the wire behaves the same. They die with the node: after a
 * restart every stream has a new epoch, and returning clients are told EPOCH_CHANGED.
 */
public final class LocalSequencer implements Sequencer {

  private final HistoryOptions options;
  /** Streams in order of last use, so idle ones are found first. */
  private final LinkedHashMap<String, StreamLog> logs = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<StreamLog, Long> touched = new java.util.IdentityHashMap<>();
  /** Streams dropped at historyMaxStreams since the last {@link #trim}. */
  private final List<String> evicted = new java.util.ArrayList<>();

  public LocalSequencer(HistoryOptions options) {
    this.options = options;
  }

  @Override
  public Future<AppendResult> append(String room, List<Append.Push> pushes) {
    long now = System.currentTimeMillis();
    expireIdle(now);
    StreamLog log = logs.computeIfAbsent(room, r -> new StreamLog(Sequencer.newEpoch()));
    touched.put(log, now);
    if (logs.size() > options.maxStreams()) {
      // Access order: the first is the least recently used, never the one just made (the last).
      Map.Entry<String, StreamLog> eldest = logs.entrySet().iterator().next();
      logs.remove(eldest.getKey());
      touched.remove(eldest.getValue());
      evicted.add(eldest.getKey());
    }
    return Future.succeededFuture(log.append(pushes, now, options));
  }

  @Override
  public Future<ReadResult> read(String room, long after, int limit) {
    long now = System.currentTimeMillis();
    expireIdle(now);
    StreamLog log = logs.get(room);
    if (log == null) {
      return Future.succeededFuture(ReadResult.none());
    }
    touched.put(log, now);
    return Future.succeededFuture(log.read(after, limit, now, options));
  }

  @Override
  public long entries() {
    return logs.size();
  }

  @Override
  public Future<List<String>> trim() {
    List<String> dropped = List.copyOf(evicted);
    evicted.clear();
    return Future.succeededFuture(dropped);
  }

  /** Drops streams untouched for historyIdleMillis, as the cluster's map does by its max-idle. */
  private void expireIdle(long now) {
    for (Iterator<StreamLog> it = logs.values().iterator(); it.hasNext(); ) {
      StreamLog log = it.next();
      if (now - touched.getOrDefault(log, now) < options.idleMillis()) {
        break; // access order: the rest were used more recently
      }
      it.remove();
      touched.remove(log);
    }
  }

  /** Streams held, for tests and stats. */
  int streams() {
    return logs.size();
  }
}
