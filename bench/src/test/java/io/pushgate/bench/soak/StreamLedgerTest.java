package io.pushgate.bench.soak;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A receiver's stream is held against what the pushers were told: same items, same offsets, once each. */
class StreamLedgerTest {

  private final StreamLedger ledger = new StreamLedger();

  private static JsonArray items(long... ids) {
    JsonArray a = new JsonArray();
    for (long id : ids) {
      a.add(new JsonObject().put("r", "room").put("n", id));
    }
    return a;
  }

  /** A cursor that joined when the stream stood at {@code start}. */
  private static StreamCursor joinedAt(long start) {
    StreamCursor c = new StreamCursor("room");
    c.onAck(new JsonObject().put("room", "room").put("offset", start).put("epoch", "e1"), false);
    return c;
  }

  @Test
  void theAcknowledgedItemsInOffsetOrderPass() {
    ledger.acked("room", "e1", 2, new long[] {10, 11});
    ledger.acked("room", "e1", 3, new long[] {12});
    StreamCursor c = joinedAt(0);
    c.onFrame(2, "e1", items(10, 11));
    c.onFrame(3, "e1", items(12));
    assertNull(ledger.check(c));
  }

  @Test
  void aReceiverThatJoinedLaterIsHeldToWhatCameAfterItsStart() {
    ledger.acked("room", "e1", 3, new long[] {10, 11, 12});
    StreamCursor c = joinedAt(2);
    c.onFrame(3, "e1", items(12));
    assertNull(ledger.check(c));
  }

  @Test
  void aMissingItemFails() {
    ledger.acked("room", "e1", 3, new long[] {10, 11, 12});
    StreamCursor c = joinedAt(0);
    c.onFrame(1, "e1", items(10));
    c.onFrame(3, "e1", items(12)); // offset 2 never came
    assertEquals(1, c.gaps);
    assertTrue(ledger.check(c).contains("skipped"), ledger.check(c));
  }

  @Test
  void anItemTwiceFails() {
    ledger.acked("room", "e1", 2, new long[] {10, 11});
    StreamCursor c = joinedAt(0);
    c.onFrame(2, "e1", items(10, 11));
    c.onFrame(2, "e1", items(11));
    assertTrue(ledger.check(c).contains("received twice"), ledger.check(c));
  }

  @Test
  void otherItemsAtTheRightOffsetsFail() {
    ledger.acked("room", "e1", 2, new long[] {10, 11});
    StreamCursor c = joinedAt(0);
    c.onFrame(2, "e1", items(11, 10)); // same items, the other order
    assertTrue(ledger.check(c).contains("another order"), ledger.check(c));
  }

  @Test
  void aReceiverShortOfTheTopFails() {
    ledger.acked("room", "e1", 2, new long[] {10, 11});
    StreamCursor c = joinedAt(0);
    c.onFrame(1, "e1", items(10));
    assertTrue(ledger.check(c).contains("the last acknowledged is 2"), ledger.check(c));
  }

  @Test
  void oneOffsetAnsweredToTwoPushesIsAConflict() {
    ledger.acked("room", "e1", 1, new long[] {10});
    ledger.acked("room", "e1", 1, new long[] {10}); // a retry answered as the push it repeats: fine
    assertEquals(0, ledger.conflicts());
    ledger.acked("room", "e1", 1, new long[] {99});
    assertEquals(1, ledger.conflicts());
    assertEquals(1, ledger.conflictExamples().size());
  }

  @Test
  void aRejoinThatIsNotRecoveredIsCountedAndStartsAgain() {
    StreamCursor c = joinedAt(0);
    c.onAck(new JsonObject().put("room", "room").put("recovered", false).put("reason", "EPOCH_CHANGED").put("offset", 0).put("epoch", "e2"), true);
    assertEquals(1L, c.notRecovered.get("EPOCH_CHANGED"));
    assertEquals("e2", c.epoch);
    c.onAck(new JsonObject().put("room", "room").put("recovered", true).put("offset", 5).put("epoch", "e2"), true);
    assertEquals(1, c.recovered);
    assertEquals(0, c.position, "a recovered rejoin's replay moves the position, not its ACK");
  }
}
