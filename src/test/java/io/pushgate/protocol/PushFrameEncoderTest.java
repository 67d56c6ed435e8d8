package io.pushgate.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PushFrameEncoderTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void roomFrameIsTheProtocolsJsonWithTheRoomEscaped() {
    List<byte[]> items = List.of(utf8("{\"a\":1}"), utf8("\"文字\""), utf8("null"));
    long bytes = items.stream().mapToLong(b -> b.length).sum();
    EncodedFrame frame = PushFrameEncoder.encode(Target.room("quote\" and \\ room 默认"), items, bytes);
    JsonObject expected = new JsonObject().put("type", "PUSH").put("data", new JsonObject()
      .put("room", "quote\" and \\ room 默认")
      .put("items", new JsonArray().add(new JsonObject().put("a", 1)).add("文字").addNull()));
    assertEquals(expected, new JsonObject(frame.text()));
    assertEquals(3, frame.items());
    assertEquals(utf8(frame.text()).length, frame.length());
  }

  @Test
  void frameToAllHasNoRoom() {
    EncodedFrame frame = PushFrameEncoder.encode(Target.ALL, List.of(utf8("1")), 1);
    assertEquals("{\"type\":\"PUSH\",\"data\":{\"items\":[1]}}", frame.text());
  }

  /** The writes of one frame to many sockets must each see all of its bytes. */
  @Test
  void everyWriteCarriesTheWholeFrameAfterOthersWereConsumed() {
    EncodedFrame frame = PushFrameEncoder.encode(Target.room("r"), List.of(utf8("[1,2,3]")), 7);
    for (int i = 0; i < 3; i++) {
      var wire = frame.newWireBuffer();
      // 2 header bytes (FIN + text opcode, then the 7-bit length) before the payload.
      assertEquals(2 + frame.length(), wire.readableBytes());
      assertEquals(0x81, wire.getUnsignedByte(wire.readerIndex()));
      assertEquals(frame.length(), wire.getUnsignedByte(wire.readerIndex() + 1));
      assertEquals(frame.text(), wire.toString(wire.readerIndex() + 2, frame.length(), java.nio.charset.StandardCharsets.UTF_8));
      wire.skipBytes(wire.readableBytes());
      wire.release();
    }
    assertEquals("{\"type\":\"PUSH\",\"data\":{\"room\":\"r\",\"items\":[[1,2,3]]}}", frame.text());
  }
}
