package io.pushgate.security;

import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.SharedCounter;
import io.pushgate.metrics.Stats;

/**
 * The node's security counters, shared by its shards (refusals are rare, so a LongAdder per counter
 * costs nothing on the delivery path): {@code security} in /stats, and
 * {@code pushgate_security_events_total{event=...}} in /metrics.
 */
public final class SecurityStats {

  final Stats stats;
  final SharedCounter handshakeRateNode;
  final SharedCounter handshakeRateIp;
  final SharedCounter originRefused;
  final SharedCounter tokenMissing;
  final SharedCounter tokenInvalid;
  final SharedCounter requestLineTooLong;
  final SharedCounter headersTooLarge;
  final SharedCounter malformedRequests;
  final SharedCounter connectionsPerIp;
  final SharedCounter connectionsPerUser;
  final SharedCounter tokenExpiredClosed;
  final SharedCounter messageRateClosed;
  final SharedCounter messagesLimited;
  final SharedCounter joinsLimited;
  final SharedCounter forbiddenJoins;
  final SharedCounter handshakeTimeouts;
  final SharedCounter ipsEvicted;
  final SharedCounter tokensRefreshed;
  final SharedCounter refreshRefused;
  final SharedCounter refreshesLimited;

  SecurityStats(Stats stats) {
    this.stats = stats;
    handshakeRateNode = event(stats, "refused.handshake_rate_node", "handshake_rate_node");
    handshakeRateIp = event(stats, "refused.handshake_rate_ip", "handshake_rate_ip");
    originRefused = event(stats, "refused.origin", "origin_refused");
    tokenMissing = event(stats, "refused.token_missing", "token_missing");
    tokenInvalid = event(stats, "refused.token_invalid", "token_invalid");
    requestLineTooLong = event(stats, "refused.request_line_too_long", "request_line_too_long");
    headersTooLarge = event(stats, "refused.headers_too_large", "headers_too_large");
    malformedRequests = event(stats, "refused.malformed_request", "malformed_requests");
    connectionsPerIp = event(stats, "refused.connections_per_ip", "connections_per_ip");
    connectionsPerUser = event(stats, "refused.connections_per_user", "connections_per_user");
    tokenExpiredClosed = event(stats, "closed.token_expired", "token_expired_closed");
    messageRateClosed = event(stats, "closed.message_rate", "message_rate_closed");
    messagesLimited = event(stats, "rateLimited.messages", "messages_rate_limited");
    joinsLimited = event(stats, "rateLimited.joins", "joins_rate_limited");
    forbiddenJoins = event(stats, "forbiddenJoins", "forbidden_joins");
    handshakeTimeouts = event(stats, "handshakeTimeouts", "handshake_timeouts");
    ipsEvicted = event(stats, "ipsEvicted", "ips_evicted");
    tokensRefreshed = event(stats, "tokensRefreshed", "tokens_refreshed");
    refreshRefused = event(stats, "refused.refresh", "refresh_refused");
    refreshesLimited = event(stats, "rateLimited.refreshes", "refreshes_rate_limited");
  }

  private static SharedCounter event(Stats stats, String path, String event) {
    return stats.shared("security." + path, "pushgate_security_events", "refusals, closes and limits of io.pushgate.security",
      Tags.of("event", event));
  }
}
