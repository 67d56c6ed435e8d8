package io.pushgate.merge;

import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.config.Limit;
import io.pushgate.history.HazelcastSequencer;
import io.pushgate.history.HistoryOptions;
import io.pushgate.history.LocalSequencer;
import io.pushgate.history.Sequencer;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Distribution;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Position;
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
  private static final long[] ITEMS_PER_FRAME_BOUNDS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000};
  private static final long[] TICK_BOUNDS_MILLIS = {1, 2, 5, 10, 20, 50, 100, 200, 500};
  private static final long SWEEP_MILLIS = 1_000;

  private final MergerOptions options;
  private final HistoryOptions history;
  private final Batches batches;
  private final Stats stats;
  private final StreamStats streamStats;
  private Streams streams;
  private StreamAppends appends;
  private Recovery recovery;
  private boolean draining;
  /** Streams the merger keeps state for at most: the node's rooms, twice over (streams may have no members here). */
  private final int maxStreams;

  private final Counter itemsPushed;
  private final Counter pushesAccepted;
  private final Counter pushesRefused;
  private final Distribution tickTime;

  public MergerVerticle(MergerOptions options, HistoryOptions history, NodeStats nodeStats) {
    this.options = options;
    this.maxStreams = 2 * options.maxRooms();
    this.history = history;
    stats = nodeStats.add(Stats.of(Tags.empty(), null));
    itemsPushed = stats.counter("itemsPushed", "pushgate_items_pushed", "items accepted by this node's merger");
    Counter encoded = stats.counter("batches", "pushgate_batches", "PUSH frames encoded (once per room per tick, or at a batch limit)");
    pushesAccepted = stats.counter("merger.pushesAccepted", "pushgate_pushes_accepted", "pushes accepted by this node's merger");
    pushesRefused = stats.counter("merger.pushesRefused", "pushgate_pushes_refused", "pushes refused by the merger (queue full, draining, history unavailable)");
    Counter earlyFlushes = stats.counter("merger.earlyFlushes", "pushgate_early_flushes", "batches flushed before the tick at their item or byte limit");
    Counter bytesEncoded = stats.counter("merger.bytesEncoded", "pushgate_bytes_encoded", "PUSH frame bytes encoded (once per room per tick)");
    Distribution batchItems = Distribution.summary(stats, "merger.batchItems", "pushgate_batch_items", "items per encoded PUSH frame", ITEMS_PER_FRAME_BOUNDS);
    tickTime = Distribution.timer(stats, "merger.tick", "pushgate_tick", "time to encode and hand out one tick's frames", TICK_BOUNDS_MILLIS);
    batches = new Batches(options, encoded, earlyFlushes, bytesEncoded, batchItems);
    stats.gauge("merger.pendingBytes", "pushgate_pending_bytes", "item bytes waiting for the tick, an append or their turn", this::pendingBytes);
    stats.gauge("merger.pendingRooms", "pushgate_pending_rooms", "targets with items waiting for the tick", batches::targets);
    streamStats = history.enabled() ? new StreamStats(stats) : null;
  }

  @Override
  public Future<?> start() {
    if (history.enabled()) {
      Sequencer sequencer = vertx.isClustered()
        ? new HazelcastSequencer(VertxInternals.hazelcast(vertx), history, context)
        : new LocalSequencer(history);
      streams = new Streams(vertx, history, sequencer, streamStats, new Streams.Outlet() {
        @Override
        public void take(PushBatch numbered) {
          batches.addNumbered(numbered, MergerVerticle.this::deliverEarly);
        }

        @Override
        public void flushNow(StreamState stream) {
          Batches.Flushed f = batches.flushStream(stream.target);
          if (f != null) {
            deliver(List.of(f), System.nanoTime());
          }
        }
      });
      appends = new StreamAppends(sequencer, streams, streamStats);
      recovery = new Recovery(streams, options, streamStats, (shard, command) -> vertx.eventBus().send(Addresses.shard(shard), command, Local.OPTIONS));
      stats.gauge("history.streams", "pushgate_history_streams", "streams this node keeps state for", () -> streams.states.size());
      stats.gauge("history.ringBytes", "pushgate_history_ring_bytes", "item bytes held in the replay rings (bounded by historyRingBytes)", streams::ringBytes);
      vertx.eventBus().<StreamJoin>localConsumer(Addresses.STREAM_JOIN, msg -> recovery.join(msg.body()));
      vertx.eventBus().<JsonObject>localConsumer(Addresses.HISTORY, this::onHistory);
      vertx.setPeriodic(SWEEP_MILLIS, id -> {
        streams.sweep(System.nanoTime(), maxStreams);
        recovery.expire(System.nanoTime());
      });
    }
    vertx.eventBus().<PushBatch>localConsumer(Addresses.MERGE, msg -> push(msg.body(), false).onComplete(ar -> msg.reply(ar.result())));
    vertx.eventBus().<PushBatch>localConsumer(Addresses.MERGE_REMOTE, msg -> push(msg.body(), true).onComplete(ar -> msg.reply(ar.result())));
    vertx.eventBus().localConsumer(Addresses.MERGE_DRAIN, this::onDrain);
    vertx.setPeriodic(options.tickMillis(), id -> tick());
    return Future.succeededFuture();
  }

  private long pendingBytes() {
    return batches.bytes() + (streams == null ? 0 : streams.earlyBytes() + appends.queuedBytes());
  }

  /** @param remote broadcast by another node: delivered while draining too, to the clients not closed yet */
  private Future<MergeResult> push(PushBatch push, boolean remote) {
    if (draining && !remote) {
      pushesRefused.inc();
      return Future.succeededFuture(new MergeResult.Refused(MergeResult.Reason.DRAINING, "node is draining: retry on another node"));
    }
    if (pendingBytes() + push.bytes() > options.maxPendingBytes()) {
      pushesRefused.inc();
      return Future.succeededFuture(new MergeResult.Refused(MergeResult.Reason.QUEUE_FULL,
        "merge queue full (" + Limit.MAX_PENDING_BYTES.key() + "=" + options.maxPendingBytes() + "): retry later"));
    }
    Future<MergeResult> result;
    if (push.first() == null && !push.target().isAll() && history.isStream(push.target().room())) {
      Promise<MergeResult> appended = Promise.promise();
      appends.submit(push, appended);
      result = appended.future();
    } else if (push.first() != null && streams != null) {
      streams.receive(push); // another node's, already numbered
      result = Future.succeededFuture(new MergeResult.Accepted(push.items().size(), null, null));
    } else {
      batches.add(push, this::deliverEarly);
      result = Future.succeededFuture(new MergeResult.Accepted(push.items().size(), null, push));
    }
    return result.onSuccess(r -> {
      if (r instanceof MergeResult.Accepted ok) {
        pushesAccepted.inc();
        itemsPushed.add(ok.items());
      } else {
        pushesRefused.inc();
      }
    });
  }

  private void deliverEarly(Batches.Flushed flushed) {
    deliver(List.of(flushed), System.nanoTime());
  }

  private void tick() {
    long start = System.nanoTime();
    List<Batches.Flushed> frames = batches.flushAll();
    if (!frames.isEmpty()) {
      deliver(frames, start);
      tickTime.recordNanos(System.nanoTime() - start);
    }
  }

  /**
   * Each shard gets its own reference to every frame and releases it once written; the merger's goes
   * here. A stream's flush then tells the streams what its shards have now, for the joins.
   */
  private void deliver(List<Batches.Flushed> flushed, long tickNanos) {
    List<EncodedFrame> frames = new ArrayList<>(flushed.size());
    flushed.forEach(f -> frames.add(f.frame()));
    ShardCommand.Deliver command = new ShardCommand.Deliver(List.copyOf(frames), tickNanos);
    frames.forEach(frame -> frame.retain(options.shards()));
    for (int i = 0; i < options.shards(); i++) {
      vertx.eventBus().send(Addresses.shard(i), command, Local.OPTIONS);
    }
    frames.forEach(EncodedFrame::release);
    for (Batches.Flushed f : flushed) {
      if (f.batch().isStream()) {
        StreamState s = streams.stateIfAny(f.frame().target().room());
        if (s != null) {
          streams.flushed(s, f.batch().epoch(), f.batch().lastOffset(), f.batch().items());
        }
      }
    }
  }

  /** GET /rooms/{room}/history, asked by the API: {@code {"room", "since"?: {offset, epoch}, "limit"}}. */
  private void onHistory(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    JsonObject since = q.getJsonObject("since");
    recovery.history(q.getString("room"), since == null ? null : new Position(since.getLong("offset"), since.getString("epoch")), q.getInteger("limit"))
      .onSuccess(msg::reply)
      .onFailure(e -> msg.fail(503, "the stream's history could not be read: " + e.getMessage()));
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
