package io.pushgate.shard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.WriteBufferWaterMark;
import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.PushFrameEncoder;
import io.pushgate.protocol.Target;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.pushgate.shard.ShardFixture.channel;
import static io.pushgate.shard.ShardFixture.closeCode;
import static io.pushgate.shard.ShardFixture.nextJson;
import static io.pushgate.shard.ShardFixture.written;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub's writes to many connections, on EmbeddedChannels. */
class HubTest {

  private final ShardFixture shard = new ShardFixture(ShardFixture.options(4_096, 64, 64, 1_024), 100);

  private static EncodedFrame frame(Target target, String item) {
    byte[] bytes = item.getBytes(StandardCharsets.UTF_8);
    return PushFrameEncoder.encode(target, List.of(bytes), bytes.length);
  }

  @Test
  void aRoomsFrameReachesItsMembersOnlyAndAllReachesEveryone() {
    Connection a = shard.connect();
    Connection b = shard.connect();
    Connection other = shard.connect();
    shard.hub.rooms.join("r", a);
    shard.hub.rooms.join("r", b);
    EncodedFrame toRoom = frame(Target.room("r"), "1");
    EncodedFrame toAll = frame(Target.ALL, "2");
    try {
      shard.hub.deliver(List.of(toRoom, toAll), System.nanoTime());
      for (Connection member : List.of(a, b)) {
        assertEquals(new JsonObject("{\"type\":\"PUSH\",\"data\":{\"room\":\"r\",\"items\":[1]}}"), nextJson(member));
        assertEquals(new JsonObject("{\"type\":\"PUSH\",\"data\":{\"items\":[2]}}"), nextJson(member));
      }
      assertEquals(new JsonObject("{\"type\":\"PUSH\",\"data\":{\"items\":[2]}}"), nextJson(other));
      assertNull(written(other), "nothing of room r");
      assertEquals(5, shard.stats.framesWritten.get());
      assertEquals(1, shard.stats.fanout.toJson().getLong("count"), "one delivery recorded");
    } finally {
      toRoom.release();
      toAll.release();
    }
  }

  @Test
  void aConnectionOverItsOutboundLimitIsClosedAsASlowConsumerAfterTheLoop() {
    Connection fast = shard.connect();
    Connection slow = shard.connect();
    shard.hub.rooms.join("r", fast);
    shard.hub.rooms.join("r", slow);
    channel(slow).config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
    // Bytes written and not flushed keep the slow channel over its limit.
    channel(slow).write(io.netty.buffer.Unpooled.copiedBuffer("backlog", StandardCharsets.US_ASCII));
    EncodedFrame f = frame(Target.room("r"), "1");
    try {
      shard.hub.deliver(List.of(f), System.nanoTime());
    } finally {
      f.release();
    }
    assertEquals("PUSH", nextJson(fast).getString("type"));
    channel(slow).flush();
    ByteBuf backlog = assertInstanceOf(ByteBuf.class, written(slow));
    backlog.release();
    assertEquals(CloseCode.SLOW_CONSUMER.code(), closeCode(slow));
    assertEquals(1, shard.stats.serverCloses.get(CloseCode.SLOW_CONSUMER).get());
  }

  private static final long INTERVAL_NANOS = 1_000_000_000L;
  private static final long SPACING_NANOS = INTERVAL_NANOS * 9 / 10;
  /** The clock the hub is handed counts by: an interval per hand-out unless a test moves it. */
  private long now;

  /** The online counter's hand-out, an interval after the last. */
  private void handOut(Map<String, Integer> totals) {
    now += INTERVAL_NANOS;
    shard.hub.online(totals, SPACING_NANOS, now);
  }

  /** {@code c} (a new connection when null) joins room r with "online": true. */
  private Connection watching(Connection c) {
    Connection watcher = c == null ? shard.connect() : c;
    shard.hub.rooms.join("r", watcher);
    shard.hub.rooms.watch("r", watcher);
    return watcher;
  }

  /** A watcher of room r, told its count 2 at a hand-out. */
  private Connection toldTwo() {
    Connection watcher = watching(null);
    handOut(Map.of("r", 2));
    assertEquals(2, nextJson(watcher).getJsonObject("data").getInteger("count"));
    return watcher;
  }

