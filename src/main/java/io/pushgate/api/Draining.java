package io.pushgate.api;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Once the node drains, every API answer closes its connection: a pusher's client keeps connections
 * alive, and its retry of a refused push (503 DRAINING) would otherwise go down the same connection to
 * the same leaving node, again and again, while Kubernetes already sends new connections to the
 * others. {@code Connection: close} tells the client, and the node closes its side once the answer is
 * written.
 */
final class Draining {

  private boolean on;

  void start() {
    on = true;
  }

  /** The API router's first handler. */
  void onRequest(RoutingContext ctx) {
    if (on) {
      ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      ctx.addEndHandler(ar -> ctx.request().connection().close());
    }
    ctx.next();
  }
}
