package io.pushgate.merge;

/**
 * The merger's answer to a push: taken whole, or refused whole for a reason the pusher can act on.
 * Typed, so that the API maps a refusal to its HTTP status in one place and nothing on the way
 * has to read a failure code.
 */
public sealed interface MergeResult {

  /** The push's items are merged and will go out with the next tick (or earlier, at a batch limit). */
  record Accepted(int items) implements MergeResult {
  }

  /** Nothing was taken. */
  record Refused(Reason reason, String message) implements MergeResult {
  }

  /** Why the merger refuses: both mean "retry later, maybe elsewhere". */
  enum Reason {
    /** The item bytes waiting for the tick would pass maxPendingBytes. */
    QUEUE_FULL,
    /** The node is shutting down. */
    DRAINING
  }
}
