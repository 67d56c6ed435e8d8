package io.pushgate.protocol;

/**
 * Why a JOIN with {@code since}, or a history request with it, could not continue where the
 * client stood (PROTOCOL.md, Streams): the {@code reason} of an answer with {@code recovered: false}.
 */
public enum NotRecovered {
  /** Items after the client's position were trimmed or expired. */
  HISTORY_GONE,
  /** The client's epoch is not the stream's: its numbering started again. */
  EPOCH_CHANGED,
  /** More than maxRecoveryItems were missed. */
  TOO_FAR,
  /** The room is not a stream. */
  NO_HISTORY
}
