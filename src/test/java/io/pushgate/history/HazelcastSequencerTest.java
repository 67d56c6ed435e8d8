package io.pushgate.history;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.util.ConcurrencyUtil;
import io.pushgate.protocol.Position;
import io.pushgate.testing.Eventually;
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
    HazelcastInstance local = Hazelcast.newHazelcastInstance(patient(cluster.hazelcastConfig()));
    members.add(local);
    members.add(Hazelcast.newHazelcastInstance(patient(cluster.hazelcastConfig())));
    Eventually.await("two members", () -> local.getCluster().getMembers().size() == 2);
    Eventually.await("partitions assigned and their backups in place", () -> local.getPartitionService().isClusterSafe());
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
   * What this test counts is the callbacks, not how fast a backup answers: on a cold two-core CI
   * machine 200 appends at once once waited more than Hazelcast's 5 s for a backup's ack and failed
   * as indeterminate (which is what an append should do then, and HistoryFailoverTest covers).
   */
  private static Config patient(Config config) {
    return config.setProperty("hazelcast.operation.backup.timeout.millis", "30000");
  }

  private static byte[] bytes(String s) {
    return ("\"" + s + "\"").getBytes(StandardCharsets.UTF_8);
  }
}
