package io.pushgate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;

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

  /** @return why {@code item} is not one JSON value within the nesting bound, or null when it is */
  public String problem(byte[] item) {
    try (JsonParser p = factory.createParser(item)) {
      if (p.nextToken() == null) {
        return "an item is empty";
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        return "an item holds more than one JSON value";
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return "an item is not valid JSON nested at most " + maxDepth + " levels";
    }
  }
}
