package io.pushgate.security;

import io.vertx.core.http.HttpServerOptions;

/**
 * HTTP request-head bounds for both ports. Netty's decoder stops reading a request line or header
 * block at these sizes, and Vert.x then answers 414 or 431 and closes the connection: a client
 * cannot make the node buffer an unbounded request head.
 */
public final class ServerLimits {

  private ServerLimits() {
  }

  public static HttpServerOptions apply(HttpServerOptions options, SecurityOptions limits) {
    // The same bound for a cleartext HTTP/2 request's headers, where a port allows HTTP/2.
    options.getInitialSettings().setMaxHeaderListSize(limits.maxHeaderBytes());
    return options
      .setMaxHeaderSize(limits.maxHeaderBytes())
      .setMaxInitialLineLength(limits.maxRequestLineBytes());
  }
}
