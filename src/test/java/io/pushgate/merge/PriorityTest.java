package io.pushgate.merge;

import io.pushgate.testing.Eventually;
import io.pushgate.testing.Http;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Priorities over real sockets (PROTOCOL.md, Priority): a room's low-priority items beyond its budget
 * are sampled, evenly and counted; normal items are never sampled and keep their stream's numbering;
 * low items have none; a push says how many of its items are best effort.
 */
@ExtendWith(VertxExtension.class)
class PriorityTest {

  private static final String ROOM = "arena";
  private static final int ROUNDS = 5;
  private static final int LOW_PER_PUSH = 200;
  private static final long TICK_MILLIS = 100;
  private static final long BUDGET_PER_SECOND = 100; // 10 items a tick

  @Test
  void lowItemsOverTheBudgetAreSampledAndCountedAndNormalItemsNever(Vertx vertx) throws Exception {
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("tickMillis", TICK_MILLIS).put("maxRoomItemsPerSecond", BUDGET_PER_SECOND))) {
      List<JsonObject> frames = Collections.synchronizedList(new ArrayList<>());
      // Held in a variable to the end: a Vert.x client nothing refers to is closed when it is collected,
      // and its connections with it (seen as "closed by_client" whenever a GC came mid-test).
      WebSocketClient wsClient = vertx.createWebSocketClient();
      WebSocket ws = wsClient.connect(node.publicPort(), "127.0.0.1", "/connect").await(10, TimeUnit.SECONDS);
      ws.textMessageHandler(text -> frames.add(new JsonObject(text)));
      ws.writeTextMessage(new JsonObject().put("type", "JOIN").put("id", 1).put("data", new JsonObject().put("room", ROOM)).encode());
      Eventually.await("the JOIN's ACK", () -> frames.stream().anyMatch(m -> "ACK".equals(m.getString("type"))));

      long start = System.nanoTime();
      for (int round = 0; round < ROUNDS; round++) {
        JsonObject normal = push(node, new JsonObject().put("room", ROOM).put("items", new JsonArray().add(new JsonObject().put("n", round))));
        assertNull(normal.getValue("bestEffort"), "a normal push has no best-effort items: " + normal);
        assertEquals(round + 1, normal.getLong("offset"), "normal items keep the stream's numbering");
        JsonArray low = new JsonArray();
        for (int i = 0; i < LOW_PER_PUSH; i++) {
          low.add(new JsonObject().put("l", round * LOW_PER_PUSH + i));
        }
        JsonObject lowReply = push(node, new JsonObject().put("room", ROOM).put("priority", "low").put("items", low));
        assertEquals(new JsonObject().put("accepted", LOW_PER_PUSH).put("bestEffort", LOW_PER_PUSH), lowReply, "no offset: not part of the stream");
      }
      long pushedForMillis = (System.nanoTime() - start) / 1_000_000;
      int lowPushed = ROUNDS * LOW_PER_PUSH;

      // Everything is accounted for: each low item was either delivered or counted as sampled.
      Eventually.await("every normal item, and every low item delivered or sampled", () -> {
        long sampled = node.stats().getJsonObject("merger").getLong("itemsSampled");
        return normals(frames).size() == ROUNDS && lows(frames).size() + sampled == lowPushed;
      });
      List<Integer> lowSeen = lows(frames);
      long sampled = node.stats().getJsonObject("merger").getLong("itemsSampled");
      assertEquals(List.of(0, 1, 2, 3, 4), normals(frames), "normal items: all, in order");
      // The budget is a tick's share per frame of the room, normal items first: the leading frame,
      // one per tick that passed while pushing, and the tick after the last push.
      long ticks = pushedForMillis / TICK_MILLIS + 3;
      assertTrue(lowSeen.size() <= ticks * BUDGET_PER_SECOND * TICK_MILLIS / 1_000,
        lowSeen.size() + " low items delivered in at most " + ticks + " ticks of " + BUDGET_PER_SECOND * TICK_MILLIS / 1_000);
      assertTrue(!lowSeen.isEmpty() && sampled > 0, "some low items go, the rest are sampled: " + lowSeen.size() + " and " + sampled);
      assertEquals(lowSeen.stream().sorted().toList(), lowSeen, "a sample keeps the pushed order");
      // /stats lists the most sampled rooms as of the last tick.
      Eventually.await("the room listed with its " + sampled + " sampled items",
        () -> Long.valueOf(sampled).equals(node.stats().getJsonObject("merger").getJsonObject("mostSampledRooms").getLong(ROOM)));
      for (JsonObject f : frames) {
        if ("PUSH".equals(f.getString("type")) && f.getJsonObject("data").getJsonArray("items").getJsonObject(0).containsKey("l")) {
          assertNull(f.getJsonObject("data").getValue("offset"), "low frames carry no position");
        }
      }
      wsClient.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPriorityOtherThanNormalOrLowIsRefused(Vertx vertx) {
    try (TestNode node = TestNode.start(vertx, new JsonObject())) {
      HttpResponse<String> r = Http.postJson(node.apiPort(), "/push/room",
        new JsonObject().put("room", ROOM).put("priority", "urgent").put("items", new JsonArray().add(1)));
      assertEquals(400, r.statusCode());
      assertEquals("BAD_REQUEST", new JsonObject(r.body()).getJsonObject("error").getString("code"));
      HttpResponse<String> form = Http.send("POST", node.apiPort(), "/push/room", "application/x-www-form-urlencoded",
        "room=" + ROOM + "&items=%5B1%5D&priority=low", java.util.Map.of());
      assertEquals(new JsonObject().put("accepted", 1).put("bestEffort", 1), new JsonObject(form.body()), "go-push's form takes a priority too");
    }
  }

  private static JsonObject push(TestNode node, JsonObject body) {
    HttpResponse<String> r = Http.postJson(node.apiPort(), "/push/room", body);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static List<Integer> normals(List<JsonObject> frames) {
    return items(frames, "n");
  }

  private static List<Integer> lows(List<JsonObject> frames) {
    return items(frames, "l");
  }

  private static List<Integer> items(List<JsonObject> frames, String field) {
    List<Integer> out = new ArrayList<>();
    synchronized (frames) {
      for (JsonObject f : frames) {
        if ("PUSH".equals(f.getString("type"))) {
          for (Object item : f.getJsonObject("data").getJsonArray("items")) {
            JsonObject o = (JsonObject) item;
            if (o.containsKey(field)) {
              out.add(o.getInteger(field));
            }
          }
        }
      }
    }
    return out;
  }
}
