package io.pushgate.api;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.merge.PushBatch;
import io.pushgate.security.TokenBucket;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The demo page's comments (POST /demo/publish on the public port, when demoPublish is on): one
 * short text per request, rate limited node-wide, and only into rooms named for the demo.
 */
final class DemoPublisher {

  private static final int TEXT_CHARS = 200;
  /** The demo's anonymous publishing reaches only rooms meant for it, never a real room. */
  static final String ROOM_PREFIX = "demo";

  private final PushgateConfig config;
  private final PushParser parser;
  private final Submission submission;
  private final Refusals refusals;
  private final TokenBucket bucket;

  DemoPublisher(PushgateConfig config, PushParser parser, Submission submission, Refusals refusals) {
    this.config = config;
    this.parser = parser;
    this.submission = submission;
    this.refusals = refusals;
    this.bucket = new TokenBucket(config.limit(Limit.DEMO_PUBLISH_PER_SECOND), System.nanoTime());
  }

  void onPublish(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Object text = body.getValue("text");
    try {
      if (!(text instanceof String t) || t.isBlank() || t.codePointCount(0, t.length()) > TEXT_CHARS) {
        throw new PushRefused(ApiError.BAD_REQUEST, "text must be a non-empty string of at most " + TEXT_CHARS + " characters");
      }
      JsonObject item = new JsonObject().put("text", t.strip()).put("ts", System.currentTimeMillis());
      JsonObject push = new JsonObject().put(PushParser.ROOM, body.getValue("room")).put(PushParser.ITEMS, new JsonArray().add(item));
      PushBatch batch = parser.fromJson(push, true);
      if (!batch.target().room().startsWith(ROOM_PREFIX)) {
        throw new PushRefused(ApiError.FORBIDDEN, "the demo publishes only to rooms whose name starts with '" + ROOM_PREFIX + "'");
      }
      if (!bucket.tryTake(System.nanoTime())) {
        throw new PushRefused(ApiError.RATE_LIMITED, "demo comments are limited to "
          + config.limit(Limit.DEMO_PUBLISH_PER_SECOND) + " a second on this node; try again shortly");
      }
      Submission.answer(msg, submission.submit(batch), refusals);
    } catch (PushRefused e) {
      refusals.fail(msg, e);
    }
  }
}
