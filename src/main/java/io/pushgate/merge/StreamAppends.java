package io.pushgate.merge;

import io.pushgate.history.Append;
import io.pushgate.history.AppendOutcomeUnknown;
import io.pushgate.history.AppendResult;
import io.pushgate.history.Sequencer;
import io.pushgate.protocol.Position;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Pushes to streams on their way to the history, at most one append in flight per stream on this
 * node: pushes that come while one is in flight go together in the next, in order. A busy room costs
 * one cluster operation per batch, not per push, and one pusher's order is kept.
 */
final class StreamAppends {

  private record Waiting(PushBatch push, Promise<MergeResult> reply) {
  }

  private static final class Queue {
    final List<Waiting> waiting = new ArrayList<>();
    boolean inFlight;
  }

  private final Sequencer sequencer;
  private final Streams streams;
  private final StreamStats stats;
  private final Map<String, Queue> queues = new HashMap<>();
  private final Consumer<PushBatch> broadcast;
  private long queuedBytes;

  StreamAppends(Sequencer sequencer, Streams streams, StreamStats stats, Consumer<PushBatch> broadcast) {
    this.sequencer = sequencer;
    this.streams = streams;
    this.stats = stats;
    this.broadcast = broadcast;
  }

  /** Item bytes accepted by nobody yet: they count against maxPendingBytes like merged ones. */
  long queuedBytes() {
    return queuedBytes;
  }

  void submit(PushBatch push, Promise<MergeResult> reply) {
    String room = push.target().room();
    Queue q = queues.computeIfAbsent(room, r -> new Queue());
    q.waiting.add(new Waiting(push, reply));
    queuedBytes += push.cost();
    if (!q.inFlight) {
      start(room, q);
    }
  }

  private void start(String room, Queue q) {
    List<Waiting> batch = new ArrayList<>(q.waiting);
    q.waiting.clear();
    q.inFlight = true;
    List<Append.Push> pushes = new ArrayList<>(batch.size());
    batch.forEach(w -> pushes.add(new Append.Push(w.push().items(), w.push().key())));
    stats.appends.inc();
    stats.historyOps.inc();
    sequencer.append(room, pushes).onComplete(ar -> {
      q.inFlight = false;
      batch.forEach(w -> queuedBytes -= w.push().cost());
      if (ar.failed()) {
        stats.appendFailures.inc();
        String why = ar.cause().getMessage();
        MergeResult.Refused refused = ar.cause() instanceof AppendOutcomeUnknown
          ? new MergeResult.Refused(MergeResult.Reason.OUTCOME_UNKNOWN, why + ": the push may have been taken; retry with the same idempotencyKey")
          : new MergeResult.Refused(MergeResult.Reason.HISTORY_UNAVAILABLE, "the stream's history could not take the push (" + why + "): retry");
        batch.forEach(w -> w.reply().complete(refused));
        // An append that failed late is not undone: it may have numbered the items, which this node's
        // clients are then owed (the pusher's retry finds them and sends them to the other nodes).
        streams.recheck(room);
      } else {
        answer(batch, ar.result());
      }
      if (!q.waiting.isEmpty()) {
        start(room, q);
      } else {
        queues.remove(room);
      }
    });
  }

  private void answer(List<Waiting> batch, AppendResult result) {
    for (int i = 0; i < batch.size(); i++) {
      Waiting w = batch.get(i);
      AppendResult.Pushed p = result.pushed().get(i);
      Position last = new Position(p.last(), result.epoch());
      if (p.duplicate()) {
        stats.idempotentRepeats.inc();
        resend(w.push().target().room(), p, result.epoch());
        w.reply().complete(new MergeResult.Accepted((int) (p.last() - p.first() + 1), last));
        continue;
      }
      stats.appendedItems.add(w.push().items().size());
      PushBatch numbered = w.push().numbered(p.first(), result.epoch());
      streams.receive(numbered);
      broadcast.accept(numbered); // now, whether or not the pusher's request still waits for the answer
      w.reply().complete(new MergeResult.Accepted(w.push().items().size(), last));
    }
  }

  /**
   * A pusher's retry of a push the history already has: the first attempt may have ended before its
   * items were broadcast (its node died, or its append failed late and was refused), and no node would
   * hear of them before the stream's next items, never for a stream gone quiet. The items as the
   * history holds them go out again, here and to the other nodes, which drop what they had.
   */
  private void resend(String room, AppendResult.Pushed p, String epoch) {
    stats.historyOps.inc();
    streams.reads.read(room, p.first() - 1, (int) Math.min(Integer.MAX_VALUE, p.last() - p.first() + 1)).onSuccess(r -> {
      if (!epoch.equals(r.epoch()) || r.items().isEmpty() || r.from() > p.last()) {
        return; // a new numbering since, or trimmed: nothing of this push to send
      }
      List<byte[]> items = r.items().subList(0, (int) Math.min(r.items().size(), p.last() - r.from() + 1));
      PushBatch again = PushBatch.fromHistory(io.pushgate.protocol.Target.room(room), items, new Position(r.from(), epoch));
      if (streams.stateIfAny(room) != null) {
        streams.receive(again); // a node with no state for the stream has no client in it to give them to
      }
      broadcast.accept(again);
    }).onFailure(e -> stats.historyFailures.inc());
  }
}
