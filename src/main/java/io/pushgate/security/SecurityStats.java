package io.pushgate.security;

import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.LongAdder;

/**
 * The node's security counters, shared by its shards (refusals are rare, so a LongAdder per counter
 * costs nothing on the delivery path). Reported once per node, as {@code security} in /stats.
 */
public final class SecurityStats {

  final LongAdder handshakeRateNode = new LongAdder();
  final LongAdder handshakeRateIp = new LongAdder();
  final LongAdder originRefused = new LongAdder();
  final LongAdder tokenMissing = new LongAdder();
  final LongAdder tokenInvalid = new LongAdder();
  final LongAdder tokenExpiredClosed = new LongAdder();
  final LongAdder messageRateClosed = new LongAdder();
  final LongAdder messagesLimited = new LongAdder();
  final LongAdder joinsLimited = new LongAdder();
  final LongAdder forbiddenJoins = new LongAdder();
  final LongAdder handshakeTimeouts = new LongAdder();
  final LongAdder ipsEvicted = new LongAdder();
  final LongAdder requestLineTooLong = new LongAdder();
  final LongAdder headersTooLarge = new LongAdder();
  final LongAdder malformedRequests = new LongAdder();
  final LongAdder connectionsPerIp = new LongAdder();
  final LongAdder connectionsPerUser = new LongAdder();

  /** The same counters for GET /metrics: {@code pushgate_security_events_total{event=...}}. */
  void bind(io.micrometer.core.instrument.MeterRegistry registry, HandshakeLimiter limiter) {
    java.util.Map<String, LongAdder> events = new java.util.LinkedHashMap<>();
    events.put("handshake_rate_node", handshakeRateNode);
    events.put("handshake_rate_ip", handshakeRateIp);
    events.put("origin_refused", originRefused);
    events.put("token_missing", tokenMissing);
    events.put("token_invalid", tokenInvalid);
    events.put("token_expired_closed", tokenExpiredClosed);
    events.put("message_rate_closed", messageRateClosed);
    events.put("messages_rate_limited", messagesLimited);
    events.put("joins_rate_limited", joinsLimited);
    events.put("forbidden_joins", forbiddenJoins);
    events.put("handshake_timeouts", handshakeTimeouts);
    events.put("ips_evicted", ipsEvicted);
    events.put("request_line_too_long", requestLineTooLong);
    events.put("headers_too_large", headersTooLarge);
    events.put("malformed_requests", malformedRequests);
    events.put("connections_per_ip", connectionsPerIp);
    events.put("connections_per_user", connectionsPerUser);
    events.forEach((event, adder) -> io.pushgate.metrics.Metrics.counter(registry, "pushgate_security_events",
      "refusals, closes and limits of io.pushgate.security", io.micrometer.core.instrument.Tags.of("event", event), adder, LongAdder::doubleValue));
    io.micrometer.core.instrument.Gauge.builder("pushgate_security_tracked_ips", limiter, HandshakeLimiter::trackedIps)
      .description("client addresses with a handshake bucket").register(registry);
  }

  JsonObject toJson(int trackedIps) {
    return new JsonObject()
      .put("refused", new JsonObject()
        .put("handshake_rate_node", handshakeRateNode.sum())
        .put("handshake_rate_ip", handshakeRateIp.sum())
        .put("origin", originRefused.sum())
        .put("token_missing", tokenMissing.sum())
        .put("token_invalid", tokenInvalid.sum())
        .put("request_line_too_long", requestLineTooLong.sum())
        .put("headers_too_large", headersTooLarge.sum())
        .put("malformed_request", malformedRequests.sum())
        .put("connections_per_ip", connectionsPerIp.sum())
        .put("connections_per_user", connectionsPerUser.sum()))
      .put("closed", new JsonObject()
        .put("token_expired", tokenExpiredClosed.sum())
        .put("message_rate", messageRateClosed.sum()))
      .put("rateLimited", new JsonObject()
        .put("messages", messagesLimited.sum())
        .put("joins", joinsLimited.sum()))
      .put("forbiddenJoins", forbiddenJoins.sum())
      .put("handshakeTimeouts", handshakeTimeouts.sum())
      .put("trackedIps", trackedIps)
      .put("ipsEvicted", ipsEvicted.sum());
  }
}
