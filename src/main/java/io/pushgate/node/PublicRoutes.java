package io.pushgate.node;

import io.pushgate.api.ApiError;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.config.PushgateConfig;
import io.vertx.core.Vertx;
import io.pushgate.security.PublicPortHeaders;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The public port's plain HTTP: liveness, readiness, the browser client and demo page, and the
 * demo's comment endpoint. Every shard serves these beside /connect, on the same port.
 */
final class PublicRoutes {

  private static final int DEMO_BODY_BYTES = 2_048;
  private PublicRoutes() {
  }

  static Router create(Vertx vertx, PushgateConfig config) {
    Router router = Router.router(vertx);
    router.route().handler(PublicRoutes::securityHeaders);
    // HEAD as GET: probes and caches may ask only for the head; Vert.x leaves the body out.
    router.route("/health").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.route("/ready").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> ready(vertx, ctx));
    if (config.demoPublish()) {
      router.post("/demo/publish").handler(BodyHandler.create(false).setBodyLimit(DEMO_BODY_BYTES)).handler(ctx -> demoPublish(vertx, ctx));
    } else {
      router.post("/demo/publish").handler(ctx -> refuse(ctx, ApiError.NOT_FOUND, "demo publishing is off (demoPublish=false)"));
    }
    ClientScript.route(router);
    // The client and page change with every release: browsers revalidate instead of keeping a stale copy for a day.
    router.route().handler(ctx -> {
      ctx.response().putHeader("Cache-Control", "no-cache");
      if (ctx.request().path().endsWith(".d.ts")) {
        ctx.addHeadersEndHandler(v -> ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8"));
      }
      ctx.next();
    });
    router.route().handler(StaticHandler.create("webroot").setIndexPage("index.html").setCachingEnabled(false));
    router.route().failureHandler(ctx -> refuse(ctx, ApiError.forStatus(ctx.statusCode() > 0 ? ctx.statusCode() : 500),
      ctx.statusCode() == 413 ? "body too large" : "request failed"));
    // The path is not echoed: an error page that repeats what it was sent can carry a reflected payload.
    router.errorHandler(404, ctx -> refuse(ctx, ApiError.NOT_FOUND, "no such page"));
    router.errorHandler(405, ctx -> refuse(ctx, ApiError.METHOD_NOT_ALLOWED, "method not allowed here"));
    return router;
  }

  private static void securityHeaders(RoutingContext ctx) {
    PublicPortHeaders.apply(ctx.response()::putHeader);
    ctx.next();
  }

  /** Ready or not, and nothing else: the node's id and start time are for /stats on the API port. */
  private static void ready(Vertx vertx, RoutingContext ctx) {
    vertx.eventBus().<JsonObject>request(Addresses.STATUS, null, Local.OPTIONS).onComplete(ar -> {
      boolean ready = ar.succeeded() && ar.result().body().getBoolean("ready", false);
      ctx.response().setStatusCode(ready ? 200 : 503);
      ctx.json(new JsonObject().put("ready", ready));
    });
  }

  private static void demoPublish(Vertx vertx, RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      refuse(ctx, ApiError.BAD_REQUEST, "body must be JSON {\"room\": R, \"text\": T}");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.DEMO_PUBLISH, body, Local.OPTIONS).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.json(ar.result().body());
      } else if (ar.cause() instanceof ReplyException re && re.failureCode() > 0) {
        refuse(ctx, re);
      } else {
        refuse(ctx, ApiError.QUEUE_FULL, "node not ready, try again shortly");
      }
    });
  }

  /**
   * The API's refusal as it came over the bus, {@code "CODE: message"}: the code is taken from there,
   * since a status alone does not tell BAD_ROOM from BAD_REQUEST (both 400).
   */
  private static void refuse(RoutingContext ctx, ReplyException re) {
    String text = re.getMessage() == null ? "" : re.getMessage();
    int colon = text.indexOf(": ");
    ApiError named = colon > 0 ? named(text.substring(0, colon)) : null;
    if (named != null && named.status() == re.failureCode()) {
      refuse(ctx, named, text.substring(colon + 2));
    } else {
      refuse(ctx, ApiError.forStatus(re.failureCode()), text);
    }
  }

  private static ApiError named(String code) {
    try {
      return ApiError.valueOf(code);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static void refuse(RoutingContext ctx, ApiError error, String message) {
    if (error == ApiError.RATE_LIMITED) {
      ctx.response().putHeader("Retry-After", "1");
    }
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(error.status()).putHeader("Content-Type", "application/json").end(error.body(message).encode());
    }
  }
}
