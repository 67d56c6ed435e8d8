package io.pushgate.online;

import io.pushgate.protocol.RoomName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * What the other nodes told this one: for each, the rooms it watches and its counts of rooms
 * someone watches. Messages are checked and bounded: valid room names, counts from 0 to
 * {@link #MAX_COUNT}, at most maxRooms rooms watched and counted per node. A message that breaks a
 * rule is refused from the rule on (its counts are all checked before any is applied); what it
 * applied before stays, bounded as it is. A room a peer would add past maxRooms is skipped and the
 * rest of the message applied, and the message is reported (counted as refused): a peer's count of a
 * room nobody watches any more stays here until its next full message, so a well-behaved peer at the
 * bound may meet it, and its other rooms' counts must not be lost for that.
 */
final class PeerTally {

  /**
   * The most members of one room a node may report. Fixed rather than this node's maxConnections:
   * nodes of different sizes share a cluster, and a bigger node's true count is no attack. Far above
   * what one node holds, yet small enough that a sum over a few hundred nodes is checked, not wrapped.
   */
  static final int MAX_COUNT = 10_000_000;

  private static final class Peer {
    long seenNanos;
    final Set<String> watched = new HashSet<>();
    final Map<String, Integer> counts = new HashMap<>();
  }

  private final int maxRooms;
  /** Told when a peer starts or stops watching a room. */
  private final BiConsumer<String, Boolean> onWatch;
  private final Map<String, Peer> peers = new HashMap<>();

  PeerTally(int maxRooms, BiConsumer<String, Boolean> onWatch) {
    this.maxRooms = maxRooms;
    this.onWatch = onWatch;
  }

  int size() {
    return peers.size();
  }

  /** The members' counts of {@code room}, added (at most Integer.MAX_VALUE: members are many, each count up to MAX_COUNT). */
  int count(String room) {
    long n = 0;
    for (Peer peer : peers.values()) {
      n += peer.counts.getOrDefault(room, 0);
    }
    return sum(n, 0);
  }

  /** {@code a + b}, both counts or sums of counts (far below Long.MAX_VALUE), held at Integer.MAX_VALUE rather than wrapped. */
  static int sum(long a, long b) {
    return (int) Math.min(Integer.MAX_VALUE, a + b);
  }

  /**
   * Applies a peer's message (sender already checked to be a member).
   * @return null when accepted, else what was wrong with it
   */
  String apply(String node, JsonObject body, long nowNanos, Runnable onNewPeer) {
    Peer peer = peers.get(node);
    if (peer == null) {
      peer = new Peer();
      peers.put(node, peer);
      onNewPeer.run();
    }
    peer.seenNanos = nowNanos;
    // A full state replaces the peer's watch list: the rooms it still watches are taken again without
    // a word, and only those it no longer lists are unwatched (telling this node that every room went
    // and came back would make it send all its counts of them again, at every peer's full state).
    Set<String> listedBefore = null;
    if (Boolean.TRUE.equals(body.getValue("full"))) {
      listedBefore = new HashSet<>(peer.watched);
      peer.watched.clear();
      peer.counts.clear();
    }
    // Unwatched first: a node at maxRooms that swapped one room for another in an interval frees the
    // place before taking it, rather than being refused (its two lists never share a room).
    pastMaxRooms = 0;
    String problem = watch(peer, body.getValue("unwatch"), false, null);
    if (problem == null) {
      problem = watch(peer, body.getValue("watch"), true, listedBefore);
    }
    if (listedBefore != null) {
      listedBefore.forEach(room -> onWatch.accept(room, false));
    }
    if (problem == null) {
      problem = counts(peer, body.getValue("counts"));
    }
    return problem != null || pastMaxRooms == 0 ? problem
      : pastMaxRooms + " room(s) past maxRooms rooms skipped (the rest of the message applied)";
  }

  /** Rooms the message being applied would have added past maxRooms. */
  private int pastMaxRooms;

  /** Drops peers that left the cluster, and members silent since {@code silentSince}. */
  void expire(List<String> members, long silentSince) {
    for (Iterator<Map.Entry<String, Peer>> it = peers.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Peer> entry = it.next();
      if (entry.getValue().seenNanos < silentSince || !members.contains(entry.getKey())) {
        it.remove();
        forget(entry.getValue());
      }
    }
  }

  private void forget(Peer peer) {
    peer.watched.forEach(room -> onWatch.accept(room, false));
    peer.watched.clear();
    peer.counts.clear();
  }

  /**
   * Applies a watch or unwatch list. {@code listedBefore}: for a full state's watch list, the rooms the
   * peer watched before it; a room still listed is taken again without telling {@code onWatch}, and
   * leaves the set, so that what is left in it afterwards is what the peer stopped watching.
   */
  private String watch(Peer peer, Object rooms, boolean watch, Set<String> listedBefore) {
    if (rooms == null) {
      return null;
    }
    if (!(rooms instanceof JsonArray list) || list.size() > maxRooms) {
      return "a watch list that is not an array of at most maxRooms names";
    }
    for (Object o : list) {
      if (!(o instanceof String room) || RoomName.problem(room) != null) {
        return "a watched room that is not a valid room name";
      }
      if (watch && peer.watched.size() >= maxRooms && !peer.watched.contains(room)) {
        pastMaxRooms++;
        continue;
      }
      if (watch ? peer.watched.add(room) : peer.watched.remove(room)) {
        if (listedBefore == null || !listedBefore.remove(room)) {
          onWatch.accept(room, watch);
        }
      }
      if (!watch) {
        peer.counts.remove(room);
      }
    }
    return null;
  }

  private String counts(Peer peer, Object counts) {
    if (counts == null) {
      return null;
    }
    if (!(counts instanceof JsonObject map) || map.size() > maxRooms) {
      return "counts that are not an object of at most maxRooms rooms";
    }
    for (Map.Entry<String, Object> e : map) {
      if (!(e.getValue() instanceof Integer n) || n < 0 || n > MAX_COUNT || RoomName.problem(e.getKey()) != null) {
        return "a count that is not a valid room with 0 to " + MAX_COUNT + " members";
      }
    }
    // Emptied rooms first, then the rooms held, then new ones: a node at maxRooms whose members left one
    // room for a new one sends both counts in no particular order.
    for (Map.Entry<String, Object> e : map) {
      if ((Integer) e.getValue() == 0) {
        peer.counts.remove(e.getKey());
      } else if (peer.counts.containsKey(e.getKey())) {
        peer.counts.put(e.getKey(), (Integer) e.getValue());
      }
    }
    for (Map.Entry<String, Object> e : map) {
      int n = (Integer) e.getValue();
      if (n == 0 || peer.counts.containsKey(e.getKey())) {
        continue;
      }
      if (peer.counts.size() >= maxRooms) {
        pastMaxRooms++;
        continue;
      }
      peer.counts.put(e.getKey(), n);
    }
    return null;
  }
}
