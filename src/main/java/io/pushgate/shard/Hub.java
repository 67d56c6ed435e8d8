package io.pushgate.shard;

import io.pushgate.metrics.Throttle;
import io.pushgate.protocol.CloseCode;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.ServerMessages;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * A shard's connections and rooms, and everything written to many of them: the tick's frames (each
 * encoded once, flushed once per socket), ONLINE counts, slow consumers, and the heartbeat. Only
 * the shard's event loop touches it, so the delivery path needs no lock.
 */
final class Hub {

  private static final Logger log = Logger.getLogger(Hub.class.getName());

  private final int shard;
  private final ShardOptions options;
  private final ShardStats stats;
  private final long heartbeatTimeoutNanos;
  private final long pingAfterNanos;
  final Set<Connection> connections = new LinkedHashSet<>();
  final RoomIndex rooms;
  /** Connections with frames held during the current delivery, written once at its end. */
  private final List<Connection> toWrite = new ArrayList<>();
  /** Connections found over their outbound limit during the current delivery. */
  private Set<Connection> slow;
  /** Last ONLINE count sent per room, so watchers hear only changes. */
  private final Map<String, Integer> onlineSent = new HashMap<>();
  /** When any of a room's watchers was last sent an ONLINE (nanoTime), so none gets two within an interval. */
  private final Map<String, Long> onlineAt = new HashMap<>();
  /** When this shard last warned of a tick written late, and how many came since (nanoTime). */
  private final Throttle lateTicks = new Throttle(60_000);

  /** Told when a tick's frames took longer than the tick to write: the merger samples low items harder. */
  private final FanoutPressure pressure;

  Hub(int shard, ShardOptions options, ShardStats stats, NodeRooms nodeRooms, FanoutPressure pressure) {
    this.pressure = pressure;
    this.shard = shard;
    this.options = options;
    this.stats = stats;
    this.rooms = new RoomIndex(nodeRooms);
    this.heartbeatTimeoutNanos = options.heartbeatTimeoutMillis() * 1_000_000L;
    this.pingAfterNanos = heartbeatTimeoutNanos / 3;
  }

  void add(Connection c) {
    connections.add(c);
  }

  void remove(Connection c) {
    rooms.leaveAll(c);
    connections.remove(c);
  }

  // ---- delivery ----

  /**
   * Writes each frame's shared bytes to the members of its room, one write per socket: a delivery of
   * one frame (the usual tick: one busy room) writes each socket as it goes; with several, each
   * socket's frames are gathered first and written together at the end, however many of its rooms
   * had items.
   */
  void deliver(List<EncodedFrame> frames, long tickNanos) {
    boolean single = frames.size() == 1;
    try {
      for (EncodedFrame frame : frames) {
        if (frame.last() != null) {
          rooms.handed(frame.target().room(), frame.last());
        }
        Iterable<Connection> targets = reached(frame.target());
        if (targets != null) {
          for (Connection c : targets) {
            try {
              write(c, frame, single);
            } catch (RuntimeException e) {
              // A bug costs that connection, not the frame for every member after it.
              failed(c, e);
            }
          }
        }
      }
    } finally {
      // Whatever happened, no connection keeps a frame past this delivery: the shard releases them next.
      writeQueuedAndCloseSlow();
    }
    long lag = System.nanoTime() - tickNanos;
    if (stats.fanout.record(lag)) {
      pressure.overTick(System.nanoTime());
      warnOfLateTick(lag);
    }
  }

  /** The connections of this shard {@code target} reaches: every one, or a room's members (null: none). */
  private Iterable<Connection> reached(io.pushgate.protocol.Target target) {
    return target.isAll() ? connections : rooms.members(target.room());
  }

  private void write(Connection c, EncodedFrame frame, boolean now) {
    if (c.isClosing()) {
      return;
    }
    boolean first = !now && !c.hasQueued();
    if (!(now ? c.write(frame) : c.queue(frame))) {
      slow(c);
    } else if (first) {
      toWrite.add(c);
    }
  }

  /** Over maxOutboundBytes: closed after the delivery, which must not change the sets it walks. */
  private void slow(Connection c) {
    if (slow == null) {
      slow = new LinkedHashSet<>();
    }
    slow.add(c);
  }

  private void writeQueuedAndCloseSlow() {
    for (Connection c : toWrite) {
      try {
        if (!c.writeQueued()) {
          slow(c);
        }
      } catch (RuntimeException e) {
        // Its frames are dropped with it (writeQueued empties the queue first); the others still go out.
        failed(c, e);
      }
    }
    toWrite.clear();
    if (slow != null) {
      Set<Connection> closing = slow;
      slow = null;
      closing.forEach(Connection::slowConsumer);
    }
  }

