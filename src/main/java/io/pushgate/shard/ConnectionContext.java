package io.pushgate.shard;

/**
 * What every connection of a shard shares, one reference each: the shard's options and counters,
 * and the listener that hears what its connections say.
 */
record ConnectionContext(ShardOptions options, ShardStats stats, Listener listener) {

  /** What a connection tells its shard. */
  interface Listener {
    /** A whole text message arrived. */
    void onText(Connection c, String text);

    /**
     * A message was refused by the message rate limit and goes unanswered unless told: the
     * listener answers it, with {@code text} when the whole message is at hand (to find its id).
     */
    void onRateLimited(Connection c, String text);

    /** The socket is closed; called once. */
    void onClosed(Connection c);
  }
}
