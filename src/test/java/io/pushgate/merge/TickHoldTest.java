package io.pushgate.merge;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestNode;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

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
 * from the test; the client is a real WebSocket.
 */
@ExtendWith(VertxExtension.class)
class TickHoldTest {

  private static final String ROOM = "hold";
  private static final long TICK_MILLIS = 100;
  private static final int HELD_PUSHES = 5;

  @Test
  void itemsOfTicksHeldWhileTheShardWritesGoOutTogetherAllInOrder(Vertx vertx) throws Exception {
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("shards", 1).put("tickMillis", TICK_MILLIS));
         TestClient client = node.client()) {
      client.joinAcked(ROOM, 1);

      // Shard 0 is deployed on the first event loop; the merger and the push API on another.
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
      try {
        assertTrue(blocked.await(5, TimeUnit.SECONDS), "the shard's loop was taken");
        // The first item leaves at once (a quiet room's leading edge), the second with the tick after:
        // that tick's frames wait in the busy shard, so the ticks after it are held.
        long frames = node.stats().getLong("batches");
        push(node, 0);
        Eventually.await("the leading frame encoded", () -> node.stats().getLong("batches") == frames + 1);
        push(node, 1);
        Eventually.await("the tick's frame encoded", () -> node.stats().getLong("batches") == frames + 2);
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
      // Items 2..6 were pushed in five different ticks, all held: one frame carries them all.
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

  private static long ticksHeld(TestNode node) {
    return node.stats().getJsonObject("merger").getLong("ticksHeld");
  }

  private static void push(TestNode node, int n) {
    HttpResponse<String> r = Http.postJson(node.apiPort(), "/push/room",
      new JsonObject().put("room", ROOM).put("items", new JsonArray().add(new JsonObject().put("n", n))));
    assertEquals(200, r.statusCode(), r.body());
  }
}