  private void failed(Connection c, RuntimeException e) {
    log.log(java.util.logging.Level.WARNING, "shard " + shard + ": a write failed; the connection is closed", e);
    c.close(CloseCode.INTERNAL_ERROR);
  }

  /** At most one line a minute per shard: a node that falls behind would otherwise log every tick. */
  private void warnOfLateTick(long lagNanos) {
    long n = lateTicks.occurred();
    if (n == 0) {
      return;
    }
    log.warning("shard " + shard + ": a tick took " + lagNanos / 1_000_000 + " ms to reach all " + connections.size()
      + " sockets, longer than tickMillis=" + options.tickMillis() + " (" + n + (n == 1 ? " such tick" : " such ticks since the last such line")
      + "): this node is short of CPU for its audience; add nodes or CPU, or raise tickMillis (pushgate_fanout_seconds)");
  }

  /** Closes (1013) the connections {@code target} reaches: items for them were lost on this node. */
  void missed(io.pushgate.protocol.Target target) {
    Iterable<Connection> targets = reached(target);
    if (targets != null) {
      List<Connection> closing = new ArrayList<>();
      targets.forEach(closing::add);
      closing.forEach(c -> c.close(CloseCode.OVERLOADED));
    }
  }

  // ---- online counts ----

  /**
   * ONLINE to every watcher of a room whose cluster-wide count changed since it was last sent, and to
   * watchers new since the last interval whatever the count: for them it is new. Only here, so that
   * a connection gets at most one ONLINE per room per interval (PROTOCOL.md). Counts come once an
   * interval, but a round of the counter ends when its last shard answers, so a late round followed
   * by a quick one comes sooner: a room told anything less than {@code spacingNanos} before
   * {@code nowNanos} waits for the next (its newcomers stay untold, its change unsent).
   */
  void online(Map<String, Integer> totals, long spacingNanos, long nowNanos) {
    onlineSent.keySet().retainAll(rooms.watchers().keySet());
    onlineAt.keySet().retainAll(rooms.watchers().keySet());
    try {
      for (Iterator<Map.Entry<String, Set<Connection>>> it = rooms.untold().entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Set<Connection>> newcomers = it.next();
        String room = newcomers.getKey();
        Integer count = totals.get(room);
        if (count == null || toldWithin(room, spacingNanos, nowNanos)) {
          continue; // watched since this interval's reports (the counter has no count of it yet), or told too recently
        }
        it.remove();
        if (count.equals(onlineSent.get(room))) {
          tell(newcomers.getValue(), ServerMessages.online(room, count));
          onlineAt.put(room, nowNanos);
        } // else the whole room hears the new count below, newcomers included
      }
      rooms.watchers().forEach((room, watchers) -> {
        Integer count = totals.get(room);
        if (count == null || count.equals(onlineSent.get(room)) || toldWithin(room, spacingNanos, nowNanos)) {
          return;
        }
        EncodedFrame frame = ServerMessages.online(room, count);
        onlineSent.put(room, count); // once there is a frame to send: a count that failed to go out is sent next time
        onlineAt.put(room, nowNanos);
        tell(watchers, frame);
      });
    } finally {
      // As after a delivery: nothing held carries over to the next pass, where a PUSH would overtake it.
      writeQueuedAndCloseSlow();
    }
  }

  private boolean toldWithin(String room, long spacingNanos, long nowNanos) {
    Long at = onlineAt.get(room);
    return at != null && nowNanos - at < spacingNanos;
  }

  private void tell(Set<Connection> watchers, EncodedFrame frame) {
    for (Connection c : watchers) {
      write(c, frame, false);
    }
  }

  // ---- heartbeat and shutdown ----

  /**
   * The heartbeat: a connection silent for a third of the heartbeat timeout gets a WebSocket ping,
   * which every client answers with a pong by itself (so a browser tab whose timers are throttled in
   * the background stays connected); one silent for the whole timeout is closed with 4001.
   */
  void sweep(long nowNanos) {
    List<Connection> silent = null;
    for (Connection c : connections) {
      if (c.isClosing()) {
        continue;
      }
      long quiet = nowNanos - c.lastSeenNanos;
      if (quiet > heartbeatTimeoutNanos) {
        if (silent == null) {
          silent = new ArrayList<>();
        }
        silent.add(c);
      } else if (quiet > pingAfterNanos && !c.pinged && c.ping()) {
        stats.pingsSent.inc();
      }
    }
    if (silent != null) {
      silent.forEach(c -> c.close(CloseCode.HEARTBEAT_TIMEOUT));
    }
  }

  void closeAll(CloseCode code) {
    for (Connection c : new ArrayList<>(connections)) {
      c.close(code);
    }
  }
}
