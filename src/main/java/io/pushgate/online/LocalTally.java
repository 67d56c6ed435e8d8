package io.pushgate.online;

import io.pushgate.shard.RoomCounts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This node's own counts, kept from what its shards report each interval (only what changed):
 * members per room, and the rooms watched here. It remembers, until {@link #takeChanges}, which
 * counts changed and which rooms became watched or stopped being watched.
 */
final class LocalTally {

  /** Per shard: room → members, as last reported. */
  private final List<Map<String, Integer>> shardCounts = new ArrayList<>();
  /** Room → members on this node. */
  final Map<String, Integer> counts = new HashMap<>();
  /** Room → shards of this node watching it. */
  final Map<String, Integer> watched = new HashMap<>();
  private Set<String> recounted = new HashSet<>();
  private Set<String> watchAdded = new HashSet<>();
  private Set<String> watchRemoved = new HashSet<>();

  /** What changed since the last {@link #takeChanges}. */
  record Changes(Set<String> recounted, Set<String> watchAdded, Set<String> watchRemoved) {
  }

  LocalTally(int shards) {
    for (int i = 0; i < shards; i++) {
      shardCounts.add(new HashMap<>());
    }
  }

  int count(String room) {
    return counts.getOrDefault(room, 0);
  }

  void apply(int shard, RoomCounts report) {
    Map<String, Integer> mine = shardCounts.get(shard);
    report.counts().forEach((room, n) -> {
      Integer before = n == 0 ? mine.remove(room) : mine.put(room, n);
      int delta = n - (before == null ? 0 : before);
      if (delta != 0) {
        counts.merge(room, delta, (a, b) -> a + b == 0 ? null : a + b);
        recounted.add(room);
      }
    });
    report.watchChanges().forEach((room, nowWatched) -> {
      if (nowWatched) {
        if (watched.merge(room, 1, Integer::sum) == 1) {
          toggle(room, watchAdded, watchRemoved);
        }
      } else if (watched.containsKey(room) && watched.merge(room, -1, (a, b) -> a + b <= 0 ? null : a + b) == null) {
        toggle(room, watchRemoved, watchAdded);
      }
    });
  }

  /** A room's watched state against the last interval's: a change and its undoing cancel out. */
  private static void toggle(String room, Set<String> to, Set<String> undone) {
    if (!undone.remove(room)) {
      to.add(room);
    }
  }

  Changes takeChanges() {
    Changes changes = new Changes(recounted, watchAdded, watchRemoved);
    recounted = new HashSet<>();
    watchAdded = new HashSet<>();
    watchRemoved = new HashSet<>();
    return changes;
  }
}
