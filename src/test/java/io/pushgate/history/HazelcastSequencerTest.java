package io.pushgate.history;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.util.ConcurrencyUtil;
import io.pushgate.protocol.Position;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two real Hazelcast members: the sequencer's appends and reads are answered on the caller's
 * context, with one pass each through Hazelcast's default callback executor (on a host with two
 * CPUs or fewer, that executor starts a thread per callback). Reading where a stream stands creates
 * nothing.
 */
class HazelcastSequencerTest {

  private static final int APPENDS = 200;

  private final List<HazelcastInstance> members = new ArrayList<>();
  private final Executor originalDefault = ConcurrencyUtil.getDefaultAsyncExecutor();
  private Vertx vertx;

  @AfterEach
  void stop() {
    ConcurrencyUtil.setDefaultAsyncExecutor(originalDefault);
    if (vertx != null) {
      vertx.close();
    }
    members.forEach(m -> m.getLifecycleService().terminate());
  }

  @Test
  void answersComeOnTheCallersContextWithOnePassThroughHazelcastsCallbackExecutor() throws Exception {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    HazelcastInstance local = Hazelcast.newHazelcastInstance(cluster.hazelcastConfig());
    members.add(local);
    members.add(Hazelcast.newHazelcastInstance(cluster.hazelcastConfig()));
    // Not this test's subject: the partitions assigned, and known to both members, before the first
    // append (else the master assigns them during the appends, and one whose backup reached the other
    // member ahead of the partition table fails as indeterminate, after the 30 s backup timeout).
    TestCluster.awaitPartitionsInPlace(members);
    AtomicInteger defaultExecutorRuns = new AtomicInteger();
    ConcurrencyUtil.setDefaultAsyncExecutor(task -> {
      defaultExecutorRuns.incrementAndGet();
      originalDefault.execute(task);
    });

    vertx = Vertx.vertx();
    CompletableFuture<List<String>> done = new CompletableFuture<>();
    vertx.runOnContext(start -> {
      Context context = Vertx.currentContext();
      HazelcastSequencer sequencer = new HazelcastSequencer(local, HistoryOptions.DEFAULTS, context);
      List<String> wrong = new ArrayList<>();
      // Rooms on both members: some appends run where they are asked, some on the other member.
      List<Future<?>> answers = new ArrayList<>();
      for (int i = 0; i < APPENDS; i++) {
        String room = "room-" + (i % 20);
        Future<AppendResult> append = sequencer.append(room, List.of(new Append.Push(List.of(bytes("item-" + i)), null)));
        answers.add(append.onComplete(ar -> {
          if (Vertx.currentContext() != context) {
            wrong.add("append answered on " + Thread.currentThread().getName());
          }
        }));
      }
      Future.all(answers)
        .compose(v -> sequencer.head("never-pushed"))
        .compose(head -> {
          wrong.add("never-pushed at " + head);
          return sequencer.read("room-7", 0, 100);
        })
        .onComplete(ar -> {
          if (Vertx.currentContext() != context) {
            wrong.add("read answered on " + Thread.currentThread().getName());
          }
          if (ar.failed()) {
            done.completeExceptionally(ar.cause());
          } else {
            wrong.add("room-7 top " + ar.result().top() + ", items " + ar.result().items().size());
            done.complete(wrong);
          }
        });
    });

    List<String> seen = done.get(60, TimeUnit.SECONDS);
    // Ten appends of one item each went to every one of the twenty rooms.
    assertEquals(List.of("never-pushed at " + Position.NONE, "room-7 top 10, items 10"), seen);
    assertEquals(20, local.getMap(HistoryOptions.MAP).size(), "reading the head of a stream with no entry created none");
    // One pass per operation: the future Hazelcast returns completes itself there (three before).
    assertTrue(defaultExecutorRuns.get() <= APPENDS + 2,
      "Hazelcast's default callback executor ran " + defaultExecutorRuns.get() + " times for " + APPENDS + " appends and two reads");
  }

  /**
   * The map as a node configures it, with historyMaxStreams 14 on one member: a trim leaves it
   * exactly 14 streams, the most recently appended to, names each one it dropped, and a dropped
   * stream's next append starts a new epoch while a kept one goes on.
   */
  @Test
  void aTrimKeepsTheMostRecentlyAppendedHistoryMaxStreamsAndNamesTheRest() throws Exception {
    trimKeeps14(HistoryOptions.DEFAULTS.withMemberBounds(14, HistoryOptions.DEFAULTS.maxBytes()), false);
  }

