package io.pushgate.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ItemValidatorTest {

  private final ItemValidator validator = new ItemValidator(4);

  @Test
  void utf8OfEveryLengthPasses() {
    for (String json : new String[] {"\"ascii\"", "\"é\"", "\"默认房间\"", "\"😀 \\u0000\"", "[1.5, {\"a\": \"\uFEFF inside\"}]", " 1 "}) {
      assertNull(validator.problem(json.getBytes(StandardCharsets.UTF_8)), json);
    }
    // The last scalar of each length: U+007F, U+07FF, U+FFFF (not a surrogate), U+10FFFF.
    assertNull(validator.problem(bytes('"', 0x7F, 0xDF, 0xBF, 0xEF, 0xBF, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF, '"')));
    assertNull(validator.problem(bytes('"', 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80, '"')), "U+D7FF and U+E000, either side of the surrogates");
  }

  @Test
  void whatNoClientCanReadIsRefused() {
    assertEquals("an item starts with a byte order mark, which breaks the JSON of the frame it is in", validator.problem(bytes(0xEF, 0xBB, 0xBF, '1')));
    assertEquals("an item holds a zero byte", validator.problem(bytes(0, '"', 0, 0xE9, 0, '"')), "UTF-16");
    String notUtf8 = "an item is not valid UTF-8";
    assertEquals(notUtf8, validator.problem(bytes('"', 0xED, 0xA0, 0x80, '"')), "a surrogate");
    assertEquals(notUtf8, validator.problem(bytes('"', 0xC0, 0x80, '"')), "overlong, two bytes");
    assertEquals(notUtf8, validator.problem(bytes('"', 0xE0, 0x80, 0xAF, '"')), "overlong, three bytes");
    assertEquals(notUtf8, validator.problem(bytes('"', 0xF0, 0x80, 0x80, 0xAF, '"')), "overlong, four bytes");
    assertEquals(notUtf8, validator.problem(bytes('"', 0xF4, 0x90, 0x80, 0x80, '"')), "past U+10FFFF");
    assertEquals(notUtf8, validator.problem(bytes('"', 0xE9, '"')), "a lead byte without its continuation");
    assertEquals(notUtf8, validator.problem(bytes('"', 0xE6, 0x88)), "cut short at the end");
    assertEquals(notUtf8, validator.problem(bytes('"', 0x80, '"')), "a continuation byte alone");
    String beyondDouble = "an item holds a number beyond the range of a double (such as 1e400, or an integer of 400 digits)";
    assertEquals(beyondDouble, validator.problem("[1, {\"x\": -1e400}]".getBytes(StandardCharsets.UTF_8)));
    // A browser's JSON.parse reads an integer as a double: 10^400 would be Infinity there, 10^308 is not.
    assertEquals(beyondDouble, validator.problem(("[1, {\"x\": -1" + "0".repeat(400) + "}]").getBytes(StandardCharsets.UTF_8)));
    assertEquals(beyondDouble, validator.problem(new java.math.BigDecimal(Double.MAX_VALUE).toBigInteger().shiftLeft(1).toString()
      .getBytes(StandardCharsets.UTF_8)), "twice the largest double, 309 digits");
    assertNull(validator.problem(("1" + "0".repeat(308)).getBytes(StandardCharsets.UTF_8)));
    assertNull(validator.problem(new java.math.BigDecimal(Double.MAX_VALUE).toBigInteger().toString().getBytes(StandardCharsets.UTF_8)),
      "the largest double, written as an integer");
    assertEquals("an item holds more than one JSON value", validator.problem("1 2".getBytes(StandardCharsets.UTF_8)));
    assertEquals("an item is empty", validator.problem(" ".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new ItemValidator.Problem("an item is not valid JSON", false), validator.check("[[[[[1]]]]".getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Valid JSON that is only deeper than this node's bound is told apart from broken JSON: another node
   * with a higher maxItemDepth may have accepted it. Past MAX_PARSED_DEPTH nothing is followed further.
   */
  @Test
  void anItemDeeperThanTheBoundIsOverTheLimitNotBroken() {
    assertNull(validator.check("[[[[1]]]]".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new ItemValidator.Problem("an item nests 5 levels, more than maxItemDepth=4", true),
      validator.check("[[[[{\"a\": 1}]]], 2]".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new ItemValidator.Problem("an item holds more than one JSON value", false), validator.check("[[[[[1]]]]] 2".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new ItemValidator.Problem("an item holds a number beyond the range of a double (such as 1e400, or an integer of 400 digits)", false),
      validator.check("[[[[[1e400]]]]]".getBytes(StandardCharsets.UTF_8)));
    int deepest = ItemValidator.MAX_PARSED_DEPTH;
    assertEquals(new ItemValidator.Problem("an item nests " + deepest + " levels, more than maxItemDepth=4", true),
      validator.check(("[".repeat(deepest) + "]".repeat(deepest)).getBytes(StandardCharsets.UTF_8)));
    assertEquals(new ItemValidator.Problem("an item is not valid JSON", false),
      validator.check(("[".repeat(deepest + 1) + "]".repeat(deepest + 1)).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * A broadcast's items are checked where they lie in its message, in a heap or a direct buffer: what
   * stands either side of an item is none of it.
   */
  @Test
  void anItemIsCheckedWhereItLiesAsAlone() {
    byte[] message = bytes(0, 'x', '[', '1', ',', '"', 0xC3, 0xA9, '"', ']', 0xEF, 0xBB, 0xBF, 0);
    io.netty.buffer.ByteBuf direct = io.netty.buffer.Unpooled.directBuffer(message.length).writeBytes(message);
    try {
      for (io.netty.buffer.ByteBuf in : java.util.List.of(io.netty.buffer.Unpooled.wrappedBuffer(message), direct)) {
        assertNull(validator.check(in.slice(2, 8)), "[1,\"é\"] between garbage");
        assertEquals("an item is not valid JSON", validator.check(in.slice(1, 9)).message(), "x[1,\"é\"]");
        assertEquals("an item holds a zero byte", validator.check(in.slice(2, 12)).message());
        assertEquals("an item starts with a byte order mark, which breaks the JSON of the frame it is in",
          validator.check(in.slice(10, 3)).message());
        assertEquals("an item is not valid UTF-8", validator.check(in.slice(6, 1)).message(), "half of é");
      }
    } finally {
      direct.release();
    }
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }
}
