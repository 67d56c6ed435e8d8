package io.pushgate.protocol;

import io.pushgate.testing.Generators;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Properties of the client-frame decoder over generated input (QuickTheories shrinks a failure to a
 * minimal example): any text gets a defined result and never an exception, and every valid request
 * survives encoding and decoding unchanged.
 */
class ClientFrameDecoderPropertiesTest {

  /** A valid request: its expected decoding and its JSON text, fields in random order, with extra fields. */
  record Valid(ClientRequest expected, String text) {
  }

  static Gen<Valid> validRequests() {
    Gen<MessageType> types = Generate.pick(java.util.List.of(MessageType.PING, MessageType.JOIN, MessageType.LEAVE));
    Gen<Long> ids = Generate.oneOf(longs().all(), Generate.constant(() -> null));
    Gen<JsonObject> extras = Generators.json(3).map(extra -> new JsonObject().put("extra", extra));
    Gen<Integer> shuffle = integers().all();
    return types.zip(ids, Generators.room(), booleans().all(), (type, id, room, online) -> new Object[] {type, id, room, online})
      .zip(extras, shuffle, (parts, extra, seed) -> {
        MessageType type = (MessageType) parts[0];
        Long id = (Long) parts[1];
        String room = (String) parts[2];
        boolean online = (Boolean) parts[3];
        List<String> fields = new ArrayList<>(List.of("type", "data", "extra"));
        if (id != null) {
          fields.add("id");
        }
        Collections.shuffle(fields, new java.util.Random(seed));
        JsonObject data = new JsonObject().put("room", room).put("online", online).put("x", extra.getValue("extra"));
        JsonObject message = new JsonObject();
        for (String f : fields) {
          switch (f) {
            case "type" -> message.put("type", type.name());
            case "id" -> message.put("id", id);
            case "data" -> message.put("data", data);
            default -> message.put("extra", extra.getValue("extra"));
          }
        }
        ClientRequest expected = type == MessageType.PING
          ? new ClientRequest(type, id, null, false) : new ClientRequest(type, id, room, online);
        return new Valid(expected, message.encode());
      });
  }

  private static void assertDefined(String text) {
    DecodeResult r = ClientFrameDecoder.decode(text);
    assertNotNull(r, text);
    if (r instanceof DecodeResult.Fatal f) {
      assertEquals(CloseCode.INVALID_PAYLOAD, f.code(), text);
    } else if (r instanceof DecodeResult.Rejected rejected) {
      assertNotNull(rejected.code(), text);
      assertTrue(rejected.message() != null && !rejected.message().isBlank(), text);
      // An ERROR message is sent back: it must be valid JSON whatever the input was.
      new JsonObject(ServerMessages.error(rejected.code(), rejected.message(), rejected.id()));
    } else {
      ClientRequest request = ((DecodeResult.Request) r).request();
      assertNotNull(request.type(), text);
      assertTrue(request.type() == MessageType.PING || RoomName.problem(request.room()) == null, text);
    }
  }

  @Test
  void anyTextHasADefinedResultAndNeverThrows() {
    qt().withExamples(3_000).forAll(Generators.anyString(300)).checkAssert(ClientFrameDecoderPropertiesTest::assertDefined);
  }

  @Test
  void mutatedValidRequestsHaveADefinedResultAndNeverThrow() {
    qt().withExamples(5_000).forAll(Generators.mutated(validRequests().map(Valid::text)))
      .checkAssert(ClientFrameDecoderPropertiesTest::assertDefined);
  }

  @Test
  void anyJsonValueHasADefinedResult() {
    qt().withExamples(2_000).forAll(Generators.json(5)).checkAssert(value ->
      assertDefined(io.vertx.core.json.Json.encode(value)));
  }

  @Test
  void validRequestsRoundTrip() {
    qt().withExamples(3_000).forAll(validRequests()).checkAssert(valid ->
      assertEquals(new DecodeResult.Request(valid.expected()), ClientFrameDecoder.decode(valid.text()), valid.text()));
  }

  /** Deeper than the decoder's bound is a close (1007), however the nesting is spelt. */
  @Test
  void nestingBeyondTheBoundIsFatal() {
    qt().withExamples(300).forAll(integers().between(ClientFrameDecoder.MAX_NESTING, 5_000), booleans().all())
      .checkAssert((depth, arrays) -> {
        String open = arrays ? "[" : "{\"a\":";
        String close = arrays ? "]" : "}";
        String text = "{\"type\":\"PING\",\"data\":" + open.repeat(depth) + (arrays ? "" : "1") + close.repeat(depth) + "}";
        DecodeResult r = ClientFrameDecoder.decode(text);
        assertEquals(DecodeResult.Fatal.class, r.getClass(), "depth " + depth);
      });
  }
}
