package io.pushgate.merge;

import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.config.Limit;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Distribution;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Target;
import io.pushgate.shard.ShardCommand;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The node's one merger. It collects accepted pushes per target, and once per tick encodes each
 * target's items once into a PUSH frame and hands the same frames to every shard. A target whose
 * batch reaches its item or byte limit is flushed at once. A push is refused whole when the item
 * bytes waiting for the tick would pass {@code maxPendingBytes}, or while the node drains.
 */
public final class MergerVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(MergerVerticle.class.getName());
  private static final long[] ITEMS_PER_FRAME_BOUNDS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000};
  private static final long[] TICK_BOUNDS_MILLIS = {1, 2, 5, 10, 20, 50, 100, 200, 500};

  private final MergerOptions options;

  /** Insertion order keeps frames of one tick in the order their rooms first got an item; all goes last. */
  private final Map<Target, RoomBatch> pending = new LinkedHashMap<>();
  private long pendingBytes;
  private boolean draining;

  private final Counter itemsPushed;
  private final Counter pushesAccepted;
  private final Counter pushesRefused;
  private final Counter batches;
  private final Counter earlyFlushes;
  private final Counter bytesEncoded;
  private final Distribution batchItems;
  private final Distribution tickTime;

  public MergerVerticle(MergerOptions options, NodeStats nodeStats) {
    this.options = options;
    Stats stats = nodeStats.add(Stats.of(Tags.empty(), null));
    itemsPushed = stats.counter("itemsPushed", "pushgate_items_pushed", "items accepted by this node's merger");
    batches = stats.counter("batches", "pushgate_batches", "PUSH frames encoded (once per room per tick, or at a batch limit)");
    pushesAccepted = stats.counter("merger.pushesAccepted", "pushgate_pushes_accepted", "pushes accepted by this node's merger");
    pushesRefused = stats.counter("merger.pushesRefused", "pushgate_pushes_refused", "pushes refused by the merger (queue full or draining)");
    earlyFlushes = stats.counter("merger.earlyFlushes", "pushgate_early_flushes", "batches flushed before the tick at their item or byte limit");
    bytesEncoded = stats.counter("merger.bytesEncoded", "pushgate_bytes_encoded", "PUSH frame bytes encoded (once per room per tick)");
    stats.gauge("merger.pendingBytes", "pushgate_pending_bytes", "item bytes waiting for the tick", () -> pendingBytes);
    stats.gauge("merger.pendingRooms", "pushgate_pending_rooms", "targets with items waiting for the tick", pending::size);
    batchItems = Distribution.summary(stats, "merger.batchItems", "pushgate_batch_items", "items per encoded PUSH frame", ITEMS_PER_FRAME_BOUNDS);
    tickTime = Distribution.timer(stats, "merger.tick", "pushgate_tick", "time to encode and hand out one tick's frames", TICK_BOUNDS_MILLIS);
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().<PushBatch>localConsumer(Addresses.MERGE, msg -> msg.reply(push(msg.body())));
    vertx.eventBus().localConsumer(Addresses.MERGE_DRAIN, this::onDrain);
    vertx.setPeriodic(options.tickMillis(), id -> tick());
    return Future.succeededFuture();
  }

  private MergeResult push(PushBatch push) {
    if (draining) {
      pushesRefused.inc();
      return new MergeResult.Refused(MergeResult.Reason.DRAINING, "node is draining: retry on another node");
    }
    if (pendingBytes + push.bytes() > options.maxPendingBytes()) {
      pushesRefused.inc();
      return new MergeResult.Refused(MergeResult.Reason.QUEUE_FULL,
        "merge queue full (" + Limit.MAX_PENDING_BYTES.key() + "=" + options.maxPendingBytes() + "): retry later");
    }
    RoomBatch batch = pending.computeIfAbsent(push.target(), RoomBatch::new);
    for (byte[] item : push.items()) {
      if (batch.wouldOverflow(item, options.maxBatchItems(), options.maxBatchBytes())) {
        earlyFlushes.inc();
        deliver(List.of(flush(push.target())), System.nanoTime());
        batch = pending.computeIfAbsent(push.target(), RoomBatch::new);
      }
      batch.add(item);
      pendingBytes += item.length;
    }
    pushesAccepted.inc();
    itemsPushed.add(push.items().size());
    return new MergeResult.Accepted(push.items().size());
  }

  /** Removes the target's batch from the pending set and encodes it: the one encode per frame. */
  private EncodedFrame flush(Target target) {
    RoomBatch batch = pending.remove(target);
    pendingBytes -= batch.bytes();
    EncodedFrame frame = batch.encode();
    batches.inc();
    batchItems.record(frame.items());
    bytesEncoded.add(frame.length());
    return frame;
  }

  private void tick() {
    if (pending.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    List<EncodedFrame> frames = new ArrayList<>(pending.size());
    boolean all = false;
    for (Target target : new ArrayList<>(pending.keySet())) {
      if (target.isAll()) {
        all = true;
      } else {
        frames.add(flush(target));
      }
    }
    if (all) {
      frames.add(flush(Target.ALL));
    }
    deliver(frames, start);
    tickTime.recordNanos(System.nanoTime() - start);
  }

  /** Each shard gets its own reference to every frame and releases it once written; the merger's goes here. */
  private void deliver(List<EncodedFrame> frames, long tickNanos) {
    ShardCommand.Deliver command = new ShardCommand.Deliver(List.copyOf(frames), tickNanos);
    frames.forEach(frame -> frame.retain(options.shards()));
    for (int i = 0; i < options.shards(); i++) {
      vertx.eventBus().send(Addresses.shard(i), command, Local.OPTIONS);
    }
    frames.forEach(EncodedFrame::release);
  }

  private void onDrain(Message<Object> msg) {
    draining = true;
    tick();
    log.info("Merger flushed everything pending; asking " + options.shards() + " shards to close their clients with 1001");
    List<Future<Integer>> closed = new ArrayList<>();
    DeliveryOptions wait = new DeliveryOptions(Local.OPTIONS).setSendTimeout(options.closeTimeoutMillis() + 5_000);
    for (int i = 0; i < options.shards(); i++) {
      closed.add(vertx.eventBus().<Integer>request(Addresses.shard(i), new ShardCommand.Drain(), wait).map(Message::body));
    }
    Future.join(closed).onComplete(ar -> msg.reply(new JsonObject()
      .put("clientsClosed", closed.stream().filter(Future::succeeded).mapToInt(Future::result).sum())
      .put("shardsDrained", closed.stream().filter(Future::succeeded).count())
      .put("shards", options.shards())));
  }
}
