package io.pushgate.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pre-encoded wire frame must be exactly what a client's WebSocket decoder accepts, at every length class. */
class WireFrameTest {

  @Test
  void wireBytesDecodeAsOneTextFrameAtEveryLengthClass() {
    // Payloads under 126 bytes, up to 65,535 (16-bit length) and above (64-bit length).
    for (int itemLength : new int[] {1, 200, 70_000}) {
      byte[] item = ("\"" + "x".repeat(itemLength) + "\"").getBytes(StandardCharsets.UTF_8);
      EncodedFrame frame = PushFrameEncoder.encode(Target.room("r"), List.of(item), item.length);
      ByteBuf wire = frame.newWireBuffer();
      assertEquals(TextFrame.headerLength(frame.length()) + frame.length(), wire.readableBytes());

      // A client decoder: expects unmasked frames from a server, accepts large ones.
      EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
      client.writeInbound(wire);
      TextWebSocketFrame decoded = client.readInbound();
      assertTrue(decoded.isFinalFragment());
      assertEquals(frame.text(), decoded.text());
      decoded.release();
      client.finishAndReleaseAll();
      frame.release();
    }
  }

  @Test
  void everyWireBufferCarriesTheWholeFrameAfterOthersWereConsumed() {
    EncodedFrame frame = PushFrameEncoder.encode(Target.room("r"), List.of("1".getBytes(StandardCharsets.UTF_8)), 1);
    ByteBuf first = frame.newWireBuffer();
    int length = first.readableBytes();
    first.skipBytes(length).release();
    ByteBuf second = frame.newWireBuffer();
    assertEquals(length, second.readableBytes());
    assertEquals(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, (byte) frame.length()}), second.slice(0, 2));
    second.release();
    frame.release();
  }

  /** The pooled memory goes back once the merger and every shard released their references. */
  @Test
  void lastReleaseFreesTheFrame() {
    EncodedFrame frame = PushFrameEncoder.encode(Target.room("r"), List.of("1".getBytes(StandardCharsets.UTF_8)), 1);
    ByteBuf write = frame.retain(2).newWireBuffer();
    frame.release();
    frame.release();
    assertTrue(frame.refCnt() > 0, "a write not yet sent keeps the frame");
    write.release();
    assertEquals(1, frame.refCnt(), "one shard still holds the frame");
    frame.release();
    assertEquals(0, frame.refCnt());
  }
}
