package io.pushgate.merge;

import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.bus.LocalCodec;
import io.pushgate.config.Limit;
import io.pushgate.history.HazelcastSequencer;
import io.pushgate.history.HistoryOptions;
import io.pushgate.history.HistoryTrim;
import io.pushgate.history.LocalSequencer;
import io.pushgate.history.Sequencer;
import io.pushgate.metrics.DirectMemory;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.metrics.Throttle;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Position;
import io.pushgate.shard.FanoutPressure;
import io.pushgate.shard.NodeRooms;
import io.pushgate.shard.ShardCommand;
import io.pushgate.shard.StreamJoin;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The node's one merger. It takes accepted pushes, numbers a stream's through the history (at most
 * one append in flight per stream) and puts every stream's items in offset order ({@link Streams});
 * once per tick it encodes each target's items once into a PUSH frame ({@link Batches}) and hands
 * the same frames to every shard. It answers the JOINs of streams ({@link Recovery}), because it
 * alone knows what each shard has been handed. A push is refused whole when the item bytes it holds
 * would pass {@code maxPendingBytes}, or while the node drains.
 */
public final class MergerVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(MergerVerticle.class.getName());
  private static final long SWEEP_MILLIS = 1_000;
  /** Over this share of the direct-memory limit in use, new pushes wait (503) before an encode fails. */
  private static final double DIRECT_MEMORY_HIGH = 0.9;
  /** How long the merger holds ticks in a row at most while the shards are still writing. */
  static final long MAX_HOLD_MILLIS = 1_000;

  private final MergerOptions options;
  private final HistoryOptions history;
  private final MergerStats counters;
  private final Stats stats;
  private final Sampler sampler;
  private final Batches batches;
  private final StreamStats streamStats;
  private Streams streams;
  private StreamAppends appends;
  private Recovery recovery;
  private boolean draining;
  /** Set at each tick: direct memory over DIRECT_MEMORY_HIGH of its limit. */
  private boolean directMemoryHigh;
  private final FanoutPressure pressure;
  /**
   * Ticks held in a row because the shards were still writing the last one's frames, and at most how
   * many: a second's worth (at least one), so that a shard that never reports back delays, not stops.
   */
  private int heldTicks;
  private final int maxHeldTicks;
  /** Quiet keys whose first item goes out on the next turn, all in one hand-out. */
  private final List<Batches.Key> leading = new ArrayList<>();
  /** Streams the merger keeps state for at most: the node's rooms, twice over (streams may have no members here). */
  private final int maxStreams;
  /** The rooms with members on this node: the sweep keeps their streams' state. */
  private final NodeRooms rooms;
  private final Consumer<PushBatch> broadcast;
  /** Removes the cluster membership listener that has the streams recheck when a member leaves; null standalone. */
  private Runnable memberListener;
  /** Stops the history's merge reports; null while streams are off. */
  private Runnable mergeListener;
  /** Completes once the merge listener is registered (at once when there is none to register). */
  private Future<?> listening = Future.succeededFuture();
  /** The warnings of streams dropped at historyMaxStreams and of trims that failed: one a minute each at most. */
  private final Throttle evictions = new Throttle(60_000);
  private final Throttle trimFailures = new Throttle(60_000);
  /** The warning of clients closed for another node's push the merger could not take: one a minute at most. */
  private final Throttle missedPushes = new Throttle(60_000);
  private final Batches.Outlet outlet = new Batches.Outlet() {
    @Override
    public void early(Batches.Flushed flushed) {
      deliver(List.of(flushed), System.nanoTime(), false);
    }

    @Override
    public void leading(Batches.Key key) {
      if (leading.isEmpty()) {
        context.runOnContext(v -> flushLeading());
      }
      leading.add(key);
    }
  };

  /**
   * @param broadcast sends a push this node took to the other nodes: here, as it is taken (a stream
   *                  push once its append numbered it), not by the API after this merger's answer,
   *                  which the API may stop waiting for (a slow append, a stalled loop) while the
   *                  items are taken and delivered here all the same
   */
  public MergerVerticle(MergerOptions options, HistoryOptions history, NodeStats nodeStats, FanoutPressure pressure, NodeRooms rooms,
                        Consumer<PushBatch> broadcast) {
    this.rooms = rooms;
    this.options = options;
    this.broadcast = broadcast;
    this.maxStreams = 2 * options.maxRooms();
    this.pressure = pressure;
    this.maxHeldTicks = (int) Math.max(1, MAX_HOLD_MILLIS / options.tickMillis());
    this.history = history;
    counters = new MergerStats(nodeStats);
    stats = counters.stats;
    sampler = new Sampler(options.maxRoomItemsPerSecond(), options.tickMillis(), pressure, counters.itemsSampled);
    batches = new Batches(options, sampler, counters);
    stats.gauge("merger.pendingBytes", "pushgate_pending_bytes", "bytes of items waiting for the tick, an append or their turn, as maxPendingBytes counts them (" + PushBatch.ITEM_OVERHEAD_BYTES + " more per item, " + Streams.HELD_BATCH_OVERHEAD_BYTES + " more per batch a stream keeps for later)", this::pendingBytes);
    stats.gauge("merger.pendingRooms", "pushgate_pending_rooms", "targets with items waiting for the tick", batches::targets);
    stats.info("merger.mostSampledRooms", () -> new JsonObject(new java.util.LinkedHashMap<>(sampler.mostSampled())));
    stats.info("merger.lowPriorityShare", sampler::share);
    streamStats = history.enabled() ? new StreamStats(stats) : null;
  }

  @Override
  public Future<?> start() {
    if (history.enabled()) {
      Sequencer sequencer = vertx.isClustered()
        ? new HazelcastSequencer(VertxInternals.hazelcast(vertx), history, context)
        : new LocalSequencer(history);
      streams = new Streams(vertx, history, sequencer, options.maxHistoryReads(), streamStats, new Streams.Outlet() {
        @Override
        public void take(PushBatch numbered) {
          batches.addNumbered(numbered, outlet);
        }

        @Override
        public boolean flushNow(StreamState stream) {
          List<Batches.Flushed> frames = batches.flushStream(stream.target);
          if (!frames.isEmpty()) {
            deliver(frames, System.nanoTime(), false);
          }
          return !batches.waiting(stream.target);
        }

        @Override
        public boolean waiting(StreamState stream) {
          return batches.waiting(stream.target);
        }

        @Override
        public void restarted(StreamState stream) {
          // After the old epoch's last frame (flushNow), on the same per-shard addresses, so in order.
          toEveryShard(new ShardCommand.StreamRestarted(stream.room));
        }
      });
      appends = new StreamAppends(sequencer, streams, streamStats, broadcast);
      vertx.setPeriodic(HistoryTrim.EVERY_MILLIS, id -> sequencer.trim().onSuccess(dropped -> dropped.forEach(this::evicted))
        .onFailure(this::trimFailed));
      // After a split brain a stream may have started again: its state here would answer a rejoin
      // from the old numbering until the stream's next push.
      // A listener of the whole map is registered with every member and waits for their answers: not
      // on this event loop, which answers pushes.
      listening = vertx.executeBlocking(() -> sequencer.onMerged(streams::recheckSoon, () -> streams.recheckAll(rooms::contains)), false)
        .onSuccess(stop -> mergeListener = stop);
      recovery = new Recovery(streams, options, streamStats, (shard, command) -> vertx.eventBus().send(Addresses.shard(shard), command, Local.OPTIONS));
      stats.gauge("history.streams", "pushgate_history_streams", "streams this node keeps state for", () -> streams.states.size());
      stats.gauge("history.entries", "pushgate_history_entries",
        "streams whose history this member holds (entries of the cluster's map it owns; standalone, all); each is bounded by historySize and historyStreamBytes", sequencer::entries);
      stats.gauge("history.readsWaiting", "pushgate_history_reads_waiting",
        "reads of items from the streams' history waiting for their turn now (maxHistoryReads in flight)", streams.reads::waiting);
      stats.gauge("history.ringBytes", "pushgate_history_ring_bytes", "item bytes held in the replay rings (bounded by historyRingBytes)", streams::ringBytes);
      vertx.eventBus().<StreamJoin>localConsumer(Addresses.STREAM_JOIN, msg -> recovery.join(msg.body()));
      vertx.eventBus().<JsonObject>localConsumer(Addresses.HISTORY, this::onHistory);
      vertx.setPeriodic(SWEEP_MILLIS, id -> {
        streams.sweep(System.nanoTime(), maxStreams, rooms::contains);
        recovery.expire(System.nanoTime());
      });
      if (vertx.isClustered()) {
        memberListener = VertxInternals.onMemberLeft(vertx, io.pushgate.cluster.ClusterSetup.NODE_ATTRIBUTE,
          () -> context.runOnContext(v -> streams.recheckAll(rooms::contains)));
      }
    } else if (vertx.isClustered()) {
      // History is off here, but this node's member holds a share of the streams' history all the same
      // when other nodes have it on, and only a member's own node trims its share.
      Sequencer share = new HazelcastSequencer(VertxInternals.hazelcast(vertx), history, context);
      vertx.setPeriodic(HistoryTrim.EVERY_MILLIS, id -> share.trim().onFailure(this::trimFailed));
    }
    vertx.eventBus().<PushBatch>localConsumer(Addresses.MERGE, msg -> push(msg.body(), false).onComplete(ar -> msg.reply(ar.result())));
    LocalCodec.register(vertx, NotTaken.class);
    vertx.eventBus().<Object>localConsumer(Addresses.MERGE_REMOTE, msg -> {
      if (msg.body() instanceof NotTaken no) {
        notTaken(no);
      } else {
        push((PushBatch) msg.body(), true).onComplete(ar -> msg.reply(ar.result()));
      }
    });
    vertx.eventBus().localConsumer(Addresses.MERGE_DRAIN, this::onDrain);
    vertx.setPeriodic(options.tickMillis(), id -> tick());
    return listening;
  }

  private long pendingBytes() {
    return batches.bytes() + (streams == null ? 0 : streams.pendingBytes() + appends.queuedBytes());
  }

  /** @param remote broadcast by another node: delivered while draining too, to the clients not closed yet */
  private Future<MergeResult> push(PushBatch push, boolean remote) {
    if (draining && !remote) {
      counters.pushesRefused.inc();
      return Future.succeededFuture(new MergeResult.Refused(MergeResult.Reason.DRAINING, "node is draining: retry on another node"));
    }
    if (pendingBytes() + push.cost() > options.maxPendingBytes()) {
      counters.pushesRefused.inc();
      if (remote && notTaken(NotTaken.of(push.target(), push.first(), push.items().size(), push.low())) && missedPushes.occurred() > 0) {
        log.warning("another node's push to " + (push.target().isAll() ? "all" : "room " + push.target().room()) + " found the merge queue full ("
          + Limit.MAX_PENDING_BYTES.key() + "=" + options.maxPendingBytes() + "): the clients it would have reached here are closed"
          + " with 1013 instead of missing it (merger.missedCloses: " + counters.missedCloses.get() + "); raise maxPendingBytes or add nodes");
      }
      return Future.succeededFuture(new MergeResult.Refused(MergeResult.Reason.QUEUE_FULL,
        "merge queue full (" + Limit.MAX_PENDING_BYTES.key() + "=" + options.maxPendingBytes() + "): retry later"));
    }
    if (!remote && directMemoryShort()) {
      // What is pending waits for memory; a remote push is still taken, or this node's clients would miss it.
      counters.pushesRefused.inc();
      counters.directMemoryRefusals.inc();
      return Future.succeededFuture(new MergeResult.Refused(MergeResult.Reason.DIRECT_MEMORY, "direct memory short ("
        + DirectMemory.used() + " of " + DirectMemory.max() + " bytes in use): retry shortly, or on another node"));
    }
    if (push.low()) {
      counters.lowItems.add(push.items().size());
    }
    Future<MergeResult> result;
    // A plain push from another node is delivered as it came: appending it here too would number the
    // same items twice where nodes disagree about historyRooms (each appends and broadcasts its copy).
    if (!remote && push.first() == null && !push.low() && !push.target().isAll() && history.isStream(push.target().room())) {
      Promise<MergeResult> appended = Promise.promise();
      appends.submit(push, appended);
      result = appended.future();
    } else if (push.first() != null && streams != null) {
      streams.receive(push); // another node's, already numbered
      result = Future.succeededFuture(new MergeResult.Accepted(push.items().size(), null));
    } else {
      batches.add(push, outlet);
      if (!remote) {
        broadcast.accept(push);
      }
      result = Future.succeededFuture(new MergeResult.Accepted(push.items().size(), null));
    }
    return result.onSuccess(r -> {
      if (r instanceof MergeResult.Accepted ok) {
        counters.pushesAccepted.inc();
        counters.itemsPushed.add(ok.items());
      } else {
        counters.pushesRefused.inc();
      }
    });
  }

  /** An encode failed for want of direct memory in the last two ticks, or the limit is nearly reached. */
  private boolean directMemoryShort() {
    return directMemoryHigh || batches.shortRecently();
  }

  /** The first items of quiet rooms, one turn after they came: together, in one hand-out. */
  private void flushLeading() {
    List<Batches.Flushed> frames = new ArrayList<>(leading.size());
    for (Batches.Key key : leading) {
      if (!batches.flushLeading(key, frames)) {
        break; // direct memory short: the rest wait for the tick (each refusal stalls this loop; Batches.flushAll)
      }
    }
    leading.clear();
    if (!frames.isEmpty()) {
      deliver(frames, System.nanoTime(), false);
    }
  }

  /**
   * The tick: every waiting batch becomes a frame and goes to the shards. But while a shard is still
   * writing the last tick's frames, the tick is held (up to {@link #maxHeldTicks} in a row) and its
   * items merge with the next one's: a node short of CPU then writes fewer, fuller frames at the pace
   * it can, instead of queueing ticks behind each other until its lag is seconds (graceful overload,
   * README). Normal items are only delayed, never dropped; low ones are sampled to the budget of the
   * ticks the frame covers.
   */
  private void tick() {
    long start = System.nanoTime();
    long max = DirectMemory.max();
    directMemoryHigh = max > 0 && DirectMemory.used() > DIRECT_MEMORY_HIGH * max;
    if (!draining && heldTicks < maxHeldTicks && pressure.ticksUnwritten() > 0 && batches.targets() > 0) {
      heldTicks++;
      counters.ticksHeld.inc();
      batches.holding(true);
      return;
    }
    int ticks = heldTicks + 1;
    heldTicks = 0;
    batches.holding(false);
    List<Batches.Flushed> frames = batches.flushTick(start, ticks);
    if (!frames.isEmpty()) {
      deliver(frames, start, true);
      counters.tickTime.recordNanos(System.nanoTime() - start);
    }
  }

  /**
   * Each shard gets its own reference to every frame and releases it once written; the merger's goes
   * here. A stream's flush then tells the streams what its shards have now, for the joins.
   */
  private void deliver(List<Batches.Flushed> flushed, long tickNanos, boolean tick) {
    List<EncodedFrame> frames = new ArrayList<>(flushed.size());
    flushed.forEach(f -> frames.add(f.frame()));
    ShardCommand.Deliver command = new ShardCommand.Deliver(List.copyOf(frames), tickNanos, tick);
    frames.forEach(frame -> frame.retain(options.shards()));
    if (tick) {
      pressure.tickHandedOut(options.shards());
    }
    toEveryShard(command);
    frames.forEach(EncodedFrame::release);
    if (streams != null) {
      streams.flushed(flushed.stream().map(Batches.Flushed::batch).toList());
    }
  }

  /**
   * Another node's push this node did not take (its queue was full, or the push over its limits). A
   * stream's items are in the history: a gap to fill from there ({@link Streams#refused}). For a room
   * that is not a stream, or all, nothing would bring the items back, so the clients they would have
   * reached here are closed (1013) rather than left to miss them without knowing. Low-priority items
   * are best effort and need no such close.
   *
   * @return whether clients were closed; who refused the push says why
   */
  private boolean notTaken(NotTaken push) {
    if (push.last() != null && streams != null) {
      streams.refused(push.target().room(), push.last());
      return false;
    }
    if (push.low()) {
      return false;
    }
    counters.missedCloses.inc();
    toEveryShard(new ShardCommand.Missed(push.target()));
    return true;
  }

  /** In order with everything else sent to each shard: one address per shard. */
  private void toEveryShard(ShardCommand command) {
    for (int i = 0; i < options.shards(); i++) {
      vertx.eventBus().send(Addresses.shard(i), command, Local.OPTIONS);
    }
  }

  /** GET /rooms/{room}/history, asked by the API: {@code {"room", "since"?: {offset, epoch}, "limit"}}. */
  private void onHistory(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    JsonObject since = q.getJsonObject("since");
    Long asked = q.getLong("deadlineNanos"); // the API's, from when it asked: this loop may have been busy since
    long deadline = asked != null ? asked : System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Local.OPTIONS.getSendTimeout());
    recovery.history(q.getString("room"), since == null ? null : new Position(since.getLong("offset"), since.getString("epoch")), q.getInteger("limit"),
        deadline)
      .onSuccess(msg::reply)
      .onFailure(e -> msg.fail(503, "the stream's history could not be read: " + e.getMessage()));
  }

  @Override
  public Future<?> stop() {
    if (memberListener != null) {
      memberListener.run();
    }
    // After the registration, should it still be under way: a listener registered later would stay.
    return listening.transform(ar -> mergeListener == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      mergeListener.run();
      return null;
    }, false));
  }

  /** A stream this member dropped at historyMaxStreams or historyMaxBytes (from both copies): counted, and logged at most once a minute. */
  private void evicted(String room) {
    streamStats.streamsEvicted.inc();
    long n = evictions.occurred();
    if (n > 0) {
      log.warning("this member holds the history of historyMaxStreams (" + history.maxStreams() + ") streams or historyMaxBytes ("
        + history.maxBytes() + ") bytes of items: dropped " + n
        + " least recently appended to since the last report, the last " + room + "; each one's next push starts a new epoch (history.streamsEvicted)");
    }
  }

  private void trimFailed(Throwable e) {
    long n = trimFailures.occurred();
    if (n > 0) {
      log.warning("could not hold the history to historyMaxStreams and historyMaxBytes (" + n + " failed trim(s) since the last report, tried every "
        + HistoryTrim.EVERY_MILLIS + " ms): " + e);
    }
  }

  private void onDrain(Message<JsonObject> msg) {
    draining = true;
    tick();
    long windowMillis = msg.body().getLong("windowMillis");
    double perShard = msg.body().getDouble("minClosesPerSecond") / options.shards();
    log.info("Merger flushed everything pending; asking " + options.shards() + " shards to close their clients with 1001 over up to "
      + windowMillis + " ms (still delivering the cluster's pushes to those not closed yet)");
    List<Future<Integer>> closed = new ArrayList<>();
    DeliveryOptions wait = new DeliveryOptions(Local.OPTIONS).setSendTimeout(windowMillis + options.closeTimeoutMillis() + 5_000);
    ShardCommand.Drain drain = new ShardCommand.Drain(windowMillis * 1_000_000L, perShard);
    for (int i = 0; i < options.shards(); i++) {
      closed.add(vertx.eventBus().<Integer>request(Addresses.shard(i), drain, wait).map(Message::body));
    }
    Future.join(closed).onComplete(ar -> msg.reply(new JsonObject()
      .put("clientsClosed", closed.stream().filter(Future::succeeded).mapToInt(Future::result).sum())
      .put("shardsDrained", closed.stream().filter(Future::succeeded).count())
      .put("shards", options.shards())));
  }
}
