package io.pushgate.merge;

import io.micrometer.core.instrument.Tags;
import io.pushgate.history.Append;
import io.pushgate.history.AppendResult;
import io.pushgate.history.HistoryOptions;
import io.pushgate.history.LocalSequencer;
import io.pushgate.history.ReadResult;
import io.pushgate.history.Sequencer;
import io.pushgate.metrics.Stats;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.NotRecovered;
import io.pushgate.protocol.Position;
import io.pushgate.protocol.RoomPatterns;
import io.pushgate.protocol.Target;
import io.pushgate.shard.ShardCommand;
import io.pushgate.shard.StreamJoin;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.Warnings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The merger's streams against the standalone history: whatever order numbered batches come in,
 * repeated or missing, each offset comes out once and in order; a gap whose items were trimmed is
 * skipped and counted; a new epoch starts the stream again and a batch of the old one is dropped.
 */
class StreamsTest {

  private static final String ROOM = "match-1";
  private static final long HOLE_MILLIS = 20;
  private static final Vertx vertx = Vertx.vertx();

  @AfterAll
  static void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Streams on one context, as the merger runs them, with what they hand out. */
  private static final class Rig {
    final Context context = vertx.getOrCreateContext();
    final List<Long> offsets = Collections.synchronizedList(new ArrayList<>());
    final List<String> epochs = Collections.synchronizedList(new ArrayList<>());
    final List<String> toShards = Collections.synchronizedList(new ArrayList<>());
    /** Whether the merger's flush of a stream's waiting frame succeeds (false: direct memory short). */
    volatile boolean framesGo = true;
    final StreamStats stats = new StreamStats(Stats.of(Tags.empty(), null));
    final Swappable sequencer;
    final Streams streams;

    Rig(int historySize) {
      this(historySize, HOLE_MILLIS);
    }

    /** Frames of the stream wait in the merger's batches for the tick. */
    volatile boolean framesWaiting;

    Rig(int historySize, long holeMillis) {
      this(historySize, holeMillis, 120_000);
    }

    Rig(int historySize, long holeMillis, long ttlMillis) {
      this(historySize, holeMillis, ttlMillis, 600_000);
    }

    Rig(int historySize, long holeMillis, long ttlMillis, long idleMillis) {
      this(new HistoryOptions(historySize, ttlMillis, 120_000, 1_000, 1 << 20, 10_000, 1L << 30, 200, 64 << 20, holeMillis, idleMillis, RoomPatterns.ANY));
    }

    Rig(HistoryOptions options) {
      this(options, MergerOptions.DEFAULTS.maxHistoryReads());
    }

    Rig(HistoryOptions options, int maxReads) {
      sequencer = new Swappable(options);
      streams = new Streams(vertx, options, sequencer, maxReads, stats, new Streams.Outlet() {
        @Override
        public void take(PushBatch numbered) {
          for (int i = 0; i < numbered.items().size(); i++) {
            long offset = numbered.first().offset() + i;
            // Items name their own offset, so what comes out can be checked against where it says it is.
            assertEquals("\"" + offset + "\"", new String(numbered.items().get(i), StandardCharsets.UTF_8), "item at " + offset);
            offsets.add(offset);
            epochs.add(numbered.first().epoch());
          }
        }

        @Override
        public boolean flushNow(StreamState stream) {
          toShards.add(stream.epoch);
          return framesGo;
        }

        @Override
        public void restarted(StreamState stream) {
          toShards.add("restarted in " + stream.epoch);
        }

        @Override
        public boolean waiting(StreamState stream) {
          return framesWaiting;
        }
      });
    }

    <T> T on(Supplier<T> work) {
      CompletableFuture<T> done = new CompletableFuture<>();
      context.runOnContext(v -> {
        try {
          done.complete(work.get());
        } catch (Throwable t) {
          done.completeExceptionally(t);
        }
      });
      return done.orTimeout(10, TimeUnit.SECONDS).join();
    }

    StreamState joined() {
      StreamState s = on(() -> streams.stateForJoin(ROOM));
      Eventually.await("the stream's head", () -> on(s::ready));
      return s;
    }

    /** Appends pushes of the given sizes; items are their own offsets. */
    List<PushBatch> append(int... sizes) {
      List<PushBatch> out = new ArrayList<>();
      for (int size : sizes) {
        out.add(on(() -> {
          long top = sequencer.read(ROOM, -1, 1).result().top();
          List<byte[]> items = new ArrayList<>();
          for (int i = 1; i <= size; i++) {
            items.add(("\"" + (top + i) + "\"").getBytes(StandardCharsets.UTF_8));
          }
          AppendResult r = sequencer.append(ROOM, List.of(new Append.Push(items, null))).result();
          return new PushBatch(Target.room(ROOM), items, size * 4L).numbered(r.pushed().get(0).first(), r.epoch());
        }));
      }
      return out;
    }

    void receive(List<PushBatch> batches) {
      on(() -> {
        batches.forEach(streams::receive);
        return null;
      });
    }

    /**
     * Receives batches that open a gap, and holds the answer of the gap read they start (it answers
     * with the history as it was when asked) until the promise returned completes; later reads answer
     * at once.
     */
    Promise<Void> receiveHoldingTheGapRead(List<PushBatch> batches) {
      Promise<Void> held = Promise.promise();
      int readsBefore = sequencer.readAtNanos.size();
      sequencer.answersWait = held.future();
      receive(batches);
      Eventually.await("the gap read asked", () -> sequencer.readAtNanos.size() > readsBefore);
      sequencer.answersWait = Future.succeededFuture();
      return held;
    }
  }

  /** The standalone history, which a test can lose whole (as a cluster that lost every copy). */
  private static final class Swappable implements Sequencer {
    final HistoryOptions options;
    final List<Long> readAtNanos = Collections.synchronizedList(new ArrayList<>());
    final List<String> readRooms = Collections.synchronizedList(new ArrayList<>());
    LocalSequencer current;
    /** Every operation fails, as with the cluster's history out of reach. */
    volatile boolean unreachable;
    /** Appends (reads) answer once this completes: a history slower than anyone waits for. */
    volatile Future<Void> appendsWait = Future.succeededFuture();
    volatile Future<Void> readsWait = Future.succeededFuture();
    /** Reads answer once this completes, with what the history held when they were asked: a slow network. */
    volatile Future<Void> answersWait = Future.succeededFuture();

    Swappable(HistoryOptions options) {
      this.options = options;
      current = new LocalSequencer(options);
    }

    @Override
    public long entries() {
      return current.entries();
    }

    @Override
    public Future<List<String>> trim() {
      return current.trim();
    }

    /** Appends are applied, then answered as failed: a backup that did not answer in time. */
    volatile boolean failAfterApplying;

    @Override
    public Future<AppendResult> append(String room, List<Append.Push> pushes) {
      if (failAfterApplying) {
        return current.append(room, pushes).compose(r -> Future.failedFuture(
          new io.pushgate.history.AppendOutcomeUnknown(new RuntimeException("indeterminate: the backup did not answer"))));
      }
      return unreachable ? Future.failedFuture("unreachable") : appendsWait.compose(v -> current.append(room, pushes));
    }

    @Override
    public Future<ReadResult> read(String room, long after, int limit) {
      readAtNanos.add(System.nanoTime());
      readRooms.add(room);
      if (unreachable) {
        return Future.failedFuture("unreachable");
      }
      Future<ReadResult> answered = readsWait.compose(v -> current.read(room, after, limit));
      return answersWait.compose(v -> answered);
    }
  }

  /**
   * While the history cannot be read, JOINs of rooms nobody pushes to make states that never get
   * their head: the sweep lets those nobody is in go, as it does ready ones, and they stop asking.
   */
  @Test
  void statesWhoseHeadCannotBeReadGoAtTheSweepAndStopAsking() {
    Rig rig = new Rig(200, 50);
    rig.sequencer.unreachable = true;
    List<String> rooms = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "made-up-" + i).toList();
    rig.on(() -> {
      rooms.forEach(rig.streams::stateForJoin);
      return null;
    });
    Eventually.await("every state asked for its head", () -> new java.util.HashSet<>(rig.sequencer.readRooms).containsAll(rooms));
    String member = rooms.get(rooms.size() - 1);
    int mark = rig.on(() -> {
      rig.streams.sweep(System.nanoTime() + 3_600_000_000_000L, 10, member::equals); // an hour later, maxStates 10
      return rig.sequencer.readRooms.size();
    });
    java.util.Set<String> kept = rig.on(() -> java.util.Set.copyOf(rig.streams.states.keySet()));
    assertEquals(10, kept.size(), "swept down to maxStates");
    assertTrue(kept.contains(member), "a room with members keeps its state");

