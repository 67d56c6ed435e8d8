package io.pushgate.security;

import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.config.PushgateConfig;
import io.vertx.core.Vertx;

/**
 * The node's security state shared by its shards: the token verifier, the Origin allow-list, the
 * handshake limiter and the counters. Built once per node, in the node verticle's context.
 */
public final class NodeSecurity {

  /** How often per-IP buckets that are full again are forgotten. */
  private static final long FORGET_IDLE_MILLIS = 10_000;
  /** Addresses forgotten per turn at most: the shards' handshakes wait for the limiter's lock meanwhile. */
  private static final int FORGET_PER_TURN = 2_000;

  final SecurityOptions options;
  final SecurityStats stats;
  final TokenVerifier verifier;
  final OriginPolicy origins;
  final HandshakeLimiter limiter;
  final ConnectionCounts perIp;
  final ConnectionCounts perUser;

  private NodeSecurity(PushgateConfig config, TokenVerifier verifier, Stats stats) {
    this.verifier = verifier;
    this.stats = new SecurityStats(stats);
    this.options = SecurityOptions.from(config);
    this.origins = new OriginPolicy(options.allowedOrigins());
    this.limiter = new HandshakeLimiter(options.handshakesPerSecond(), options.handshakesPerSecondPerIp(), options.maxTrackedIps(), this.stats);
    this.perIp = new ConnectionCounts(options.maxConnectionsPerIp());
    this.perUser = new ConnectionCounts(verifier == null ? 0 : options.maxConnectionsPerUser());
    stats.gauge("security.trackedIps", "pushgate_security_tracked_ips", "client addresses with a handshake bucket", limiter::trackedIps);
  }

  /** @throws IllegalArgumentException when a configured key cannot be used */
  public static NodeSecurity create(Vertx vertx, PushgateConfig config, NodeStats nodeStats) {
    TokenVerifier verifier = TokenVerifier.create(vertx, config);
    NodeSecurity security = new NodeSecurity(config, verifier, nodeStats.add(Stats.of(Tags.empty(), null)));
    if (security.options.handshakesPerSecondPerIp() > 0) {
      vertx.setPeriodic(FORGET_IDLE_MILLIS, id -> security.forgetIdle(vertx));
    }
    return security;
  }

  /** Forgets idle addresses a slice at a time, each slice on its own turn of the loop, until none is left. */
  private void forgetIdle(Vertx vertx) {
    if (limiter.forgetIdle(System.nanoTime(), FORGET_PER_TURN) == FORGET_PER_TURN) {
      vertx.runOnContext(v -> forgetIdle(vertx));
    }
  }

  /** The guard of one shard, on that shard's event loop. */
  public ShardGuard forShard(Vertx vertx) {
    return new ShardGuard(this, vertx);
  }
}
