package io.pushgate.online;

import io.pushgate.shard.RoomCounts;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The node's own counts from its shards' reports of what changed. A report that came after the
 * counter stopped waiting is lost with what it said; the shard's next answer is then everything it
 * has, which replaces what the tally held for it: no member or watcher is left counted for good.
 */
class LocalTallyTest {

  @Test
  void aFullReportReplacesWhatALostOneLeftBehind() {
    LocalTally tally = new LocalTally(2);
    tally.apply(0, new RoomCounts(Map.of("a", 2, "b", 1), Map.of("a", true), false));
    tally.apply(1, new RoomCounts(Map.of("a", 1), Map.of("a", true), false));
    tally.takeChanges();
    assertEquals(3, tally.count("a"));
    assertEquals(2, tally.watched.get("a"));

    // Shard 0's report of "b and a's watcher gone, a down to 1, c new" was lost; its next is full.
    tally.apply(0, new RoomCounts(Map.of("a", 1, "c", 4), Map.of("c", true), true));
    assertEquals(2, tally.count("a"));
    assertEquals(0, tally.count("b"), "a room the shard no longer has counts 0");
    assertEquals(4, tally.count("c"));
    assertEquals(Map.of("a", 1, "c", 1), tally.watched, "a is watched on shard 1 only; c on shard 0");
    LocalTally.Changes changes = tally.takeChanges();
    assertEquals(Set.of("a", "b", "c"), changes.recounted());
    assertEquals(Set.of("c"), changes.watchAdded());
    assertEquals(Set.of(), changes.watchRemoved(), "a stays watched (shard 1)");

    // Repeating a full report changes nothing; then shard 1's last watcher of a leaves.
    tally.apply(0, new RoomCounts(Map.of("a", 1, "c", 4), Map.of("c", true), true));
    tally.apply(1, new RoomCounts(Map.of(), Map.of("a", false), false));
    changes = tally.takeChanges();
    assertEquals(Set.of(), changes.recounted());
    assertEquals(Set.of("a"), changes.watchRemoved());
    assertEquals(Map.of("c", 1), tally.watched);
  }
}
