package io.pushgate.metrics;

import io.pushgate.testing.TestNode;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every counter is declared once, and that declaration gives both its /stats field and its meter:
 * every declared path is in /stats, every declared meter is in /metrics, and every pushgate meter in
 * /metrics comes from a declaration.
 */
class StatsDeclaredOnceTest {

  /** The Prometheus names a declaration produces. */
  private static Set<String> exported(Stats.Entry e) {
    return switch (e.kind()) {
      case COUNTER -> Set.of(e.meter() + "_total");
      case GAUGE -> Set.of(e.meter());
      case TIMER -> Set.of(e.meter() + "_seconds_count", e.meter() + "_seconds_sum", e.meter() + "_seconds_max", e.meter() + "_seconds_bucket");
      case SUMMARY -> Set.of(e.meter() + "_count", e.meter() + "_sum", e.meter() + "_max", e.meter() + "_bucket");
    };
  }

  private static Object at(JsonObject stats, String path) {
    Object at = stats;
    for (String part : path.split("\\.")) {
      if (!(at instanceof JsonObject o) || !o.containsKey(part)) {
        return null;
      }
      at = o.getValue(part);
    }
    return at;
  }

  /**
   * Declared meters that README's Metrics table does not name, as itself or under a family
   * ({@code pushgate_online_*}): an operator looks there for what a meter means.
   */
  private static Set<String> undocumented(TestNode node) {
    String readme;
    try {
      readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    String section = readme.substring(readme.indexOf("## Metrics"), readme.indexOf("## Logs"));
    Set<String> families = new HashSet<>();
    Matcher f = Pattern.compile("`(pushgate_[a-z_]+)_\\*`").matcher(section);
    while (f.find()) {
      families.add(f.group(1) + "_");
    }
    Set<String> missing = new TreeSet<>();
    for (Stats component : node.node.stats().components()) {
      for (Stats.Entry e : component.entries()) {
        String name = e.kind() == Stats.Kind.COUNTER ? e.meter() + "_total" : e.meter();
        boolean named = section.contains("`" + name + "`") || section.contains("`" + e.meter() + "`")
          || section.contains("`" + e.meter() + "_seconds`") || families.stream().anyMatch(e.meter()::startsWith);
        if (!named) {
          missing.add(name);
        }
      }
    }
    return missing;
  }

  @Test
  void everyStatHasItsMeterAndEveryPushgateMeterItsStat() {
    int publicPort = TestNode.freePort();
    try (TestNode node = TestNode.start(Metrics.enable(new VertxOptions().setPreferNativeTransport(true), publicPort).build(),
      new JsonObject().put("shards", 2).put("publicPort", publicPort))) {
      JsonObject stats = node.stats();
      String metrics = node.get(node.apiPort(), "/metrics").body();
      Set<String> inMetrics = new TreeSet<>();
      Matcher m = Pattern.compile("^(pushgate_[a-z_]+)[{ ]", Pattern.MULTILINE).matcher(metrics);
      while (m.find()) {
        inMetrics.add(m.group(1));
      }
      Set<String> declared = new HashSet<>();
      int entries = 0;
      for (Stats component : node.node.stats().components()) {
        for (Stats.Entry e : component.entries()) {
          entries++;
          Set<String> names = exported(e);
          declared.addAll(names);
          for (String name : names) {
            assertTrue(inMetrics.contains(name), e.path() + " is declared with meter " + name + ", not in /metrics");
          }
          if (!e.path().startsWith("shards.")) {
            assertTrue(at(stats, e.path()) != null, e.meter() + " is declared at /stats " + e.path() + ", not there: " + stats.encode());
          }
        }
      }
      Set<String> undeclared = new TreeSet<>(inMetrics);
      undeclared.removeAll(declared);
      assertEquals(Set.of(), undeclared, "pushgate meters in /metrics that no declaration gives");
      assertTrue(entries > 60, "declarations found: " + entries);
      assertEquals(Set.of(), undocumented(node), "meters README's Metrics section does not name");
      assertEquals(2, stats.getJsonArray("shards").size(), "one entry per shard: " + stats.getJsonArray("shards"));
    }
  }
}
