package io.pushgate.merge;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.pushgate.bus.Addresses;
import io.pushgate.metrics.Metrics;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.protocol.EncodedFrame;
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
 * The node's one merger. It collects accepted pushes per room, and once per tick encodes each room's
 * items once into a PUSH frame and hands the same frames to every shard. A room whose batch reaches
 * its item or byte limit is flushed at once. A push is refused whole (503) when the item bytes
 * waiting for the tick would pass {@code maxPendingBytes}.
 */
public final class MergerVerticle extends VerticleBase {

  /** Failure code of a refused push, the HTTP status the API answers with. */
  public static final int QUEUE_FULL = 503;

  private static final Logger log = Logger.getLogger(MergerVerticle.class.getName());
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final PushgateConfig config;
  private final int shards;
  private final long maxBatchItems;
  private final long maxBatchBytes;
  private final long maxPendingBytes;

  /** Insertion order keeps frames of one tick in the order their rooms first got an item. */
  private final Map<String, RoomBatch> pending = new LinkedHashMap<>();
  private RoomBatch pendingAll;
  private long pendingBytes;
  private boolean draining;

  private long pushesAccepted;
  private long itemsAccepted;
  private long pushesRefused;
  private long batches;
  private long earlyFlushes;
  private long bytesEncoded;
  private long maxTickNanos;
  private DistributionSummary batchItems;
  private Timer tickTimer;

  public MergerVerticle(PushgateConfig config) {
    this.config = config;
    this.shards = config.shards();
    this.maxBatchItems = config.limit(Limit.MAX_BATCH_ITEMS);
    this.maxBatchBytes = config.limit(Limit.MAX_BATCH_BYTES);
    this.maxPendingBytes = config.limit(Limit.MAX_PENDING_BYTES);
  }

  @Override
  public Future<?> start() {
    MeterRegistry registry = Metrics.registry();
    if (registry != null) {
      Metrics.counter(registry, "pushgate_pushes_accepted", "pushes accepted by this node's merger", Tags.empty(), this, m -> m.pushesAccepted);
      Metrics.counter(registry, "pushgate_items_pushed", "items accepted by this node's merger", Tags.empty(), this, m -> m.itemsAccepted);
      Metrics.counter(registry, "pushgate_pushes_refused", "pushes refused by the merger (queue full or draining)", Tags.empty(), this, m -> m.pushesRefused);
      Metrics.counter(registry, "pushgate_early_flushes", "batches flushed before the tick at their item or byte limit", Tags.empty(), this, m -> m.earlyFlushes);
      Metrics.counter(registry, "pushgate_bytes_encoded", "PUSH frame bytes encoded (once per room per tick)", Tags.empty(), this, m -> m.bytesEncoded);
      Gauge.builder("pushgate_pending_bytes", this, m -> m.pendingBytes).description("item bytes waiting for the tick").register(registry);
      batchItems = DistributionSummary.builder("pushgate_batch_items").description("items per encoded PUSH frame")
        .publishPercentileHistogram().maximumExpectedValue((double) maxBatchItems).register(registry);
      tickTimer = Timer.builder("pushgate_tick").description("time to encode and hand out one tick's frames")
        .publishPercentileHistogram().register(registry);
    }
    vertx.eventBus().<PushBatch>localConsumer(Addresses.MERGE, this::onPush);
    vertx.eventBus().localConsumer(Addresses.MERGE_DRAIN, this::onDrain);
    vertx.eventBus().localConsumer(Addresses.stats("merger"), msg -> msg.reply(stats()));
    vertx.setPeriodic(config.tickMillis(), id -> tick());
    return Future.succeededFuture();
  }

