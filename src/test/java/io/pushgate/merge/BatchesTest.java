package io.pushgate.merge;

import io.pushgate.metrics.Counter;
import io.pushgate.metrics.NodeStats;
import io.pushgate.protocol.EncodedFrame;
import io.pushgate.protocol.Position;
import io.pushgate.protocol.Target;
import io.pushgate.shard.FanoutPressure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream's batches while direct memory is short: a batch that cannot be encoded waits whole, and
 * items that cannot follow it in one frame (offsets skipped, another epoch) wait in a frame of their
 * own behind it, so every frame's position is its last item's (PROTOCOL.md: a frame's items are
 * consecutive). The shortage is the encoder's, on demand: the JVM's limit cannot be reached at the
 * exact moment a stream's numbering jumps.
 */
class BatchesTest {

  private static final Target ROOM = Target.room("match-1");
  private static final Target OTHER = Target.room("lobby");

  /** Encodes as the merger does, except while {@code shortOfMemory} is set, or for {@code shortFor}'s frames. */
  private static final class Rig {
    boolean shortOfMemory;
    Target shortFor;
    /** The batches' clock, moved by {@link #later}. */
    long nanos = 1_000_000_000L;
    final MergerOptions options;
    final MergerStats stats = new MergerStats(new NodeStats());
    final Batches batches;
    final List<Batches.Flushed> early = new ArrayList<>();
    final Batches.Outlet outlet = new Batches.Outlet() {
      @Override
      public void early(Batches.Flushed flushed) {
        early.add(flushed);
      }

      @Override
      public void leading(Batches.Key key) {
      }
    };

    Rig() {
      this(MergerOptions.DEFAULTS);
    }

    Rig(MergerOptions options) {
      this.options = options;
      batches = new Batches(options, new Sampler(0, 100, new FanoutPressure(), new Counter()), stats, batch -> {
        if (shortOfMemory || batch.target().equals(shortFor)) {
          throw new OutOfMemoryError("Cannot reserve 1024 bytes of direct buffer memory (allocated: 0, limit: 0)");
        }
        return batch.encode();
      }, () -> nanos);
    }

    /** {@code ticks} ticks later on the batches' clock. */
    void later(int ticks) {
      nanos += ticks * options.tickMillis() * 1_000_000L;
    }

    /** A push of {@code items} to a room that is no stream (or to all). */
    void addPlain(Target target, String... items) {
      List<byte[]> bytes = java.util.Arrays.stream(items).map(i -> ("\"" + i + "\"").getBytes(StandardCharsets.UTF_8)).toList();
      batches.add(new PushBatch(target, bytes, bytes.stream().mapToLong(i -> i.length).sum()), outlet);
    }

    /** A low-priority push of {@code items} to a room. */
    void addLow(Target target, String... items) {
      List<byte[]> bytes = java.util.Arrays.stream(items).map(i -> ("\"" + i + "\"").getBytes(StandardCharsets.UTF_8)).toList();
      batches.add(new PushBatch(target, bytes, bytes.stream().mapToLong(i -> i.length).sum(), null, null, true), outlet);
    }

    /** Items {@code from}..{@code to} of {@code epoch}, each naming its own offset. */
    void add(long from, long to, String epoch) {
      List<byte[]> items = LongStream.rangeClosed(from, to).mapToObj(o -> ("\"" + epoch + "-" + o + "\"").getBytes(StandardCharsets.UTF_8)).toList();
      batches.addNumbered(new PushBatch(ROOM, items, items.stream().mapToLong(i -> i.length).sum(), null, new Position(from, epoch)), outlet);
    }

    /** What went out, early and at the tick, each frame as "items@offset/epoch", frames released. */
    List<String> frames(List<Batches.Flushed> flushed) {
      List<String> out = new ArrayList<>();
      for (Batches.Flushed f : flushed) {
        out.add(described(f.frame()));
        f.frame().release();
      }
      flushed.clear();
      return out;
    }

    List<String> tick() {
      List<Batches.Flushed> all = new ArrayList<>(early);
      early.clear();
      all.addAll(batches.flushAll());
      return frames(all);
    }
  }

  /** The defaults, with maxBatchItems 3. */
  private static MergerOptions threeItemsAFrame() {
    MergerOptions d = MergerOptions.DEFAULTS;
    return new MergerOptions(d.shards(), d.tickMillis(), 3, d.maxBatchBytes(), d.maxPendingBytes(), d.closeTimeoutMillis(),
      d.maxRooms(), d.maxRoomItemsPerSecond(), d.maxHistoryReads());
  }

