package io.pushgate.security;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * The node's security state shared by its shards: the token verifier, the Origin allow-list, the
 * handshake limiter and the counters. Built once per node, in the node verticle's context.
 */
public final class NodeSecurity {

  /** How often per-IP buckets that are full again are forgotten. */
  private static final long FORGET_IDLE_MILLIS = 10_000;

  final PushgateConfig config;
  final SecurityStats stats = new SecurityStats();
  final TokenVerifier verifier;
  final OriginPolicy origins;
  final HandshakeLimiter limiter;
  final ConnectionCounts perIp;
  final ConnectionCounts perUser;

  private NodeSecurity(PushgateConfig config, TokenVerifier verifier) {
    this.config = config;
    this.verifier = verifier;
    this.origins = new OriginPolicy(SecurityConfig.list(config.text(Setting.ALLOWED_ORIGINS)));
    this.limiter = new HandshakeLimiter(config.limit(Limit.MAX_HANDSHAKES_PER_SECOND),
      config.limit(Limit.MAX_HANDSHAKES_PER_SECOND_PER_IP), config.intLimit(Limit.MAX_TRACKED_IPS), stats);
    this.perIp = new ConnectionCounts(config.intLimit(Limit.MAX_CONNECTIONS_PER_IP));
    this.perUser = new ConnectionCounts(verifier == null ? 0 : config.intLimit(Limit.MAX_CONNECTIONS_PER_USER));
  }

  /** @throws IllegalArgumentException when a configured key cannot be used */
  public static NodeSecurity create(Vertx vertx, PushgateConfig config) {
    TokenVerifier verifier = TokenVerifier.create(vertx, config);
    NodeSecurity security = new NodeSecurity(config, verifier);
    io.micrometer.core.instrument.MeterRegistry registry = io.pushgate.metrics.Metrics.registry();
    if (registry != null) {
      security.stats.bind(registry, security.limiter);
    }
    if (config.limit(Limit.MAX_HANDSHAKES_PER_SECOND_PER_IP) > 0) {
      vertx.setPeriodic(FORGET_IDLE_MILLIS, id -> security.limiter.forgetIdle(System.nanoTime()));
    }
    return security;
  }

  /** The guard of one shard; shard 0 reports the node's counters in /stats. */
  public ShardGuard forShard(Vertx vertx, int shard) {
    return new ShardGuard(this, vertx, shard == 0);
  }

  JsonObject stats() {
    return stats.toJson(limiter.trackedIps());
  }
}
