package io.pushgate.shard;

import io.pushgate.protocol.Position;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Room → members of this shard. Only the shard's event loop reads or writes it. */
final class RoomIndex {

  /** What a JOIN did to the index. */
  enum Joined { NEW_MEMBER, ALREADY_MEMBER, NODE_FULL }

  private final NodeRooms nodeRooms;
  private final Map<String, Set<Connection>> members = new HashMap<>();
  /** Members that joined with "online": true, the only ones told the room's count. */
  private final Map<String, Set<Connection>> watchers = new HashMap<>();
  /**
   * Watchers not told their room's count yet. They hear it at the next online interval, changed or not,
   * and never at their JOIN: a count then and another at the interval could come moments apart.
   */
  private final Map<String, Set<Connection>> untold = new HashMap<>();
  /**
   * For streams with members here: the last position this shard was handed (by a frame, or by the
   * merger's answer to the room's first JOIN), the one a JOIN asking where it stands is told.
   */
  private final Map<String, Position> positions = new HashMap<>();
  /** Rooms whose member count changed since the last {@link #report()}. */
  private Set<String> recounted = new HashSet<>();
  /** Rooms that gained their first watcher (true) or lost their last (false) since the last report. */
  private Map<String, Boolean> watchChanges = new HashMap<>();

  RoomIndex(NodeRooms nodeRooms) {
    this.nodeRooms = nodeRooms;
  }

  /** A room new to this shard takes one of the node's {@code maxRooms} first. */
  Joined join(String room, Connection c) {
    if (c.rooms.contains(room)) {
      return Joined.ALREADY_MEMBER;
    }
    Set<Connection> set = members.get(room);
    if (set == null) {
      if (!nodeRooms.acquire(room)) {
        return Joined.NODE_FULL;
      }
      set = new LinkedHashSet<>();
      members.put(room, set);
    }
    set.add(c);
    c.rooms.add(room);
    recounted.add(room);
    return Joined.NEW_MEMBER;
  }

  /**
   * Adds a member of {@code room} to its watchers; JOIN with "online": true. It is told the count at
   * the next interval, also when it watched already: a client that stopped showing the counts (a
   * JOIN without online, which ends no watch) and asks again would otherwise hear nothing until the
   * count changes.
   */
  void watch(String room, Connection c) {
    Set<Connection> set = watchers.get(room);
    if (set == null) {
      set = new LinkedHashSet<>();
      watchers.put(room, set);
      watchChanged(room, true);
    }
    set.add(c);
    untold.computeIfAbsent(room, r -> new LinkedHashSet<>()).add(c);
  }

  /** Records a room's watched state against the last report: a change and its undoing cancel out. */
  private void watchChanged(String room, boolean watched) {
    if (watchChanges.remove(room) == null) {
      watchChanges.put(room, watched);
    }
  }

  /**
   * Leaves {@code room} to join it again with since, keeping its place among the node's maxRooms
   * (released by {@link #unkeep}): the rejoin must not be refused at maxRooms for a place it had.
   * @return false when the connection was not a member
   */
  boolean leaveKeeping(String room, Connection c) {
    if (!c.rooms.contains(room) || !nodeRooms.acquire(room)) {
      return false; // (acquire of a room with members here never fails)
    }
    if (c.keptRooms == null) {
      c.keptRooms = new HashSet<>(4);
    }
    c.keptRooms.add(room);
    return leave(room, c);
  }

  /** The rejoin was answered (or the connection went): the place kept for it goes back. */
  void unkeep(String room, Connection c) {
    if (c.keptRooms != null && c.keptRooms.remove(room)) {
      nodeRooms.release(room);
    }
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
    if (c.keptRooms != null) {
      // Places kept for rejoins the merger has not answered: the answer would give them back too
      // (unkeep is idempotent), but one that never comes (a node shutting down) must not hold them.
      for (String room : List.copyOf(c.keptRooms)) {
        unkeep(room, c);
      }
    }
  }

  private void removeMember(String room, Connection c) {
    recounted.add(room);
    if (remove(members, room, c)) {
      nodeRooms.release(room);
      positions.remove(room);
    }
    if (remove(watchers, room, c)) {
      watchChanged(room, false);
    }
    remove(untold, room, c);
  }

  /** @return true when the room's set emptied and left the index */
  private static boolean remove(Map<String, Set<Connection>> index, String room, Connection c) {
    Set<Connection> set = index.get(room);
    if (set != null && set.remove(c) && set.isEmpty()) {
      index.remove(room);
      return true;
    }
    return false;
  }

  /** A stream's frame was handed to this shard, or the merger answered a JOIN with where it stands. */
  void handed(String room, Position position) {
    if (members.containsKey(room)) {
      positions.put(room, position);
    }
  }

  /** The stream started again in a new epoch: where it stood is no answer to a JOIN any more. */
  void forget(String room) {
    positions.remove(room);
  }

  /** Where a stream stands for this shard's members; null when no frame or answer has said so yet. */
  Position position(String room) {
    return positions.get(room);
  }

  Map<String, Set<Connection>> watchers() {
    return watchers;
  }

  /** Room → its watchers not told the count yet; the hub takes out those it tells. */
  Map<String, Set<Connection>> untold() {
    return untold;
  }

  int members(String room, int ifAbsent) {
    Set<Connection> set = members.get(room);
    return set == null ? ifAbsent : set.size();
  }

  /**
   * What changed since the last report, for the online counter on another thread: the member count
   * of every room that gained or lost members (0 when it has none left), and the rooms that gained
   * their first watcher or lost their last. Its size is bounded by the changes, not by the rooms.
   */
  RoomCounts report(boolean full) {
    Map<String, Integer> counts = new HashMap<>((full ? members.size() : recounted.size()) * 2);
    for (String room : full ? members.keySet() : recounted) {
      Set<Connection> set = members.get(room);
      counts.put(room, set == null ? 0 : set.size());
    }
    Map<String, Boolean> watching = watchChanges;
    if (full) {
      watching = new HashMap<>(watchers.size() * 2);
      for (String room : watchers.keySet()) {
        watching.put(room, true);
      }
    }
    RoomCounts report = new RoomCounts(counts, watching, full);
    recounted = new HashSet<>();
    watchChanges = new HashMap<>();
    return report;
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