  /** A frame as its items, then for a stream's "@offset/epoch". */
  static String described(EncodedFrame frame) {
    JsonObject data = new JsonObject(frame.text()).getJsonObject("data");
    return data.getJsonArray("items").encode() + (data.containsKey("offset") ? "@" + data.getLong("offset") + "/" + data.getString("epoch") : "");
  }

  /**
   * A batch at its item limit that cannot be encoded waits, whole, and a new one takes what follows:
   * no frame carries more than maxBatchItems, and no batch grows toward maxPendingBytes while direct
   * memory is short. Rooms and streams alike, in order once memory allows.
   */
  @Test
  void aBatchAtItsLimitThatCannotBeEncodedWaitsAndANewOneTakesWhatFollows() {
    Rig rig = new Rig(threeItemsAFrame());
    rig.shortOfMemory = true;
    rig.add(1, 7, "e");
    rig.addPlain(OTHER, "a", "b", "c", "d", "e");
    assertEquals(List.of(), rig.tick(), "nothing can be encoded");
    rig.shortOfMemory = false;
    // The stream's frame failed first in that tick, so it went behind the room's; each target's own in order.
    assertEquals(List.of("[\"a\",\"b\",\"c\"]", "[\"d\",\"e\"]",
      "[\"e-1\",\"e-2\",\"e-3\"]@3/e", "[\"e-4\",\"e-5\",\"e-6\"]@6/e", "[\"e-7\"]@7/e"), rig.tick());
    assertEquals(0, rig.batches.bytes(), "every item's bytes given back");
    assertEquals(0, rig.batches.targets());
  }

  /** A frame that cannot be encoded stops the tick (see flushAll): the rest wait, whole, for the next one. */
  @Test
  void aTickStopsAtTheFirstFrameThatCannotBeEncodedAndTheRestGoWithTheNext() {
    Rig rig = new Rig();
    rig.shortFor = ROOM;
    rig.add(1, 1, "e"); // the first in the tick's order
    rig.addPlain(OTHER, "x");
    rig.addPlain(Target.ALL, "y");
    assertEquals(List.of(), rig.tick(), "each refused allocation costs the loop a collection and sleeps: one a tick");
    assertEquals(1, rig.stats.encodeFailures.get());
    assertEquals(List.of("[\"x\"]"), rig.tick(), "the frame that did not fit went to the back: the next tick tries the others first");
    assertEquals(2, rig.stats.encodeFailures.get());
    rig.shortFor = null;
    assertEquals(List.of("[\"e-1\"]@1/e", "[\"y\"]"), rig.tick());
  }

  /**
   * The same for another room's low items: a room's low batch waits for its own room's normal one (it
   * is sampled against what that leaves of the budget), not for every room's.
   */
  @Test
  void aFrameThatCannotBeEncodedHoldsBackNoOtherRoomsLowItems() {
    Rig rig = new Rig();
    rig.shortFor = ROOM;
    rig.add(1, 1, "e");
    rig.addLow(OTHER, "low");
    rig.addLow(ROOM, "its own low");
    assertEquals(List.of(), rig.tick());
    assertEquals(List.of("[\"low\"]"), rig.tick(), "the frame that did not fit went to the back; its room's low batch waits with it");
    rig.shortFor = null;
    assertEquals(List.of("[\"e-1\"]@1/e", "[\"its own low\"]"), rig.tick());
  }

