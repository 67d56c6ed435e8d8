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

  private static Throwable refusal(Vertx service, JsonObject push) throws Exception {
    return service.eventBus().request(Addresses.PUSH, push, new DeliveryOptions().setSendTimeout(10_000))
      .toCompletionStage().toCompletableFuture().handle((ok, error) -> error != null ? error : new AssertionError("accepted: " + ok.body()))
      .get(20, TimeUnit.SECONDS);
  }

  private static void assertBadRequest(Throwable refused, String messagePart) {
    ReplyException e = assertInstanceOf(ReplyException.class, refused, String.valueOf(refused));
    assertEquals(400, e.failureCode(), e.getMessage());
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }

  @Test
  void badItemsFromAnotherMemberAre400() throws Exception {
    TestCluster members = new TestCluster(TestNode.freePortRange(2), 2);
    try (TestNode node = TestNode.start(members.member(), new JsonObject().put("maxItemDepth", 4))) {
      Vertx service = members.member();
      try (TestClient viewer = node.client().joinAcked("bus", 1)) {
        Eventually.await("2 members", () -> node.stats().getJsonObject("cluster").getInteger("members") == 2);
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

        JsonObject ok = service.eventBus().<JsonObject>request(Addresses.PUSH, new JsonObject().put("room", "bus")
          .put("items", new JsonArray().add(new JsonArray().add(new JsonArray().add(new JsonArray().add(new JsonArray().add(7))))))).await().body();
        assertEquals(1, ok.getInteger("accepted"), "four levels are within the bound");
        assertEquals(List.of(new JsonArray("[[[[7]]]]")), viewer.awaitItems("bus", 1), "and nothing refused was delivered before it");
      } finally {
        service.close().await();
      }
    }
  }
}
