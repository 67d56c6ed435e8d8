package io.pushgate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks that bytes are exactly one JSON value, nested no deeper than a bound, without building it:
 * one pass of a streaming parser. An item becomes part of a frame that every member parses, so one
 * that is not valid JSON would break every client's frame, not only its own.
 */
public final class ItemValidator {

  private final JsonFactory factory;
  private final int maxDepth;

  /** @param maxDepth the most arrays and objects an item may nest */
  public ItemValidator(int maxDepth) {
    this.maxDepth = maxDepth;
    this.factory = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxDepth).build()).build();
  }

  /**
   * @return why {@code item} is not one JSON value in UTF-8 within the nesting bound (a float beyond a
   *         double's range counts as none, as the push API refuses it), or null when it is
   */
  public String problem(byte[] item) {
    // Decoded first, strictly: Jackson given bytes guesses their encoding (UTF-16, UTF-32, a byte
    // order mark) and would pass bytes that no client can read as the UTF-8 frame they land in.
    CharBuffer chars;
    try {
      chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(item));
    } catch (CharacterCodingException e) {
      return "an item is not valid UTF-8";
    }
    if (chars.hasRemaining() && chars.get(chars.position()) == '\uFEFF') {
      return "an item starts with a byte order mark, which breaks the JSON of the frame it is in";
    }
    try (JsonParser p = factory.createParser(chars.array(), chars.arrayOffset() + chars.position(), chars.remaining())) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return "an item is empty";
      }
      int depth = 0;
      do {
        if (t == JsonToken.VALUE_NUMBER_FLOAT && !Double.isFinite(p.getDoubleValue())) {
          return "an item holds a number beyond the range of a double (such as 1e400)";
        }
        depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
      } while (depth > 0 && (t = p.nextToken()) != null);
      if (p.nextToken() != null) {
        return "an item holds more than one JSON value";
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return "an item is not valid JSON nested at most " + maxDepth + " levels";
    }
  }
}
