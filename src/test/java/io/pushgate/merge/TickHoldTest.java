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
 *
 * <p>Two of the merger's rules are clocked, and a loaded machine can outlast them between the test's
 * HTTP requests: a room with no frame in this tick or the last is quiet, and its next item goes out
 * at once on its own instead of waiting for the tick (leading edge), and ticks are held for at most
 * {@link MergerVerticle#MAX_HOLD_MILLIS} in a row, then one goes out whatever the shard does. An
 * attempt that the merger's own counters show fell outside them (a leading frame the scenario did
 * not mean, or held ticks up to the cap before its last push was in) shows nothing either way: it is
 * made again on a fresh node, up to {@link #ATTEMPTS} times, and one that fits is asserted in full.
 */
class TickHoldTest {

  private static final String ROOM = "hold";
  private static final long TICK_MILLIS = 100;
  private static final int HELD_PUSHES = 3;
  private static final int LOW_BATCH = 10;
  private static final int LOW_PUSHES = 5;
  /** Ticks the merger holds in a row at most: past this many, the next one goes out. */
  private static final long MAX_HELD_TICKS = MergerVerticle.MAX_HOLD_MILLIS / TICK_MILLIS;
  private static final int ATTEMPTS = 6;
  private static final String QUIET_AGAIN = "an item meant to wait for the tick came after its room was quiet again and went out on its own";
  private static final String HOLD_RAN_OUT = "the merger held " + MAX_HELD_TICKS + " ticks (its cap) before the test's pushes were all in";

  @Test
  void itemsOfTicksHeldWhileTheShardWritesGoOutTogetherAllInOrder() throws Exception {
    inOneHold(this::itemsOfHeldTicks);
  }

  /** @return null once asserted, or why the attempt showed nothing */
  private String itemsOfHeldTicks() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("tickMillis", TICK_MILLIS));
         TestClient client = node.client()) {
      client.joinAcked(ROOM, 1);

      CountDownLatch release = blockShard(node.vertx);
      try {
        JsonObject start = handOutATick(node);
        if (start == null) {
          return QUIET_AGAIN;
        }
        // No tick is held before item 2 is in (nothing waits for one); from then on every tick is, up
        // to the cap. Item 2 goes at once: it must come within a tick or two of item 1's frame.
        long heldAtStart = ticksHeld(start);
        long held = heldAtStart;
        for (int i = 2; i < 2 + HELD_PUSHES; i++) {
          push(node, i);
          if (i > 2) {
            held = ticksHeld(node); // read after the push was taken: a tick counted later came after it
          }
          long after = held;
          // Or a frame went out (the room was quiet again when the item came, or the hold ran out).
          Eventually.await("a held tick after item " + i, () -> {
            JsonObject now = node.stats();
            return ticksHeld(now) > after || batches(now) > batches(start);
          });
        }
        JsonObject end = node.stats();
        if (leadingFlushes(end) > leadingFlushes(start)) {
          return QUIET_AGAIN;
        }
        if (ticksHeld(end) - heldAtStart >= MAX_HELD_TICKS) {
          return HOLD_RAN_OUT;
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
      return null;
    }
  }

  private interface Attempt {
    /** @return null once its assertions ran, or why it showed nothing (QUIET_AGAIN, HOLD_RAN_OUT) */
    String run() throws Exception;
  }

  /** Runs {@code attempt} on fresh nodes until one fits the merger's clocked rules; fails if none does. */
  private static void inOneHold(Attempt attempt) throws Exception {
    List<String> missed = new ArrayList<>();
    for (int i = 0; i < ATTEMPTS; i++) {
      String why = attempt.run();
      if (why == null) {
        return;
      }
      missed.add(why);
      System.out.println("TickHoldTest: attempt " + (i + 1) + " showed nothing, again on a fresh node: " + why);
    }
    throw new AssertionError("no attempt of " + ATTEMPTS + " fitted (the machine is too slow for this test, or the merger"
      + " no longer merges a busy room's items or holds too few ticks): " + missed);
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
        // A guard only, should the test thread die: the test releases it. Long enough not to
        // unblock mid-attempt on a loaded machine (it once did at 5 s, and no tick was held).
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(blocked.await(5, TimeUnit.SECONDS), "the shard's loop was taken");
    return release;
  }

  /**
   * Normal items 0 and 1: the first leaves at once (a quiet room's leading edge), the second with the
   * tick after, whose frames then wait in the busy shard, so the ticks after it are held. Item 1 is
   * pushed as soon as item 0 is taken: the merger sends item 0's frame on its next turn, before it
   * takes anything pushed after, and item 1 must come within a tick or two of that frame.
   *
   * @return the node's stats once both frames are encoded, or null when item 1 also left as a leading
   *         frame (it came after the room was quiet again): then no tick's frames wait in the shard
   */
  private static JsonObject handOutATick(TestNode node) {
    JsonObject before = node.stats();
    push(node, 0);
    push(node, 1);
    JsonObject after = Eventually.value("the leading frame and the tick's encoded", node::stats, s -> batches(s) >= batches(before) + 2);
    assertEquals(batches(before) + 2, batches(after), "items 0 and 1 in a frame each");
    return leadingFlushes(after) - leadingFlushes(before) <= 1 ? after : null;
  }

  @Test
  void aLowBatchAtItsLimitWhileTicksAreHeldIsThinnedNotSentEarly() throws Exception {
    inOneHold(this::lowBatchThinned);
  }

  /** @return null once asserted, or why the attempt showed nothing */
  private String lowBatchThinned() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("shards", 1).put("tickMillis", TICK_MILLIS)
           .put("maxBatchItems", LOW_BATCH).put("maxRoomItemsPerSecond", 0));
         TestClient client = node.client()) {
      client.joinAcked(ROOM, 1);
      int lowPushed = LOW_PUSHES * LOW_BATCH;
      CountDownLatch release = blockShard(node.vertx);
      try {
        JsonObject start = handOutATick(node);
        if (start == null) {
          return QUIET_AGAIN;
        }
        // The room's first low push is a quiet key's leading frame (sent on the merger's next turn,
        // before it takes the second); the second waits for the tick, held.
        pushLow(node, 0);
        pushLow(node, 1);
        long heldBefore = ticksHeld(node); // read after the push was taken: a tick counted later came after it
        // Or the second went out too (the low key was quiet again when it came).
        JsonObject held = Eventually.value("a held tick", node::stats, now -> ticksHeld(now) > heldBefore || batches(now) > batches(start) + 1);
        if (leadingFlushes(held) > leadingFlushes(start) + 1) {
          return QUIET_AGAIN;
        }
        assertEquals(batches(start) + 1, batches(held), "the first low push in a frame of its own, the second held");
        // The rest in one request, so that it lands inside the hold: ticks are held for at most
        // a second, then one goes out, and separate requests on a loaded machine could straddle it.
        pushLow(node, 2, LOW_PUSHES);
        if (ticksHeld(node) - ticksHeld(start) >= MAX_HELD_TICKS) {
          return HOLD_RAN_OUT; // the low batch went out with the cap's tick, and the rest found nothing held
        }
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
      return null;
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

  private static long batches(JsonObject stats) {
    return stats.getLong("batches");
  }

  private static long leadingFlushes(JsonObject stats) {
    return stats.getJsonObject("merger").getLong("leadingFlushes");
  }

  private static long ticksHeld(JsonObject stats) {
    return stats.getJsonObject("merger").getLong("ticksHeld");
  }

  private static long ticksHeld(TestNode node) {
    return ticksHeld(node.stats());
  }

  private static void push(TestNode node, int n) {
    HttpResponse<String> r = Http.postJson(node.apiPort(), "/push/room",
      new JsonObject().put("room", ROOM).put("items", new JsonArray().add(new JsonObject().put("n", n))));
    assertEquals(200, r.statusCode(), r.body());
  }
}
