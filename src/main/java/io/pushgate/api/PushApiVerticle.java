package io.pushgate.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.pushgate.bus.Addresses;
import io.pushgate.metrics.Metrics;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.merge.PushBatch;
import io.pushgate.security.ApiKeys;
import io.pushgate.security.RequestDeadline;
import io.pushgate.security.ServerLimits;
import io.pushgate.protocol.RoomName;
import io.pushgate.security.TokenBucket;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The push API on the API port (POST /push/room, /push/all, GET /stats) and on the event bus
 * (pushgate.push). Everything is validated here; the merger only ever sees well-formed batches.
 */
public final class PushApiVerticle extends VerticleBase {

  private static final Logger log = Logger.getLogger(PushApiVerticle.class.getName());
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String JSON = "application/json";

  private final PushgateConfig config;
  private final PushParser parser;
  private static final int DEMO_TEXT_CHARS = 200;
  /** The demo's anonymous publishing reaches only rooms meant for it, never a real room. */
  static final String DEMO_ROOM_PREFIX = "demo";

  private final TokenBucket demoBucket;
  /** Indexed by ordinal, readable by a metrics scrape on another thread. */
  private final long[] refusals = new long[ApiError.values().length];
  private long pushesAccepted;
  private long requestTimeouts;

  public PushApiVerticle(PushgateConfig config) {
    this.config = config;
    this.parser = new PushParser(config);
    this.demoBucket = new TokenBucket(config.limit(Limit.DEMO_PUBLISH_PER_SECOND), System.nanoTime());
  }

  @Override
  public Future<?> start() {
    MessageConsumer<Object> busPushes = vertx.eventBus().consumer(Addresses.PUSH, this::onBusPush);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.DEMO_PUBLISH, this::onDemoPublish);
    vertx.eventBus().localConsumer(Addresses.API_DRAIN, msg -> busPushes.unregister().onComplete(ar -> msg.reply(ar.succeeded())));

