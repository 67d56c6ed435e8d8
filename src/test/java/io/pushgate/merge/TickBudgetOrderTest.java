package io.pushgate.merge;

import io.pushgate.metrics.Counter;
import io.pushgate.metrics.NodeStats;
import io.pushgate.protocol.Target;
import io.pushgate.shard.FanoutPressure;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A room's budget in a tick goes to its normal items first, whichever kind came first (README,
 * Priority): a stream's normal items reach the batches only after their append's round trip, so
 * its low items usually come first.
 */
class TickBudgetOrderTest {

  private static final Target ROOM = Target.room("r");
  private static final Batches.Outlet NO_EARLY_FLUSH = new Batches.Outlet() {
    @Override
    public void early(Batches.Flushed flushed) {
    }

    @Override
    public void leading(Batches.Key key) {
    }
  };

  private static List<byte[]> items(String prefix, int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(("\"" + prefix + i + "\"").getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  /** The tick's frames, as text, after ten low and ten normal items in the given order; 10 items a tick. */
  private static List<String> tick(boolean lowFirst, boolean stream, Counter sampled) {
    Sampler sampler = new Sampler(100, 100, new FanoutPressure(), sampled);
    Batches batches = new Batches(MergerOptions.DEFAULTS, sampler, new MergerStats(new NodeStats()), RoomBatch::encode, () -> 0L);
    PushBatch low = new PushBatch(ROOM, items("l", 10), 40, null, null, true);
    PushBatch normal = stream ? new PushBatch(ROOM, items("n", 10), 40).numbered(1, "e") : new PushBatch(ROOM, items("n", 10), 40);
    Runnable addNormal = () -> {
      if (stream) {
        batches.addNumbered(normal, NO_EARLY_FLUSH);
      } else {
        batches.add(normal, NO_EARLY_FLUSH);
      }
    };
    if (lowFirst) {
      batches.add(low, NO_EARLY_FLUSH);
      addNormal.run();
    } else {
      addNormal.run();
      batches.add(low, NO_EARLY_FLUSH);
    }
    List<String> frames = new ArrayList<>();
    for (Batches.Flushed f : batches.flushTick(0, 1)) {
      frames.add(f.frame().text());
      f.frame().release();
    }
    return frames;
  }

  @Test
  void normalItemsUseTheBudgetFirstWhicheverCameFirst() {
    for (boolean stream : new boolean[] {true, false}) {
      for (boolean lowFirst : new boolean[] {true, false}) {
        Counter sampled = new Counter();
        List<String> frames = tick(lowFirst, stream, sampled);
        String why = (stream ? "stream" : "plain room") + (lowFirst ? ", low items first" : ", normal items first");
        assertEquals(1, frames.size(), why + ": " + frames);
        assertEquals(10, frames.get(0).split("\"n").length - 1, why + ": the normal items, all of them: " + frames);
        assertEquals(10, sampled.get(), why + ": the low items, over what the normal ones left");
      }
    }
  }

  /**
   * Normal items that left between two ticks in early frames (a full batch) use the room's budget of
   * the tick that follows, as those in its own frame do: the low items of that tick get what is left.
   */
  @Test
  void normalItemsOfEarlyFramesUseTheNextTicksBudget() {
    Counter sampled = new Counter();
    Sampler sampler = new Sampler(100, 100, new FanoutPressure(), sampled); // 10 a tick
    MergerOptions d = MergerOptions.DEFAULTS;
    MergerOptions options = new MergerOptions(d.shards(), d.tickMillis(), 6, d.maxBatchBytes(), d.maxPendingBytes(),
      d.closeTimeoutMillis(), d.maxRooms(), d.maxRoomItemsPerSecond(), d.maxHistoryReads());
    Batches batches = new Batches(options, sampler, new MergerStats(new NodeStats()), RoomBatch::encode, () -> 0L);
    List<Batches.Flushed> early = new ArrayList<>();
    Batches.Outlet outlet = new Batches.Outlet() {
      @Override
      public void early(Batches.Flushed flushed) {
        early.add(flushed);
      }

      @Override
      public void leading(Batches.Key key) {
      }
    };
    batches.add(new PushBatch(ROOM, items("n", 8), 32), outlet); // 6 leave early, 2 wait for the tick
    batches.add(new PushBatch(ROOM, items("l", 5), 20, null, null, true), outlet);
    List<String> frames = new ArrayList<>();
    for (Batches.Flushed f : batches.flushTick(0, 1)) {
      frames.add(f.frame().text());
      f.frame().release();
    }
    early.forEach(f -> f.frame().release());
    assertEquals(1, early.size(), "one early frame of 6 normal items");
    // Counted from the tick's frame alone, 2 normal items would leave 8 and every low one would go.
    assertEquals(3, sampled.get(), "8 normal items used 8 of the 10: 2 of the 5 low items go, 3 are sampled; frames " + frames);
  }
}