    Eventually.await("the kept states asked again, twice", () -> rig.sequencer.readRooms.subList(mark, rig.sequencer.readRooms.size())
      .stream().filter(member::equals).count() >= 2);
    List<String> askedSince = List.copyOf(rig.sequencer.readRooms.subList(mark, rig.sequencer.readRooms.size()));
    assertEquals(List.of(), askedSince.stream().filter(room -> !kept.contains(room)).distinct().toList(), "the states let go asked no more");
  }

  @Test
  void batchesInAnyOrderRepeatedOrMissingComeOutOnceEachInOrder() {
    for (long seed = 1; seed <= 40; seed++) {
      Random random = new Random(seed);
      Rig rig = new Rig(200);
      rig.joined();
      int[] sizes = random.ints(5 + random.nextInt(25), 1, 5).toArray();
      List<PushBatch> appended = rig.append(sizes);
      long top = appended.get(appended.size() - 1).lastOffset();
      List<PushBatch> sent = new ArrayList<>();
      int dropped = 0;
      for (int i = 0; i < appended.size(); i++) {
        boolean last = i == appended.size() - 1; // the last one tells the node how far the stream goes
        if (!last && random.nextInt(6) == 0) {
          dropped++; // its node died after the append: only the history has it
          continue;
        }
        sent.add(appended.get(i));
        if (random.nextInt(5) == 0) {
          sent.add(appended.get(i));
        }
      }
      Collections.shuffle(sent, random);
      rig.receive(sent);

      String why = "seed " + seed + ", " + dropped + " dropped of " + appended.size();
      Eventually.await("offsets 1.." + top + " (" + why + ")", () -> rig.offsets.size() >= top);
      assertEquals(LongStream.rangeClosed(1, top).boxed().toList(), List.copyOf(rig.offsets), why);
      // On the rig's loop: the read that delivered the last offsets counts itself after handing them on.
      assertEquals(dropped > 0, rig.on(() -> rig.stats.holesFilled.get()) > 0, why);
      assertEquals(0, rig.stats.itemsSkipped.get(), why);
      assertEquals(0, rig.on(() -> rig.streams.earlyBytes()), why);
    }
  }

  /**
   * A JOIN of a stream whose head cannot be read has no position to be answered with: at its
   * deadline it is told to retry (RATE_LIMITED), not given an ACK without offset and epoch.
   */
  @Test
  void aJoinWhoseStreamCannotBeReadIsToldToRetryAtItsDeadline() {
    Rig rig = new Rig(200);
    rig.sequencer.unreachable = true;
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    long now = System.nanoTime();
    StreamJoin join = new StreamJoin(0, "connection", ROOM, null, 7L, false, now, now + 1_000_000);
    rig.on(() -> {
      recovery.join(join);
      recovery.expire(now + 500_000); // before its deadline: it waits
      return null;
    });
    assertEquals(List.of(), answers);
    rig.on(() -> {
      recovery.expire(now + 2_000_000);
      return null;
    });
    assertEquals(1, answers.size());
    ShardCommand.StreamJoined answer = (ShardCommand.StreamJoined) answers.get(0);
    assertEquals(null, answer.ack());
    assertTrue(answer.retryLater() != null && answer.retryLater().contains("retry"), String.valueOf(answer.retryLater()));
    assertEquals(1, rig.stats.joinsUnavailable.get());
  }

  /**
   * A client ahead of this node (it had offset 5 from a faster node) while the history cannot be read:
   * the node can neither catch up nor say where the stream stands, which says nothing of the items
   * being gone. At its deadline the JOIN is told to retry (RATE_LIMITED), not HISTORY_GONE.
   */
  @Test
  void aClientAheadOfANodeThatCannotCatchUpIsToldToRetryNotThatItsItemsAreGone() {
    Rig rig = new Rig(200);
    rig.joined();
    List<PushBatch> b = threeOfFive(rig);
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(b.get(0).first().epoch(), 3, b.get(0).items())));
      return null;
    });
    rig.sequencer.unreachable = true;
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "ahead", ROOM, new Position(5, b.get(0).first().epoch()), 1L, false, now, now + 1_000_000));
      return null;
    });
    assertEquals(List.of(), List.copyOf(answers), "it waits for the node to catch up");
    rig.on(() -> {
      recovery.expire(now + 2_000_000);
      return null;
    });
    assertEquals(1, answers.size());
    ShardCommand.StreamJoined answer = (ShardCommand.StreamJoined) answers.get(0);
    assertNull(answer.ack(), "no ACK: " + answer.ack());
    assertTrue(answer.retryLater() != null && answer.retryLater().contains("retry"), String.valueOf(answer.retryLater()));
    assertEquals(0, rig.stats.notRecovered.get(NotRecovered.HISTORY_GONE).get());
    assertEquals(1, rig.stats.joinsUnavailable.get());
  }

  /**
   * A member left: items it numbered but never broadcast (it died first) are read from the history
   * by every other node's streams, though nothing later comes to show the gap.
   */
  @Test
  void aMemberLeavingMakesEveryStreamAskWhereItStands() {
    Rig rig = new Rig(200);
    twoOfThreeTheLastNeverBroadcast(rig);
    rig.on(() -> {
      rig.streams.recheckAll(room -> false);
      return null;
    });
    Eventually.await("offset 3 read from the history", () -> rig.offsets.size() == 3);
    assertEquals(List.of(1L, 2L, 3L), List.copyOf(rig.offsets));
  }

  /**
   * The same for a stream quiet here for longer than the recheck's window: it asks when its room has
   * members here (they are owed the item), and not when it has none.
   */
  @Test
  void aMemberLeavingMakesAQuietStreamAskWhenItsRoomHasMembersHere() {
    Rig rig = new Rig(200, HOLE_MILLIS, 120_000, 86_400_000);
    StreamState s = twoOfThreeTheLastNeverBroadcast(rig);
    int reads = rig.sequencer.readRooms.size();
    rig.on(() -> {
      s.lastActiveNanos = System.nanoTime() - 11 * 60_000_000_000L; // quiet here for 11 minutes
      rig.streams.recheckAll(room -> false);
      return null;
    });
    assertEquals(reads, rig.sequencer.readRooms.size(), "no members here: not asked");
    rig.on(() -> {
      rig.streams.recheckAll(ROOM::equals);
      return null;
    });
    Eventually.await("offset 3 read from the history", () -> rig.offsets.size() == 3);
    assertEquals(List.of(1L, 2L, 3L), List.copyOf(rig.offsets));
  }

  /**
   * A joined stream with offsets 1-3 in its history, 1-2 delivered here; 3 was never broadcast (its
   * node died), appended once the node had settled on 1-2, so that nothing but a recheck reads it.
   */
  private static StreamState twoOfThreeTheLastNeverBroadcast(Rig rig) {
    StreamState s = rig.joined();
    rig.receive(rig.append(2));
    Eventually.await("offsets 1-2, nothing more expected", () -> rig.offsets.size() == 2
      && rig.on(() -> !s.hasHole() && s.holeTimer < 0 && !s.holeReading && !s.checkingEpoch));
    rig.append(1);
    return s;
  }

  /**
   * The history is lost and started again (E1) while a gap read of the old epoch is in flight: the
   * head read tells the node of E1's items, and once the old read comes back, they are read and
   * delivered, not left waiting for the stream's next push.
   */
  @Test
  void aRestartWhileAGapIsBeingReadStillFillsTheNewEpochsGap() {
    Rig rig = new Rig(200);
    rig.joined();
    rig.receive(rig.append(1));
    Eventually.await("E0's offset 1 delivered", () -> rig.offsets.size() == 1);
    String e0 = rig.epochs.get(0);
    List<PushBatch> old = rig.append(1, 1);
    Promise<Void> held = rig.receiveHoldingTheGapRead(List.of(old.get(1))); // offset 3 without 2
    rig.sequencer.current = new LocalSequencer(rig.sequencer.options); // every copy lost
    rig.append(1, 1, 1);
    String e1 = rig.sequencer.current.read(ROOM, -1, 1).result().epoch();
    rig.on(() -> {
      rig.streams.recheck(ROOM);
      return null;
    });
    Eventually.await("the node knows of E1", () -> rig.toShards.contains("restarted in " + e1));
    rig.on(() -> {
      held.complete();
      return null;
    });
    Eventually.await("E1's offsets 1-3 delivered", () -> rig.offsets.size() == 4);
    assertEquals(List.of(1L, 1L, 2L, 3L), List.copyOf(rig.offsets));
    assertEquals(List.of(e0, e1, e1, e1), List.copyOf(rig.epochs));
  }

  /**
   * A batch far past the stream's top, in its real epoch (a broken or hostile member's broadcast), is
   * dropped and counted once a gap read issued after it came says the stream never gave out its
   * offsets: kept, its bytes would be pending until a restart. One that came while that read was in
   * flight may be a newer append: it stays, and the gap before it is read.
   */
  @Test
  void aBatchAtOffsetsTheStreamNeverGaveOutIsDroppedButOneNewerThanTheReadIsNot() {
    Rig rig = new Rig(200);
    rig.joined();
    rig.receive(rig.append(2));
    Eventually.await("offsets 1-2", () -> rig.offsets.size() == 2);
    String epoch = rig.epochs.get(0);
    PushBatch forged = new PushBatch(Target.room(ROOM), List.of("\"1000000\"".getBytes(StandardCharsets.UTF_8)), 9).numbered(1_000_000, epoch);
    Promise<Void> held = rig.receiveHoldingTheGapRead(List.of(forged));
    List<PushBatch> newer = rig.append(1, 1); // offsets 3 and 4, after the read saw the top at 2
    rig.receive(List.of(newer.get(1))); // 3 never comes: its node died before it broadcast
    rig.on(() -> held.tryComplete());
    Eventually.await("offsets 3-4", () -> rig.offsets.size() == 4);
    assertEquals(List.of(1L, 2L, 3L, 4L), List.copyOf(rig.offsets));
    assertEquals(1, rig.stats.itemsNeverGiven.get());
    assertEquals(1L, rig.on(() -> rig.stats.holesFilled.get()), "the read of 3-4, not the one that found nothing past the top");
    assertEquals(0, (long) rig.on(() -> rig.streams.pendingBytes()));
  }

  /**
   * Items this node had no room for (another node's broadcast, refused at maxPendingBytes) while the
   * stream's first head read was in flight, answered from before their append: the node reads again,
   * and delivers them.
   */
  @Test
  void itemsRefusedWhileTheFirstHeadReadIsInFlightAreReadAndDelivered() {
    Rig rig = new Rig(200);
    Promise<Void> held = Promise.promise();
    rig.sequencer.answersWait = held.future();
    rig.on(() -> rig.streams.stateForJoin(ROOM)); // the head read: the stream has no entry yet
    rig.sequencer.answersWait = Future.succeededFuture();
    List<PushBatch> refused = rig.append(1, 1);
    rig.on(() -> {
      refused.forEach(b -> rig.streams.refused(ROOM, lastOf(b)));
      held.complete();
      return null;
    });
    Eventually.await("offsets 1 and 2 delivered from the history", () -> rig.offsets.size() == 2);
    assertEquals(List.of(1L, 2L), List.copyOf(rig.offsets));
  }

  /**
   * Past maxStates the sweep forgets the least recently active streams, but not one with members on
   * this node: forgotten, its state would start again from the next batch (offset 3), and the
   * batches before it (1-2), come late, would be dropped as old.
   */
  @Test
  void theSweepKeepsTheStateOfAStreamWithMembersHere() {
    Rig rig = new Rig(200);
    rig.joined(); // the least recently active: a quieter stream elsewhere came after it
    rig.on(() -> {
      rig.streams.receive(new PushBatch(Target.room("elsewhere"), List.of("\"1\"".getBytes(StandardCharsets.UTF_8)), 3).numbered(1, "e-elsewhere"));
      rig.streams.sweep(System.nanoTime(), 1, ROOM::equals);
      return null;
    });
    Eventually.await("elsewhere's item", () -> rig.offsets.size() == 1);
    List<PushBatch> batches = rig.append(1, 1, 1);
    rig.receive(List.of(batches.get(2), batches.get(0), batches.get(1)));
    Eventually.await("offsets 1-3 of the stream with members", () -> rig.offsets.size() == 4);
    assertEquals(List.of(1L, 1L, 2L, 3L), List.copyOf(rig.offsets));
    assertEquals(null, rig.on(() -> rig.streams.stateIfAny("elsewhere")), "the stream without members here went");
  }

  /**
   * Each state the sweep forgets past maxStates is counted, and only those: a state kept for its
   * members here, or one quiet for the history's age within the bound (only its ring goes), is not.
   */
  @Test
  void eachStateForgottenPastMaxStatesIsCounted() {
    Rig rig = new Rig(200, HOLE_MILLIS, 60_000);
    List<String> rooms = List.of("r1", "r2", "r3", "r4", "r5");
    rig.on(() -> {
      rooms.forEach(room -> rig.streams.receive(new PushBatch(Target.room(room), List.of("\"1\"".getBytes(StandardCharsets.UTF_8)), 3)
        .numbered(1, "e-" + room)));
      rig.streams.sweep(System.nanoTime() + 3_600_000_000_000L, rooms.size(), room -> false); // an hour quiet, at the bound
      return null;
    });
    assertEquals(0, rig.stats.streamsForgotten.get(), "quiet within the bound: kept");
    rig.on(() -> {
      rig.streams.sweep(System.nanoTime(), 2, "r1"::equals);
      rig.streams.sweep(System.nanoTime(), 2, "r1"::equals);
      return null;
    });
    assertEquals(java.util.Set.of("r1", "r5"), rig.on(() -> java.util.Set.copyOf(rig.streams.states.keySet())),
      "the least recently active without members went");
    assertEquals(3, rig.stats.streamsForgotten.get(), "one count per state forgotten");
  }

  /**
   * A stream quiet for historyTtlMillis drops its ring (every item in it is past its age) and keeps
   * its state and numbering, though historyIdleMillis is far off.
   */
  @Test
  void aStreamQuietForTheHistorysAgeDropsItsRingAndKeepsItsNumbering() {
    Rig rig = new Rig(200, HOLE_MILLIS, 60_000);
    handedOut(rig, 2);
    StreamState s = rig.on(() -> rig.streams.stateIfAny(ROOM));
    long activeAt = rig.on(() -> s.lastActiveNanos);
    rig.on(() -> {
      rig.streams.sweep(activeAt + 59_000_000_000L, 10, room -> false);
      return null;
    });
    assertTrue(rig.on(() -> s.ring != null), "within the age: the ring stays");
    rig.on(() -> {
      rig.streams.sweep(activeAt + 60_000_000_000L, 10, room -> false);
      return null;
    });
    assertEquals(null, rig.on(() -> s.ring), "quiet for the age: the ring goes");
    assertTrue(rig.on(() -> rig.streams.stateIfAny(ROOM)) == s, "the state, and its numbering, stay");
    assertEquals(2L, (long) rig.on(() -> s.flushedTop));
  }

  /** An append the history refused outright took nothing: HISTORY_UNAVAILABLE (503), not OUTCOME_UNKNOWN (500). */
  @Test
  void anAppendRefusedOutrightIsHistoryUnavailable() {
    Rig rig = new Rig(200);
    StreamAppends appends = new StreamAppends(rig.sequencer, rig.streams, rig.stats, b -> { });
    rig.sequencer.unreachable = true;
    Promise<MergeResult> answer = Promise.promise();
    rig.on(() -> {
      appends.submit(new PushBatch(Target.room(ROOM), List.of("1".getBytes(StandardCharsets.UTF_8)), 1, null, null), answer);
      return null;
    });
    Eventually.await("the refusal", () -> answer.future().isComplete());
    assertEquals(MergeResult.Reason.HISTORY_UNAVAILABLE, ((MergeResult.Refused) answer.future().result()).reason());
  }

  /**
   * An append that failed late (the owner applied it, its backup did not answer) is refused to the
   * pusher but numbered all the same: the node asks where the stream stands and delivers the items.
   * The pusher's retry with its key is a repeat: its items, as the history holds them, go to the
   * other nodes again, which would otherwise not hear of them before the stream's next items.
   */
  @Test
  void itemsOfAnAppendThatFailedLateAreDeliveredAndItsRetrySendsThemToTheOtherNodes() {
    Rig rig = new Rig(200);
    rig.joined();
    List<PushBatch> sent = Collections.synchronizedList(new ArrayList<>());
    StreamAppends appends = new StreamAppends(rig.sequencer, rig.streams, rig.stats, sent::add);
    rig.sequencer.failAfterApplying = true;
    List<byte[]> items = List.of("\"1\"".getBytes(StandardCharsets.UTF_8), "\"2\"".getBytes(StandardCharsets.UTF_8));
    Promise<MergeResult> first = Promise.promise();
    rig.on(() -> {
      appends.submit(new PushBatch(Target.room(ROOM), items, 6, "key-1", null), first);
      return null;
    });
    Eventually.await("the refusal", () -> first.future().isComplete());
    assertEquals(MergeResult.Reason.OUTCOME_UNKNOWN, ((MergeResult.Refused) first.future().result()).reason(),
      "not 503's 'nothing was accepted': it was");
    Eventually.await("offsets 1-2 delivered here", () -> rig.offsets.size() == 2);
    assertEquals(List.of(), List.copyOf(sent), "nothing numbered was known to be sent");
    rig.sequencer.failAfterApplying = false;
    Promise<MergeResult> retry = Promise.promise();
    rig.on(() -> {
      appends.submit(new PushBatch(Target.room(ROOM), items, 6, "key-1", null), retry);
      return null;
    });
    Eventually.await("the retry's items sent to the other nodes", () -> sent.size() == 1);
    assertEquals(new Position(1, rig.epochs.get(0)), sent.get(0).first());
    assertEquals(List.of("\"1\"", "\"2\""), sent.get(0).items().stream().map(i -> new String(i, StandardCharsets.UTF_8)).toList());
    assertEquals(new Position(2, rig.epochs.get(0)), ((MergeResult.Accepted) retry.future().result()).last());
    assertEquals(List.of(1L, 2L), List.copyOf(rig.offsets), "here once each");
  }

  /**
   * A JOIN of a stream nobody pushed to creates no entry in the history; the stream stands at
   * offset 0 in {@link Position#NO_EPOCH} and takes the epoch of its first batch without counting
   * an epoch change or telling the shards to forget anything (they were handed nothing).
   */
  @Test
  void aStreamWithNoEntryIsJoinedWithoutCreatingOneAndTakesItsFirstEpochQuietly() {
    Rig rig = new Rig(200);
    StreamState s = rig.joined();
    assertEquals(new Position(0, Position.NO_EPOCH), rig.on(() -> new Position(s.flushedTop, s.epoch)));
    assertNull(rig.on(() -> rig.sequencer.current.read(ROOM, -1, 1).result().epoch()), "no entry was made");
    List<PushBatch> b = rig.append(2, 3);
    rig.receive(b);
    Eventually.await("offsets 1..5", () -> rig.offsets.size() >= 5);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), List.copyOf(rig.offsets));
    assertEquals(List.of(b.get(0).first().epoch()), rig.epochs.stream().distinct().toList());
    assertEquals(0, rig.stats.epochChanges.get());
    assertEquals(List.of(), List.copyOf(rig.toShards));
  }

  /**
   * A stream push goes to the other nodes when its append numbered it, from the merger: the API that
   * asked may have stopped waiting (an append during a failover can take longer than its 5 s), and
   * the items are in the history and delivered here all the same, so the others must get them too.
   */
  @Test
  void aStreamPushIsSentToTheOtherNodesAtItsAppendNotByWhoeverWaitsForTheAnswer() {
    Rig rig = new Rig(200);
    List<PushBatch> sent = Collections.synchronizedList(new ArrayList<>());
    StreamAppends appends = new StreamAppends(rig.sequencer, rig.streams, rig.stats, sent::add);
    Promise<Void> history = Promise.promise();
    rig.sequencer.appendsWait = history.future();
    Promise<MergeResult> answer = Promise.promise();
    List<byte[]> items = List.of("\"1\"".getBytes(StandardCharsets.UTF_8), "\"2\"".getBytes(StandardCharsets.UTF_8));
    rig.on(() -> {
      appends.submit(new PushBatch(Target.room(ROOM), items, 6), answer);
      return null;
    });
    assertEquals(List.of(), List.copyOf(sent), "nothing numbered yet");
    rig.on(() -> history.tryComplete());
    Eventually.await("sent to the other nodes", () -> sent.size() == 1);
    assertEquals(new Position(1, sent.get(0).first().epoch()), sent.get(0).first());
    assertEquals(2, sent.get(0).items().size());
    Eventually.await("the answer", () -> answer.future().isComplete());
    MergeResult.Accepted accepted = (MergeResult.Accepted) answer.future().result();
    assertEquals(new Position(2, sent.get(0).first().epoch()), accepted.last());
  }

  /**
   * A node whose clients joined a stream before its first item, whose first items another node
   * appended and died before broadcasting: a client of that node rejoins here with their epoch. This
   * node asks the history instead of answering EPOCH_CHANGED from its wait for a first batch, reads the
   * items, and recovers the client.
   */
  @Test
  void aSinceInAnEpochThisNodeHasNotSeenYetIsCheckedAgainstTheHistory() {
    Rig rig = new Rig(200);
    rig.joined();
    List<PushBatch> b = rig.append(3); // never broadcast to this node
    String epoch = b.get(0).first().epoch();
    List<ShardCommand> answers = joinSince(rig, "from the dead node", new Position(3, epoch), 5_000_000_000L);
    Eventually.await("offsets 1..3 read from the history", () -> rig.offsets.size() == 3);
    assertEquals(List.of(), List.copyOf(answers), "it waits for this node to hand them to its shards");
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 3, b.get(0).items()))); // the merger's tick
      return null;
    });
    Eventually.await("the answer", () -> answers.size() == 1);
    JsonObject ack = ((ShardCommand.StreamJoined) answers.get(0)).ack();
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 3).put("epoch", epoch).put("recovered", true), ack);
    assertEquals(0, rig.stats.epochChanges.get());
  }

  /**
   * A stream with no items on a node whose history answers at once (standalone): a client of another
   * numbering (the node restarted) is told EPOCH_CHANGED at once, not left waiting for its deadline
   * because the history's answer came before the JOIN was among those waiting for it.
   */
  @Test
  void aSinceOfAnotherNumberingOnAnEmptyStreamIsAnsweredAtOnceWhenTheHistoryAnswersAtOnce() {
    Rig rig = new Rig(200);
    rig.joined();
    List<ShardCommand> answers = joinSince(rig, "back after a restart", new Position(5, "abcdefabcdef"), 60_000_000_000L);
    assertEquals(1, answers.size(), "answered at once");
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 0).put("epoch", Position.NO_EPOCH).put("recovered", false).put("reason", "EPOCH_CHANGED"),
      ((ShardCommand.StreamJoined) answers.get(0)).ack());
  }

  /**
   * A client of an epoch this node has not seen (its history restarted through a node that died before
   * it broadcast) is not told EPOCH_CHANGED with this node's older epoch: the node asks the history
   * first, learns the new epoch, reads its items, and the client recovers.
   */
  @Test
  void aSinceOfAnEpochThisNodeHasNotSeenAsksTheHistoryFirst() {
    Rig rig = new Rig(200);
    rig.joined();
    rig.receive(rig.append(3));
    Eventually.await("E0's offsets 1-3", () -> rig.offsets.size() == 3);
    rig.sequencer.current = new LocalSequencer(rig.sequencer.options); // lost whole, then started again elsewhere
    List<PushBatch> e1Batches = rig.append(3);
    String e1 = e1Batches.get(0).first().epoch();
    List<ShardCommand> answers = joinSince(rig, "a client of E1", new Position(3, e1), 60_000_000_000L);
    assertEquals(List.of(), List.copyOf(answers), "not answered from this node's E0");
    Eventually.await("E1's offsets 1-3 read from the history", () -> rig.offsets.size() == 6);
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(e1, 3, e1Batches.get(0).items()))); // the merger's tick
      return null;
    });
    Eventually.await("the answer", () -> answers.size() == 1);
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 3).put("epoch", e1).put("recovered", true),
      ((ShardCommand.StreamJoined) answers.get(0)).ack());
  }

  /** The stream's very first batch refused for want of room: nothing later may come to show it. */
  @Test
  void aFirstBatchRefusedForWantOfRoomIsReadFromTheHistory() {
    Rig rig = new Rig(200);
    rig.joined();
    List<PushBatch> b = rig.append(2);
    rig.on(() -> {
      rig.streams.refused(ROOM, lastOf(b.get(0)));
      return null;
    });
    Eventually.await("offsets 1..2", () -> rig.offsets.size() >= 2);
    assertEquals(List.of(1L, 2L), List.copyOf(rig.offsets));
  }

  /**
   * A JOIN whose replay must come from the history (the ring does not reach back) while the history
   * cannot be read: told to retry (RATE_LIMITED), not HISTORY_GONE, which would say the items were
   * trimmed; and told by its deadline when the read does not answer at all.
   */
  @Test
  void aJoinWhoseReplayCannotBeReadIsToldToRetry() {
    Rig rig = new Rig(200);
    String epoch = fiveHandedOutWithoutRing(rig);
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));

    rig.sequencer.unreachable = true; // the read fails
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "failed read", ROOM, new Position(2, epoch), 1L, false, now, now + 5_000_000_000L));
      return null;
    });
    Eventually.await("the answer", () -> answers.size() == 1);
    rig.sequencer.unreachable = false;
    Promise<Void> never = Promise.promise();
    rig.sequencer.readsWait = never.future(); // the read never answers
    long then = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "silent read", ROOM, new Position(2, epoch), 2L, false, then, then + 300_000_000L));
      return null;
    });
    Eventually.await("the answer at the deadline", () -> answers.size() == 2);
    assertTrue(System.nanoTime() - then >= 300_000_000L, "not before its deadline");
    for (ShardCommand c : answers) {
      ShardCommand.StreamJoined answer = (ShardCommand.StreamJoined) c;
      assertNull(answer.ack(), String.valueOf(answer.ack()));
      assertTrue(answer.retryLater() != null && answer.retryLater().contains("retry"), String.valueOf(answer.retryLater()));
    }
    assertEquals(2, rig.stats.joinsUnavailable.get());
    assertEquals(0, rig.stats.notRecovered.get(NotRecovered.HISTORY_GONE).get());
  }

  /**
   * maxHistoryReads: with one read in flight allowed, a second JOIN's replay waits its turn; still
   * waiting at its deadline, it is told to retry and its read is never sent, while the first JOIN's
   * read answers and recovers it. A third, asked with the turn free, is read at once.
   */
  @Test
  void aReplayWaitingForItsTurnAtItsDeadlineIsToldToRetryAndNotRead() {
    Rig rig = new Rig(new HistoryOptions(200, 120_000, 120_000, 1_000, 1 << 20, 10_000, 1L << 30, 200, 64 << 20, HOLE_MILLIS, 600_000,
      RoomPatterns.ANY), 1);
    String epoch = fiveHandedOutWithoutRing(rig);
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    Promise<Void> held = Promise.promise();
    rig.sequencer.readsWait = held.future();
    int readsBefore = rig.sequencer.readRooms.size();
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "first", ROOM, new Position(2, epoch), 1L, false, now, now + 5_000_000_000L));
      recovery.join(new StreamJoin(0, "second", ROOM, new Position(2, epoch), 2L, false, now, now + 300_000_000L));
      return null;
    });
    assertEquals(readsBefore + 1, rig.sequencer.readRooms.size(), "one read sent, one waiting");
    assertEquals(1, rig.stats.readsWaited.get());
    Eventually.await("the second JOIN's answer at its deadline", () -> answers.size() == 1);
    ShardCommand.StreamJoined second = (ShardCommand.StreamJoined) answers.get(0);
    assertEquals("second", second.join().connection());
    assertNull(second.ack(), String.valueOf(second.ack()));
    assertTrue(second.retryLater() != null && second.retryLater().contains("retry"), String.valueOf(second.retryLater()));

    rig.sequencer.readsWait = Future.succeededFuture();
    rig.on(() -> held.tryComplete());
    Eventually.await("the first JOIN's answer", () -> answers.size() == 2);
    JsonObject first = ((ShardCommand.StreamJoined) answers.get(1)).ack();
    assertEquals(true, first.getBoolean("recovered"), first.encode());
    assertEquals(readsBefore + 1, rig.sequencer.readRooms.size(), "the second JOIN's read was never sent");
    assertEquals(1, rig.stats.joinsUnavailable.get());

    long later = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "third", ROOM, new Position(2, epoch), 3L, false, later, later + 5_000_000_000L));
      return null;
    });
    Eventually.await("the third JOIN's answer", () -> answers.size() == 3);
    assertEquals(true, ((ShardCommand.StreamJoined) answers.get(2)).ack().getBoolean("recovered"));
    assertEquals(readsBefore + 2, rig.sequencer.readRooms.size());
    assertEquals(1, rig.stats.readsWaited.get(), "the third did not wait");
  }

  /**
   * A GET /rooms/{room}/history whose read still waits for its turn when the API stops waiting is not
   * read: a backlog of pages nobody waits for would hold up gaps and replays.
   */
  @Test
  void aHistoryPageNobodyWaitsForAnyLongerIsNotRead() {
    Rig rig = new Rig(new HistoryOptions(200, 120_000, 120_000, 1_000, 1 << 20, 10_000, 1L << 30, 200, 64 << 20, HOLE_MILLIS, 600_000,
      RoomPatterns.ANY), 1);
    fiveHandedOutWithoutRing(rig);
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> { });
    Promise<Void> held = Promise.promise();
    rig.sequencer.readsWait = held.future();
    int readsBefore = rig.sequencer.readRooms.size();
    long now = System.nanoTime();
    List<Future<HistoryPage>> pages = rig.on(() -> List.of(
      recovery.history(ROOM, null, 10, now + 5_000_000_000L),
      recovery.history(ROOM, null, 10, now - 1))); // its caller gone by its turn
    assertEquals(readsBefore + 1, rig.sequencer.readRooms.size());
    rig.sequencer.readsWait = Future.succeededFuture();
    rig.on(() -> held.tryComplete());
    Eventually.await("both answered", () -> pages.get(0).isComplete() && pages.get(1).isComplete());
    assertTrue(pages.get(0).succeeded(), String.valueOf(pages.get(0).cause()));
    assertTrue(pages.get(1).cause() instanceof HistoryReads.NotStarted, String.valueOf(pages.get(1).cause()));
    assertEquals(readsBefore + 1, rig.sequencer.readRooms.size(), "the second page was never read");
  }

  /**
   * A replay read that finds another epoch (every copy of the history was lost since this node last
   * looked) makes the node ask where the stream stands, and the client is told EPOCH_CHANGED with the
   * new epoch: not with the one it sent, which the node would otherwise keep until the stream's next push.
   */
  @Test
  void aReplayReadThatFindsAnotherEpochAnswersWithTheNewOne() {
    Rig rig = new Rig(200);
    String e0 = fiveHandedOutWithoutRing(rig);
    StreamState s = rig.on(() -> rig.streams.stateIfAny(ROOM));
    rig.sequencer.current = new LocalSequencer(rig.sequencer.options); // every copy lost, then a push elsewhere
    String e1 = rig.append(1).get(0).first().epoch();
    List<ShardCommand> answers = joinSince(rig, "a client of the lost epoch", new Position(2, e0), 60_000_000_000L);
    Eventually.await("the answer", () -> answers.size() == 1);
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 0).put("epoch", e1).put("recovered", false).put("reason", "EPOCH_CHANGED"),
      ((ShardCommand.StreamJoined) answers.get(0)).ack());
    assertEquals(e1, rig.on(() -> s.epoch));
    assertEquals(1, rig.stats.epochChanges.get());
  }

  /**
   * Two frames of a stream handed out together (one kept back for want of direct memory, and the one
   * behind it): a waiting JOIN is answered once both are counted, at the second's position, with the
   * second's items replayed. Answered between them, it would be told the first one's position while
   * its shard already had the second: the client would miss those items.
   */
  @Test
  void aJoinIsAnsweredOnceEveryFrameHandedOutTogetherIsCounted() {
    Rig rig = new Rig(200);
    rig.joined();
    List<PushBatch> b = rig.append(2, 2);
    rig.receive(b);
    Eventually.await("offsets 1-4", () -> rig.offsets.size() == 4);
    String epoch = b.get(0).first().epoch();
    List<ShardCommand> answers = joinSince(rig, "from a faster node", new Position(2, epoch), 60_000_000_000L);
    assertEquals(List.of(), List.copyOf(answers), "it waits for this node to hand out offset 2");
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 2, b.get(0).items()), frame(epoch, 4, b.get(1).items())));
      return null;
    });
    Eventually.await("the answer", () -> answers.size() == 1);
    ShardCommand.StreamJoined answer = (ShardCommand.StreamJoined) answers.get(0);
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 4).put("epoch", epoch).put("recovered", true), answer.ack());
    assertEquals(List.of("[\"3\",\"4\"]@4/" + epoch), replayed(answer));
  }

  /**
   * Another node's batch that this node had no room for is in the history: read from there after
   * the wait, though no later batch comes to show the gap.
   */
  @Test
  void aBatchRefusedForWantOfRoomIsReadFromTheHistory() {
    Rig rig = new Rig(200);
    rig.joined();
    List<PushBatch> b = rig.append(2, 3);
    rig.on(() -> {
      rig.streams.receive(b.get(0));
      rig.streams.refused(ROOM, lastOf(b.get(1)));
      return null;
    });
    Eventually.await("offsets 1..5", () -> rig.offsets.size() >= 5);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), List.copyOf(rig.offsets));
    assertEquals(1L, rig.on(() -> rig.stats.holesFilled.get())); // counted after the read hands its items on
  }

  /**
   * A batch kept until its turn counts, beside its items, what its entry and its stream's state cost
   * the heap: a member's batches of a few bytes to many new streams are bounded by maxPendingBytes in
   * the heap too, not only in bytes.
   */
  @Test
  void anEarlyBatchCountsWhatItsEntryCostsAgainstMaxPendingBytes() {
    Rig rig = new Rig(200, 60_000);
    rig.joined();
    List<PushBatch> b = rig.append(1, 1, 1);
    rig.receive(List.of(b.get(0), b.get(2)));
    assertEquals(b.get(2).cost() + Streams.HELD_BATCH_OVERHEAD_BYTES, (long) rig.on(() -> rig.streams.pendingBytes()));
    rig.receive(List.of(b.get(1)));
    assertEquals(List.of(1L, 2L, 3L), List.copyOf(rig.offsets));
    assertEquals(0, (long) rig.on(() -> rig.streams.pendingBytes()), "and nothing once it is delivered");
  }

  /**
   * Batches kept while the stream's head cannot be read are pending bytes, bounded by
   * maxPendingBytes like the early ones, and no longer once they are delivered.
   */
  @Test
  void batchesKeptUntilTheHeadIsReadCountAsPendingBytes() {
    Rig rig = new Rig(200);
    List<PushBatch> b = rig.append(2, 3);
    rig.sequencer.unreachable = true;
    rig.on(() -> rig.streams.stateForJoin(ROOM));
    rig.receive(b);
    assertEquals(b.get(0).cost() + b.get(1).cost() + 2 * Streams.HELD_BATCH_OVERHEAD_BYTES, (long) rig.on(() -> rig.streams.pendingBytes()),
      "their bytes, what each item costs beside them, and what each batch kept costs");
    rig.sequencer.unreachable = false;
    Eventually.await("the head read", () -> rig.on(() -> rig.streams.stateIfAny(ROOM).ready()));
    assertEquals(0, (long) rig.on(() -> rig.streams.pendingBytes()));
    // The head says the stream is at 5: a client joining now has had them; nothing is delivered twice.
    assertEquals(5, rig.stats.duplicateItems.get());
    assertEquals(List.of(), List.copyOf(rig.offsets));
  }

  /**
   * A gap that closes by itself costs no read, and the next gap gets the whole wait: broadcasts of
   * different nodes overtake each other all the time, and only a gap open for historyHoleMillis is
   * one whose node died before it broadcast.
   */
  @Test
  void aGapIsReadOnlyAfterItStayedOpenForTheWholeWait() {
    long holeMillis = 400;
    Rig rig = new Rig(200, holeMillis);
    rig.joined();
    // The stream's first batch: its epoch is read (before the others exist, so no gap is known), then it is delivered.
    List<PushBatch> b = new ArrayList<>(rig.append(1));
    rig.receive(List.of(b.get(0)));
    Eventually.await("offset 1", () -> rig.offsets.size() == 1);
    b.addAll(rig.append(1, 1, 1, 1));
    rig.sequencer.readAtNanos.clear();
    long[] secondGapAt = new long[1];
    rig.on(() -> {
      rig.streams.receive(b.get(2)); // a gap at 2, closed at once by the broadcast that was overtaken
      rig.streams.receive(b.get(1));
      // Most of a wait later, a gap at 4 that stays: offset 4's node died before it broadcast.
      vertx.setTimer(holeMillis * 5 / 8, id -> {
        secondGapAt[0] = System.nanoTime();
        rig.streams.receive(b.get(4));
      });
      return null;
    });
    Eventually.await("offsets 1..5", () -> rig.offsets.size() >= 5);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), List.copyOf(rig.offsets));
    assertEquals(1L, rig.on(() -> rig.stats.holesFilled.get()), "the gap at 4 only");
    List<Long> reads = rig.on(() -> List.copyOf(rig.sequencer.readAtNanos));
    assertEquals(1, reads.size(), "one read of the history, for the gap at 4");
    long waitedMillis = (reads.get(0) - secondGapAt[0]) / 1_000_000;
    assertTrue(waitedMillis >= holeMillis - 5, "the gap at 4 was read after " + waitedMillis + " ms of its own, not " + holeMillis);
  }

  /**
   * Offsets this node had to skip at the stream's end (aged out of the history before it read them,
   * nothing after them yet): a client that had them, from a faster node, cannot get them here now or
   * later, so it is told HISTORY_GONE at once, not told to retry until the stream's next push.
   */
  @Test
  void aJoinSinceOffsetsTheNodeSkippedIsToldHistoryGone() {
    // Items live 50 ms; a gap is read after 200 ms: by then 3-5, never broadcast here, are gone.
    Rig rig = new Rig(200, 200, 50);
    rig.joined();
    List<PushBatch> b = rig.append(2, 3);
    String epoch = b.get(0).first().epoch();
    rig.receive(List.of(b.get(0)));
    Eventually.await("offsets 1-2", () -> rig.offsets.size() == 2);
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 2, b.get(0).items())));
      return null;
    });
    Eventually.await("offsets 3-5 skipped", () -> rig.stats.itemsSkipped.get() == 3);
    List<ShardCommand> answers = joinSince(rig, "from a faster node", new Position(4, epoch), 60_000_000_000L);
    assertEquals(1, answers.size(), "answered at once, not after a wait");
    JsonObject ack = ((ShardCommand.StreamJoined) answers.get(0)).ack();
    // Past the skip: the next frame starts at 6, so the client is told once, not again by a gap at that frame.
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 5).put("epoch", epoch).put("recovered", false).put("reason", "HISTORY_GONE"), ack);
  }

  /**
   * Offsets skipped (trimmed from the history before this node read them) and not handed out yet: a
   * JOIN answered now from the ring would be told recovered:true, and the next frame would jump past
   * the skip. It waits for that frame instead: one that lacks skipped offsets is then told HISTORY_GONE
   * at the frame's position, and one that had every offset up to the skip recovers.
   */
  @Test
  void aJoinWaitsWhileSkippedOffsetsAreNotHandedOutYet() {
    Rig rig = new Rig(5);
    rig.joined();
    List<PushBatch> b = rig.append(2, 10, 5, 3); // offsets 1-2, 3-12, 13-17, 18-20; the history keeps 16-20
    String epoch = b.get(0).first().epoch();
    rig.receive(List.of(b.get(0), b.get(3)));
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 2, b.get(0).items())));
      return null;
    });
    Eventually.await("offsets 3-15 skipped", () -> rig.stats.itemsSkipped.get() == 13);
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "had 1", ROOM, new Position(1, epoch), 1L, false, now, now + 60_000_000_000L));
      recovery.join(new StreamJoin(0, "had up to the skip", ROOM, new Position(15, epoch), 2L, false, now, now + 60_000_000_000L));
      return null;
    });
    assertEquals(List.of(), List.copyOf(answers), "both wait for the frame after the skip");
    List<byte[]> next = new ArrayList<>(b.get(2).items().subList(3, 5));
    next.addAll(b.get(3).items());
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 20, next))); // the merger's tick: offsets 16-20
      return null;
    });
    Eventually.await("both answered", () -> answers.size() == 2);
    ShardCommand.StreamJoined first = (ShardCommand.StreamJoined) answers.get(0);
    ShardCommand.StreamJoined second = (ShardCommand.StreamJoined) answers.get(1);
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 20).put("epoch", epoch).put("recovered", false).put("reason", "HISTORY_GONE"),
      first.ack());
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 20).put("epoch", epoch).put("recovered", true), second.ack());
    assertEquals(List.of("[\"16\",\"17\",\"18\",\"19\",\"20\"]@20/" + epoch), replayed(second));
  }

  /**
   * The same when the skip comes while the JOIN's replay is read from the history: answered with what
   * the read found, it would be told recovered at the node's top and then get a frame past the skip.
   */
  @Test
  void aReplayReadAnsweredWhileSkippedOffsetsAreNotHandedOutYetWaitsForTheFrame() {
    Rig rig = new Rig(5);
    String epoch = fiveHandedOutWithoutRing(rig);
    Promise<Void> held = Promise.promise();
    rig.sequencer.answersWait = held.future();
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    long now = System.nanoTime();
    int reads = rig.sequencer.readRooms.size();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "had 2", ROOM, new Position(2, epoch), 1L, false, now, now + 60_000_000_000L));
      return null;
    });
    Eventually.await("the replay read asked", () -> rig.sequencer.readRooms.size() > reads);
    rig.sequencer.answersWait = Future.succeededFuture();

    List<PushBatch> b = rig.append(10, 5); // offsets 6-15 and 16-20; the history keeps 16-20
    rig.receive(List.of(b.get(1)));
    Eventually.await("offsets 6-15 skipped", () -> rig.stats.itemsSkipped.get() == 10);
    rig.on(() -> {
      held.complete();
      return null;
    });
    assertEquals(List.of(), List.copyOf(answers), "it waits for the frame after the skip");
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 20, b.get(1).items()))); // the merger's tick: offsets 16-20
      return null;
    });
    Eventually.await("answered", () -> answers.size() == 1);
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 20).put("epoch", epoch).put("recovered", false).put("reason", "HISTORY_GONE"),
      ((ShardCommand.StreamJoined) answers.get(0)).ack());
  }

  /**
   * Offsets skipped with nothing after them (the history's items of the gap had all outlived
   * historyTtlMillis): no frame is coming, so JOINs are answered at once from past the skip, not left
   * to wait for the stream's next push.
   */
  @Test
  void aSkipWithNothingAfterItLetsJoinsBeAnsweredAtOnce() {
    Rig rig = new Rig(200, 200, 100);
    StreamState s = rig.joined();
    List<PushBatch> b = rig.append(2, 3); // offsets 1-2, 3-5
    String epoch = b.get(0).first().epoch();
    rig.receive(List.of(b.get(0)));
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 2, b.get(0).items())));
      rig.streams.expect(s, 5); // a client from a faster node had 3-5; their node died before its broadcast came
      return null;
    });
    // The gap is read after historyHoleMillis (200 ms), when 3-5 have outlived their 100 ms.
    Eventually.await("offsets 3-5 skipped", () -> rig.stats.itemsSkipped.get() == 3);
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    long now = System.nanoTime();
    int reads = rig.on(() -> rig.sequencer.readAtNanos.size());
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "had 2", ROOM, new Position(2, epoch), 1L, false, now, now + 60_000_000_000L));
      recovery.join(new StreamJoin(0, "had 5", ROOM, new Position(5, epoch), 2L, false, now, now + 60_000_000_000L));
      return null;
    });
    assertEquals(2, answers.size(), "answered at once, not at the next push");
    assertEquals(reads, (int) rig.on(() -> rig.sequencer.readAtNanos.size()), "and without a read: skipped offsets are in no history");
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 5).put("epoch", epoch).put("recovered", false).put("reason", "HISTORY_GONE"),
      ((ShardCommand.StreamJoined) answers.get(0)).ack());
    assertEquals(new JsonObject().put("room", ROOM).put("offset", 5).put("epoch", epoch).put("recovered", true),
      ((ShardCommand.StreamJoined) answers.get(1)).ack());
    assertEquals(List.of(), replayed((ShardCommand.StreamJoined) answers.get(1)));
  }

  /**
   * While the history cannot be read, a stream asked again and again where it stands (a member left,
   * appends failed) reads once per wait, not once more per asking: the failed read's wait is still
   * its check. The sweep keeps the state meanwhile while the room has members here, and lets it go
   * when it has none (its check's answer then finds it gone).
   */
  @Test
  void checksAskedForWhileTheHistoryIsOutOfReachDoNotMultiply() {
    Rig rig = new Rig(200, 60_000);
    StreamState s = rig.joined();
    rig.sequencer.unreachable = true;
    int before = rig.sequencer.readAtNanos.size();
    rig.on(() -> {
      for (int i = 0; i < 5; i++) {
        rig.streams.recheck(ROOM);
      }
      rig.streams.sweep(System.nanoTime(), 0, room -> true);
      return null;
    });
    assertEquals(before + 1, rig.sequencer.readAtNanos.size(), "one read, then a wait of historyHoleMillis");
    assertTrue(rig.on(() -> rig.streams.stateIfAny(ROOM)) == s, "kept while its check waits to ask again, its members here");
    rig.on(() -> {
      rig.streams.sweep(System.nanoTime(), 0, room -> false);
      return null;
    });
    assertEquals(null, rig.on(() -> rig.streams.stateIfAny(ROOM)), "with no members here, let go");
  }

  @Test
  void aGapTrimmedFromTheHistoryIsSkippedAndCounted() {
    Rig rig = new Rig(5);
    rig.joined();
    List<PushBatch> b = rig.append(2, 10, 5, 3); // offsets 1-2, 3-12, 13-17, 18-20; the history keeps 16-20
    rig.receive(List.of(b.get(0), b.get(3)));
    Eventually.await("offsets up to 20", () -> rig.offsets.size() >= 7);
    assertEquals(List.of(1L, 2L, 16L, 17L, 18L, 19L, 20L), List.copyOf(rig.offsets));
    assertEquals(13, rig.stats.itemsSkipped.get());
  }

  /**
   * Another member can make a node skip offsets, or see a stream start again, in every room it makes up:
   * the log has a line a minute at most, saying how many since the last, while the counters count each.
   */
  @Test
  void skipsAndRestartsAreLoggedOnceAMinuteAndCountedEachTime() {
    try (Warnings log = Warnings.of(Streams.class, Level.INFO)) {
      Rig rig = new Rig(5);
      rig.joined();
      List<PushBatch> b = rig.append(2, 10, 3); // offsets 1-2, 3-12, 13-15; the history keeps 11-15
      rig.receive(List.of(b.get(0), b.get(2)));
      Eventually.await("offsets up to 15", () -> rig.offsets.size() >= 7);
      List<PushBatch> more = rig.append(10, 3); // offsets 16-25, 26-28; the history keeps 24-28
      rig.receive(List.of(more.get(1)));
      Eventually.await("offsets up to 28", () -> rig.offsets.size() >= 12);
      assertEquals(List.of(1L, 2L, 11L, 12L, 13L, 14L, 15L, 24L, 25L, 26L, 27L, 28L), List.copyOf(rig.offsets));
      assertEquals(8 + 8, rig.stats.itemsSkipped.get());

      String first = rig.epochs.get(0);
      for (int i = 1; i <= 2; i++) {
        rig.sequencer.current = new LocalSequencer(rig.sequencer.options); // every copy of the history is lost
        rig.receive(rig.append(1));
        int delivered = 12 + i;
        Eventually.await("the new epoch's first item", () -> rig.offsets.size() == delivered);
      }
      assertEquals(2, rig.stats.epochChanges.get());
      assertEquals(List.of(
        "stream match-1: offsets 3..10 were gone from the history before this node got them; its clients skip them"
          + " (1 such skip(s) since the last line; history.itemsSkipped)",
        "stream match-1: its numbering starts again (its history was lost whole, or let go as idle or at historyMaxStreams) in epoch "
          + rig.epochs.get(12) + " (was " + first + "); its clients are told EPOCH_CHANGED when they rejoin"
          + " (1 such restart(s) since the last line; history.epochChanges)"),
        log.messages().stream().filter(m -> m.contains("were gone") || m.contains("starts again")).toList());
    }
  }

  /**
   * Direct memory short when the history says the stream started again: the old epoch's last frame
   * cannot go yet, so the numbering stays (the shards and the joins keep the old epoch, and no client
   * answered in the new one gets an old frame) and the check is asked again until the frame has gone.
   */
  @Test
  void aRestartWaitsUntilTheOldEpochsLastFrameHasGone() {
    Rig rig = new Rig(200);
    StreamState s = rig.joined();
    rig.receive(rig.append(2));
    Eventually.await("offsets 1-2", () -> rig.offsets.size() == 2);
    String oldEpoch = rig.epochs.get(0);
    rig.framesGo = false;
    rig.sequencer.current = new LocalSequencer(rig.sequencer.options); // every copy of the history is lost
    List<PushBatch> fresh = rig.append(1);
    rig.receive(fresh);
    Eventually.await("the flush tried again and again", () -> rig.toShards.stream().filter(oldEpoch::equals).count() >= 3);
    assertEquals(oldEpoch, rig.on(() -> s.epoch), "the numbering stays while the old frame waits");
    assertTrue(rig.toShards.stream().noneMatch(x -> x.startsWith("restarted")), String.valueOf(rig.toShards));
    assertEquals(2, rig.offsets.size(), "nothing of the new epoch before the old one's frame");
    rig.framesGo = true;
    Eventually.await("the shards told of the new epoch", () -> rig.toShards.contains("restarted in " + fresh.get(0).first().epoch()));
    Eventually.await("the new epoch's first item", () -> rig.offsets.size() == 3);
    assertEquals(1L, (long) rig.offsets.get(2));
  }

  @Test
  void aNewEpochStartsTheStreamAgainAndTheOldOnesBatchesAreDropped() {
    Rig rig = new Rig(200);
    rig.joined();
    List<PushBatch> old = rig.append(2, 1);
    rig.receive(List.of(old.get(0)));
    Eventually.await("offsets 1-2", () -> rig.offsets.size() == 2);
    String oldEpoch = rig.epochs.get(0);

    rig.sequencer.current = new LocalSequencer(rig.sequencer.options); // every copy of the history is lost
    List<PushBatch> fresh = rig.append(1, 2);
    String newEpoch = fresh.get(0).first().epoch();
    assertTrue(!newEpoch.equals(oldEpoch));
    rig.receive(List.of(fresh.get(1), fresh.get(0)));
    Eventually.await("the new epoch's offsets 1-3", () -> rig.offsets.size() == 5);
    assertEquals(List.of(1L, 2L, 1L, 2L, 3L), List.copyOf(rig.offsets));
    assertEquals(List.of(oldEpoch, oldEpoch, newEpoch, newEpoch, newEpoch), List.copyOf(rig.epochs));
    assertEquals(List.of(oldEpoch, "restarted in " + newEpoch), List.copyOf(rig.toShards),
      "the old epoch's waiting frame goes out before the numbering changes, then the shards forget where it stood");
    assertEquals(1, rig.stats.epochChanges.get());
    assertEquals(0, (long) rig.on(() -> rig.streams.pendingBytes()), "the batches of the new epoch, kept until it was checked, are delivered");

    rig.receive(List.of(old.get(1))); // a straggler of the lost epoch
    Eventually.await("the straggler counted as of another epoch", () -> rig.stats.otherEpochItems.get() == 1);
    assertEquals(0, rig.stats.duplicateItems.get(), "no copy of it was delivered");
    assertEquals(5, rig.offsets.size());
  }

  /**
   * A recheck asked for while a head read is under way (a merge after a split, reported while the read
   * that a node's leaving started is still on its way back) reads again once that read is answered:
   * the read may have been answered before the stream started again, and then nothing else would tell
   * this node until the stream's next push.
   */
  @Test
  void aRecheckAskedForWhileOneIsUnderWayReadsAgainAfterIt() {
    Rig rig = new Rig(200);
    rig.joined();
    rig.receive(rig.append(1));
    Eventually.await("offset 1", () -> rig.offsets.size() == 1);
    String oldEpoch = rig.epochs.get(0);
    Promise<Void> late = Promise.promise();
    rig.sequencer.answersWait = late.future();
    rig.on(() -> {
      rig.streams.recheck(ROOM); // answered now, from the history as it is, but heard late
      return null;
    });
    rig.sequencer.current = new LocalSequencer(rig.sequencer.options); // the history starts again
    AppendResult r = rig.sequencer.current.append(ROOM, List.of(new Append.Push(List.of("\"1\"".getBytes(StandardCharsets.UTF_8)), null))).result();
    rig.on(() -> {
      rig.streams.recheck(ROOM); // as a merge reports it
      return null;
    });
    late.complete();
    Eventually.await("the new epoch's item, read from the history", () -> rig.offsets.size() == 2);
    assertEquals(List.of(oldEpoch, r.epoch()), List.copyOf(rig.epochs));
    assertEquals(List.of("restarted in " + r.epoch()), rig.toShards.stream().filter(x -> x.startsWith("restarted")).toList());
  }

  /**
   * Past maxStates the least active streams are forgotten, but not one waiting to read a gap: the
   * read's answer would hand items on for a state no longer kept, beside the next one for its room.
   */
  @Test
  void aStreamWaitingToReadAGapIsNotForgotten() {
    Rig rig = new Rig(200, 60_000);
    StreamState s = rig.joined();
    threeOfFive(rig);
    rig.on(() -> {
      rig.streams.expect(s, 5); // a gap: its wait (a minute here) is armed
      rig.streams.sweep(System.nanoTime(), 0, room -> false);
      return null;
    });
    assertTrue(rig.on(() -> rig.streams.stateIfAny(ROOM)) == s, "kept while its gap is pending");
    rig.on(() -> {
      vertx.cancelTimer(s.holeTimer);
      s.holeTimer = -1;
      rig.streams.sweep(System.nanoTime(), 0, room -> false);
      return null;
    });
    assertNull(rig.on(() -> rig.streams.stateIfAny(ROOM)), "forgotten once nothing is pending");
  }

  /**
   * Past maxStates a stream is not forgotten while its frames wait for the tick, nor while a JOIN's
   * replay is read: a new state for the room would answer JOINs from the history's head, and the old
   * frames, handed on after, would give its new members items they had.
   */
  @Test
  void aStreamWhoseFramesWaitOrWhoseReplayIsReadIsNotForgotten() {
    Rig rig = new Rig(200);
    String epoch = fiveHandedOutWithoutRing(rig);
    StreamState s = rig.on(() -> rig.streams.stateIfAny(ROOM));
    rig.framesWaiting = true;
    assertTrue(sweptToNone(rig) == s, "kept while its frames wait");
    rig.framesWaiting = false;

    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    Promise<Void> held = Promise.promise();
    rig.sequencer.readsWait = held.future();
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "replay", ROOM, new Position(2, epoch), 1L, false, now, now + 5_000_000_000L));
      rig.streams.sweep(System.nanoTime(), 0, room -> false);
      return null;
    });
    assertTrue(rig.on(() -> rig.streams.stateIfAny(ROOM)) == s, "kept while its replay is read");
    rig.sequencer.readsWait = Future.succeededFuture();
    rig.on(() -> held.tryComplete()); // on the merger's loop, where the history answers
    Eventually.await("the replay's answer", () -> answers.size() == 1);
    JsonObject ack = ((ShardCommand.StreamJoined) answers.get(0)).ack();
    assertEquals(true, ack.getBoolean("recovered"), ack.encode());
    assertNull(sweptToNone(rig), "forgotten once nothing is pending");
  }

  /** The room's state after a sweep to maxStates 0, the room without members here: null when it went. */
  private static StreamState sweptToNone(Rig rig) {
    return rig.on(() -> {
      rig.streams.sweep(System.nanoTime(), 0, room -> false);
      return rig.streams.stateIfAny(ROOM);
    });
  }

  /**
   * Past historyRingBytes the ring least recently used (appended to, or serving a replay) goes first,
   * however many quiet streams (their rings gone) the node keeps state for.
   */
  @Test
  void pastHistoryRingBytesTheRingLeastRecentlyUsedGoes() {
    // Rings of 6 bytes each (two 3-byte items): two fit.
    Rig rig = new Rig(new HistoryOptions(200, 120_000, 120_000, 1_000, 1 << 20, 10_000, 1L << 30, 200, 12, 1_000, 600_000, RoomPatterns.ANY));
    List<String> rooms = List.of("a", "b", "c");
    rig.on(() -> {
      for (int i = 0; i < 1_000; i++) {
        rig.streams.stateForJoin("quiet-" + i); // states without rings, most of them the least recently used
      }
      for (String room : rooms) {
        handTwo(rig, room, 2);
      }
      return null;
    });
    assertEquals("a:false b:true c:true", rings(rig, rooms), "a's ring went for c's");
    assertEquals(1, rig.stats.ringEvictions.get());
    rig.on(() -> {
      handTwo(rig, "a", 4); // a again: b's is now the oldest
      return null;
    });
    assertEquals("a:true b:false c:true", rings(rig, rooms));
    assertEquals(2, rig.stats.ringEvictions.get());
    // c's ring serves a rejoin: now a's is the least recently used, though c's was appended to before it.
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "rejoin", "c", new Position(1, "e-c"), 1L, false, now, now + 5_000_000_000L));
      return null;
    });
    Eventually.await("the replay", () -> answers.size() == 1);
    ((ShardCommand.StreamJoined) answers.get(0)).replay().forEach(EncodedFrame::release);
    rig.on(() -> {
      handTwo(rig, "b", 4);
      return null;
    });
    assertEquals("a:false b:true c:true", rings(rig, rooms), "a's ring went, not c's, which served the rejoin");
  }

  /** {@code room}'s next two items, through {@code lastOffset}, received and handed to the shards in epoch "e-room". */
  private static void handTwo(Rig rig, String room, long lastOffset) {
    List<byte[]> items = List.of(("\"" + (lastOffset - 1) + "\"").getBytes(StandardCharsets.UTF_8), ("\"" + lastOffset + "\"").getBytes(StandardCharsets.UTF_8));
    PushBatch batch = new PushBatch(Target.room(room), items, 6).numbered(lastOffset - 1, "e-" + room);
    rig.streams.receive(batch);
    RoomBatch frame = new RoomBatch(Target.room(room));
    frame.add(items.get(0), lastOffset - 1, "e-" + room);
    frame.add(items.get(1), lastOffset, "e-" + room);
    rig.streams.flushed(List.of(frame));
  }

  private static String rings(Rig rig, List<String> rooms) {
    return rig.on(() -> String.join(" ", rooms.stream().map(r -> r + ":" + (rig.streams.stateIfAny(r).ring != null)).toList()));
  }

  /**
   * Frames that went out during a replay's read, whose ring was dropped meanwhile (historyRingBytes):
   * the history has their items, so the replay reads again rather than answer HISTORY_GONE.
   */
  @Test
  void aReplayWhoseRingWentDuringItsReadReadsAgain() {
    Rig rig = new Rig(200);
    String epoch = fiveHandedOutWithoutRing(rig);
    StreamState s = rig.on(() -> rig.streams.stateIfAny(ROOM));
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    List<PushBatch> more = rig.append(2); // 6..7, handed out while the read is on its way; their ring then dropped
    Promise<Void> held = Promise.promise();
    rig.sequencer.answersWait = held.future();
    int readsBefore = rig.sequencer.readRooms.size();
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, "replay", ROOM, new Position(2, epoch), 1L, false, now, now + 5_000_000_000L));
      return null;
    });
    Eventually.await("the replay's read asked", () -> rig.sequencer.readRooms.size() > readsBefore);
    rig.receive(more);
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 7, more.get(0).items())));
      s.ring = null;
      return null;
    });
    rig.sequencer.answersWait = Future.succeededFuture();
    held.complete();
    Eventually.await("the replay's answer", () -> answers.size() == 1);
    ShardCommand.StreamJoined answer = (ShardCommand.StreamJoined) answers.get(0);
    assertEquals(true, answer.ack().getBoolean("recovered"), answer.ack().encode());
    assertEquals(List.of("[\"3\",\"4\",\"5\",\"6\",\"7\"]@7/" + epoch), replayed(answer));
  }

  /** A frame behind where the stream stands (one of a state let go) does not move it back. */
  @Test
  void aFrameBehindWhereTheStreamStandsMovesNothing() {
    Rig rig = new Rig(200);
    String epoch = fiveHandedOutWithoutRing(rig);
    StreamState s = rig.on(() -> rig.streams.stateIfAny(ROOM));
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, 3, List.of("\"1\"".getBytes(StandardCharsets.UTF_8), "\"2\"".getBytes(StandardCharsets.UTF_8), "\"3\"".getBytes(StandardCharsets.UTF_8)))));
      return null;
    });
    assertEquals(5, (long) rig.on(() -> s.flushedTop));
  }

  /** A frame of the stream as the merger hands it to the shards: {@code items}, the last at {@code lastOffset}. */
  /** Where a numbered batch's last item stands. */
  private static Position lastOf(PushBatch b) {
    return new Position(b.lastOffset(), b.first().epoch());
  }

  private static RoomBatch frame(String epoch, long lastOffset, List<byte[]> items) {
    RoomBatch frame = new RoomBatch(Target.room(ROOM));
    long offset = lastOffset - items.size() + 1;
    for (byte[] item : items) {
      frame.add(item, offset++, epoch);
    }
    return frame;
  }

  /** The answer's replay, each frame as "items@offset/epoch" (BatchesTest's form), released. */
  private static List<String> replayed(ShardCommand.StreamJoined answer) {
    List<String> out = answer.replay().stream().map(BatchesTest::described).toList();
    answer.replay().forEach(EncodedFrame::release);
    return out;
  }

  /** A JOIN with {@code since} answered by a Recovery of its own on the rig's streams; what it sends the shards. */
  private static List<ShardCommand> joinSince(Rig rig, String connection, Position since, long deadlineNanos) {
    List<ShardCommand> answers = Collections.synchronizedList(new ArrayList<>());
    Recovery recovery = new Recovery(rig.streams, MergerOptions.DEFAULTS, rig.stats, (shard, command) -> answers.add(command));
    long now = System.nanoTime();
    rig.on(() -> {
      recovery.join(new StreamJoin(0, connection, ROOM, since, 1L, false, now, now + deadlineNanos));
      return null;
    });
    return answers;
  }

  /**
   * Offsets 1-5 delivered and handed to the shards, then the stream's ring dropped (to keep the node's
   * rings in their bound): a replay reads the history. The stream's epoch.
   */
  private static String fiveHandedOutWithoutRing(Rig rig) {
    String epoch = handedOut(rig, 5);
    rig.on(() -> {
      rig.streams.stateIfAny(ROOM).ring = null;
      return null;
    });
    return epoch;
  }

  /** Offsets 1..{@code n}, in one push, delivered and handed to the shards (so in the ring). The stream's epoch. */
  private static String handedOut(Rig rig, int n) {
    rig.joined();
    List<PushBatch> b = rig.append(n);
    rig.receive(b);
    Eventually.await("offsets 1.." + n, () -> rig.offsets.size() == n);
    String epoch = b.get(0).first().epoch();
    rig.on(() -> {
      rig.streams.flushed(List.of(frame(epoch, n, b.get(0).items())));
      return null;
    });
    return epoch;
  }

  /** Offsets 1-5 in the stream's history, of which this node was sent and delivered 1-3; the two batches. */
  private static List<PushBatch> threeOfFive(Rig rig) {
    List<PushBatch> b = rig.append(3, 2);
    rig.receive(List.of(b.get(0)));
    Eventually.await("offsets 1-3", () -> rig.offsets.size() == 3);
    return b;
  }

  @Test
  void aClientThatKnowsOfLaterOffsetsMakesTheNodeReadThem() {
    Rig rig = new Rig(200);
    StreamState s = rig.joined();
    threeOfFive(rig);
    rig.on(() -> {
      rig.streams.expect(s, 5); // a client from a faster node says it has 5
      return null;
    });
    Eventually.await("offsets 4-5 read from the history", () -> rig.offsets.size() == 5);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), List.copyOf(rig.offsets));
    assertEquals(2, rig.stats.holeItemsRead.get());
  }
}
