package io.pushgate.online;

import io.pushgate.shard.RoomCounts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This node's own counts, kept from what its shards report each interval (only what changed, or
 * everything after an answer was lost):
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
  /** Per shard: the rooms it watches, as last reported (to replace with a full report). */
  private final List<Set<String>> shardWatched = new ArrayList<>();
  private Set<String> recounted = new HashSet<>();
  private Set<String> watchAdded = new HashSet<>();
  private Set<String> watchRemoved = new HashSet<>();

  /** What changed since the last {@link #takeChanges}. */
  record Changes(Set<String> recounted, Set<String> watchAdded, Set<String> watchRemoved) {
  }

  LocalTally(int shards) {
    for (int i = 0; i < shards; i++) {
      shardCounts.add(new HashMap<>());
      shardWatched.add(new HashSet<>());
    }
  }

  int count(String room) {
    return counts.getOrDefault(room, 0);
  }

  void apply(int shard, RoomCounts report) {
    Map<String, Integer> mine = shardCounts.get(shard);
    Map<String, Boolean> watchChanges = report.watchChanges();
    if (report.full()) {
      // Everything the shard has: what it no longer has counts 0, watches it no longer has end.
      Set<String> gone = new HashSet<>(mine.keySet());
      gone.removeAll(report.counts().keySet());
      gone.forEach(room -> count(mine, room, 0));
      watchChanges = new HashMap<>();
      for (String room : shardWatched.get(shard)) {
        if (!report.watchChanges().containsKey(room)) {
          watchChanges.put(room, false);
        }
      }
      for (String room : report.watchChanges().keySet()) {
        if (!shardWatched.get(shard).contains(room)) {
          watchChanges.put(room, true);
        }
      }
    }
    report.counts().forEach((room, n) -> count(mine, room, n));
    Set<String> watching = shardWatched.get(shard);
    watchChanges.forEach((room, nowWatched) -> {
      if (nowWatched ? !watching.add(room) : !watching.remove(room)) {
        return; // already so: a repeat of what was applied
      }
      if (nowWatched) {
        if (watched.merge(room, 1, Integer::sum) == 1) {
          toggle(room, watchAdded, watchRemoved);
        }
      } else if (watched.containsKey(room) && watched.merge(room, -1, (a, b) -> a + b <= 0 ? null : a + b) == null) {
        toggle(room, watchRemoved, watchAdded);
      }
    });
  }

  /** A shard's member count of {@code room} is now {@code n}. */
  private void count(Map<String, Integer> mine, String room, int n) {
    Integer before = n == 0 ? mine.remove(room) : mine.put(room, n);
    int delta = n - (before == null ? 0 : before);
    if (delta != 0) {
      counts.merge(room, delta, (a, b) -> a + b == 0 ? null : a + b);
      recounted.add(room);
    }
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
