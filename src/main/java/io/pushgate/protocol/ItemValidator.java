package io.pushgate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Checks that bytes are exactly one JSON value, nested no deeper than a bound, without building it:
 * one pass of a streaming parser. An item becomes part of a frame that every member parses, so one
 * that is not valid JSON would break every client's frame, not only its own.
 */
public final class ItemValidator {

  /**
   * Why an item is refused. {@code overLimit}: it is one valid JSON value, only nested deeper than
   * this node's bound, as another node with a higher maxItemDepth may well have accepted it.
   */
  public record Problem(String message, boolean overLimit) {
  }

  /**
   * How deep the parser follows an item past maxDepth, to tell a deep item from a broken one: a
   * streaming parser keeps a small object per open level, so this bounds what a deep item costs;
   * deeper counts as broken (no node accepts it unless configured with a maxItemDepth above it).
   */
  public static final int MAX_PARSED_DEPTH = 10_000;

  private final JsonFactory factory;
  private final int maxDepth;

  /** @param maxDepth the most arrays and objects an item may nest */
  public ItemValidator(int maxDepth) {
    this.maxDepth = maxDepth;
    this.factory = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Math.max(maxDepth, MAX_PARSED_DEPTH)).build()).build();
  }

  /** @return {@link #check}'s message, or null when the item is fine */
  public String problem(byte[] item) {
    Problem problem = check(item);
    return problem == null ? null : problem.message();
  }

  /**
   * @return why {@code item} is not one JSON value in UTF-8 within the nesting bound (a number beyond a
   *         double's range, float or integer, counts as none, as the push API refuses it), or null when it is
   */
  public Problem check(byte[] item) {
    return check(Unpooled.wrappedBuffer(item));
  }

  /**
   * {@link #check(byte[])} of {@code item}'s readable bytes where they lie: a broadcast's items are
   * checked inside the message, also those of a push over a limit, which are never copied out.
   */
  public Problem check(ByteBuf item) {
    // Checked as UTF-8 first: Jackson given bytes guesses their encoding (a byte order mark, zero bytes
    // of UTF-16 or UTF-32) and would pass bytes that no client can read in the UTF-8 frame they land
    // in. Bytes that pass are UTF-8 without a mark or a zero byte, which Jackson then reads as UTF-8.
    String encoding = utf8Problem(item);
    if (encoding != null) {
      return new Problem(encoding, false);
    }
    try (JsonParser p = parser(item)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return new Problem("an item is empty", false);
      }
      int depth = 0;
      int deepest = 0;
      do {
        // An integer too is a double to a browser's JSON.parse: one of 400 digits would be Infinity there.
        if ((t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.BIG_INTEGER)
          && !Double.isFinite(p.getDoubleValue())) {
          return new Problem("an item holds a number beyond the range of a double (such as 1e400, or an integer of 400 digits)", false);
        }
        depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
        deepest = Math.max(deepest, depth);
      } while (depth > 0 && (t = p.nextToken()) != null);
      if (p.nextToken() != null) {
        return new Problem("an item holds more than one JSON value", false);
      }
      return deepest > maxDepth ? new Problem("an item nests " + deepest + " levels, more than maxItemDepth=" + maxDepth, true) : null;
    } catch (IOException | RuntimeException e) {
      return new Problem("an item is not valid JSON", false);
    }
  }

  private JsonParser parser(ByteBuf item) throws IOException {
    if (item.hasArray()) {
      return factory.createParser(item.array(), item.arrayOffset() + item.readerIndex(), item.readableBytes());
    }
    // Direct memory has no array to parse in place: streamed, still not copied whole. (An InputStream,
    // not the DataInput ByteBufInputStream also is: that parser reads another way.)
    InputStream direct = new ByteBufInputStream(item.duplicate());
    return factory.createParser(direct);
  }

  /**
   * Why {@code b}'s readable bytes are not UTF-8 as a frame may carry it (Netty's {@code ByteBufUtil.isText}:
   * no overlong forms, no surrogates, nothing past U+10FFFF), or start with a byte order mark, or hold a
   * zero byte; null when fine. No decoder: nothing to allocate, and nothing
   * new to compile on a path every broadcast item takes.
   */
  static String utf8Problem(ByteBuf b) {
    int from = b.readerIndex();
    if (b.readableBytes() >= 3 && b.getUnsignedByte(from) == 0xEF && b.getUnsignedByte(from + 1) == 0xBB && b.getUnsignedByte(from + 2) == 0xBF) {
      return "an item starts with a byte order mark, which breaks the JSON of the frame it is in";
    }
    if (b.indexOf(from, b.writerIndex(), (byte) 0) >= 0) {
      return "an item holds a zero byte";
    }
    return ByteBufUtil.isText(b, StandardCharsets.UTF_8) ? null : "an item is not valid UTF-8";
  }
}
