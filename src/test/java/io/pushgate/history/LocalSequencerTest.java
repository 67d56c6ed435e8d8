package io.pushgate.history;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A standalone node's history held to historyMaxStreams and historyMaxBytes at each append, least recently appended first. */
class LocalSequencerTest {

  private static final byte[] ITEM = "\"first\"".getBytes(StandardCharsets.UTF_8);

  @Test
  void appendsBeyondHistoryMaxBytesDropTheLeastRecentlyAppendedToStreams() {
    LocalSequencer sequencer = new LocalSequencer(HistoryOptions.DEFAULTS.withMemberBounds(1_000, 14L * ITEM.length));
    for (int i = 0; i < 20; i++) {
      sequencer.append("room-" + i, List.of(new Append.Push(List.of(ITEM), null)));
    }
    assertEquals(14, sequencer.streams());
    assertEquals(IntStream.range(0, 6).mapToObj(i -> "room-" + i).toList(), sequencer.trim().result(), "the six appended to first");

    // room-6 is now the least recently appended to; room-7 grows by two items: two streams must go for them.
    sequencer.append("room-7", List.of(new Append.Push(List.of(ITEM, ITEM), null)));
    assertEquals(List.of("room-6", "room-8"), sequencer.trim().result(), "never the stream just appended to");
    assertEquals(12, sequencer.streams());
    assertEquals(4, sequencer.append("room-7", List.of(new Append.Push(List.of(ITEM), null))).result().top(), "room-7 went on");
  }

  /** A remembered idempotency key counts as StreamLog.KEY_HEAP_BYTES beside the items: 20 streams' items alone would fit. */
  @Test
  void rememberedKeysCountAgainstHistoryMaxBytes() {
    LocalSequencer sequencer = new LocalSequencer(HistoryOptions.DEFAULTS.withMemberBounds(1_000, 14L * (ITEM.length + StreamLog.KEY_HEAP_BYTES)));
    for (int i = 0; i < 20; i++) {
      sequencer.append("room-" + i, List.of(new Append.Push(List.of(ITEM), "key-" + i)));
    }
    assertEquals(14, sequencer.streams());
    assertEquals(IntStream.range(0, 6).mapToObj(i -> "room-" + i).toList(), sequencer.trim().result(), "the six appended to first");
  }

  @Test
  void historyMaxStreamsStillHolds() {
    LocalSequencer sequencer = new LocalSequencer(HistoryOptions.DEFAULTS.withMemberBounds(3, 1L << 30));
    for (int i = 0; i < 5; i++) {
      sequencer.append("room-" + i, List.of(new Append.Push(List.of(ITEM), null)));
    }
    assertEquals(List.of("room-0", "room-1"), sequencer.trim().result());
    assertEquals(3, sequencer.streams());
  }

  @Test
  void streamsQuietForTheHistorysAgeCountAsEmpty() {
    HistoryOptions defaults = HistoryOptions.DEFAULTS.withMemberBounds(1_000, 3L * ITEM.length);
    HistoryOptions options = new HistoryOptions(defaults.size(), 1_000, defaults.idempotencyWindowMillis(), defaults.maxIdempotencyKeys(),
      defaults.streamBytes(), defaults.maxStreams(), defaults.maxBytes(), defaults.maxRecoveryItems(), defaults.ringBytes(),
      defaults.holeMillis(), 60_000, defaults.rooms());
    AtomicLong now = new AtomicLong(1_000_000);
    LocalSequencer sequencer = new LocalSequencer(options, now::get);
    for (int i = 0; i < 3; i++) {
      sequencer.append("room-" + i, List.of(new Append.Push(List.of(ITEM), null)));
    }
    now.addAndGet(1_000);
    sequencer.append("room-3", List.of(new Append.Push(List.of(ITEM), null)));
    assertEquals(List.of("room-0"), sequencer.trim().result(), "at the age, not past it, room-0's item still counts");

    now.addAndGet(1);
    sequencer.append("room-4", List.of(new Append.Push(List.of(ITEM), null)));
    assertEquals(List.of(), sequencer.trim().result(), "room-1 and room-2 hold only aged items: nothing is dropped");
    assertEquals(4, sequencer.streams());
    assertEquals(0, sequencer.read("room-1", 0, 10).result().items().size(), "room-1's items are past their age");
    assertEquals(2, sequencer.append("room-1", List.of(new Append.Push(List.of(ITEM), null))).result().top(), "room-1 went on in its epoch");
  }

  /** With the defaults a quiet stream keeps its numbering for hours: its clients are not told EPOCH_CHANGED when it speaks again. */
  @Test
  void withTheDefaultsAStreamQuietForAnHourKeepsItsNumbering() {
    AtomicLong now = new AtomicLong(1_000_000);
    LocalSequencer sequencer = new LocalSequencer(HistoryOptions.DEFAULTS, now::get);
    AppendResult first = sequencer.append("chat", List.of(new Append.Push(List.of(ITEM, ITEM), null))).result();
    now.addAndGet(3_600_000);
    AppendResult later = sequencer.append("chat", List.of(new Append.Push(List.of(ITEM), null))).result();
    assertEquals(first.epoch(), later.epoch());
    assertEquals(3, later.top());
    now.addAndGet(HistoryOptions.DEFAULTS.idleMillis());
    AppendResult afterIdle = sequencer.append("chat", List.of(new Append.Push(List.of(ITEM), null))).result();
    assertEquals(1, afterIdle.top(), "past historyIdleMillis it starts again");
  }

  /** A standalone node's trim forgets a quiet stream's idempotency keys at idempotencyWindowMillis, as the cluster's does. */
  @Test
  void theTrimForgetsAQuietStreamsKeysAtTheWindow() {
    HistoryOptions d = HistoryOptions.DEFAULTS;
    HistoryOptions options = new HistoryOptions(d.size(), 1_000, 10_000, d.maxIdempotencyKeys(), d.streamBytes(), d.maxStreams(),
      d.maxBytes(), d.maxRecoveryItems(), d.ringBytes(), d.holeMillis(), d.idleMillis(), d.rooms());
    AtomicLong now = new AtomicLong(1_000_000);
    LocalSequencer sequencer = new LocalSequencer(options, now::get);
    sequencer.append("room", List.of(new Append.Push(List.of(ITEM), "k1")));
    now.addAndGet(10_000);
    sequencer.trim();
    assertEquals(1, sequencer.keys("room"), "at the window, not past it, the key stays");
    assertEquals(true, sequencer.append("room", List.of(new Append.Push(List.of(ITEM), "k1"))).result().pushed().get(0).duplicate());
    now.addAndGet(10_001);
    sequencer.trim();
    assertEquals(0, sequencer.keys("room"), "past the window the trim forgets it");
    AppendResult next = sequencer.append("room", List.of(new Append.Push(List.of(ITEM), "k1"))).result();
    assertEquals("false 2", next.pushed().get(0).duplicate() + " " + next.top(), "the same key is a new push, in the same numbering");
  }
}
