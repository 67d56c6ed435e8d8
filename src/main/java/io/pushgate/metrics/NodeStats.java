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

  /**
   * Two counts add as whole numbers, so /stats shows them as integers; only a fractional figure
   * makes the sum one. Not one conditional expression: its long and double arms would promote the
   * whole numbers to double too, and every count summed over the shards would read 0.0.
   */
  static Number sum(Number n, Number m) {
    if (n instanceof Double || n instanceof Float || m instanceof Double || m instanceof Float) {
      return n.doubleValue() + m.doubleValue();
    }
    return n.longValue() + m.longValue();
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
        into.put(key, sum(n, m));
      } else if (v instanceof JsonArray list && existing instanceof JsonArray target) {
        list.forEach(target::add);
      } else {
        into.put(key, v instanceof JsonArray list ? list.copy() : v);
      }
    }
  }
}
