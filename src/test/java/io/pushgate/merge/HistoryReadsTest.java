package io.pushgate.merge;

import io.micrometer.core.instrument.Tags;
import io.pushgate.history.Append;
import io.pushgate.history.AppendResult;
import io.pushgate.history.ReadResult;
import io.pushgate.history.Sequencer;
import io.pushgate.metrics.Stats;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** maxHistoryReads: reads of items beyond it wait their turn, first come first served, and are sent only if still wanted. */
class HistoryReadsTest {

  /** A history whose reads answer when the test says so, each with a result of its own. */
  private static class Held implements Sequencer {
    final List<String> sent = new ArrayList<>();
    final List<Promise<ReadResult>> answers = new ArrayList<>();

    @Override
    public Future<ReadResult> read(String room, long after, int limit) {
      sent.add(room + "@" + after + "+" + limit);
      Promise<ReadResult> p = Promise.promise();
      answers.add(p);
      return p.future();
    }

    @Override
    public Future<AppendResult> append(String room, List<Append.Push> pushes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long entries() {
      return 0;
    }

    @Override
    public Future<List<String>> trim() {
      return Future.succeededFuture(List.of());
    }
  }

  private final StreamStats stats = new StreamStats(Stats.of(Tags.empty(), null));

  @Test
  void readsBeyondTheBoundWaitAndGoInTheOrderAsked() {
    Held history = new Held();
    HistoryReads reads = new HistoryReads(history, 2, stats);
    long[] startedC = {0};
    Future<ReadResult> a = reads.read("a", 1, 10);
    Future<ReadResult> b = reads.read("b", 2, 20);
    Future<ReadResult> c = reads.read("c", 3, 30, t -> startedC[0] = t, () -> true);
    Future<ReadResult> d = reads.read("d", 4, 40);
    assertEquals(List.of("a@1+10", "b@2+20"), history.sent, "two in flight, no more");
    assertEquals(2, reads.waiting());
    assertEquals(2, stats.readsWaited.get());
    assertEquals(0, startedC[0], "not sent yet");

    ReadResult forB = new ReadResult();
    long beforeB = System.nanoTime();
    history.answers.get(1).complete(forB);
    assertSame(forB, b.result());
    assertEquals(List.of("a@1+10", "b@2+20", "c@3+30"), history.sent, "the first that waited goes when a read answers");
    assertTrue(startedC[0] - beforeB >= 0, "its start is when it was sent, not when it was asked for");
    assertEquals(1, reads.waiting());
    assertFalse(a.isComplete() || c.isComplete() || d.isComplete());

    history.answers.get(0).fail("unreachable"); // a failed read frees its turn too
    assertTrue(a.failed());
    assertEquals(List.of("a@1+10", "b@2+20", "c@3+30", "d@4+40"), history.sent);
    assertEquals(0, reads.waiting());
    ReadResult forD = new ReadResult();
    history.answers.get(3).complete(forD);
    assertSame(forD, d.result(), "each answer reaches its own reader");
    history.answers.get(2).complete(new ReadResult());
    assertTrue(c.succeeded());

    reads.read("e", 5, 50);
    assertEquals("e@5+50", history.sent.get(4), "sent at once when a turn is free");
    assertEquals(2, stats.readsWaited.get(), "and not counted as waiting");
  }

  @Test
  void aReadNoLongerWantedAtItsTurnIsNotSent() {
    Held history = new Held();
    HistoryReads reads = new HistoryReads(history, 1, stats);
    reads.read("a", 1, 10);
    boolean[] wanted = {true};
    Future<ReadResult> answeredMeanwhile = reads.read("b", 2, 20, t -> { }, () -> wanted[0]);
    Future<ReadResult> c = reads.read("c", 3, 30);
    wanted[0] = false; // b's JOIN was answered at its deadline while b waited
    history.answers.get(0).complete(new ReadResult());
    assertInstanceOf(HistoryReads.NotStarted.class, answeredMeanwhile.cause());
    assertEquals(List.of("a@1+10", "c@3+30"), history.sent, "b skipped, c sent in its place");
    assertFalse(c.isComplete());
  }

  /** A history that answers at once (the standalone one) never makes a read wait. */
  @Test
  void aHistoryThatAnswersAtOnceNeverMakesAReadWait() {
    Held history = new Held() {
      @Override
      public Future<ReadResult> read(String room, long after, int limit) {
        sent.add(room);
        return Future.succeededFuture(new ReadResult());
      }
    };
    HistoryReads reads = new HistoryReads(history, 1, stats);
    for (int i = 0; i < 5; i++) {
      assertTrue(reads.read("r" + i, i, 1).succeeded());
    }
    assertEquals(5, history.sent.size());
    assertEquals(0, stats.readsWaited.get());
  }
}
