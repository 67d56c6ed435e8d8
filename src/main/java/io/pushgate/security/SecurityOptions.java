package io.pushgate.security;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;

import java.util.List;

/**
 * The limits and lists the public port's defences need, read once (keys and secrets are read where
 * they are turned into verifiers: {@link TokenVerifier}, {@link ApiKeys}, {@link EventBusTls}).
 *
 * @param rejoinAllowance JOINs and messages a connection may send at once after its handshake (maxRoomsPerConnection)
 * @param trustedProxies  peers whose X-Forwarded-For names the client for the per-IP limits
 */
public record SecurityOptions(long handshakeTimeoutMillis, long messagesPerSecond, long joinsPerSecond, long rejoinAllowance,
                              long handshakesPerSecond, long handshakesPerSecondPerIp, int maxTrackedIps,
                              int maxConnectionsPerIp, int maxConnectionsPerUser, List<String> allowedOrigins,
                              int maxHeaderBytes, int maxRequestLineBytes, TrustedProxies trustedProxies) {

  public static final SecurityOptions DEFAULTS = from(PushgateConfig.defaults());

  public static SecurityOptions from(PushgateConfig config) {
    return new SecurityOptions(config.limit(Limit.HANDSHAKE_TIMEOUT_MILLIS), config.limit(Limit.MAX_MESSAGES_PER_SECOND),
      config.limit(Limit.MAX_JOINS_PER_SECOND), config.limit(Limit.MAX_ROOMS_PER_CONNECTION),
      config.limit(Limit.MAX_HANDSHAKES_PER_SECOND), config.limit(Limit.MAX_HANDSHAKES_PER_SECOND_PER_IP),
      config.intLimit(Limit.MAX_TRACKED_IPS), config.intLimit(Limit.MAX_CONNECTIONS_PER_IP), config.intLimit(Limit.MAX_CONNECTIONS_PER_USER),
      SecurityConfig.list(config.text(Setting.ALLOWED_ORIGINS)),
      config.intLimit(Limit.MAX_HEADER_BYTES), config.intLimit(Limit.MAX_REQUEST_LINE_BYTES),
      TrustedProxies.parse(config.text(Setting.TRUSTED_PROXIES)));
  }
}
