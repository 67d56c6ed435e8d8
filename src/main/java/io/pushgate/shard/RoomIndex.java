package io.pushgate.shard;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Room → members of this shard. Only the shard's event loop reads or writes it. */
final class RoomIndex {

  private final Map<String, Set<Connection>> members = new HashMap<>();

  /** @return false when the connection was already a member */
  boolean join(String room, Connection c) {
    if (!c.rooms.add(room)) {
      return false;
    }
    members.computeIfAbsent(room, r -> new LinkedHashSet<>()).add(c);
    return true;
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
    Set<Connection> set = members.get(room);
    if (set != null && set.remove(c) && set.isEmpty()) {
      members.remove(room);
    }
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