  @Test
  void watchersHearACountOnlyWhenItChanges() {
    Connection watcher = watching(null);
    handOut(Map.of("r", 3));
    assertEquals(new JsonObject("{\"type\":\"ONLINE\",\"data\":{\"room\":\"r\",\"count\":3}}"), nextJson(watcher));
    handOut(Map.of("r", 3));
    assertNull(written(watcher), "the same count is not sent again");
    handOut(Map.of("r", 4));
    assertEquals(4, nextJson(watcher).getJsonObject("data").getInteger("count"));
  }

  /**
   * A watcher that asks for the counts again (a JOIN with online after one without, which ended no
   * watch) hears the count at the next interval though it did not change: its page shows nothing
   * until it does. Once: the interval after hears only changes again.
   */
  @Test
  void aWatcherThatAsksAgainHearsTheCountAtTheNextIntervalUnchanged() {
    Connection watcher = toldTwo();
    handOut(Map.of("r", 2));
    assertNull(written(watcher), "unchanged: nothing");
    watching(watcher); // JOIN r with online again
    handOut(Map.of("r", 2));
    assertEquals(2, nextJson(watcher).getJsonObject("data").getInteger("count"), "asked again: told again");
    handOut(Map.of("r", 2));
    assertNull(written(watcher), "once");
  }

  /**
   * A new watcher hears nothing when it starts watching, and the room's count at the next interval
   * even when it did not change (for the newcomer it is new): one ONLINE, whichever way it is owed.
   */
  @Test
  void aNewWatcherHearsTheCountOnceAtTheNextIntervalChangedOrNot() {
    Connection old = toldTwo();

    Connection newcomer = watching(null);
    assertNull(written(newcomer), "nothing before the interval");
    handOut(Map.of());
    assertNull(written(newcomer), "no count of the room yet: it waits for one");
    handOut(Map.of("r", 2));
    assertEquals(new JsonObject("{\"type\":\"ONLINE\",\"data\":{\"room\":\"r\",\"count\":2}}"), nextJson(newcomer));
    assertNull(written(newcomer), "once");
    assertNull(written(old), "the old watcher heard 2 already");
    handOut(Map.of("r", 2));
    assertNull(written(newcomer), "then only changes");

    shard.hub.rooms.leave("r", newcomer);
    watching(newcomer);
    Connection another = watching(null);
    handOut(Map.of("r", 3));
    for (Connection c : List.of(old, newcomer, another)) {
      assertEquals(3, nextJson(c).getJsonObject("data").getInteger("count"), "a rejoin is a new watcher; a change reaches all");
      assertNull(written(c), "one ONLINE, though newcomers are owed one and the count changed");
    }
  }

  /**
   * A late round of the counter followed by a quick one hands counts out twice within an interval:
   * a room told at the first hears nothing at the second, neither its change nor its newcomers'
   * first count, and both at the next.
   */
  @Test
  void aRoomToldLessThanAnIntervalAgoWaitsForTheNextHandOut() {
    Connection old = toldTwo();

    Connection newcomer = watching(null);
    now += 35_000_000L;
    shard.hub.online(Map.of("r", 3), SPACING_NANOS, now);
    assertNull(written(old), "a change 35 ms after the last count waits");
    assertNull(written(newcomer), "and so does a newcomer's first count, which the change would follow within the interval");

    handOut(Map.of("r", 3));
    for (Connection c : List.of(old, newcomer)) {
      assertEquals(3, nextJson(c).getJsonObject("data").getInteger("count"));
      assertNull(written(c), "once");
    }
  }

  @Test
  void theSweepClosesSilentConnectionsWith4001() {
    Connection silent = shard.connect();
    Connection talking = shard.connect();
    long later = System.nanoTime() + shard.options.heartbeatTimeoutMillis() * 1_000_000L + 1;
    talking.lastSeenNanos = later;
    shard.hub.sweep(later);
    assertEquals(CloseCode.HEARTBEAT_TIMEOUT.code(), closeCode(silent));
    assertNull(written(talking));
    assertTrue(channel(talking).isActive());
  }
}
