package io.pushgate.merge;

import io.pushgate.metrics.Counter;
import io.pushgate.protocol.Target;
import io.pushgate.shard.FanoutPressure;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Graceful overload (PROTOCOL.md, Priority): each room may send maxRoomItemsPerSecond items, a
 * tick's share of it per tick, normal items first; low-priority items beyond what is left are
 * sampled down, keeping evenly spaced ones, and counted. While the node's fan-out lags behind its
 * tick the share halves each tick (to 1/64), and grows back as the lag goes. Normal items are never
 * touched. Runs on the merger's thread.
 */
final class Sampler {

  /** Rooms whose sampled counts /stats lists, most sampled first; the rest are in the total only. */
  static final int ROOMS_LISTED = 20;
  /** Rooms with a sampled count kept at most, least recently sampled forgotten first. */
  private static final int ROOMS_TRACKED = 1_000;
  private static final double MIN_SHARE = 1.0 / 64;

  private final long tickMillis;
  private final long itemsPerTick;
  private final FanoutPressure pressure;
  private final Counter sampled;
  /** Items each room sent in the current tick, normal and kept low ones. */
  private final Map<Target, Integer> sentThisTick = new HashMap<>();
  /**
   * Normal items each room sent in early frames since the last tick's frames (a full batch, a quiet
   * room's leading frame): they count against the next tick's budget too, as if they had waited for
   * it. Low items of early frames do not: those are sampled against what the last tick left, so that
   * the budget's low items ride in the tick's frame rather than in an extra one.
   */
  private final Map<Target, Integer> normalSinceTick = new HashMap<>();
  private boolean inTick;
  private final LinkedHashMap<String, Long> sampledByRoom = new LinkedHashMap<>(16, 0.75f, true);
  private boolean sampledSinceListed;
  /** What /stats shows, made on the merger's thread once a tick when it changed: read from any thread. */
  private volatile Map<String, Long> mostSampled = Map.of();
  private double share = 1;
  private int budgetTicks = 1;

  Sampler(long maxRoomItemsPerSecond, long tickMillis, FanoutPressure pressure, Counter sampled) {
    this.tickMillis = tickMillis;
    this.itemsPerTick = maxRoomItemsPerSecond == 0 ? 0 : Math.max(1, maxRoomItemsPerSecond * tickMillis / 1_000);
    this.pressure = pressure;
    this.sampled = sampled;
  }

  /**
   * A tick's frames are about to be made: each room's budget is {@code ticks} ticks' worth of items
   * (more than one when the merger held ticks while the shards were writing), less the normal items it
   * sent in early frames since the last tick; the share follows the node's lag.
   */
  void startTick(long nowNanos, int ticks) {
    sentThisTick.clear();
    sentThisTick.putAll(normalSinceTick);
    normalSinceTick.clear();
    inTick = true;
    budgetTicks = ticks;
    if (sampledSinceListed) {
      sampledSinceListed = false;
      Map<String, Long> top = new LinkedHashMap<>();
      sampledByRoom.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(ROOMS_LISTED).forEach(e -> top.put(e.getKey(), e.getValue()));
      mostSampled = java.util.Collections.unmodifiableMap(top);
    }
    share = pressure.lagging(nowNanos, 2 * tickMillis * 1_000_000L) ? Math.max(MIN_SHARE, share / 2) : Math.min(1, share * 2);
  }

  /** The tick's frames are made: normal items sent from now on count against the next tick too. */
  void endTick() {
    inTick = false;
  }

  double share() {
    return share;
  }

  /** Normal items of {@code target} went out: they use the room's budget first. */
  void sent(Target target, int items) {
    sentThisTick.merge(target, items, Integer::sum);
    if (!inTick) {
      normalSinceTick.merge(target, items, Integer::sum);
    }
  }

  /** The low items of {@code target} that go out: all, or evenly spaced ones within what is left of its budget. */
  List<byte[]> sample(Target target, List<byte[]> low) {
    int keep = low.size();
    if (itemsPerTick > 0) {
      long left = (long) (itemsPerTick * budgetTicks * share) - sentThisTick.getOrDefault(target, 0);
      keep = (int) Math.max(0, Math.min(keep, left));
    } else if (share < 1) {
      keep = (int) Math.ceil(low.size() * share);
    }
    sentThisTick.merge(target, keep, Integer::sum);
    if (keep == low.size()) {
      return low;
    }
    dropped(target, low.size() - keep);
    return evenly(low, keep);
  }

  /** {@code keep} of {@code items}, evenly spaced from the first, in their order. */
  static List<byte[]> evenly(List<byte[]> items, int keep) {
    List<byte[]> kept = new ArrayList<>(keep);
    for (int i = 0; i < keep; i++) {
      kept.add(items.get((int) ((long) i * items.size() / keep)));
    }
    return kept;
  }

  /** Counts low items of {@code target} sampled away, for the node and the room. */
  void dropped(Target target, int dropped) {
    sampled.add(dropped);
    if (!target.isAll()) {
      sampledSinceListed = true;
      sampledByRoom.merge(target.room(), (long) dropped, Long::sum);
      if (sampledByRoom.size() > ROOMS_TRACKED) {
        sampledByRoom.remove(sampledByRoom.keySet().iterator().next());
      }
    }
  }

  /** The most sampled rooms and their sampled items, as of the last tick: for /stats, from any thread. */
  Map<String, Long> mostSampled() {
    return mostSampled;
  }
}
