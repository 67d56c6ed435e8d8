package io.pushgate.shard;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pushgate.protocol.CloseCode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.pushgate.shard.ShardFixture.channel;
import static io.pushgate.shard.ShardFixture.closeCode;
import static io.pushgate.shard.ShardFixture.written;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A connection's WebSocket mechanics, on an EmbeddedChannel: no socket, the real handler. */
class ConnectionTest {

  private final ShardFixture shard = new ShardFixture(ShardFixture.options(64, 3, 4, 1_024), 100);

  private static TextWebSocketFrame text(String s, boolean last) {
    return new TextWebSocketFrame(last, 0, s);
  }

  private static ContinuationWebSocketFrame more(String s, boolean last) {
    return new ContinuationWebSocketFrame(last, 0, s);
  }

  /** A connection closed while frames were held for it (a failed write's 1011): nothing follows its close frame. */
  @Test
  void framesHeldWhenTheConnectionClosesAreNotWrittenAfterTheCloseFrame() {
    Connection c = shard.connect();
    byte[] item = "1".getBytes(StandardCharsets.UTF_8);
    io.pushgate.protocol.EncodedFrame frame = io.pushgate.protocol.PushFrameEncoder.encode(io.pushgate.protocol.Target.room("r"), List.of(item), item.length);
    try {
      assertTrue(c.queue(frame));
      c.close(CloseCode.INTERNAL_ERROR);
      assertTrue(c.writeQueued());
      assertEquals(CloseCode.INTERNAL_ERROR.code(), closeCode(c));
      assertNull(written(c), "no frame after the close frame");
      assertFalse(c.hasQueued());
    } finally {
      frame.release();
    }
  }

  @Test
  void fragmentsAreReassembledIntoOneMessage() {
    Connection c = shard.connect();
    channel(c).writeInbound(text("{\"type\":", false), more("\"PI", false), more("NG\"}", true));
    assertEquals(List.of("{\"type\":\"PING\"}"), shard.texts);
    channel(c).writeInbound(text("whole", true));
    assertEquals(List.of("{\"type\":\"PING\"}", "whole"), shard.texts);
  }