  /**
   * For two ticks after a refusal only the tick tries again, once: not each batch at its limit, nor a
   * quiet room's leading flush (another node's pushes, taken while memory is short, would each cost
   * the loop a refused allocation's collection and sleeps). Everything goes, in order, once it fits.
   */
  @Test
  void whileMemoryWasShortLatelyOnlyTheTickTriesAgain() {
    Rig rig = new Rig(threeItemsAFrame());
    rig.shortOfMemory = true;
    rig.addPlain(ROOM, "a");
    assertEquals(List.of(), rig.tick());
    assertEquals(1, rig.stats.encodeFailures.get());
    rig.addPlain(OTHER, "b", "c", "d", "e", "f", "g", "h"); // two batches reach their limit of 3
    assertFalse(rig.batches.flushLeading(new Batches.Key(OTHER, Batches.Kind.PLAIN), new ArrayList<>()), "the leading flush waits for the tick");
    assertEquals(1, rig.stats.encodeFailures.get(), "neither the batches at their limit nor the leading flush tried");
    rig.later(1);
    assertEquals(List.of(), rig.tick());
    assertEquals(2, rig.stats.encodeFailures.get(), "the tick tried, once");
    rig.shortOfMemory = false;
    rig.addPlain(OTHER, "i", "j"); // "h", "i", "j": at the limit again, still within two ticks of the refusal
    assertEquals(List.of(), rig.frames(rig.early));
    rig.later(2);
    rig.addPlain(OTHER, "k"); // past them: this early flush takes what waited
    assertEquals(List.of("[\"b\",\"c\",\"d\"]", "[\"e\",\"f\",\"g\"]", "[\"h\",\"i\",\"j\"]"), rig.frames(rig.early));
    assertEquals(List.of("[\"a\"]", "[\"k\"]"), rig.tick(), "the other room's batch is new since its early flush");
    assertEquals(0, rig.batches.bytes());
  }

  @Test
  void offsetsSkippedWhileAFrameIsKeptBackGoInAFrameOfTheirOwn() {
    Rig rig = new Rig();
    rig.add(1, 1, "e");
    assertEquals(List.of("[\"e-1\"]@1/e"), rig.tick());
    rig.shortOfMemory = true;
    rig.add(2, 3, "e");
    assertEquals(List.of(), rig.tick(), "nothing can be encoded");
    rig.add(4, 4, "e"); // follows on: joins the batch kept back
    rig.add(9, 10, "e"); // 5..8 were trimmed from the history before this node read them
    assertEquals(List.of(), rig.tick());
    assertEquals(2, rig.stats.encodeFailures.get(), "the two ticks: the jump's early flush does not try while memory was short lately");
    rig.shortOfMemory = false;
    assertEquals(List.of("[\"e-2\",\"e-3\",\"e-4\"]@4/e", "[\"e-9\",\"e-10\"]@10/e"), rig.tick());
    assertEquals(0, rig.batches.bytes(), "every item's bytes given back");
    assertEquals(0, rig.batches.targets());
  }

  @Test
  void aNewEpochWhileTheOldOnesFrameIsKeptBackGoesAfterIt() {
    Rig rig = new Rig();
    rig.add(1, 1, "old");
    rig.tick();
    rig.shortOfMemory = true;
    rig.add(2, 2, "old");
    assertTrue(rig.batches.flushStream(ROOM).isEmpty(), "the merger's flush before a restart fails");
    assertTrue(rig.batches.waiting(ROOM), "so the streams hold the restart back (StreamsTest)");
    rig.add(1, 2, "new");
    rig.add(3, 3, "new");
    rig.shortOfMemory = false;
    assertEquals(List.of("[\"old-2\"]@2/old", "[\"new-1\",\"new-2\",\"new-3\"]@3/new"), rig.frames(rig.batches.flushStream(ROOM)));
    assertFalse(rig.batches.waiting(ROOM));
  }

  @Test
  void severalJumpsWhileShortKeepTheirOrderAndAnEarlyFlushTakesThemAll() {
    Rig rig = new Rig();
    rig.shortOfMemory = true;
    rig.add(1, 2, "e");
    rig.add(5, 5, "e");
    rig.add(1, 1, "f");
    assertEquals(List.of(), rig.frames(rig.early));
    rig.shortOfMemory = false;
    rig.later(2);
    rig.add(7, 7, "f"); // another jump, two ticks after the shortage: its early flush takes everything before it
    assertEquals(List.of("[\"e-1\",\"e-2\"]@2/e", "[\"e-5\"]@5/e", "[\"f-1\"]@1/f"), rig.frames(rig.early));
    assertEquals(List.of("[\"f-7\"]@7/f"), rig.tick());
  }

  @Test
  void aBatchRefusesAnItemThatDoesNotFollowItsLast() {
    RoomBatch batch = new RoomBatch(ROOM);
    batch.add(new byte[] {'1'}, 4, "e");
    batch.add(new byte[] {'2'}, 5, "e");
    assertEquals("offset 7 of epoch e cannot follow 5 of e in one frame",
      org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> batch.add(new byte[] {'3'}, 7, "e")).getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> batch.add(new byte[] {'3'}, 6, "f"));
    assertEquals(5, batch.lastOffset());
  }
}
