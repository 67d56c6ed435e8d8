package io.pushgate.api;

import io.micrometer.core.instrument.Tags;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Stats;
import io.vertx.core.eventbus.Message;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;

/** Every refusal of the push API, answered in its one form (HTTP or event bus) and counted by its code. */
final class Refusals {

  private final Map<ApiError, Counter> counts;

  Refusals(Stats stats) {
    counts = stats.counters(ApiError.class, e -> "api.refused." + e.name(), "pushgate_api_refusals", "push API requests refused",
      e -> Tags.of("code", e.name(), "status", String.valueOf(e.status())));
  }

  /** {@code {"error": {"code": C, "message": M}}} with the error's status. */
  void refuse(RoutingContext ctx, ApiError error, String message) {
    counts.get(error).inc();
    if (ctx.response().ended()) {
      return;
    }
    if (error.status() == 503) {
      // Nothing was taken: a retry is welcome, a second later, or at once on a new connection from a draining node.
      ctx.response().putHeader("Retry-After", error == ApiError.DRAINING ? "0" : "1");
    }
    ctx.response().setStatusCode(error.status()).putHeader("Content-Type", "application/json").putHeader(PushApiVerticle.NOSNIFF, "nosniff").end(error.body(message).encode());
  }

  /** The event bus's form: the failure code is the HTTP status, the message {@code "CODE: message"}. */
  void fail(Message<?> msg, PushRefused refused) {
    counts.get(refused.error()).inc();
    msg.fail(refused.error().status(), refused.error().busMessage(refused.getMessage()));
  }
}
