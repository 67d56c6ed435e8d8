package io.pushgate.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The node's /stats: every component's {@link Stats}, added up. Numbers at the same path add (the
 * shards' counters become the node's), lists concatenate (one entry per shard), anything else is
 * taken as it is. Read from the API's thread while the owners count on theirs: each value is one
 * racy read, as a metrics scrape's is.
 */
public final class NodeStats {

  private final List<Stats> components = new CopyOnWriteArrayList<>();

  /** Registers a component's stats; components register as they start. */
  public Stats add(Stats stats) {
    components.add(stats);
    return stats;
  }

  public List<Stats> components() {
    return components;
  }

  public JsonObject toJson() {
    JsonObject root = new JsonObject();
    for (Stats s : components) {
      merge(root, s.toJson());
    }
    return root;
  }

  static void merge(JsonObject into, JsonObject from) {
    for (String key : from.fieldNames()) {
      Object v = from.getValue(key);
      Object existing = into.getValue(key);
      if (v instanceof JsonObject nested && existing instanceof JsonObject target) {
        merge(target, nested);
      } else if (v instanceof JsonObject nested) {
        JsonObject copy = new JsonObject();
        merge(copy, nested);
        into.put(key, copy);
      } else if (v instanceof Number n && existing instanceof Number m) {
        into.put(key, (n instanceof Double || m instanceof Double) ? n.doubleValue() + m.doubleValue() : n.longValue() + m.longValue());
      } else if (v instanceof JsonArray list && existing instanceof JsonArray target) {
        list.forEach(target::add);
      } else {
        into.put(key, v instanceof JsonArray list ? list.copy() : v);
      }
    }
  }
}
