package io.pushgate.shard;

import io.pushgate.protocol.Position;

/**
 * A shard's client joins a stream: where it is, if it says ({@code since}), and what the shard
 * needs back to finish the JOIN. The merger answers on the shard's own command address, after
 * every frame it handed that shard before, so the client gets the replay, then the live frames,
 * with nothing in between lost or sent twice.
 *
 * @param connection    the shard's connection, carried back untouched
 * @param sentNanos     when the shard sent it: a history read issued later knows of every offset the client can have
 * @param deadlineNanos when a join still waiting (for this node to catch up, or for a read of the history) is told to retry (RATE_LIMITED)
 */
public record StreamJoin(int shard, Object connection, String room, Position since, Long id, boolean online, long sentNanos, long deadlineNanos) {
}
