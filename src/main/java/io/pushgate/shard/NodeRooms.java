package io.pushgate.shard;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's distinct rooms, bounded by {@code maxRooms}. Shards share it as they share the
 * connection budget: a shard touches it only when a room gains its first member on that shard or
 * loses its last, never on the delivery path. Without it the rooms of a node were bounded only by
 * connections times rooms per connection (over a million names), all of which the online counts
 * then carried between nodes.
 */
public final class NodeRooms {

  /** Room → shards holding members of it. */
  private final ConcurrentHashMap<String, Integer> shards = new ConcurrentHashMap<>();
  private final Budget distinct;

  public NodeRooms(int max) {
    this.distinct = new Budget(max);
  }

  /** A shard's first member of {@code room}; false when the room is new to the node and the node is at maxRooms. */
  public boolean acquire(String room) {
    boolean[] admitted = {true};
    shards.compute(room, (r, holders) -> {
      if (holders != null) {
        return holders + 1;
      }
      if (!distinct.tryAcquire()) {
        admitted[0] = false;
        return null;
      }
      return 1;
    });
    return admitted[0];
  }

  /** A shard's last member of {@code room} left. */
  public void release(String room) {
    shards.computeIfPresent(room, (r, holders) -> {
      if (holders > 1) {
        return holders - 1;
      }
      distinct.release();
      return null;
    });
  }

  /** Whether {@code room} has members on this node; from any thread. */
  public boolean contains(String room) {
    return shards.containsKey(room);
  }

  /** Distinct rooms with members on this node. */
  public int size() {
    return distinct.used();
  }
}