  /** The same with historyMaxBytes the items of 14 such streams (each holds one item of 7 bytes). */
  @Test
  void aTrimKeepsTheMostRecentlyAppendedHistoryMaxBytes() throws Exception {
    trimKeeps14(HistoryOptions.DEFAULTS.withMemberBounds(1_000, 14 * bytes("first").length), false);
  }

  /**
   * The same with each push's idempotency key remembered: a key costs the heap more than a small
   * item, and counts against historyMaxBytes as StreamLog.KEY_HEAP_BYTES (all 60 streams' items alone
   * would fit the bound).
   */
  @Test
  void aTrimCountsRememberedKeysAgainstHistoryMaxBytes() throws Exception {
    trimKeeps14(HistoryOptions.DEFAULTS.withMemberBounds(1_000, 14 * (bytes("first").length + StreamLog.KEY_HEAP_BYTES)), true);
  }

  private void trimKeeps14(HistoryOptions options, boolean keyed) throws Exception {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(1), 1);
    HazelcastInstance member = Hazelcast.newHazelcastInstance(cluster.hazelcastConfig(options).setProperty("hazelcast.partition.count", "7"));
    members.add(member);
    vertx = Vertx.vertx();
    java.util.Map<String, String> epochs = new java.util.concurrent.ConcurrentHashMap<>();
    CompletableFuture<HazelcastSequencer> appended = new CompletableFuture<>();
    vertx.runOnContext(start -> {
      HazelcastSequencer sequencer = new HazelcastSequencer(member, options, Vertx.currentContext());
      Future<?> chain = Future.succeededFuture();
      for (int i = 0; i < 60; i++) {
        String room = "room-" + i;
        chain = chain.compose(v -> sequencer.append(room, List.of(new Append.Push(List.of(bytes("first")), keyed ? "key-" + room : null)))
          .onSuccess(r -> epochs.put(room, r.epoch())));
      }
      chain.onComplete(ar -> {
        if (ar.failed()) {
          appended.completeExceptionally(ar.cause());
        } else {
          appended.complete(sequencer);
        }
      });
    });
    HazelcastSequencer sequencer = appended.get(60, TimeUnit.SECONDS);
    com.hazelcast.map.IMap<String, StreamLog> map = member.getMap(HistoryOptions.MAP);
    assertEquals(60, map.size(), "nothing is dropped between trims");
    java.util.Map<String, Long> touched = new java.util.HashMap<>();
    map.executeOnKeys(map.keySet(), new HistoryTrim.Touched()).forEach((room, seen) -> touched.put(room, seen[0]));

    CompletableFuture<List<String>> trimmed = new CompletableFuture<>();
    vertx.runOnContext(v -> sequencer.trim().onComplete(ar -> {
      if (ar.failed()) {
        trimmed.completeExceptionally(ar.cause());
      } else {
        trimmed.complete(ar.result());
      }
    }));
    List<String> dropped = trimmed.get(60, TimeUnit.SECONDS);
    assertEquals(46, dropped.size(), "60 streams, 14 kept: " + dropped);
    assertEquals(46, new java.util.HashSet<>(dropped).size(), "each dropped stream is named once: " + dropped);
    assertEquals(14, map.size());
    assertEquals(List.of(), dropped.stream().filter(map::containsKey).toList(), "named streams are gone");
    long newestDropped = dropped.stream().mapToLong(touched::get).max().orElseThrow();
    long oldestKept = map.keySet().stream().mapToLong(touched::get).min().orElseThrow();
    assertTrue(newestDropped <= oldestKept, "the least recently appended went: dropped up to " + newestDropped + ", kept from " + oldestKept);

