package io.pushgate.history;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import com.hazelcast.map.listener.EntryMergedListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The cluster's history: one entry per stream in the {@code pushgate.history} map, changed only by
 * an {@link Append} run on the key's partition owner and applied to its synchronous backup. The
 * open-source CP subsystem (IAtomicLong) is not there, and a Ringbuffer per room would allocate its
 * whole capacity up front, so a map entry is the sequencer. Operations on that map fail when their
 * outcome is unknown ({@link #failingOnUnknownOutcome}): an append whose backup did not answer in
 * time fails instead of being reported done, and one whose owner left is not retried on the new
 * owner, which may already hold it. Such an append is not undone on the owner, though, so the failure
 * ({@link AppendOutcomeUnknown}, as is an owner that did not answer in time) may have numbered its
 * items (the merger then reads where the stream stands, and a pusher's retry with its
 * idempotencyKey finds them).
 */
public final class HazelcastSequencer implements Sequencer {

  private final HazelcastInstance hazelcast;
  private final IMap<String, StreamLog> map;
  private final HistoryOptions options;
  private final Context context;

  /** @param context where the futures complete: the caller's (the merger's) */
  public HazelcastSequencer(HazelcastInstance hazelcast, HistoryOptions options, Context context) {
    this.hazelcast = hazelcast;
    this.map = failingOnUnknownOutcome(hazelcast.getMap(HistoryOptions.MAP));
    this.options = options;
    this.context = context;
  }

  /**
   * Hazelcast's {@code hazelcast.operation.fail.on.indeterminate.state} for this map's proxy only
   * (proxies are one per name and member, so every use of the history map here has it). Set
   * cluster-wide it would also fail Vert.x's own operations on a slow backup, a node's start among
   * them. The switch is on Hazelcast's map proxy class, not its public interface: the one place
   * pushgate reaches into Hazelcast.
   */
  static <K, V> IMap<K, V> failingOnUnknownOutcome(IMap<K, V> map) {
    if (!(map instanceof MapProxyImpl<?, ?> proxy)) {
      throw new IllegalStateException("the history map's proxy is a " + map.getClass().getName()
        + ", not Hazelcast's member-side map proxy: its appends could not fail on an unknown outcome");
    }
    proxy.setFailOnIndeterminateOperationState(true);
    return map;
  }

  @Override
  public Future<AppendResult> append(String room, List<Append.Push> pushes) {
    try {
      // An answer that cannot be read (AppendResult refuses one that contradicts itself) is of an append
      // the owner ran: its outcome is as unknown as a timeout's.
      return onContext(map.submitToKey(room, new Append(pushes, System.currentTimeMillis(), Sequencer.newEpoch(), options)))
        .recover(e -> Future.failedFuture(e instanceof com.hazelcast.core.IndeterminateOperationStateException
          || e instanceof com.hazelcast.core.OperationTimeoutException
          || e instanceof com.hazelcast.nio.serialization.HazelcastSerializationException ? new AppendOutcomeUnknown(e) : e))
        .compose(result -> answersEach(result, pushes) ? Future.succeededFuture(result)
          : Future.failedFuture(new AppendOutcomeUnknown(new IllegalStateException("the history's answer does not match the "
            + pushes.size() + " push(es) sent"))));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** One answer per push, each new one with as many offsets as the push had items. */
  static boolean answersEach(AppendResult result, List<Append.Push> pushes) {
    if (result.pushed().size() != pushes.size()) {
      return false;
    }
    for (int i = 0; i < pushes.size(); i++) {
      AppendResult.Pushed p = result.pushed().get(i);
      if (!p.duplicate() && p.last() - p.first() + 1 != pushes.get(i).items().size()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Future<ReadResult> read(String room, long after, int limit) {
    try {
      return onContext(map.submitToKey(room, new Read(after, limit, System.currentTimeMillis(), options)));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public long entries() {
    return map.getLocalMapStats().getOwnedEntryCount();
  }

  /** One trim at a time: a slow one is not queued behind by the next period's. */
  private boolean trimming;

  @Override
  public Future<List<String>> trim() {
    if (trimming) {
      return Future.succeededFuture(List.of());
    }
    trimming = true;
    boolean age = hazelcast.getCluster().getMembers().stream()
      .allMatch(m -> m.isLiteMember() || m.getAttribute(HistoryTrim.AGES_ATTRIBUTE) != null);
    return context.<List<String>>executeBlocking(() -> HistoryTrim.run(map, options, System.currentTimeMillis(), age), false)
      .onComplete(ar -> trimming = false);
  }

  /**
   * Every member is told of every entry the merge went through (a listener for the whole map, not only
   * the entries this member owns: each node keeps state for streams whose history others hold). The
   * member that was merged into the other half, whose node's state is of its own half, also rereads
   * all its recently active streams on its own MERGED event, which does not depend on the entry events
   * reaching it.
   */
  @Override
  public Runnable onMerged(java.util.function.Consumer<String> stream, Runnable all) {
    java.util.UUID entries = map.addEntryListener((EntryMergedListener<String, StreamLog>) e ->
      context.runOnContext(v -> stream.accept(e.getKey())), false);
    java.util.UUID lifecycle = hazelcast.getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.MERGED) {
        context.runOnContext(v -> all.run());
      }
    });
    return () -> {
      quietly(() -> map.removeEntryListener(entries));
      quietly(() -> hazelcast.getLifecycleService().removeLifecycleListener(lifecycle));
    };
  }

  /** Removes a listener; a member shutting down refuses, and takes its listeners with it anyway. */
  private static void quietly(Runnable remove) {
    try {
      remove.run();
    } catch (RuntimeException e) {
      // The member is shutting down.
    }
  }

  /**
   * The operation's answer on the caller's context, with one pass through Hazelcast's callback
   * executor instead of three. The future Hazelcast returns completes itself there (it deserializes
   * the answer), and every stage chained to it through its own methods adds a wrapper that does the
   * same again; {@code CompletableFuture.anyOf} is the JDK's own dependant, run by the thread that
   * completes it, which only hands the answer to the context. Where the common fork-join pool has a
   * parallelism of 1 (two CPUs or fewer, unless {@link io.pushgate.node.Main} raised it), that
   * executor starts a thread per callback.
   */
  @SuppressWarnings("unchecked")
  private <T> Future<T> onContext(CompletionStage<T> operation) {
    Promise<T> promise = Promise.promise();
    CompletableFuture.anyOf(operation.toCompletableFuture()).whenComplete((result, failure) -> context.runOnContext(v -> {
      if (failure != null) {
        promise.fail(failure instanceof CompletionException wrapped && wrapped.getCause() != null ? wrapped.getCause() : failure);
      } else {
        promise.complete((T) result);
      }
    }));
    return promise.future();
  }
}
