package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

/** The parts of the children's final report that every mode prints the same way. */
final class Outcome {

  private Outcome() {
  }

  static JsonObject clients(JsonObject last) {
    return new JsonObject()
      .put("connectFailures", last.getJsonObject("connectFailures", new JsonObject()))
      .put("serverCloses", last.getJsonObject("serverCloses", new JsonObject()))
      .put("errors", last.getJsonObject("errors", new JsonObject()))
      .put("unexpectedFrames", last.getLong("unexpectedFrames", 0L));
  }

  static LatencyHistogram histogram(JsonObject last, String key) {
    LatencyHistogram h = new LatencyHistogram();
    h.merge(last.getJsonObject(key));
    return h;
  }
}
