package io.pushgate.online;

import io.pushgate.bus.Addresses;
import io.pushgate.bus.LocalCodec;
import io.pushgate.config.PushgateConfig;
import io.pushgate.metrics.NodeStats;
import io.pushgate.shard.RoomCounts;
import io.pushgate.shard.ShardCommand;
import io.pushgate.testing.Eventually;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counter hands counts to the shards when the last shard has answered. A round whose answer
 * comes late, followed by one that comes at once, must not hand out twice within an interval:
 * every watcher would hear two ONLINE (PROTOCOL: at most one an interval). One shard, played by
 * consumers on its addresses, answers the first round late.
 */
class HandOutSpacingTest {

  private static final int INTERVAL_MILLIS = 300;

  @Test
  void aLateRoundAndAQuickOneHandOutAnIntervalApart() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      LocalCodec.register(vertx, RoomCounts.class);
      for (Class<?> command : ShardCommand.class.getPermittedSubclasses()) {
        LocalCodec.register(vertx, command);
      }
      AtomicInteger rounds = new AtomicInteger();
      vertx.eventBus().<Boolean>localConsumer(Addresses.shardCounts(0), msg -> {
        RoomCounts counts = new RoomCounts(Map.of("arena", 1), rounds.get() == 0 ? Map.of("arena", true) : Map.of(), false);
        // The first answer comes 80 % of an interval late, the others at once.
        long late = rounds.getAndIncrement() == 0 ? INTERVAL_MILLIS * 8 / 10 : 0;
        if (late == 0) {
          msg.reply(counts);
        } else {
          vertx.setTimer(late, id -> msg.reply(counts));
        }
      });
      List<Long> handOuts = new CopyOnWriteArrayList<>();
      vertx.eventBus().<Object>localConsumer(Addresses.shard(0), msg -> {
        if (msg.body() instanceof ShardCommand.Online) {
          handOuts.add(System.nanoTime());
        }
      });
      PushgateConfig config = PushgateConfig.defaults().with(new JsonObject().put("shards", 1).put("onlineIntervalMillis", INTERVAL_MILLIS));
      vertx.deployVerticle(new OnlineVerticle(config, "node-1", new NodeStats())).await(10, TimeUnit.SECONDS);

      Eventually.await("4 hand-outs", () -> handOuts.size() >= 4, Duration.ofSeconds(10));
      for (int i = 1; i < handOuts.size(); i++) {
        long gapMillis = TimeUnit.NANOSECONDS.toMillis(handOuts.get(i) - handOuts.get(i - 1));
        assertTrue(gapMillis >= INTERVAL_MILLIS, "hand-out " + i + " came " + gapMillis + " ms after the one before");
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
