package io.pushgate.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClientFrameDecoderTest {

  @Test
  void decodesTheThreeRequests() {
    assertEquals(new DecodeResult.Request(new ClientRequest(MessageType.PING, null, null, false)),
      ClientFrameDecoder.decode("{\"type\":\"PING\",\"data\":{}}"));
    assertEquals(new DecodeResult.Request(new ClientRequest(MessageType.JOIN, 42L, "默认房间", true)),
      ClientFrameDecoder.decode("{\"id\":42,\"type\":\"JOIN\",\"data\":{\"room\":\"默认房间\",\"online\":true,\"extra\":[1,{\"a\":2}]}}"));
    assertEquals(new DecodeResult.Request(new ClientRequest(MessageType.LEAVE, null, "r", false)),
      ClientFrameDecoder.decode("{\"type\":\"LEAVE\",\"data\":{\"room\":\"r\"}}"));
  }

  @Test
  void notAJsonObjectIsFatal1007() {
    for (String text : new String[] {"", "[]", "42", "\"PING\"", "{", "{\"type\":\"PING\"} {}", "nonsense"}) {
      DecodeResult r = ClientFrameDecoder.decode(text);
      assertEquals(DecodeResult.Fatal.class, r.getClass(), text);
      assertEquals(CloseCode.INVALID_PAYLOAD, ((DecodeResult.Fatal) r).code());
    }
  }

  @Test
  void deepNestingIsRefusedWithoutRecursion() {
    String deep = "{\"type\":\"PING\",\"data\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
    assertEquals(CloseCode.INVALID_PAYLOAD, ((DecodeResult.Fatal) ClientFrameDecoder.decode(deep)).code());
  }

  @Test
  void wrongShapesAreRejectedWithTheirCodeAndId() {
    assertEquals(ErrorCode.UNKNOWN_TYPE, rejected("{\"type\":\"SUBSCRIBE\",\"id\":1}").code());
    assertEquals(1L, rejected("{\"type\":\"SUBSCRIBE\",\"id\":1}").id());
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":7}").code());
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"data\":{}}").code());
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":\"JOIN\"}").code());
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":\"JOIN\",\"data\":\"r\"}").code());
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":\"PING\",\"id\":\"x\"}").code());
    // A room missing or not a string is data of the wrong shape; a string that is no room name is BAD_ROOM.
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":\"JOIN\",\"data\":{\"room\":5}}").code());
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":\"JOIN\",\"data\":{}}").code());
    assertEquals(ErrorCode.BAD_ROOM, rejected("{\"type\":\"JOIN\",\"data\":{\"room\":\"\"}}").code());
    assertEquals(ErrorCode.BAD_ROOM, rejected("{\"type\":\"LEAVE\",\"data\":{\"room\":\"a\\nb\"}}").code());
  }

  @Test
  void roomNamesCountCharactersNotBytes() {
    assertEquals(null, RoomName.problem("房".repeat(128)));
    assertEquals(null, RoomName.problem("😀".repeat(128)));
    assertEquals("room is longer than 128 characters", RoomName.problem("😀".repeat(129)));
    assertEquals("room contains an unpaired surrogate", RoomName.problem("a\uD800b"));
  }

  @Test
  void refreshCarriesItsTokenAndJoinItsPosition() {
    assertEquals(new DecodeResult.Request(new ClientRequest(MessageType.REFRESH, 5L, null, false, null, "a.b.c")),
      ClientFrameDecoder.decode("{\"type\":\"REFRESH\",\"id\":5,\"data\":{\"token\":\"a.b.c\"}}"));
    assertEquals(new DecodeResult.Request(new ClientRequest(MessageType.JOIN, 6L, "r", true, new Position(41, "e1"), null)),
      ClientFrameDecoder.decode("{\"type\":\"JOIN\",\"id\":6,\"data\":{\"room\":\"r\",\"online\":true,\"since\":{\"offset\":41,\"epoch\":\"e1\"}}}"));
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":\"REFRESH\",\"id\":1,\"data\":{}}").code());
    assertEquals(ErrorCode.BAD_REQUEST, rejected("{\"type\":\"REFRESH\",\"data\":{\"token\":7}}").code());
    for (String since : new String[] {"{\"offset\":-1,\"epoch\":\"e\"}", "{\"offset\":1}", "{\"epoch\":\"e\"}", "7",
      "{\"offset\":1.5,\"epoch\":\"e\"}", "{\"offset\":1,\"epoch\":\"" + "e".repeat(65) + "\"}"}) {
      DecodeResult.Rejected r = rejected("{\"type\":\"JOIN\",\"id\":2,\"data\":{\"room\":\"r\",\"since\":" + since + "}}");
      assertEquals(ErrorCode.BAD_REQUEST, r.code(), since);
      assertEquals(2L, r.id());
    }
  }

  /** A room name cannot widen a token's grant, nor look like another room. */
  @Test
  void wildcardsAndInvisibleCharactersAreNotRoomNames() {
    assertEquals("room contains '*', which token room patterns use as a wildcard", RoomName.problem("user-1*"));
    assertEquals("room contains '*', which token room patterns use as a wildcard", RoomName.problem("*"));
    assertEquals("room contains an invisible format character", RoomName.problem("lob\u200Bby"));      // zero-width space, Cf
    assertEquals("room contains an invisible format character", RoomName.problem("lobby\u202E"));     // right-to-left override, Cf
    assertEquals("room contains an invisible format character", RoomName.problem("a\uDB40\uDC01"));  // U+E0001 language tag, Cf
    assertEquals("room contains a line or paragraph separator", RoomName.problem("a\u2028b"));        // Zl
    assertEquals("room contains a line or paragraph separator", RoomName.problem("a\u2029b"));        // Zp
    assertEquals(ErrorCode.BAD_ROOM, rejected("{\"type\":\"JOIN\",\"data\":{\"room\":\"game-*\"}}").code());
    assertEquals(null, RoomName.problem("user-1:chat"));
    assertEquals(null, RoomName.problem("默认房间"));
  }

  private static DecodeResult.Rejected rejected(String text) {
    return (DecodeResult.Rejected) ClientFrameDecoder.decode(text);
  }
}
