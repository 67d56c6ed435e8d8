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

  /**
   * The longest epoch there can be: a node makes 12 hex digits ({@code Sequencer.newEpoch}); a longer
   * one, in a client's JOIN or from another member, was never handed out.
   */
  public static final int MAX_EPOCH_CHARS = 64;

  /**
   * The epoch of a stream that has no entry in the history (no item pushed yet, or forgotten after
   * historyIdleMillis), with offset 0. Reading a stream creates nothing, so a JOIN cannot fill the
   * cluster's history with empty streams; the stream gets a real epoch with its first item. Real
   * epochs are 12 hex digits, so this one never equals one: a client that rejoins with it after the
   * first items is told EPOCH_CHANGED, as for any other numbering it did not see begin.
   */
  public static final String NO_EPOCH = "0";

  /** Where a stream with no entry stands. */
  public static final Position NONE = new Position(0, NO_EPOCH);
}
