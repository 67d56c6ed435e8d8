package io.pushgate.history;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.List;

/**
 * The cluster's history: one entry per stream in the {@code pushgate.history} map, changed only by
 * an {@link Append} run on the key's partition owner and applied to its synchronous backup. The
 * open-source CP subsystem (IAtomicLong) is not there, and a Ringbuffer per room would allocate its
 * whole capacity up front, so a map entry is the sequencer. With
 * {@code hazelcast.operation.fail.on.indeterminate.state} an append whose backup did not answer
 * fails instead of being half done.
 */
public final class HazelcastSequencer implements Sequencer {

  private final IMap<String, StreamLog> map;
  private final HistoryOptions options;
  private final Context context;

  /** @param context where the futures complete: the caller's (the merger's) */
  public HazelcastSequencer(HazelcastInstance hazelcast, HistoryOptions options, Context context) {
    this.map = hazelcast.getMap(HistoryOptions.MAP);
    this.options = options;
    this.context = context;
  }

  @Override
  public Future<AppendResult> append(String room, List<Append.Push> pushes) {
    return Future.fromCompletionStage(map.submitToKey(room, new Append(pushes, System.currentTimeMillis(), Sequencer.newEpoch(), options)), context);
  }

  @Override
  public Future<ReadResult> read(String room, long after, int limit) {
    return Future.fromCompletionStage(map.submitToKey(room, new Read(after, limit, System.currentTimeMillis(), options)), context);
  }
}
