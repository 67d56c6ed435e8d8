package io.pushgate.api;

import io.pushgate.bus.Addresses;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pushing service on the clustered event bus (a member with no consumer of its own, so its
 * requests cross the wire) gets the same refusals an HTTP pusher gets, and an answer for every
 * request: an item nested past maxItemDepth (which every other node would drop) and JSON that the
 * node cannot even decode are 400, not accepted and not left to time out.
 */
class EventBusPushTest {

  private static Throwable refusal(Vertx service, Object push) throws Exception {
    return service.eventBus().request(Addresses.PUSH, push, new DeliveryOptions().setSendTimeout(10_000))
      .toCompletionStage().toCompletableFuture().handle((ok, error) -> error != null ? error : new AssertionError("accepted: " + ok.body()))
      .get(20, TimeUnit.SECONDS);
  }

  private static void assertRefused(Throwable refused, int status, String message) {
    ReplyException e = assertInstanceOf(ReplyException.class, refused, String.valueOf(refused));
    assertEquals(status, e.failureCode(), e.getMessage());
    assertEquals(message, e.getMessage());
  }

  private static void assertBadRequest(Throwable refused, String messagePart) {
    ReplyException e = assertInstanceOf(ReplyException.class, refused, String.valueOf(refused));
    assertEquals(400, e.failureCode(), e.getMessage());
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }

  private interface Pushing {
    void run(TestNode node, Vertx service, TestClient viewer) throws Exception;
  }

  /** A node configured with {@code overrides}, a pushing service in its cluster, and a viewer of room "bus" on the node. */
  private static void withService(JsonObject overrides, Pushing test) throws Exception {
    TestCluster members = new TestCluster(TestNode.freePortRange(2), 2);
    try (TestNode node = TestNode.start(members.member(), overrides)) {
      Vertx service = members.serviceMember();
      try (TestClient viewer = node.client().joinAcked("bus", 1)) {
        Eventually.await("2 members", () -> node.stats().getJsonObject("cluster").getInteger("members") == 2);
        test.run(node, service, viewer);
      } finally {
        service.close().await();
      }
    }
  }

  @Test
  void badItemsFromAnotherMemberAre400() throws Exception {
    withService(new JsonObject().put("maxItemDepth", 4), (node, service, viewer) -> {
      Object deep = 1;
      for (int i = 0; i < 5; i++) {
        deep = new JsonArray().add(deep);
      }
      assertBadRequest(refusal(service, new JsonObject().put("room", "bus").put("items", new JsonArray().add(deep))), "maxItemDepth=4");
      BigInteger huge = BigInteger.TEN.pow(1_000); // 1,001 digits: past the JSON parser's bound
      assertBadRequest(refusal(service, new JsonObject().put("room", "bus").put("items", new JsonArray().add(huge))), "could not be decoded");
      // 401 digits: decoded, but a browser's JSON.parse would make it Infinity.
      assertBadRequest(refusal(service, new JsonObject().put("room", "bus").put("items", new JsonArray().add(new JsonObject()
        .put("n", BigInteger.TEN.pow(400))))), "BAD_REQUEST: item 0 holds a number beyond the range of a double");
      // Half a pair crosses the wire as a JSON escape and is decoded back to it, as an HTTP body's would be.
      assertRefused(refusal(service, new JsonObject().put("room", "bus").put("items", new JsonArray().add(1).add(new JsonObject().put("a", "x\udc00")))),
        400, "BAD_REQUEST: item 1 holds an unpaired surrogate (\\udc00), which is no Unicode character and UTF-8 cannot carry");

      JsonObject ok = service.eventBus().<JsonObject>request(Addresses.PUSH, new JsonObject().put("room", "bus")
        .put("items", new JsonArray().add(new JsonArray().add(new JsonArray().add(new JsonArray().add(new JsonArray().add(7))))))).await().body();
      assertEquals(1, ok.getInteger("accepted"), "four levels are within the bound");
      assertEquals(List.of(new JsonArray("[[[[7]]]]")), viewer.awaitItems("bus", 1), "and nothing refused was delivered before it");
    });
  }

