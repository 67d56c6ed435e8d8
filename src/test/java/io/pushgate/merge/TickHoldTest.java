package io.pushgate.merge;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Graceful overload by frames: while the shard is still busy with a tick's frames, the merger holds
 * its next ticks and merges their items, so the shard then writes one fuller frame instead of a
 * queue of one frame per tick. Made deterministic by keeping the node's only shard's event loop busy
 * from the test; the client is a real WebSocket. While ticks are held a low batch at its limit is
 * thinned in place instead of going out as a frame of its own.
 */
class TickHoldTest {

  private static final String ROOM = "hold";
  private static final long TICK_MILLIS = 100;
  private static final int HELD_PUSHES = 3;
  private static final int LOW_BATCH = 10;
  private static final int LOW_PUSHES = 5;

  @Test
  void itemsOfTicksHeldWhileTheShardWritesGoOutTogetherAllInOrder() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("tickMillis", TICK_MILLIS));
         TestClient client = node.client()) {
      client.joinAcked(ROOM, 1);

      CountDownLatch release = blockShard(node.vertx);
      try {
        handOutATick(node);
        for (int i = 2; i < 2 + HELD_PUSHES; i++) {
          long held = ticksHeld(node);
          push(node, i);
          Eventually.await("the next held tick", () -> ticksHeld(node) > held);
        }
      } finally {
        release.countDown();
      }

      int total = 2 + HELD_PUSHES;
      List<JsonArray> pushes = new ArrayList<>();
      List<Integer> seen = new ArrayList<>();
      while (seen.size() < total) {
        JsonArray items = client.await(m -> "PUSH".equals(m.getString("type"))).getJsonObject("data").getJsonArray("items");
        pushes.add(items);
        items.forEach(item -> seen.add(((JsonObject) item).getInteger("n")));
      }
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        expected.add(i);
      }
      assertEquals(expected, seen, "every item once, in order");
      // Items 2..4 were pushed in three different ticks, all held: one frame carries them all.
      JsonArray last = pushes.get(pushes.size() - 1);
      assertEquals(HELD_PUSHES, last.size(), "the held ticks' items in one frame: " + pushes);
      assertEquals(2, last.getJsonObject(0).getInteger("n"));
      assertTrue(pushes.size() <= 3, "at most the leading frame, the tick waiting in the shard and the merged one: " + pushes);
      // Nothing held any more once the shard caught up: the next item goes at once.
      long heldBefore = ticksHeld(node);
      push(node, total);
      JsonArray next = client.await(m -> "PUSH".equals(m.getString("type"))).getJsonObject("data").getJsonArray("items");
      assertEquals(total, next.getJsonObject(0).getInteger("n"));
      assertTrue(ticksHeld(node) - heldBefore <= 1, "a shard that keeps up is not waited for");
    }
  }

  /**
   * Keeps shard 0's event loop busy until the returned latch is counted down. Shard 0 is deployed on
   * the first event loop; the merger and the push API on another.
   */
  private static CountDownLatch blockShard(Vertx vertx) throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    VertxInternals.eventLoops(vertx).get(0).execute(() -> {
      blocked.countDown();
      try {
        release.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(blocked.await(5, TimeUnit.SECONDS), "the shard's loop was taken");
    return release;
  }

  /**
   * Normal items 0 and 1: the first leaves at once (a quiet room's leading edge), the second with the
   * tick after, whose frames then wait in the busy shard, so the ticks after it are held.
   */
  private static void handOutATick(TestNode node) {
    long frames = node.stats().getLong("batches");
    push(node, 0);
    Eventually.await("the leading frame encoded", () -> node.stats().getLong("batches") == frames + 1);
    push(node, 1);
    Eventually.await("the tick's frame encoded", () -> node.stats().getLong("batches") == frames + 2);
  }

  @Test
  void aLowBatchAtItsLimitWhileTicksAreHeldIsThinnedNotSentEarly() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("tickMillis", TICK_MILLIS)
           .put("maxBatchItems", LOW_BATCH).put("maxRoomItemsPerSecond", 0));
         TestClient client = node.client()) {
      client.joinAcked(ROOM, 1);
      int lowPushed = LOW_PUSHES * LOW_BATCH;
      CountDownLatch release = blockShard(node.vertx);
      try {
        handOutATick(node);
        // The room's first low push is a quiet key's leading frame; the second waits for the tick, held.
        long frames = node.stats().getLong("batches");
        pushLow(node, 0);
        Eventually.await("the leading low frame encoded", () -> node.stats().getLong("batches") == frames + 1);
        pushLow(node, 1);
        Eventually.await("a held tick", () -> ticksHeld(node) >= 1);
        // The rest in one request, so that it lands inside the hold: ticks are held for at most
        // a second, then one goes out, and separate requests on a loaded machine could straddle it.
        pushLow(node, 2, LOW_PUSHES);
        // Each later batch's worth found the held low batch at maxBatchItems: it was halved in place, not flushed.
        assertEquals(0L, merger(node).getLong("earlyFlushes"), "no frame of its own for a low batch while held");
        assertTrue(merger(node).getLong("itemsSampled") >= (LOW_PUSHES - 2) * LOW_BATCH / 2,
          "the halves counted as sampled: " + merger(node));
      } finally {
        release.countDown();
      }
      List<Integer> low = new ArrayList<>();
      Eventually.await("every low item delivered or counted as sampled", () -> {
        for (JsonObject m : client.drainReceived()) {
          if ("PUSH".equals(m.getString("type"))) {
            m.getJsonObject("data").getJsonArray("items").forEach(item -> {
              Integer l = ((JsonObject) item).getInteger("l");
              if (l != null) {
                low.add(l);
              }
            });
          }
        }
        return low.size() + merger(node).getLong("itemsSampled") == lowPushed;
      });
      assertTrue(low.size() > LOW_BATCH && low.size() <= 2 * LOW_BATCH,
        "the leading frame's items and at most one batch's worth of the held ones: " + low);
      assertEquals(low.stream().sorted().toList(), low, "the kept ones in the pushed order");
    }
  }

  private static JsonObject merger(TestNode node) {
    return node.stats().getJsonObject("merger");
  }

  private static void pushLow(TestNode node, int push) {
    pushLow(node, push, push + 1);
  }

  /** The low items of pushes {@code from} (inclusive) to {@code to} (exclusive), in one request. */
  private static void pushLow(TestNode node, int from, int to) {
    JsonArray items = new JsonArray();
    for (int i = from * LOW_BATCH; i < to * LOW_BATCH; i++) {
      items.add(new JsonObject().put("l", i));
    }
    HttpResponse<String> r = Http.postJson(node.apiPort(), "/push/room",
      new JsonObject().put("room", ROOM).put("priority", "low").put("items", items));
    assertEquals(200, r.statusCode(), r.body());
  }

  private static long ticksHeld(TestNode node) {
    return node.stats().getJsonObject("merger").getLong("ticksHeld");
  }

  private static void push(TestNode node, int n) {
    HttpResponse<String> r = Http.postJson(node.apiPort(), "/push/room",
      new JsonObject().put("room", ROOM).put("items", new JsonArray().add(new JsonObject().put("n", n))));
    assertEquals(200, r.statusCode(), r.body());
  }
}
