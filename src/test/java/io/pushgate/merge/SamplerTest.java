package io.pushgate.merge;

import io.pushgate.metrics.Counter;
import io.pushgate.protocol.Target;
import io.pushgate.shard.FanoutPressure;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sampler's arithmetic: a tick's budget, normal items first, evenly spaced picks, a share that follows the lag. */
class SamplerTest {

  private static final Target ROOM = Target.room("r");
  private static final long TICK_NANOS = 100_000_000L;

  private static List<byte[]> items(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new byte[] {(byte) i});
    }
    return out;
  }

  @Test
  void normalItemsUseTheBudgetFirstAndTheRestIsEvenlySpaced() {
    Counter sampled = new Counter();
    Sampler s = new Sampler(100, 100, new FanoutPressure(), sampled); // 10 a tick
    s.startTick(0, 1);
    s.sent(ROOM, 5);
    List<byte[]> kept = s.sample(ROOM, items(50));
    assertEquals(5, kept.size());
    assertEquals(List.of(0, 10, 20, 30, 40), kept.stream().map(b -> (int) b[0]).toList());
    assertEquals(45, sampled.get());
    assertEquals(0, s.sample(ROOM, items(3)).size(), "nothing left this tick");
    s.endTick();
    s.startTick(TICK_NANOS, 1);
    assertEquals(10, s.sample(ROOM, items(30)).size(), "a new tick, a new share");
    assertEquals(3, s.sample(Target.room("other"), items(3)).size(), "each room has its own budget");
    s.endTick();
    s.startTick(2 * TICK_NANOS, 3);
    assertEquals(30, s.sample(ROOM, items(100)).size(), "a frame after two held ticks carries three ticks' budget");
    s.endTick();
    assertEquals(0, s.sample(ROOM, items(100)).size(), "an early low frame after it gets what the tick left");
    s.sent(ROOM, 4); // normal items in an early frame before the next tick
    s.startTick(3 * TICK_NANOS, 1);
    assertEquals(6, s.sample(ROOM, items(100)).size(), "they count against the next tick's budget");
  }

  @Test
  void whileTheNodeLagsTheShareHalvesEachTickAndGrowsBackAfter() {
    FanoutPressure pressure = new FanoutPressure();
    Sampler s = new Sampler(0, 100, pressure, new Counter()); // no budget: only the lag samples
    s.startTick(0, 1);
    assertEquals(64, s.sample(ROOM, items(64)).size(), "no lag, no budget: everything goes");
    long now = 0;
    for (int tick = 1; tick <= 3; tick++) {
      now += TICK_NANOS;
      pressure.overTick(now);
      s.startTick(now, 1);
    }
    assertEquals(1.0 / 8, s.share());
    assertEquals(8, s.sample(ROOM, items(64)).size());
    for (int tick = 0; tick < 10; tick++) {
      now += 10 * TICK_NANOS; // long after the last late tick
      s.startTick(now, 1);
    }
    assertEquals(1.0, s.share());
  }
}
