package io.pushgate.merge;

import io.pushgate.history.ReadResult;
import io.pushgate.history.Sequencer;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * The merger's reads of items from the streams' history (gaps filled, replays the ring cannot serve,
 * GET /rooms/{room}/history), at most maxHistoryReads in flight at once; more wait their turn, first
 * come first served. Each read returns at most one stream's history (historySize items,
 * historyStreamBytes), so what the reads hold at once is bounded by maxHistoryReads ×
 * historyStreamBytes, not by the streams that happen to need one: a member's broadcasts lost for a
 * moment leave a gap in every stream it numbered, and every gap is read. Heads (where a stream
 * stands, no items) do not wait.
 *
 * <p>Used on the merger's event loop only, where the sequencer's futures complete.
 */
final class HistoryReads {

  private static final BooleanSupplier ALWAYS = () -> true;

  private final Sequencer sequencer;
  private final int max;
  private final StreamStats stats;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private int inFlight;
  /** waiting's size, for the gauge on other threads (an int is read whole; the deque is not theirs to touch). */
  private volatile int waitingCount;
  /** Set while {@link #startWaiting} runs: a read that completes at once must not start the next one inside it. */
  private boolean starting;

  private record Waiting(String room, long after, int limit, LongConsumer started, BooleanSupplier wanted, Promise<ReadResult> answer) {
  }

  /** A read dropped at its turn because nobody wanted it any longer (its JOIN was answered at its deadline). */
  static final class NotStarted extends RuntimeException {
    NotStarted() {
      super("the read was no longer wanted when its turn came", null, false, false);
    }
  }

  HistoryReads(Sequencer sequencer, int max, StreamStats stats) {
    if (max < 1) {
      throw new IllegalArgumentException("maxHistoryReads must be at least 1: " + max);
    }
    this.sequencer = sequencer;
    this.max = max;
    this.stats = stats;
  }

  /** {@link #read(String, long, int, LongConsumer, BooleanSupplier)} for a read that is always wanted and whose start nobody needs. */
  Future<ReadResult> read(String room, long after, int limit) {
    return read(room, after, limit, t -> { }, ALWAYS);
  }

  /**
   * Up to {@code limit} items of {@code room} after {@code after}, read now or at its turn.
   * @param started told the {@link System#nanoTime()} at which the read is sent (what a read's answer is
   *                newer than: a read that waited was not sent when it was asked for)
   * @param wanted  asked at the read's turn, when it waited; false drops it (the future fails with
   *                {@link NotStarted})
   */
  Future<ReadResult> read(String room, long after, int limit, LongConsumer started, BooleanSupplier wanted) {
    if (inFlight < max && waiting.isEmpty()) {
      return send(room, after, limit, started);
    }
    Promise<ReadResult> answer = Promise.promise();
    waiting.add(new Waiting(room, after, limit, started, wanted, answer));
    waitingCount = waiting.size();
    stats.readsWaited.inc();
    return answer.future();
  }

  /** Reads waiting for their turn now (a gauge, read on other threads: roughly current). */
  int waiting() {
    return waitingCount;
  }

  private Future<ReadResult> send(String room, long after, int limit, LongConsumer started) {
    inFlight++;
    started.accept(System.nanoTime());
    return sequencer.read(room, after, limit).onComplete(ar -> {
      inFlight--;
      startWaiting();
    });
  }

  private void startWaiting() {
    if (starting) {
      return;
    }
    starting = true;
    try {
      while (inFlight < max && !waiting.isEmpty()) {
        Waiting w = waiting.poll();
        waitingCount = waiting.size();
        if (!w.wanted().getAsBoolean()) {
          w.answer().fail(new NotStarted());
          continue;
        }
        send(w.room(), w.after(), w.limit(), w.started()).onComplete(w.answer());
      }
    } finally {
      starting = false;
    }
  }
}
