package io.pushgate.security;

import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;

import java.util.List;

/**
 * A WebSocket upgrade request as the guard sees it before it is answered: what it asks for, from
 * where, and the two ways to answer it. Both answers run on {@link #loop()}, the connection's event loop.
 */
public interface Handshake {

  /** The request's path, as sent (not percent-decoded). */
  String path();

  /** The request's query string as sent, null when there is none. */
  String query();

  /** The first value of header {@code name} (any case), null when absent. */
  String header(String name);

  /** Every value of header {@code name} (any case), in the order sent. */
  List<String> headers(String name);

  /** The TCP peer's IP address, null when unknown. */
  String peer();

  /** The connection's event loop, where {@link #reject} and {@link #accept} must run. */
  EventExecutor loop();

  /**
   * Refuses the upgrade with HTTP {@code status}. The connection stays open for another request
   * (unless the client asked to close), still under the handshake clock it got at accept.
   */
  void reject(int status);

  /**
   * Upgrades: the 101 is written and the channel's decoders are a WebSocket's from here on.
   * @return the channel, or null when it closed while the upgrade was being decided
   */
  Channel accept();
}
