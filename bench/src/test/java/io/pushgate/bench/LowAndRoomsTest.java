package io.pushgate.bench;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fanout's low-priority stream and its rooms: low items are told apart by their padding and counted
 * beside the normal ones, never as their loss; with several rooms each subscriber owes exactly its
 * room's share of what was pushed.
 */
class LowAndRoomsTest {

  private static final String ROOM = "live";
  private final ItemCodec normal = new ItemCodec(100);
  private final ItemCodec low = new ItemCodec(100, ItemCodec.LOW_PAD);
  private final FrameReader reader = new FrameReader(normal, false, 0);
  private final Lane lane = new Lane(null);
  private final Subscriber subscriber = new Subscriber(0, ROOM, lane, FrameReader.pushPrefix(ROOM));

  private Buffer push(ItemCodec codec, long... seqs) {
    Buffer frame = Buffer.buffer(FrameReader.pushPrefix(ROOM));
    for (int i = 0; i < seqs.length; i++) {
      if (i > 0) {
        frame.appendString(",");
      }
      codec.write(frame, seqs[i], ItemCodec.nowMicros());
    }
    return frame.appendString("]}}");
  }

  @Test
  void lowItemsAreCountedApartFromNormalOnes() {
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, push(normal, 0, 1)));
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, push(low, 0, 7, 20))); // sampled: gaps are fine
    assertEquals(2, lane.tally.itemsReceived);
    assertEquals(3, lane.tally.lowItemsReceived);
    assertEquals(2, subscriber.distinct());
    assertEquals(0, subscriber.lost(2), "low items are no normal item's loss, nor its duplicate");
    assertEquals(0, subscriber.lowOutOfOrder);
    assertEquals(3, lane.tally.lowLatency.total());
    assertEquals(0, lane.tally.unexpectedFrames);
  }

  @Test
  void aLowItemThatComesAgainOrLateIsCounted() {
    reader.read(subscriber, push(low, 5, 9));
    reader.read(subscriber, push(low, 9, 3));
    assertEquals(2, subscriber.lowOutOfOrder);
  }

  @Test
  void lowItemsOffTheFastPathAreStillToldApart() {
    Buffer spaced = Buffer.buffer(push(low, 0, 1).toString().replace("\"items\":[", "\"items\": ["));
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, spaced));
    assertEquals(2, lane.tally.lowItemsReceived);
    assertEquals(0, lane.tally.itemsReceived);
  }

  @Test
  void theLowPaddingIsOneByteAndOnlyThat() {
    byte[] n = Buffer.buffer().appendBuffer(item(normal)).getBytes();
    byte[] l = Buffer.buffer().appendBuffer(item(low)).getBytes();
    assertFalse(ItemCodec.isLow(n, 0));
    assertTrue(ItemCodec.isLow(l, 0));
    assertTrue(normal.matches(l, l.length, 0), "a low item keeps the layout the fast path reads");
    assertEquals(42, ItemCodec.seq(l, 0));
  }

  private static Buffer item(ItemCodec codec) {
    Buffer b = Buffer.buffer();
    codec.write(b, 42, 1);
    return b;
  }

  @Test
  void eachSubscriberOwesItsRoomsShare() {
    BenchOptions o = BenchOptions.parse(new String[] {"fanout", "--rooms", "3", "--connections", "6"});
    assertEquals("bench-0", o.roomOf(0));
    assertEquals("bench-2", o.roomOf(5));
    // Items 0..6 went to rooms 0,1,2,0,1,2,0.
    assertEquals(3, o.itemsOfRoom(0, 7));
    assertEquals(2, o.itemsOfRoom(4, 7));
    assertEquals(2, o.itemsOfRoom(5, 7));
    assertEquals(0, o.itemsOfRoom(2, 2));
    BenchOptions one = BenchOptions.parse(new String[] {"fanout"});
    assertEquals(7, one.itemsOfRoom(5, 7));
  }

  @Test
  void lowRateIsAPushgateFanoutsOptionWithRoomForItsMark() {
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"idle", "--low-rate", "5"}));
    assertThrows(IllegalArgumentException.class,
      () -> BenchOptions.parse(new String[] {"fanout", "--low-rate", "5", "--item-bytes", String.valueOf(ItemCodec.MIN_BYTES)}));
    assertEquals(5, BenchOptions.parse(new String[] {"fanout", "--low-rate", "5"}).lowRate);
  }

  @Test
  void severalUrlsSpreadConnectionsAndRequestsOverACluster() {
    BenchOptions o = BenchOptions.parse(new String[] {"fanout",
      "--ws", "ws://127.0.0.1:1/connect,ws://127.0.0.1:2/connect,ws://127.0.0.1:3/connect",
      "--push", "http://127.0.0.1:11/push/room,http://127.0.0.1:12/push/room"});
    assertEquals(1, o.wsUri("r", 0).getPort());
    assertEquals(3, o.wsUri("r", 5).getPort());
    assertEquals(11, o.pushUri("r", 0).getPort());
    assertEquals(12, o.pushUri("r", 3).getPort());
    assertEquals(11, o.statsUri().getPort(), "/stats of the first node");
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"fanout",
      "--ws", "ws://127.0.0.1:1/connect,ws://10.0.0.1:2/connect"}), "every URL stays on loopback");
  }
}
