package io.pushgate.history;

import io.pushgate.protocol.Position;
import io.vertx.core.Future;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * Where a stream's offsets are given out and its recent items kept: the cluster's history
 * ({@link HazelcastSequencer}) or, on a standalone node, the node's own ({@link LocalSequencer}).
 * Futures complete on the caller's context, and a failure is always a failed future, never an
 * exception thrown by the call: the merger marks an operation in flight before it calls.
 */
public interface Sequencer {

  /** Gives the pushes their offsets, in order, creating the stream (a new epoch) if it has none. */
  Future<AppendResult> append(String room, List<Append.Push> pushes);

  /** Up to {@code limit} items after {@code after}; a stream that does not exist reads as epoch null. */
  Future<ReadResult> read(String room, long after, int limit);

  /**
   * Where the stream stands: its top and epoch, or {@link Position#NONE} when it has no entry. Creates
   * nothing: a client may JOIN any stream name it is allowed, and each would otherwise be an entry.
   */
  default Future<Position> head(String room) {
    return read(room, -1, 0).map(r -> r.epoch() == null ? Position.NONE : new Position(r.top(), r.epoch()));
  }

  /**
   * Streams whose history this member holds: of the cluster's map, the entries it owns (backups not
   * counted); standalone, all. Read from any thread (a gauge), so only roughly current.
   */
  long entries();

  /**
   * Holds this member to historyMaxStreams: drops the least recently appended of the streams it holds
   * beyond it, from every copy. The cluster's history does it when asked (every
   * {@link HistoryTrim#EVERY_MILLIS}), the standalone one on each append; either way the answer names
   * the streams dropped since the last call, and completes on the caller's context.
   */
  Future<List<String>> trim();

  /**
   * From now on, after a split brain, {@code stream} is told (on the caller's context) the name of
   * each stream whose entry the merge changed (it may have started again in a new epoch), and
   * {@code all} runs when this member itself was merged into the other half: what it knew of every
   * stream may be out of date. A standalone history never merges.
   * @return what stops it
   */
  default Runnable onMerged(java.util.function.Consumer<String> stream, Runnable all) {
    return () -> { };
  }

  /** A new epoch: random, so two numberings of one stream never share one. */
  static String newEpoch() {
    byte[] b = new byte[6];
    Holder.RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Lazily created, shared. */
  final class Holder {
    static final SecureRandom RANDOM = new SecureRandom();

    private Holder() {
    }
  }
}
