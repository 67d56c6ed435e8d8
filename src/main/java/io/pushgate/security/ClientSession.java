package io.pushgate.security;

import io.pushgate.config.Limit;
import io.pushgate.protocol.ErrorCode;

/**
 * One connection's security state: what its token grants, and its message and JOIN buckets. Owned by
 * the connection's shard and touched only on its event loop. A connection with no token and no
 * per-connection limit shares {@link #unlimited}, which holds no state at all.
 */
public final class ClientSession {

  /** What to do with a client frame. */
  public enum FrameVerdict { ALLOW, LIMITED, CLOSE }

  /** Why a JOIN is refused: the ERROR to answer it with; the connection stays. */
  public record Refusal(ErrorCode code, String message) {
  }

  /** Replaced by a REFRESH with a new token of the same user. */
  private Grant grant;
  private final SecurityStats stats;
  private final TokenBucket messages;
  private final long messagesPerSecond;
  private final TokenBucket joins;
  private final long joinsPerSecond;
  /**
   * Refusals the connection may still earn: maxMessagesPerSecond of them a second, as many at once.
   * Empty means flooding. A bucket, not a count reset by the next frame let through: a client pacing
   * its flood (one frame through per refill, dozens refused) would otherwise never be closed.
   */
  private final TokenBucket strikes;
  /** The timer closing the connection when its token expires; -1 for none. */
  long expiryTimer = -1;
  /** The keys this connection is counted under for maxConnectionsPerIp and maxConnectionsPerUser; null when not. */
  final String ipKey;
  final String userKey;
  /** When this connection's last REFRESH was taken up; Long.MIN_VALUE for never. */
  private long lastRefreshNanos = Long.MIN_VALUE;

  /**
   * @param rejoinAllowance one-time messages and JOINs on top of both buckets: a client that
   *                        reconnects rejoins all its rooms at once, and must not lose one to a limit
   */
  ClientSession(Grant grant, SecurityStats stats, long messagesPerSecond, long joinsPerSecond, long rejoinAllowance,
                String ipKey, String userKey, long nowNanos) {
    this.grant = grant;
    this.stats = stats;
    this.messagesPerSecond = messagesPerSecond;
    this.messages = messagesPerSecond > 0 ? new TokenBucket(messagesPerSecond, rejoinAllowance, nowNanos) : null;
    this.strikes = messagesPerSecond > 0 ? new TokenBucket(messagesPerSecond, nowNanos) : null;
    this.joinsPerSecond = joinsPerSecond;
    this.joins = joinsPerSecond > 0 ? new TokenBucket(joinsPerSecond, rejoinAllowance, nowNanos) : null;
    this.ipKey = ipKey;
    this.userKey = userKey;
  }

  static ClientSession unlimited(SecurityStats stats) {
    return new ClientSession(Grant.OPEN, stats, 0, 0, 0, null, null, 0);
  }

  /**
   * A session outside any node, its refusals counted nowhere: for a connection driven on its own,
   * as the shard's unit tests do on an EmbeddedChannel. Rates of 0 are off.
   */
  public static ClientSession detached(Grant grant, long messagesPerSecond, long joinsPerSecond, long rejoinAllowance) {
    return new ClientSession(grant, new SecurityStats(io.pushgate.metrics.Stats.of(io.micrometer.core.instrument.Tags.empty(), null)),
      messagesPerSecond, joinsPerSecond, rejoinAllowance, null, null, System.nanoTime());
  }

  public Grant grant() {
    return grant;
  }

  /** A refreshed token's grant: same user, new deadline and rooms. */
  void replace(Grant refreshed) {
    this.grant = refreshed;
  }

  /**
   * Every frame (data, continuation, ping) takes a token. Without one the frame is refused; a
   * connection refused more than {@code maxMessagesPerSecond} times in a second (beyond a burst of as
   * many) is flooding, and is closed.
   */
  public FrameVerdict onFrame(long nowNanos) {
    if (messages == null) {
      return FrameVerdict.ALLOW; // no state touched: the unlimited session is shared by every shard
    }
    if (messages.tryTake(nowNanos)) {
      return FrameVerdict.ALLOW;
    }
    if (!strikes.tryTake(nowNanos)) {
      stats.messageRateClosed.inc();
      return FrameVerdict.CLOSE;
    }
    stats.messagesLimited.inc();
    return FrameVerdict.LIMITED;
  }

  public String limitedMessage() {
    return "more than " + Limit.MAX_MESSAGES_PER_SECOND.key() + "=" + messagesPerSecond + ": message not processed";
  }

  /**
   * A REFRESH costs a token check, as a handshake does (an RS256 one about 60 us): at most one a
   * second per connection, which a client that refreshes once per token lifetime never reaches.
   *
   * @return null when the REFRESH may be checked now, else the ERROR to answer it with
   */
  Refusal checkRefresh(long nowNanos) {
    if (lastRefreshNanos != Long.MIN_VALUE && nowNanos - lastRefreshNanos < REFRESH_SPACING_NANOS) {
      stats.refreshesLimited.inc();
      return new Refusal(ErrorCode.RATE_LIMITED, "one REFRESH a second per connection: retry in a second");
    }
    lastRefreshNanos = nowNanos;
    return null;
  }

  static final long REFRESH_SPACING_NANOS = 1_000_000_000L;

  /**
   * Takes one of the connection's JOINs a second as a JOIN arrives: a JOIN that waits behind others
   * (of streams, answered by the merger) is answered later, but was sent now, and a client that sent
   * its JOINs at the allowed pace is not refused because they are answered together.
   * @return false when the JOIN is over maxJoinsPerSecond (counted when it is answered so: checkJoin)
   */
  public boolean takeJoin(long nowNanos) {
    return joins == null || joins.tryTake(nowNanos);
  }

  /**
   * Whether a JOIN of {@code room} may be answered now: by the grant it meets when answered (a REFRESH
   * it waited behind may have changed it), and by the rate it met when it came ({@link #takeJoin}).
   * @return null when the JOIN may proceed, else the ERROR to answer it with
   */
  public Refusal checkJoin(String room, boolean inRate) {
    if (!grant.rooms().allows(room)) {
      stats.forbiddenJoins.inc();
      return new Refusal(ErrorCode.FORBIDDEN, "the token does not allow this room");
    }
    if (!inRate) {
      stats.joinsLimited.inc(); // the RATE_LIMITED answers sent: a JOIN also forbidden is answered FORBIDDEN
      return new Refusal(ErrorCode.RATE_LIMITED, "more than " + Limit.MAX_JOINS_PER_SECOND.key() + "=" + joinsPerSecond + " JOINs per second");
    }
    return null;
  }
}