  private void onPush(Message<PushBatch> msg) {
    PushBatch push = msg.body();
    if (draining) {
      pushesRefused++;
      msg.fail(QUEUE_FULL, "node is draining: retry on another node");
      return;
    }
    if (pendingBytes + push.bytes() > maxPendingBytes) {
      pushesRefused++;
      msg.fail(QUEUE_FULL, "merge queue full (" + Limit.MAX_PENDING_BYTES.key() + "=" + maxPendingBytes + "): retry later");
      return;
    }
    RoomBatch batch = batchFor(push.room());
    for (byte[] item : push.items()) {
      if (batch.wouldOverflow(item, maxBatchItems, maxBatchBytes)) {
        earlyFlushes++;
        deliver(List.of(flush(push.room())), System.nanoTime());
        batch = batchFor(push.room());
      }
      batch.add(item);
      pendingBytes += item.length;
    }
    pushesAccepted++;
    itemsAccepted += push.items().size();
    msg.reply(push.items().size());
  }

  private RoomBatch batchFor(String room) {
    if (room == null) {
      if (pendingAll == null) {
        pendingAll = new RoomBatch(null);
      }
      return pendingAll;
    }
    return pending.computeIfAbsent(room, RoomBatch::new);
  }

  /** Removes the target's batch from the pending set and encodes it: the one encode per frame. */
  private EncodedFrame flush(String room) {
    RoomBatch batch = room == null ? pendingAll : pending.remove(room);
    if (room == null) {
      pendingAll = null;
    }
    pendingBytes -= batch.bytes();
    EncodedFrame frame = batch.encode();
    batches++;
    if (batchItems != null) {
      batchItems.record(frame.items());
    }
    bytesEncoded += frame.length();
    return frame;
  }

  private void tick() {
    if (pending.isEmpty() && pendingAll == null) {
      return;
    }
    long start = System.nanoTime();
    List<EncodedFrame> frames = new ArrayList<>(pending.size() + 1);
    for (String room : new ArrayList<>(pending.keySet())) {
      frames.add(flush(room));
    }
    if (pendingAll != null) {
      frames.add(flush(null));
    }
    deliver(frames, start);
    long took = System.nanoTime() - start;
    maxTickNanos = Math.max(maxTickNanos, took);
    if (tickTimer != null) {
      tickTimer.record(took, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  /** Each shard gets its own reference to every frame and releases it once written; the merger's goes here. */
  private void deliver(List<EncodedFrame> frames, long tickNanos) {
    ShardCommand.Deliver command = new ShardCommand.Deliver(List.copyOf(frames), tickNanos);
    frames.forEach(frame -> frame.retain(shards));
    for (int i = 0; i < shards; i++) {
      vertx.eventBus().send(Addresses.shard(i), command, LOCAL);
    }
    frames.forEach(EncodedFrame::release);
  }

  private void onDrain(Message<Object> msg) {
    draining = true;
    tick();
    log.info("Merger flushed everything pending; asking " + shards + " shards to close their clients with 1001");
    List<Future<Integer>> closed = new ArrayList<>();
    DeliveryOptions options = new DeliveryOptions(LOCAL).setSendTimeout(config.closeTimeoutMillis() + 5_000);
    for (int i = 0; i < shards; i++) {
      closed.add(vertx.eventBus().<Integer>request(Addresses.shard(i), new ShardCommand.Drain(), options).map(Message::body));
    }
    Future.join(closed).onComplete(ar -> msg.reply(new JsonObject()
      .put("clientsClosed", closed.stream().filter(Future::succeeded).mapToInt(Future::result).sum())
      .put("shardsDrained", closed.stream().filter(Future::succeeded).count())
      .put("shards", shards)));
  }

  private JsonObject stats() {
    return new JsonObject()
      .put("pushesAccepted", pushesAccepted)
      .put("itemsAccepted", itemsAccepted)
      .put("pushesRefused", pushesRefused)
      .put("batches", batches)
      .put("earlyFlushes", earlyFlushes)
      .put("bytesEncoded", bytesEncoded)
      .put("pendingBytes", pendingBytes)
      .put("pendingRooms", pending.size() + (pendingAll == null ? 0 : 1))
      .put("maxTickMillis", maxTickNanos / 1_000_000.0);
  }
}
