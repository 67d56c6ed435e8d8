package io.pushgate.api;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pushgate.bus.Addresses;
import io.pushgate.bus.Local;
import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.history.HistoryOptions;
import io.pushgate.history.HistoryOwner;
import io.pushgate.protocol.NotRecovered;
import io.pushgate.merge.HistoryPage;
import io.pushgate.merge.PushBatch;
import io.pushgate.metrics.Counter;
import io.pushgate.metrics.Metrics;
import io.pushgate.metrics.NodeStats;
import io.pushgate.metrics.Stats;
import io.pushgate.metrics.Throttle;
import io.pushgate.protocol.Position;
import io.pushgate.protocol.RoomName;
import io.pushgate.security.ApiKeys;
import io.pushgate.security.RequestDeadline;
import io.pushgate.security.SecurityOptions;
import io.pushgate.security.ServerLimits;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The push API on the API port (POST /push/room, /push/all, GET /stats, /metrics, /rooms/{room})
 * and on the event bus ({@value Addresses#PUSH}). Everything is validated here; the merger only
 * ever sees well-formed batches.
 */
public final class PushApiVerticle extends VerticleBase {

  /** The Prometheus text format, as Vert.x's own scraping handler answers. */
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger log = Logger.getLogger(PushApiVerticle.class.getName());
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String JSON = "application/json";
  static final String NOSNIFF = "X-Content-Type-Options";

  private final PushgateConfig config;
  private final NodeStats nodeStats;
  private final PushParser parser;
  private final Refusals refusals;
  private final Counter pushesAccepted;
  private final Counter requestTimeouts;
  private final HistoryOptions history;
  /** The warning of pushes published instead of sent: one a minute at most. */
  private final Throttle publishes = new Throttle(60_000);
  /** Items a history request gets when it names no limit. */
  private static final int DEFAULT_HISTORY_LIMIT = 100;
  private Submission submission;

  public PushApiVerticle(PushgateConfig config, NodeStats nodeStats) {
    this.config = config;
    this.nodeStats = nodeStats;
    this.parser = new PushParser(config);
    this.history = HistoryOptions.from(config);
    Stats stats = nodeStats.add(Stats.of(Tags.empty(), null));
    this.refusals = new Refusals(stats);
    this.pushesAccepted = stats.counter("api.pushesAccepted", "pushgate_api_pushes_accepted", "pushes this node's API accepted");
    this.requestTimeouts = stats.counter("api.requestTimeouts", "pushgate_api_request_timeouts",
      "API connections closed because a request was not complete within apiRequestTimeoutMillis");
  }

  @Override
  public Future<?> start() {
    submission = new Submission(vertx, pushesAccepted);
    DemoPublisher demo = new DemoPublisher(config, parser, submission, refusals);
    MessageConsumer<Object> busPushes = vertx.eventBus().consumer(Addresses.PUSH, this::onBusPush);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.DEMO_PUBLISH, demo::onPublish);
    Draining draining = new Draining();
    vertx.eventBus().localConsumer(Addresses.API_DRAIN, msg -> {
      draining.start();
      busPushes.unregister().onComplete(ar -> msg.reply(ar.succeeded()));
    });

    Router router = Router.router(vertx);
    RequestDeadline deadline = new RequestDeadline(config.limit(Limit.API_REQUEST_TIMEOUT_MILLIS), requestTimeouts::inc);
    // Every answer is JSON or Prometheus text: a browser pointed at the API must not guess otherwise.
    router.route().handler(ctx -> {
      ctx.response().putHeader(NOSNIFF, "nosniff");
      ctx.next();
    });
    router.route().handler(draining::onRequest);
    router.route().handler(deadline::onRequest);
    ApiKeys.protect(router, config); // then: with keys configured, nothing else runs without one
    router.post("/push/*").handler(this::requireSupportedContentType);
    router.post("/push/*").handler(BodyHandler.create(false).setBodyLimit(config.limit(Limit.MAX_BODY_BYTES)));
    router.post("/push/room").handler(ctx -> push(ctx, true));
    router.post("/push/all").handler(ctx -> push(ctx, false));
    if (Metrics.registry() instanceof PrometheusMeterRegistry prometheus) {
      router.get("/metrics").handler(ctx -> offTheLoop(ctx, PROMETHEUS_TEXT, prometheus::scrape));
    } else {
      router.get("/metrics").handler(ctx -> refusals.refuse(ctx, ApiError.NOT_FOUND, "metrics are off in this Vert.x instance"));
    }
    router.get("/rooms/:room").handler(this::roomOnline);
    router.get("/rooms/:room/history").handler(this::history);
    router.get("/stats").handler(ctx -> offTheLoop(ctx, "application/json", () -> nodeStats.toJson().encode()));
    router.route().failureHandler(this::renderFailure);
    // Fixed texts: an answer that echoes the path or the method reflects what anyone sent.
    // A path that does not decode never reaches a route, nor the failure handler above.
    router.errorHandler(400, ctx -> refusals.refuse(ctx, ApiError.BAD_REQUEST, "the request's path does not decode"));
    router.errorHandler(404, ctx -> refusals.refuse(ctx, ApiError.NOT_FOUND, "no such endpoint"));
    router.errorHandler(405, ctx -> refusals.refuse(ctx, ApiError.METHOD_NOT_ALLOWED, "method not allowed on this endpoint"));

    HttpServerOptions options = new HttpServerOptions().setHost(config.apiHost()).setPort(config.apiPort());
    // HTTP/1.1 only, as on the public port: with cleartext HTTP/2 detection Vert.x announces a
    // connection only once a whole request head has arrived, too late for the request deadline.
    ServerLimits.apply(options, SecurityOptions.from(config)).setHttp2ClearTextEnabled(false)
      .setIdleTimeout((int) config.limit(Limit.API_IDLE_TIMEOUT_MILLIS)).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    // go-push's form carries every item in one field: maxBodyBytes bounds it, as it bounds a JSON
    // body, not the HTTP server's 8 KiB per field (URL-encoded: a few hundred CJK characters).
    // One piece of content past the body bound, so that the body handler's 413 is what answers a
    // body over it: the form decoder sees each piece (up to maxChunkSize) before the body handler
    // counts it, and at exactly maxBodyBytes it refused a chunked form first with its own 400.
    int formBound = (int) Math.min(Integer.MAX_VALUE, config.limit(Limit.MAX_BODY_BYTES) + options.getMaxChunkSize());
    options.setMaxFormAttributeSize(formBound).setMaxFormBufferedBytes(formBound);
    return busPushes.completion()
      .compose(v -> vertx.createHttpServer(options).connectionHandler(deadline::onConnection).requestHandler(router).listen())
      .recover(e -> Future.failedFuture(new IllegalStateException("cannot listen on the API port "
        + config.apiHost() + ":" + config.apiPort() + " (apiPort): " + e.getMessage(), e)));
  }

  private void requireSupportedContentType(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    String base = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!base.equals(FORM) && !base.equals(JSON)) {
      refusals.refuse(ctx, ApiError.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be " + JSON + " or " + FORM);
      return;
    }
    ctx.next();
  }

  /**
   * A monitoring read built on a worker, one at a time, answered from the loop: a Prometheus scrape
   * of the node's ~800 series takes 7-20 ms and /stats about 2, which pushes arriving meanwhile
   * would otherwise wait behind (BENCHMARKS.md, section 6).
   */
  private void offTheLoop(RoutingContext ctx, String contentType, Callable<String> read) {
    vertx.executeBlocking(read, true)
      .onSuccess(body -> ctx.response().putHeader("content-type", contentType).end(body))
      .onFailure(ctx::fail);
  }

  private void push(RoutingContext ctx, boolean toRoom) {
    PushBatch batch;
    try {
      String query = ctx.request().query();
      if (query != null && !query.isEmpty()) {
        // No push reads its query (go-push sends none): a room there (/push/all?room=vip) went to every viewer.
        throw new PushRefused(ApiError.BAD_REQUEST, "a push takes no query parameters: its fields go in the body");
      }
      String type = ctx.request().getHeader("Content-Type").toLowerCase(Locale.ROOT);
      if (type.startsWith(FORM)) {
        Buffer raw = ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        String problem = FormBytes.problem(type, raw);
        if (problem != null) {
          throw new PushRefused(ApiError.BAD_REQUEST, problem);
        }
      }
      batch = type.startsWith(FORM)
        ? parser.fromForm(ctx.request().formAttributes(), toRoom)
        : parser.fromJsonBody(ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer(), toRoom);
    } catch (PushRefused e) {
      refusals.refuse(ctx, e.error(), e.getMessage());
      return;
    }
    submission.submit(batch).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.json(ar.result());
      } else {
        PushRefused refused = Submission.refusal(ar.cause());
        refusals.refuse(ctx, refused.error(), refused.getMessage());
      }
    });
  }

  private void onBusPush(Message<Object> msg) {
    if (!msg.isSend()) {
      // A publish reaches this consumer on every node, and each would take the push: every client would
      // get it once per node. There is no one to answer, so it is counted and said in the log.
      refusals.fail(msg, new PushRefused(ApiError.BAD_REQUEST, "published"));
      if (publishes.occurred() > 0) {
        log.warning("refused a push published to " + Addresses.PUSH + " (every node would have taken it once): send it as a request"
          + " (api.refused.BAD_REQUEST)");
      }
      return;
    }
    Object body;
    try {
      body = msg.body(); // another member's is decoded here, by Vert.x: its JSON may be past the parser's bounds
    } catch (RuntimeException e) {
      refusals.fail(msg, new PushRefused(ApiError.BAD_REQUEST, "body could not be decoded: " + e.getMessage()));
      return;
    }
    // A string's characters, never more than its UTF-8 bytes: over the limit, its bytes are too.
    long size = body instanceof Buffer b ? b.length() : body instanceof String text ? text.length() : 0;
    if (size > config.limit(Limit.MAX_BODY_BYTES)) {
      refusals.fail(msg, new PushRefused(ApiError.TOO_LARGE, bodyTooLarge()));
      return;
    }
    if (!(body instanceof JsonObject json)) {
      refusals.fail(msg, new PushRefused(ApiError.BAD_REQUEST, "body must be a JSON object {\"room\": ..., \"items\": [...]}"));
      return;
    }
    try {
      Submission.answer(msg, submission.submit(parser.fromBus(json)), refusals);
    } catch (PushRefused e) {
      refusals.fail(msg, e);
    }
  }

  /**
   * {@code {"room": R, "online": N}}: the room's connections across the cluster, as of the last online
   * interval; for a stream in a cluster also {@code historyOwner}, the node id of the member holding its history.
   */
  private void roomOnline(RoutingContext ctx) {
    String room = ctx.pathParam("room");
    String problem = RoomName.problem(room);
    if (problem != null) {
      refusals.refuse(ctx, ApiError.BAD_ROOM, problem);
      return;
    }
    vertx.eventBus().<Integer>request(Addresses.ROOM_ONLINE, room, Local.OPTIONS)
      .onSuccess(reply -> {
        JsonObject answer = new JsonObject().put("room", room).put("online", reply.body());
        String owner = null;
        try {
          owner = history.isStream(room) ? HistoryOwner.of(vertx, room) : null;
        } catch (RuntimeException e) {
          // Hazelcast is shutting down (a drain's last moments): the count is still worth answering.
        }
        ctx.json(owner == null ? answer : answer.put("historyOwner", owner));
      })
      .onFailure(ctx::fail);
  }

  /**
   * {@code GET /rooms/{room}/history?since=O&epoch=E&limit=L} (PROTOCOL.md): the items after O when
   * the stream still has them, else the last L, with the stream's epoch and top.
   */
  private void history(RoutingContext ctx) {
    String room = ctx.pathParam("room");
    String problem = RoomName.problem(room);
    if (problem != null) {
      refusals.refuse(ctx, ApiError.BAD_ROOM, problem);
      return;
    }
    String since = ctx.request().getParam("since");
    String epoch = ctx.request().getParam("epoch");
    String limit = ctx.request().getParam("limit");
    JsonObject query = new JsonObject().put("room", room);
    try {
      int n = limit == null ? Math.min(DEFAULT_HISTORY_LIMIT, history.size()) : Integer.parseInt(limit);
      // Only a limit asked for is checked, and its top only where streams are on: with historySize=0 no
      // room is a stream, and a backend that always sends a limit gets NO_HISTORY as before.
      if (limit != null && (n < 1 || (history.enabled() && n > history.size()))) {
        throw new NumberFormatException();
      }
      query.put("limit", n);
      // An offset is at most MAX_OFFSET (PROTOCOL.md: what a JavaScript client reads exactly); past it
      // no stream is, and the history's answer from the position after it could not be read.
      long offset = since == null ? 0 : Long.parseLong(since);
      if ((since == null) != (epoch == null) || offset < 0 || offset > Position.MAX_OFFSET) {
        throw new NumberFormatException();
      }
      if (since != null) {
        query.put("since", new JsonObject().put("offset", offset).put("epoch", epoch));
      }
    } catch (NumberFormatException e) {
      refusals.refuse(ctx, ApiError.BAD_REQUEST, "since (a whole number up to " + Position.MAX_OFFSET + ") and epoch go together; limit is 1 to "
        + Limit.HISTORY_SIZE.key() + "=" + history.size());
      return;
    }
    // After the parameters: a request that is wrong is wrong whatever the room is.
    if (!history.isStream(room)) {
      // Every field PROTOCOL.md names, at the position a JOIN's ACK gives such a room.
      sendPage(ctx, HistoryPage.none(room).with("recovered", false).with("reason", NotRecovered.NO_HISTORY.name()));
      return;
    }
    // Until when this waits for the page: a read still waiting its turn then is not sent (one JVM, one clock).
    query.put("deadlineNanos", System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Local.OPTIONS.getSendTimeout()));
    vertx.eventBus().<HistoryPage>request(Addresses.HISTORY, query, Local.OPTIONS)
      .onSuccess(reply -> sendPage(ctx, reply.body()))
      .onFailure(e -> refusals.refuse(ctx, ApiError.QUEUE_FULL, "the stream's history could not be read, retry shortly"));
  }

  private static void sendPage(RoutingContext ctx, HistoryPage page) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(page.toJson());
  }

  private String bodyTooLarge() {
    return "body larger than " + Limit.MAX_BODY_BYTES.key() + "=" + config.limit(Limit.MAX_BODY_BYTES) + " bytes";
  }

  private void renderFailure(RoutingContext ctx) {
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    ApiError error = ApiError.forStatus(status);
    String message = switch (error) {
      case TOO_LARGE -> bodyTooLarge();
      case INTERNAL -> "internal error";
      // ApiKeys' own words: which of the key's two problems it is.
      case UNAUTHORIZED -> ctx.failure() instanceof SecurityException denied ? denied.getMessage() : "request refused";
      // Not pushgate's own refusal (those answer through Refusals directly): Vert.x's or Netty's
      // message may quote the request (a form decoder's "Invalid hex byte ... in string: '<field>'").
      default -> "request refused";
    };
    if (error == ApiError.INTERNAL) {
      log.log(Level.SEVERE, "API request failed: " + ctx.request().path(), ctx.failure());
    } else if (ctx.failure() != null && log.isLoggable(Level.FINE)) {
      log.log(Level.FINE, "API request refused with " + status, ctx.failure());
    }
    refusals.refuse(ctx, error, message);
  }
}