  /**
   * Over the message rate, a ping or pong that comes between a message's fragments is not answered,
   * and the message is kept: it is no part of it. A binary frame over the rate still closes with 1003.
   */
  @Test
  void aLimitedPingBetweenFragmentsKeepsTheMessageAndALimitedBinaryFrameCloses1003() {
    // Three messages a second, and three strikes over it before the connection is closed with 1008.
    Connection c = shard.connect(io.pushgate.security.ClientSession.detached(io.pushgate.security.Grant.OPEN, 3, 0, 0));
    channel(c).writeInbound(text("one", true), text("two", true), text("{\"type\":", false)); // the second's three
    channel(c).writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.US_ASCII)),
      new PongWebSocketFrame(Unpooled.copiedBuffer("q", StandardCharsets.US_ASCII)));
    assertTrue(c.partial != null, "the message being reassembled is kept");
    assertNull(written(c), "no pong and no ERROR for a limited control frame");
    assertEquals(List.of("one", "two"), shard.texts);
    channel(c).writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
    assertEquals(CloseCode.UNSUPPORTED_DATA.code(), closeCode(c));
  }

  @Test
  void aReassembledMessageOverMaxFrameBytesCloses1009() {
    Connection c = shard.connect();
    channel(c).writeInbound(text("x".repeat(40), false), more("y".repeat(40), true));
    assertEquals(CloseCode.MESSAGE_TOO_BIG.code(), closeCode(c));
    assertTrue(shard.texts.isEmpty());
    assertEquals(1, shard.stats.serverCloses.get(CloseCode.MESSAGE_TOO_BIG).get());
  }

  @Test
  void moreFragmentsThanMaxFragmentsCloses1009() {
    Connection c = shard.connect();
    channel(c).writeInbound(text("a", false), more("b", false), more("c", false), more("d", true));
    assertEquals(CloseCode.MESSAGE_TOO_BIG.code(), closeCode(c));
    assertTrue(shard.texts.isEmpty(), "three fragments allowed, the fourth refused: " + shard.texts);
  }

  @Test
  void aPingIsAnsweredWithItsPayloadAndABinaryFrameCloses1003() {
    Connection c = shard.connect();
    channel(c).writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("hi", StandardCharsets.US_ASCII)));
    PongWebSocketFrame pong = assertInstanceOf(PongWebSocketFrame.class, written(c));
    assertEquals("hi", pong.content().toString(StandardCharsets.US_ASCII));
    pong.release();
    channel(c).writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
    assertEquals(CloseCode.UNSUPPORTED_DATA.code(), closeCode(c));
  }

  @Test
  void theClientsCloseIsEchoedWithItsCodeAndTheConnectionEnds() {
    Connection c = shard.connect();
    channel(c).writeInbound(new CloseWebSocketFrame(4321, "bye"));
    assertEquals(4321, closeCode(c));
    assertFalse(channel(c).isActive());
    assertEquals(List.of(c), shard.closed);
    assertEquals(1, shard.stats.clientCloses.get(), "the client closed: counted as by_client");
  }

  @Test
  void theServersCloseWaitsForTheEchoThenEnds() {
    Connection c = shard.connect();
    c.close(CloseCode.GOING_AWAY);
    assertEquals(1001, closeCode(c));
    assertTrue(channel(c).isActive(), "waiting for the client's answer");
    channel(c).writeInbound(text("late", true));
    assertTrue(shard.texts.isEmpty(), "nothing is read once closing");
    channel(c).writeInbound(new CloseWebSocketFrame(1001, ""));
    assertFalse(channel(c).isActive());
    assertNull(written(c), "no second close frame");
    assertEquals(0, shard.stats.clientCloses.get());
  }

  @Test
  void aClientThatNeverAnswersTheCloseIsCutAfterCloseTimeoutMillis() {
    Connection c = shard.connect();
    EmbeddedChannel ch = channel(c);
    ch.freezeTime();
    c.close(CloseCode.HEARTBEAT_TIMEOUT);
    assertEquals(4001, closeCode(c));
    ch.advanceTimeBy(150, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertTrue(ch.isActive(), "before closeTimeoutMillis (200)");
    ch.advanceTimeBy(60, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertFalse(ch.isActive(), "cut after closeTimeoutMillis");
  }

  @Test
  void aSharedFrameIsWrittenAsItsOwnDuplicateAndAFullConnectionWritesNothing() {
    Connection c = shard.connect();
    var frame = io.pushgate.protocol.PushFrameEncoder.encode(io.pushgate.protocol.Target.room("r"), List.of("1".getBytes()), 1);
    try {
      assertTrue(c.write(frame));
      assertEquals("PUSH", ShardFixture.nextJson(c).getString("type"));
      // Over a 16-byte outbound limit: 32 bytes written but not flushed, so the channel stays full.
      channel(c).config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));
      channel(c).write(io.netty.buffer.Unpooled.wrappedBuffer(new byte[32]));
      assertFalse(c.write(frame), "unwritable: refused, for the caller to close");
      assertFalse(c.queue(frame), "unwritable: nothing held either");
      assertFalse(c.hasQueued());
      assertEquals(1, shard.stats.framesWritten.get());
    } finally {
      frame.release();
    }
  }

  /** Frames held for one write go out in the order they were handed, each whole (here through Netty: no socket). */
  @Test
  void heldFramesAreWrittenTogetherInOrder() {
    Connection c = shard.connect();
    var a = io.pushgate.protocol.PushFrameEncoder.encode(io.pushgate.protocol.Target.room("a"), List.of("1".getBytes()), 1);
    var b = io.pushgate.protocol.PushFrameEncoder.encode(io.pushgate.protocol.Target.room("b"), List.of("2".getBytes(), "3".getBytes()), 2);
    try {
      assertTrue(c.writeQueued(), "nothing held: nothing to write");
      assertTrue(c.queue(a));
      assertTrue(c.queue(b));
      assertTrue(c.queue(a));
      assertNull(written(c), "held, not written");
      assertTrue(c.writeQueued());
      assertFalse(c.hasQueued());
      assertEquals("a", ShardFixture.nextJson(c).getJsonObject("data").getString("room"));
      assertEquals(new io.vertx.core.json.JsonArray().add(2).add(3), ShardFixture.nextJson(c).getJsonObject("data").getJsonArray("items"));
      assertEquals("a", ShardFixture.nextJson(c).getJsonObject("data").getString("room"));
      assertEquals(3, shard.stats.framesWritten.get());
      assertEquals(0, shard.stats.framesWrittenDirect.get(), "an embedded channel has no socket to write to directly");
    } finally {
      a.release();
      b.release();
    }
  }

  /** Held frames stop at the outbound limit: what was written is whole, the rest is not written, the caller closes. */
  @Test
  void heldFramesOverTheOutboundLimitAreNotWrittenPastIt() {
    Connection c = shard.connect();
    var frame = io.pushgate.protocol.PushFrameEncoder.encode(io.pushgate.protocol.Target.room("r"), List.of(("\"" + "x".repeat(40) + "\"").getBytes()), 42);
    try {
      channel(c).config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));
      assertTrue(c.queue(frame));
      assertTrue(c.queue(frame));
      assertTrue(c.queue(frame));
      assertFalse(c.writeQueued(), "over the limit after the first frame");
      assertEquals("PUSH", ShardFixture.nextJson(c).getString("type"));
      assertNull(written(c), "the two frames past the limit were not written");
    } finally {
      frame.release();
    }
  }

  @Test
  void aFrameOverTheRateLimitIsRefusedWithItsId() {
    shard.handleRequests = true;
    Connection c = shard.connect(io.pushgate.security.ClientSession.detached(io.pushgate.security.Grant.OPEN, 1, 0, 0));
    channel(c).writeInbound(text("{\"type\":\"PING\",\"id\":1}", true), text("{\"type\":\"PING\",\"id\":2}", true));
    assertEquals("PONG", ShardFixture.nextJson(c).getString("type"));
    assertEquals("ACK", ShardFixture.nextJson(c).getString("type"));
    var refused = ShardFixture.nextJson(c);
    assertEquals("RATE_LIMITED", refused.getJsonObject("data").getString("code"));
    assertEquals(2L, refused.getLong("id"));
  }
}