    String gone = dropped.get(0);
    String stays = map.keySet().iterator().next();
    CompletableFuture<List<AppendResult>> again = new CompletableFuture<>();
    vertx.runOnContext(v -> sequencer.append(gone, List.of(new Append.Push(List.of(bytes("second")), null)))
      .compose(g -> sequencer.append(stays, List.of(new Append.Push(List.of(bytes("second")), null))).map(s -> List.of(g, s)))
      .onComplete(ar -> {
        if (ar.failed()) {
          again.completeExceptionally(ar.cause());
        } else {
          again.complete(ar.result());
        }
      }));
    List<AppendResult> results = again.get(60, TimeUnit.SECONDS);
    assertTrue(!results.get(0).epoch().equals(epochs.get(gone)) && results.get(0).top() == 1,
      gone + " starts again: " + results.get(0) + " (was epoch " + epochs.get(gone) + ")");
    assertEquals(epochs.get(stays), results.get(1).epoch());
    assertEquals(2, results.get(1).top(), stays + " goes on");
  }

  /**
   * A removal takes a stream only as the trim saw it: appended to in between (its top moved), it stays;
   * the same as seen, it goes.
   */
  @Test
  void aStreamAppendedToSinceTheTrimLookedStays() {
    com.hazelcast.map.IMap<String, StreamLog> map = oneMembersMap(HistoryOptions.DEFAULTS);
    long now = System.currentTimeMillis();
    appendOne(map, "r", "a", now, HistoryOptions.DEFAULTS);
    long[] seen = map.executeOnKey("r", new HistoryTrim.Touched());
    assertEquals(now + " 1", seen[0] + " " + seen[1]);
    appendOne(map, "r", "b", now, HistoryOptions.DEFAULTS);
    assertEquals(false, map.executeOnKey("r", new HistoryTrim.Forget(seen[0], seen[1])), "appended to in the same millisecond: it stays");
    assertTrue(map.containsKey("r"));
    assertEquals(true, map.executeOnKey("r", new HistoryTrim.Forget(now, 2)));
    assertEquals(false, map.containsKey("r"));
  }

  /**
   * Two members, the other one's only partition thread held: an append whose backup cannot answer
   * in time fails as an unknown outcome, while a put into any other map (Vert.x's subscriptions and
   * node information among them) waits out the backup timeout and succeeds, as Hazelcast's default
   * has it. Before, the cluster-wide property failed both, and a node could fail to start.
   */
  @Test
  void onlyTheHistorysOperationsFailWhenABackupDoesNotAnswer() throws Exception {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    java.util.function.Supplier<com.hazelcast.config.Config> config = () -> cluster.hazelcastConfig()
      .setProperty("hazelcast.operation.backup.timeout.millis", "1000")
      .setProperty("hazelcast.operation.thread.count", "1");
    HazelcastInstance local = Hazelcast.newHazelcastInstance(config.get());
    members.add(local);
    HazelcastInstance other = Hazelcast.newHazelcastInstance(config.get());
    members.add(other);
    TestCluster.awaitPartitionsInPlace(members);
    String room = ownedBy(local, "room-");
    String plainKey = ownedBy(local, "plain-");

    Holding.HELD.set(new java.util.concurrent.CountDownLatch(1));
    Holding.RELEASE.set(new java.util.concurrent.CountDownLatch(1));
    Holding.RETURNED.set(false);
    local.getMap("holder").submitToKey(ownedBy(other, "hold-"), new Holding());
    try {
      assertTrue(Holding.HELD.get().await(30, TimeUnit.SECONDS), "the other member's partition thread is held");
      vertx = Vertx.vertx();
      CompletableFuture<Throwable> appended = new CompletableFuture<>();
      vertx.runOnContext(start -> new HazelcastSequencer(local, HistoryOptions.DEFAULTS, Vertx.currentContext())
        .append(room, List.of(new Append.Push(List.of(bytes("a")), null)))
        .onComplete(ar -> appended.complete(ar.cause())));
      Throwable failure = appended.get(60, TimeUnit.SECONDS);
      assertTrue(failure instanceof AppendOutcomeUnknown && failure.getCause() instanceof com.hazelcast.core.IndeterminateOperationStateException,
        "the append's backup never answered: " + failure);

      local.getMap("plain").put(plainKey, "v");
      assertEquals("v", local.getMap("plain").get(plainKey), "a put whose backup did not answer is done, as Hazelcast's default has it");
      assertFalse(Holding.RETURNED.get(), "the other member's partition thread was let go before the put: it was not held throughout");
    } finally {
      Holding.RELEASE.get().countDown();
    }
  }

  /** A key of {@code prefix} whose partition {@code member} owns. */
  private static String ownedBy(HazelcastInstance member, String prefix) {
    for (int i = 0; ; i++) {
      String key = prefix + i;
      if (member.getPartitionService().getPartition(key).getOwner().localMember()) {
        return key;
      }
    }
  }

  /** Holds the partition thread it runs on until released; no backup, so only its owner is held. */
  static final class Holding implements com.hazelcast.map.EntryProcessor<Object, Object, Object> {
    static final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CountDownLatch> HELD = new java.util.concurrent.atomic.AtomicReference<>();
    static final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CountDownLatch> RELEASE = new java.util.concurrent.atomic.AtomicReference<>();
    /** Set as {@link #process} returns: released, or its wait for the release timed out. */
    static final java.util.concurrent.atomic.AtomicBoolean RETURNED = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public Object process(java.util.Map.Entry<Object, Object> entry) {
      HELD.get().countDown();
      try {
        RELEASE.get().await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        RETURNED.set(true);
      }
      return null;
    }

    @Override
    public com.hazelcast.map.EntryProcessor<Object, Object, Object> getBackupProcessor() {
      return null;
    }
  }

  /**
   * Streams whose last append is past historyTtlMillis hold only items past their age: they count as
   * their newest item for historyMaxBytes, and the trim frees the others, keeping the numbering (and
   * the newest, for a healed split to compare copies by).
   */
  @Test
  void streamsQuietForTheirTtlCountAsTheirNewestItemForHistoryMaxBytesAndTheTrimFreesTheRest() {
    int item = bytes("a").length;
    HistoryOptions options = HistoryOptions.DEFAULTS.withMemberBounds(1_000, 7L * item);
    com.hazelcast.map.IMap<String, StreamLog> map = oneMembersMap(options);
    long now = System.currentTimeMillis();
    java.util.Map<String, String> epochs = new java.util.HashMap<>();
    for (int i = 0; i < 4; i++) {
      epochs.put("r" + i, append(map, "r" + i, now + i, options, "a", "b", "c").epoch());
    }
    assertEquals(List.of("r0", "r1"), HistoryTrim.run(map, options, now + 10, true), "within the age, the least recently appended go");

    long pastTtl = now + options.ttlMillis() + 10;
    append(map, "r4", pastTtl, options, "a", "b");
    // Counted whole, r2 and r3 would be 6 items with r4's 2, and r2 would go.
    assertEquals(List.of(), HistoryTrim.run(map, options, pastTtl, true), "r2 and r3 count one item each, r4 two fresh ones");
    assertEquals(3, map.size());
    for (String room : List.of("r2", "r3")) {
      long[] seen = (long[]) map.executeOnKey(room, new HistoryTrim.Touched());
      assertEquals(item + " 3", seen[2] + " " + seen[1], room + ": its newest item and its top kept");
    }
    assertEquals(2 * item, ((long[]) map.executeOnKey("r4", new HistoryTrim.Touched()))[2], "r4's items kept");
    assertEquals(0, ((ReadResult) map.executeOnKey("r2", new Read(0, 10, pastTtl + 1, options))).items().size(), "the newest kept is past its age: no read returns it");
    AppendResult next = appendOne(map, "r2", "d", pastTtl + 1, options);
    assertEquals(epochs.get("r2"), next.epoch(), "the same numbering");
    assertEquals(4, next.top());
  }

  /**
   * With idempotencyWindowMillis longer than historyTtlMillis a stream's keys outlive its items: the
   * trim that frees the items keeps the keys, which still answer a retry, and forgets them at the window.
   */
  @Test
  void theTrimForgetsAQuietStreamsKeysAtTheWindowNotBefore() {
    HistoryOptions d = HistoryOptions.DEFAULTS;
    HistoryOptions options = new HistoryOptions(d.size(), 1_000, 10_000, d.maxIdempotencyKeys(), d.streamBytes(), d.maxStreams(),
      d.maxBytes(), d.maxRecoveryItems(), d.ringBytes(), d.holeMillis(), d.idleMillis(), d.rooms());
    com.hazelcast.map.IMap<String, StreamLog> map = oneMembersMap(options);
    long now = System.currentTimeMillis();
    int item = bytes("a").length;
    Append keyed = new Append(List.of(new Append.Push(List.of(bytes("a"), bytes("b")), "k1")), now, Sequencer.newEpoch(), options);
    String epoch = ((AppendResult) map.executeOnKey("r", keyed)).epoch();

    assertEquals(List.of(), HistoryTrim.run(map, options, now + 1_010, true));
    long[] seen = (long[]) map.executeOnKey("r", new HistoryTrim.Touched());
    assertEquals(item + " 1", seen[2] + " " + seen[3], "past the age the items are freed but the newest, within the window the key stays");
    Append retry = new Append(List.of(new Append.Push(List.of(bytes("a"), bytes("b")), "k1")), now + 1_020, epoch, options);
    AppendResult again = (AppendResult) map.executeOnKey("r", retry);
    assertEquals("true 2", again.pushed().get(0).duplicate() + " " + again.top(), "a retry within the window is answered, not appended");

    assertEquals(List.of(), HistoryTrim.run(map, options, now + 1_020 + 10_010, true));
    seen = (long[]) map.executeOnKey("r", new HistoryTrim.Touched());
    assertEquals(item + " 0 2", seen[2] + " " + seen[3] + " " + seen[1], "past the window the key is forgotten, the numbering kept");
  }

  /**
   * Where the trim cannot free items past their age (a member of an earlier release in the cluster),
   * they stay in memory and count against historyMaxBytes as they are.
   */
  @Test
  void itemsPastTheirAgeThatCannotBeFreedCountAgainstHistoryMaxBytes() {
    int item = bytes("a").length;
    HistoryOptions options = HistoryOptions.DEFAULTS.withMemberBounds(1_000, 4L * item);
    com.hazelcast.map.IMap<String, StreamLog> map = oneMembersMap(options);
    long now = System.currentTimeMillis();
    for (int i = 0; i < 3; i++) {
      append(map, "r" + i, now + i, options, "a", "b");
    }
    long pastTtl = now + options.ttlMillis() + 10;
    assertEquals(List.of("r0"), HistoryTrim.run(map, options, pastTtl, false), "six items' bytes held, four allowed");
    assertEquals(List.of(), HistoryTrim.run(map, options, pastTtl, true), "freed but the newest of each: nothing more goes");
    assertEquals(2 * item, residentBytes(map));
  }

  /** A stream dropped at historyMaxStreams is reported, quiet or not: its clients are told EPOCH_CHANGED. */
  @Test
  void aQuietStreamDroppedAtHistoryMaxStreamsIsReported() {
    HistoryOptions options = HistoryOptions.DEFAULTS.withMemberBounds(2, 1L << 30);
    com.hazelcast.map.IMap<String, StreamLog> map = oneMembersMap(options);
    long now = System.currentTimeMillis();
    appendOne(map, "quiet", "a", now, options);
    long pastTtl = now + options.ttlMillis() + 10;
    for (String room : List.of("r1", "r2")) {
      appendOne(map, room, "a", pastTtl, options);
    }
    assertEquals(List.of("quiet"), HistoryTrim.run(map, options, pastTtl + 1, true));
  }

  /**
   * Items past their age are freed only while every data member knows how: a member of an earlier
   * release (here one without the attribute) could not read the operation, in a rolling update.
   */
  @Test
  void itemsPastTheirAgeAreFreedOnlyWhenEveryDataMemberKnowsHow() throws Exception {
    HistoryOptions d = HistoryOptions.DEFAULTS;
    HistoryOptions options = new HistoryOptions(d.size(), 300, d.idempotencyWindowMillis(), d.maxIdempotencyKeys(), d.streamBytes(),
      d.maxStreams(), d.maxBytes(), d.maxRecoveryItems(), d.ringBytes(), d.holeMillis(), 600_000, d.rooms());
    TestCluster cluster = new TestCluster(TestNode.freePortRange(2), 2);
    HazelcastInstance member = Hazelcast.newHazelcastInstance(cluster.hazelcastConfig(options));
    com.hazelcast.config.Config older = cluster.hazelcastConfig(options);
    older.getMemberAttributeConfig().removeAttribute(HistoryTrim.AGES_ATTRIBUTE);
    HazelcastInstance olderMember = Hazelcast.newHazelcastInstance(older);
    members.add(member);
    members.add(olderMember);
    TestCluster.awaitPartitionsInPlace(members);
    com.hazelcast.map.IMap<String, StreamLog> map = member.getMap(HistoryOptions.MAP);
    // Streams on both members: each trims the ones its member owns.
    for (int i = 0; i < 8; i++) {
      append(map, "r" + i, System.currentTimeMillis(), options, "a", "b");
    }
    long aged = System.currentTimeMillis() + options.ttlMillis() + 10;
    io.pushgate.testing.Eventually.await("the items past their age", () -> System.currentTimeMillis() > aged);
    vertx = Vertx.vertx();
    Context context = vertx.getOrCreateContext();
    HazelcastSequencer sequencer = new HazelcastSequencer(member, options, context);
    CompletableFuture<List<String>> first = new CompletableFuture<>();
    context.runOnContext(v -> sequencer.trim().onComplete(ar -> first.complete(ar.succeeded() ? ar.result() : null)));
    assertEquals(List.of(), first.get(30, TimeUnit.SECONDS));
    assertEquals(16 * bytes("a").length, residentBytes(map), "a member of an earlier release in the cluster: nothing freed");

    olderMember.getLifecycleService().shutdown(); // its partitions move to the one left, with their backups gone
    members.remove(olderMember);
    TestCluster.awaitPartitionsInPlace(members);
    CompletableFuture<List<String>> second = new CompletableFuture<>();
    context.runOnContext(v -> sequencer.trim().onComplete(ar -> second.complete(ar.succeeded() ? ar.result() : null)));
    assertEquals(List.of(), second.get(30, TimeUnit.SECONDS));
    assertEquals(8 * bytes("a").length, residentBytes(map), "every member knows how: all freed but each stream's newest");
    assertEquals(8, map.size(), "the streams stay");
  }

  /** The history map of a one-member cluster whose member is configured as a node with {@code options} configures its own. */
  private com.hazelcast.map.IMap<String, StreamLog> oneMembersMap(HistoryOptions options) {
    TestCluster cluster = new TestCluster(TestNode.freePortRange(1), 1);
    HazelcastInstance member = Hazelcast.newHazelcastInstance(cluster.hazelcastConfig(options));
    members.add(member);
    return member.getMap(HistoryOptions.MAP);
  }

  /** Appends one push of {@code items}, each as a JSON string, to {@code room} at {@code atMillis}, as a node with {@code options} does. */
  private static AppendResult append(com.hazelcast.map.IMap<String, StreamLog> map, String room, long atMillis, HistoryOptions options, String... items) {
    List<byte[]> push = java.util.Arrays.stream(items).map(HazelcastSequencerTest::bytes).toList();
    return (AppendResult) map.executeOnKey(room, new Append(List.of(new Append.Push(push, null)), atMillis, Sequencer.newEpoch(), options));
  }

  /** Appends one item, {@code item} as a JSON string, to {@code room} at {@code atMillis}, as a node with {@code options} does. */
  private static AppendResult appendOne(com.hazelcast.map.IMap<String, StreamLog> map, String room, String item, long atMillis, HistoryOptions options) {
    return (AppendResult) map.executeOnKey(room, new Append(List.of(new Append.Push(List.of(bytes(item)), null)), atMillis, Sequencer.newEpoch(), options));
  }

  private static long residentBytes(com.hazelcast.map.IMap<String, StreamLog> map) {
    return map.executeOnKeys(map.keySet(), new HistoryTrim.Touched()).values().stream().mapToLong(seen -> seen[2]).sum();
  }

  /**
   * A member's bound below one stream (its keys beside its items, where historyMaxBytes is as small as
   * allowed): the trim drops the others, never the most recently appended to, which it would otherwise
   * start again at every trim.
   */
  @Test
  void aTrimKeepsTheMostRecentlyAppendedStreamEvenAloneBeyondTheBound() {
    HistoryOptions options = HistoryOptions.DEFAULTS.withMemberBounds(1_000, 3);
    com.hazelcast.map.IMap<String, StreamLog> map = oneMembersMap(options);
    long now = System.currentTimeMillis();
    appendOne(map, "r0", "older", now, options);
    appendOne(map, "r1", "newer", now + 1, options);
    assertEquals(List.of("r0"), HistoryTrim.run(map, options, now + 10, true));
    assertEquals(List.of(), HistoryTrim.run(map, options, now + 20, true), "r1 stays, beyond the bound alone");
    assertEquals(java.util.Set.of("r1"), map.keySet());
  }

  /** The setting's text, which README repeats, says how often a trim runs. */
  @Test
  void historyMaxStreamsSaysHowOftenATrimRuns() {
    assertTrue(io.pushgate.config.Limit.HISTORY_MAX_STREAMS.atLimit().contains("Every " + HistoryTrim.EVERY_MILLIS / 1000 + " s "),
      io.pushgate.config.Limit.HISTORY_MAX_STREAMS.atLimit());
  }

  private static byte[] bytes(String s) {
    return ("\"" + s + "\"").getBytes(StandardCharsets.UTF_8);
  }
}