    Router router = Router.router(vertx);
    RequestDeadline deadline = new RequestDeadline(config.limit(Limit.API_REQUEST_TIMEOUT_MILLIS), () -> requestTimeouts++);
    router.route().handler(deadline::onRequest);
    ApiKeys.protect(router, config); // then: with keys configured, nothing else runs without one
    router.post("/push/*").handler(this::requireSupportedContentType);
    router.post("/push/*").handler(BodyHandler.create(false).setBodyLimit(config.limit(Limit.MAX_BODY_BYTES)));
    router.post("/push/room").handler(ctx -> push(ctx, true));
    router.post("/push/all").handler(ctx -> push(ctx, false));
    MeterRegistry registry = Metrics.registry();
    if (registry != null) {
      for (ApiError e : ApiError.values()) {
        Metrics.counter(registry, "pushgate_api_refusals", "push API requests refused", Tags.of("code", e.name(), "status", String.valueOf(e.status())),
          this, api -> api.refusals[e.ordinal()]);
      }
      Metrics.counter(registry, "pushgate_api_request_timeouts", "API connections closed because a request was not complete within apiRequestTimeoutMillis",
        Tags.empty(), this, api -> api.requestTimeouts);
      router.get("/metrics").handler(PrometheusScrapingHandler.create(Metrics.REGISTRY));
    } else {
      router.get("/metrics").handler(ctx -> refuse(ctx, ApiError.NOT_FOUND, "metrics are off in this Vert.x instance"));
    }
    router.get("/rooms/:room").handler(this::roomOnline);
    router.get("/stats").handler(ctx -> NodeStats.collect(vertx, config.shards(), apiStats())
      .onSuccess(ctx::json)
      .onFailure(ctx::fail));
    router.route().failureHandler(this::renderFailure);
    router.errorHandler(404, ctx -> refuse(ctx, ApiError.NOT_FOUND, "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(405, ctx -> refuse(ctx, ApiError.METHOD_NOT_ALLOWED, ctx.request().method() + " is not allowed on " + ctx.request().path()));

    HttpServerOptions options = new HttpServerOptions().setHost(config.apiHost()).setPort(config.apiPort());
    // HTTP/1.1 only, as on the public port: with cleartext HTTP/2 detection Vert.x announces a
    // connection only once a whole request head has arrived, too late for the request deadline.
    ServerLimits.apply(options, config).setHttp2ClearTextEnabled(false)
      .setIdleTimeout((int) config.limit(Limit.API_IDLE_TIMEOUT_MILLIS)).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    return busPushes.completion()
      .compose(v -> vertx.createHttpServer(options).connectionHandler(deadline::onConnection).requestHandler(router).listen())
      .recover(e -> Future.failedFuture(new IllegalStateException("cannot listen on the API port "
        + config.apiHost() + ":" + config.apiPort() + " (apiPort): " + e.getMessage(), e)));
  }


  private void requireSupportedContentType(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    String base = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase();
    if (!base.equals(FORM) && !base.equals(JSON)) {
      refuse(ctx, ApiError.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be " + JSON + " or " + FORM + ", got '" + type + "'");
      return;
    }
    ctx.next();
  }

  private void push(RoutingContext ctx, boolean toRoom) {
    PushBatch batch;
    try {
      String type = ctx.request().getHeader("Content-Type").toLowerCase();
      batch = type.startsWith(FORM)
        ? parser.fromForm(ctx.request().getFormAttribute("room"), ctx.request().getFormAttribute("items"), toRoom)
        : parser.fromJsonBody(ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer(), toRoom);
    } catch (PushRefused e) {
      refuse(ctx, e.error(), e.getMessage());
      return;
    }
    submit(batch).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.json(new JsonObject().put("accepted", ar.result()));
      } else {
        PushRefused refused = asRefusal(ar.cause());
        refuse(ctx, refused.error(), refused.getMessage());
      }
    });
  }

  private void onBusPush(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject json)) {
      failBus(msg, new PushRefused(ApiError.BAD_REQUEST, "body must be a JSON object {\"room\": ..., \"items\": [...]}"));
      return;
    }
    try {
      submitForBus(msg, parser.fromJson(json, json.containsKey("room")));
    } catch (PushRefused e) {
      failBus(msg, e);
    }
  }

  /** Submits and answers an event-bus request with {@code {"accepted": N}} or the refusal's status and message. */
  private void submitForBus(Message<?> msg, PushBatch batch) {
    submit(batch).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("accepted", ar.result()));
      } else {
        failBus(msg, asRefusal(ar.cause()));
      }
    });
  }

  private void failBus(Message<?> msg, PushRefused refused) {
    count(refused.error());
    msg.fail(refused.error().status(), refused.error().busMessage(refused.getMessage()));
  }

  /** {@code {"room": R, "online": N}}: the room's connections across the cluster, as of the last online interval. */
  private void roomOnline(RoutingContext ctx) {
    String room = ctx.pathParam("room");
    String problem = RoomName.problem(room);
    if (problem != null) {
      refuse(ctx, ApiError.BAD_ROOM, problem);
      return;
    }
    vertx.eventBus().<Integer>request(Addresses.ROOM_ONLINE, room, LOCAL)
      .onSuccess(reply -> ctx.json(new JsonObject().put("room", room).put("online", reply.body())))
      .onFailure(ctx::fail);
  }

  /** The demo page's comments: one short text per request, rate limited node-wide, pushed like any item. */
  private void onDemoPublish(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Object text = body.getValue("text");
    try {
      if (!(text instanceof String t) || t.isBlank() || t.codePointCount(0, t.length()) > DEMO_TEXT_CHARS) {
        throw new PushRefused(ApiError.BAD_REQUEST, "text must be a non-empty string of at most " + DEMO_TEXT_CHARS + " characters");
      }
      JsonObject item = new JsonObject().put("text", t.strip()).put("ts", System.currentTimeMillis());
      PushBatch batch = parser.fromJson(new JsonObject().put("room", body.getValue("room")).put("items", new JsonArray().add(item)), true);
      if (!batch.room().startsWith(DEMO_ROOM_PREFIX)) {
        throw new PushRefused(ApiError.FORBIDDEN, "the demo publishes only to rooms whose name starts with '" + DEMO_ROOM_PREFIX + "'");
      }
      if (!demoBucket.tryTake(System.nanoTime())) {
        throw new PushRefused(ApiError.RATE_LIMITED, "demo comments are limited to "
          + config.limit(Limit.DEMO_PUBLISH_PER_SECOND) + " a second on this node; try again shortly");
      }
      submitForBus(msg, batch);
    } catch (PushRefused e) {
      failBus(msg, e);
    }
  }

  /** Hands the batch on: this node's merger accepts it whole or refuses it whole, then it goes to every node. */
  private Future<Integer> submit(PushBatch batch) {
    return vertx.eventBus().<Integer>request(Addresses.SUBMIT, batch, LOCAL)
      .map(Message::body)
      .onSuccess(n -> pushesAccepted++);
  }

  private static PushRefused asRefusal(Throwable cause) {
    if (cause instanceof ReplyException re && re.failureCode() == ApiError.QUEUE_FULL.status()) {
      return new PushRefused(ApiError.QUEUE_FULL, re.getMessage());
    }
    log.log(Level.WARNING, "push could not be handed to the merger", cause);
    return new PushRefused(ApiError.QUEUE_FULL, "node not ready to accept pushes, retry shortly");
  }

  private void renderFailure(RoutingContext ctx) {
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    ApiError error = ApiError.forStatus(status);
    String message = switch (error) {
      case TOO_LARGE -> "body larger than " + Limit.MAX_BODY_BYTES.key() + "=" + config.limit(Limit.MAX_BODY_BYTES) + " bytes";
      case INTERNAL -> "internal error";
      default -> ctx.failure() != null && ctx.failure().getMessage() != null ? ctx.failure().getMessage() : "request refused";
    };
    if (error == ApiError.INTERNAL) {
      log.log(Level.SEVERE, "API request failed: " + ctx.request().path(), ctx.failure());
    }
    refuse(ctx, error, message);
  }

  private void refuse(RoutingContext ctx, ApiError error, String message) {
    count(error);
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(error.status()).putHeader("Content-Type", JSON).end(error.body(message).encode());
  }

  private void count(ApiError error) {
    refusals[error.ordinal()]++;
  }

  private JsonObject apiStats() {
    JsonObject refused = new JsonObject();
    for (ApiError e : ApiError.values()) {
      refused.put(e.name(), refusals[e.ordinal()]);
    }
    return new JsonObject().put("pushesAccepted", pushesAccepted).put("refused", refused).put("requestTimeouts", requestTimeouts);
  }
}
