package io.pushgate.shard;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Room → members of this shard. Only the shard's event loop reads or writes it. */
final class RoomIndex {

  private final Map<String, Set<Connection>> members = new HashMap<>();
  /** Members that joined with "online": true, the only ones told the room's count. */
  private final Map<String, Set<Connection>> watchers = new HashMap<>();

  /** @return false when the connection was already a member */
  boolean join(String room, Connection c) {
    if (!c.rooms.add(room)) {
      return false;
    }
    members.computeIfAbsent(room, r -> new LinkedHashSet<>()).add(c);
    return true;
  }

  /** Adds a member of {@code room} to its watchers; JOIN with "online": true. */
  void watch(String room, Connection c) {
    watchers.computeIfAbsent(room, r -> new LinkedHashSet<>()).add(c);
  }

  /** @return false when the connection was not a member */
  boolean leave(String room, Connection c) {
    if (!c.rooms.remove(room)) {
      return false;
    }
    removeMember(room, c);
    return true;
  }

  void leaveAll(Connection c) {
    for (String room : c.rooms) {
      removeMember(room, c);
    }
    c.rooms.clear();
  }

  private void removeMember(String room, Connection c) {
    remove(members, room, c);
    remove(watchers, room, c);
  }

  private static void remove(Map<String, Set<Connection>> index, String room, Connection c) {
    Set<Connection> set = index.get(room);
    if (set != null && set.remove(c) && set.isEmpty()) {
      index.remove(room);
    }
  }

  Map<String, Set<Connection>> watchers() {
    return watchers;
  }

  boolean watching(String room, Connection c) {
    Set<Connection> set = watchers.get(room);
    return set != null && set.contains(c);
  }

  int members(String room, int ifAbsent) {
    Set<Connection> set = members.get(room);
    return set == null ? ifAbsent : set.size();
  }

  /** A copy of every room's member count, for the online counter on another thread. */
  Map<String, Integer> counts() {
    Map<String, Integer> counts = new HashMap<>(members.size() * 2);
    members.forEach((room, set) -> counts.put(room, set.size()));
    return counts;
  }

  Collection<Connection> members(String room) {
    return members.get(room);
  }

  int rooms() {
    return members.size();
  }

  Set<String> roomNames() {
    return members.keySet();
  }
}