  /**
   * A field a push does not take is refused, as over HTTP: the event bus pushes to all when there is no
   * room, so a misspelt room ("Room", "roomId") sent the push to every viewer, and a misspelt
   * "priorty" was dropped without a word. Neither reaches anyone.
   */
  @Test
  void anUnknownFieldIsRefusedAndReachesNoOne() throws Exception {
    withService(new JsonObject(), (node, service, viewer) -> {
      assertBadRequest(refusal(service, new JsonObject().put("Room", "bus").put("items", new JsonArray().add("misrouted"))), "'Room'");
      assertBadRequest(refusal(service, new JsonObject().put("roomId", "bus").put("items", new JsonArray().add("misrouted"))), "'roomId'");
      assertBadRequest(refusal(service, new JsonObject().put("room", "bus").put("priorty", "low").put("items", new JsonArray().add("typo"))),
        "'priorty'");

      for (JsonObject push : List.of(new JsonObject().put("items", new JsonArray().add("to all")),
        new JsonObject().put("room", "bus").put("items", new JsonArray().add("to bus")))) {
        assertEquals(1, service.eventBus().<JsonObject>request(Addresses.PUSH, push).await().body().getInteger("accepted"));
      }
      List<Object> received = new java.util.ArrayList<>();
      while (received.size() < 2) {
        received.addAll(viewer.await(m -> "PUSH".equals(m.getString("type"))).getJsonObject("data").getJsonArray("items").getList());
      }
      assertEquals(java.util.Set.of("to all", "to bus"), java.util.Set.copyOf(received), "only the two pushes taken: " + received);
      assertEquals(3, node.stats().getJsonObject("api").getJsonObject("refused").getLong("BAD_REQUEST"));
    });
  }

  /**
   * No HTTP body limit bounds what arrives over the event bus: a push is held to maxBodyBytes all the
   * same (its items as encoded, or a string or buffer body as it came), refused 413 as over HTTP.
   */
  @Test
  void aPushOverMaxBodyBytesIs413() throws Exception {
    withService(new JsonObject().put("maxBodyBytes", 1_024), (node, service, viewer) -> {
      // Two items of 602 bytes each, encoded: each within maxItemBytes, together over maxBodyBytes.
      assertRefused(refusal(service, new JsonObject().put("room", "bus").put("items", new JsonArray().add("x".repeat(600)).add("y".repeat(600)))),
        413, "TOO_LARGE: items of more than maxBodyBytes=1024 bytes in all, encoded (an event-bus push is held to an HTTP body's limit)");
      // An item of a megabyte, decoded by Vert.x before pushgate sees it: refused on its characters'
      // count, before an encoding would copy it twice more.
      JsonObject large = new JsonObject().put("a", new JsonObject().put("b", "x".repeat(1_000_000)));
      assertRefused(refusal(service, new JsonObject().put("room", "bus").put("items", new JsonArray().add(large))), 413,
        "TOO_LARGE: item 0 is at least 1000014 bytes, more than maxItemBytes=16384");
      assertRefused(refusal(service, "z".repeat(1_025)), 413, "TOO_LARGE: body larger than maxBodyBytes=1024 bytes");
      assertRefused(refusal(service, io.vertx.core.buffer.Buffer.buffer(new byte[1_025])), 413, "TOO_LARGE: body larger than maxBodyBytes=1024 bytes");
      assertBadRequest(refusal(service, "z"), "body must be a JSON object"); // a short string is still no push

      String fits = "w".repeat(1_022); // 1,024 bytes encoded: at the limit, not over it
      JsonObject ok = service.eventBus().<JsonObject>request(Addresses.PUSH, new JsonObject().put("room", "bus")
        .put("items", new JsonArray().add(fits))).await().body();
      assertEquals(1, ok.getInteger("accepted"));
      assertEquals(List.of(fits), viewer.awaitItems("bus", 1), "and nothing refused was delivered before it");
      JsonObject refused = node.stats().getJsonObject("api").getJsonObject("refused");
      assertEquals(4, refused.getLong("TOO_LARGE"));
      assertEquals(1, refused.getLong("BAD_REQUEST"));
    });
  }
}
