package io.pushgate.merge;

import io.pushgate.protocol.Position;

/**
 * The merger's answer to a push: taken whole, or refused whole for a reason the pusher can act on.
 * Typed, so that the API maps a refusal to its HTTP status in one place and nothing on the way
 * has to read a failure code.
 */
public sealed interface MergeResult {

  /**
   * The push's items are taken and will go out with the next tick (or earlier, at a batch limit).
   *
   * The merger has sent what the other nodes must get by then (a stream push once its append
   * numbered it): the pusher's wait may end first, in a timeout, and the push is taken all the same.
   *
   * @param last for a stream, the position of the push's last item (PROTOCOL.md: the push reply's
   *             offset and epoch); null for other rooms
   */
  record Accepted(int items, Position last) implements MergeResult {
  }

  /** Nothing was taken. */
  record Refused(Reason reason, String message) implements MergeResult {
  }

  /** Why the merger refuses: each means "retry later, maybe elsewhere"; OUTCOME_UNKNOWN, "with the same idempotencyKey". */
  enum Reason {
    /** The item bytes waiting for the tick would pass maxPendingBytes. */
    QUEUE_FULL,
    /** The node is shutting down. */
    DRAINING,
    /** The stream's history could not take the items (no owner for its partition, the member is leaving): retry. */
    HISTORY_UNAVAILABLE,
    /** The stream's history did not confirm the append ({@link io.pushgate.history.AppendOutcomeUnknown}): it may have been taken. */
    OUTCOME_UNKNOWN,
    /** Frames could not be encoded for want of direct memory, or nearly so: what is pending goes first. */
    DIRECT_MEMORY
  }
}
