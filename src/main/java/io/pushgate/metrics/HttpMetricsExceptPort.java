package io.pushgate.metrics;

import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientConfig;
import io.vertx.core.http.HttpServerConfig;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TcpClientConfig;
import io.vertx.core.net.TcpServerConfig;
import io.vertx.core.net.QuicEndpointConfig;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TransportMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;

/**
 * Vert.x's metrics, except for the servers listening on one port: the public port, whose
 * WebSockets the shards take over from Vert.x after the handshake. Vert.x would count each of those
 * connections open for ever (its close is never seen), so that port has pushgate's own connection
 * meters only, while the API port keeps Vert.x's HTTP request metrics.
 */
final class HttpMetricsExceptPort implements VertxMetrics {

  private final VertxMetrics delegate;
  private final int port;

  HttpMetricsExceptPort(VertxMetrics delegate, int port) {
    this.delegate = delegate;
    this.port = port;
  }

  private boolean excluded(SocketAddress address) {
    return address != null && address.port() == port;
  }

  @Override
  public HttpServerMetrics<?, ?> createHttpServerMetrics(HttpServerConfig config, SocketAddress tcpLocalAddress, SocketAddress udpLocalAddress) {
    return excluded(tcpLocalAddress) || excluded(udpLocalAddress) ? null : delegate.createHttpServerMetrics(config, tcpLocalAddress, udpLocalAddress);
  }

  @Override
  public TransportMetrics<?> createTcpServerMetrics(TcpServerConfig config, String protocol, SocketAddress localAddress) {
    return excluded(localAddress) ? null : delegate.createTcpServerMetrics(config, protocol, localAddress);
  }

  @Override
  public EventBusMetrics createEventBusMetrics() {
    return delegate.createEventBusMetrics();
  }

  @Override
  public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
    return delegate.createClientMetrics(remoteAddress, type, namespace);
  }

  @Override
  public HttpClientMetrics<?, ?> createHttpClientMetrics(HttpClientConfig config) {
    return delegate.createHttpClientMetrics(config);
  }

  @Override
  public TransportMetrics<?> createTcpClientMetrics(TcpClientConfig config, String protocol) {
    return delegate.createTcpClientMetrics(config, protocol);
  }

  @Override
  public TransportMetrics<?> createQuicEndpointMetrics(QuicEndpointConfig config, String protocol, SocketAddress localAddress) {
    return excluded(localAddress) ? null : delegate.createQuicEndpointMetrics(config, protocol, localAddress);
  }

  @Override
  public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
    return delegate.createDatagramSocketMetrics(options);
  }

  @Override
  public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
    return delegate.createPoolMetrics(type, name, maxSize);
  }

  @Override
  public void vertxCreated(Vertx vertx) {
    delegate.vertxCreated(vertx);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
