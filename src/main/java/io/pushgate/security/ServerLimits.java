package io.pushgate.security;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.vertx.core.http.HttpServerOptions;

/**
 * HTTP request-head bounds for both ports. Netty's decoder stops reading a request line or header
 * block at these sizes, and Vert.x then answers 414 or 431 and closes the connection: a client
 * cannot make the node buffer an unbounded request head.
 */
public final class ServerLimits {

  private ServerLimits() {
  }

  public static HttpServerOptions apply(HttpServerOptions options, PushgateConfig config) {
    // The same bound for a cleartext HTTP/2 request's headers, where a port allows HTTP/2.
    options.getInitialSettings().setMaxHeaderListSize(config.limit(Limit.MAX_HEADER_BYTES));
    return options
      .setMaxHeaderSize(config.intLimit(Limit.MAX_HEADER_BYTES))
      .setMaxInitialLineLength(config.intLimit(Limit.MAX_REQUEST_LINE_BYTES));
  }
}
