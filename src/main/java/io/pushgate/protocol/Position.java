package io.pushgate.protocol;

/**
 * A place in a stream (PROTOCOL.md, "Streams"): the offset of an item and the epoch of the stream's
 * numbering. Offsets start at 1; offset 0 is the position before the first item.
 */
public record Position(long offset, String epoch) {

  /**
   * The largest offset there can be: the largest integer a JavaScript client reads exactly from
   * JSON (2^53 - 1). A node never gets near it (285 years at a million items a second); a position
   * past it comes from a broken or hostile cluster member.
   */
  public static final long MAX_OFFSET = (1L << 53) - 1;
}
