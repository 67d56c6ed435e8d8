package io.pushgate.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The counters, gauges and timers of one component (a shard, the merger, the API, ...), each
 * declared once: its place in {@code /stats} (a dotted path) and its Prometheus meter (name, help,
 * tags). The one declaration gives both, so /stats and /metrics cannot drift apart, and
 * {@link NodeStats} adds the components up without knowing their fields.
 *
 * <p>A path under {@code shards.} belongs to the per-shard list of /stats (this component's entry
 * in it); {@link #perShard} puts a value both there and, summed over the shards, at its own path.
 * Everything is read at scrape or request time from the owner's fields.
 */
public final class Stats {

  /** What a declaration is; tests match each kind to its Prometheus name. */
  public enum Kind { COUNTER, GAUGE, TIMER, SUMMARY }

  /** One declared value. {@code read} gives its /stats value: a number, or a JSON object for timers. */
  public record Entry(String path, String meter, String help, Tags tags, Kind kind, Supplier<Object> read) {
  }

  private final MeterRegistry registry;
  private final Tags tags;
  private final Integer shard;
  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, Supplier<Object>> info = new LinkedHashMap<>();

  /**
   * @param registry where meters go; null when this Vert.x runs without metrics (most tests)
   * @param tags     tags of every meter of the component (e.g. its shard)
   * @param shard    the component's shard index, for paths under {@code shards.}; null for others
   */
  public Stats(MeterRegistry registry, Tags tags, Integer shard) {
    this.registry = registry;
    this.tags = tags;
    this.shard = shard;
  }

  /** A component's stats in this process's metrics registry, if there is one. */
  public static Stats of(Tags tags, Integer shard) {
    return new Stats(Metrics.registry(), tags, shard);
  }

  public Counter counter(String path, String meter, String help) {
    return counter(path, meter, help, Tags.empty());
  }

  public Counter counter(String path, String meter, String help, Tags extra) {
    Counter c = new Counter();
    count(path, meter, help, extra, c::get);
    return c;
  }

  public SharedCounter shared(String path, String meter, String help, Tags extra) {
    SharedCounter c = new SharedCounter();
    count(path, meter, help, extra, c::get);
    return c;
  }

  /** A monotonic count kept elsewhere (the kernel's, a Micrometer meter's). */
  public void count(String path, String meter, String help, Tags extra, LongSupplier read) {
    Tags all = tags.and(extra);
    if (registry != null) {
      FunctionCounter.builder(meter, read, LongSupplier::getAsLong).description(help).tags(all).register(registry);
    }
    entries.add(new Entry(path, meter, help, all, Kind.COUNTER, read::getAsLong));
  }

  /** One counter per value of {@code type}, each with its own path and tags, under one meter name. */
  public <E extends Enum<E>> Map<E, Counter> counters(Class<E> type, Function<E, String> path, String meter, String help,
                                                       Function<E, Tags> extra) {
    Map<E, Counter> counters = new java.util.EnumMap<>(type);
    for (E e : type.getEnumConstants()) {
      counters.put(e, counter(path.apply(e), meter, help, extra.apply(e)));
    }
    return Collections.unmodifiableMap(counters);
  }

  public Stats gauge(String path, String meter, String help, LongSupplier read) {
    if (registry != null) {
      Gauge.builder(meter, read, LongSupplier::getAsLong).description(help).tags(tags).register(registry);
    }
    entries.add(new Entry(path, meter, help, tags, Kind.GAUGE, read::getAsLong));
    return this;
  }

  /** The same value also in this component's entry of the per-shard list, as {@code shards.<name>}. */
  public Stats perShard(String name) {
    Entry last = entries.get(entries.size() - 1);
    info.put("shards." + name, last.read());
    return this;
  }

  /**
   * A Micrometer timer or summary the component records into itself; {@code json} is its /stats
   * form (count, sum, buckets), which a benchmark can subtract between two readings.
   */
  public void distribution(String path, String meter, String help, Kind kind, Supplier<JsonObject> json) {
    entries.add(new Entry(path, meter, help, tags, kind, json::get));
  }

  /** Something /stats shows that is not a metric: identities, lists, flags. */
  public void info(String path, Supplier<Object> read) {
    info.put(path, read);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Tags tags() {
    return tags;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** This component's part of /stats: each path set in a tree, per-shard values in a one-element list. */
  public JsonObject toJson() {
    JsonObject root = new JsonObject();
    JsonObject mine = shard == null ? null : new JsonObject().put("shard", shard);
    for (Entry e : entries) {
      put(root, mine, e.path(), e.read().get());
    }
    info.forEach((path, read) -> put(root, mine, path, read.get()));
    if (mine != null) {
      root.put("shards", new JsonArray().add(mine));
    }
    return root;
  }

  private static void put(JsonObject root, JsonObject mine, String path, Object value) {
    if (path.startsWith("shards.")) {
      if (mine != null) {
        put(mine, null, path.substring("shards.".length()), value);
      }
      return;
    }
    JsonObject at = root;
    String[] parts = path.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject next = at.getJsonObject(parts[i]);
      if (next == null) {
        next = new JsonObject();
        at.put(parts[i], next);
      }
      at = next;
    }
    at.put(parts[parts.length - 1], value);
  }
}
