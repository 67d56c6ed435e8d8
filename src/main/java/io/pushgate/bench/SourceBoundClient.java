package io.pushgate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.HttpClientConfig;
import io.vertx.core.http.impl.WebSocketClientImpl;
import io.vertx.core.http.impl.tcp.TcpHttpClientTransport;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.tcp.NetClientBuilder;

/**
 * A WebSocket client whose connections leave from a given source address.
 *
 * <p>Vert.x 5.1.6 drops {@link WebSocketClientOptions#setLocalAddress} on the way to its TCP client:
 * {@code TcpClientConfig(ClientOptionsBase)} copies every option but that one, so every connection
 * left from 127.0.0.1 and one address's ~28k ephemeral ports bounded the generator. This builds the
 * client the way {@code Vertx.createWebSocketClient} does, with the address set on the TCP
 * configuration itself. Internal API, so {@link Worker} checks the address of each connection.
 */
final class SourceBoundClient {

  private SourceBoundClient() {
  }

  static WebSocketClient create(Vertx vertx, WebSocketClientOptions options, String source) {
    VertxInternal vx = (VertxInternal) vertx;
    HttpClientOptions http = new HttpClientOptions(options);
    http.setDefaultHost(options.getDefaultHost());
    http.setDefaultPort(options.getDefaultPort());
    http.setUseAlpn(false);
    http.setProtocolVersion(HttpVersion.HTTP_1_1);
    HttpClientConfig config = new HttpClientConfig(http);
    config.getTcpConfig().setLocalAddress(SocketAddress.inetSocketAddress(0, source));
    TcpHttpClientTransport transport = TcpHttpClientTransport.create(
      new NetClientBuilder(vx, config.getTcpConfig()).protocol("http").build(), config, false, null);
    return new WebSocketClientImpl(vx, http, options, transport, null);
  }
}
