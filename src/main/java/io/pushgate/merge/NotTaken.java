package io.pushgate.merge;

import io.pushgate.protocol.Position;
import io.pushgate.protocol.Target;

/**
 * Another node's push that this node will not take, though it was well formed: it is over this
 * node's own item limits (maxItemsPerPush, maxItemBytes, maxItemDepth), which the accepting node
 * may have set higher. Sent to {@code MERGE_REMOTE} instead of the push, so that the merger treats it
 * as one its queue had no room for: the clients it would have reached here are closed with 1013, or
 * a stream's items become a gap to read from the history. Only what that needs, never the items.
 *
 * @param last the position of the push's last item, for a stream's push; null otherwise
 * @param low  best effort: closes nobody
 */
public record NotTaken(Target target, Position last, boolean low) {

  /** A push of {@code items} items for {@code target}, its first at {@code first} (null: not a stream's). */
  public static NotTaken of(Target target, Position first, int items, boolean low) {
    return new NotTaken(target, first == null ? null : new Position(first.offset() + items - 1, first.epoch()), low);
  }
}
