package io.pushgate.history;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import io.pushgate.protocol.RoomPatterns;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

/**
 * What survives a split brain, as properties of {@link StreamLog#merged}: one stream, numbered
 * together up to the split, then appended to by either half, each half's copy trimmed by its own
 * historySize. A copy kept in its epoch never gives a client of either half another item at an
 * offset it holds (so, if both halves numbered items after the split, the stream starts again in a
 * new epoch, empty); and a half that numbered nothing after the split costs nobody a reload, as long
 * as the other still holds the last item it gave out, or neither half numbered anything (whatever
 * the trim freed of either copy by age).
 */
class SplitBrainMergePropertiesTest {

  private static final InternalSerializationService SERIALIZATION = new DefaultSerializationServiceBuilder().build();
  private static final long NOW = 1_700_000_000_000L;

  @Test
  void aKeptCopyAgreesWithEveryItemEitherHalfGaveOutAndOnlyADivergedStreamStartsAgain() {
    // The last source packs B's appends after the split (v / 4) and which halves' copies the trim then
    // aged, their items all past historyTtlMillis (bit 0: A's, bit 1: B's).
    qt().withExamples(800).forAll(integers().between(1, 8), integers().between(0, 10), integers().between(0, 5), integers().between(0, 23))
      .checkAssert((size, together, onlyA, packed) -> {
        int onlyB = packed / 4;
        HistoryOptions options = new HistoryOptions(size, 120_000, 120_000, 10, 1 << 20, 10_000, 1L << 30, 0, 0, 0, 3_600_000, RoomPatterns.ANY);
        Map.Entry<String, StreamLog> a = new AbstractMap.SimpleEntry<>("room", null);
        List<String> givenOutByA = new ArrayList<>();
        append(a, "before", together, options, givenOutByA);
        Map.Entry<String, StreamLog> b = new AbstractMap.SimpleEntry<>("room", roundTrip(a.getValue()));
        List<String> givenOutByB = new ArrayList<>(givenOutByA);
        append(a, "a", onlyA, options, givenOutByA);
        append(b, "b", onlyB, options, givenOutByB);
        if (a.getValue() == null || b.getValue() == null) {
          return; // no append at all: no entry on either side, nothing to merge
        }
        if ((packed & 1) != 0) {
          a.getValue().age(NOW + options.ttlMillis() + 2_000, options);
        }
        if ((packed & 2) != 0) {
          b.getValue().age(NOW + options.ttlMillis() + 2_000, options);
        }

        StreamLog kept = StreamLog.merged(a.getValue(), b.getValue());
        boolean diverged = onlyA > 0 && onlyB > 0;
        if (diverged) {
          assertNotEquals("e1", kept.epoch(), "both halves numbered items after the split");
          assertEquals(0, kept.top());
          return;
        }
        if (onlyA == 0 && onlyB == 0) {
          assertEquals("e1 " + together, kept.epoch() + " " + kept.top(), "no half appended after the split: nobody reloads, aged or not");
        }
        if (!"e1".equals(kept.epoch())) {
          // Allowed only when the copy that went on no longer holds what the other half gave out last.
          StreamLog longer = onlyA > 0 ? a.getValue() : b.getValue();
          long shorterTop = together;
          assertTrue(shorterTop > 0 && longer.first() > shorterTop,
            "started again needlessly: together " + together + ", only A " + onlyA + ", only B " + onlyB + ", size " + size);
          return;
        }
        List<String> longest = givenOutByA.size() >= givenOutByB.size() ? givenOutByA : givenOutByB;
        assertEquals(longest.size(), kept.top());
        ReadResult r = kept.read(0, 100, NOW, options);
        for (int i = 0; i < r.items().size(); i++) {
          String item = new String(r.items().get(i), StandardCharsets.UTF_8);
          int offset = (int) r.from() + i;
          assertEquals(longest.get(offset - 1), item, "offset " + offset);
          for (List<String> half : List.of(givenOutByA, givenOutByB)) {
            if (offset <= half.size()) {
              assertEquals(half.get(offset - 1), item, "a client holds another item at offset " + offset);
            }
          }
        }
      });
  }

  @Test
  void copiesOfAnotherEpochKeepTheExistingOne() {
    HistoryOptions options = HistoryOptions.DEFAULTS;
    Map.Entry<String, StreamLog> existing = new AbstractMap.SimpleEntry<>("room", null);
    Map.Entry<String, StreamLog> merging = new AbstractMap.SimpleEntry<>("room", null);
    new Append(List.of(new Append.Push(List.of(bytes("x")), null)), NOW, "e1", options).process(existing);
    new Append(List.of(new Append.Push(List.of(bytes("y"), bytes("z")), null)), NOW, "e2", options).process(merging);
    assertSame(existing.getValue(), StreamLog.merged(existing.getValue(), merging.getValue()));
  }

  /**
   * The policy itself, with Hazelcast's own merging entries: a stream only the merging half holds
   * starts again, since the other half may have numbered items of the same epoch and then dropped it
   * (its trim, or idle), which kept the merging copy and gave its offsets to other items.
   */
  @Test
  void aStreamOnlyTheMergingHalfHoldsStartsAgainEmpty() {
    Map.Entry<String, StreamLog> merging = new AbstractMap.SimpleEntry<>("room", null);
    new Append(List.of(new Append.Push(List.of(bytes("x"), bytes("y")), null)), NOW, "e1", HistoryOptions.DEFAULTS).process(merging);
    com.hazelcast.spi.impl.merge.MapMergingEntryImpl<Object, StreamLog> entry = new com.hazelcast.spi.impl.merge.MapMergingEntryImpl<Object, StreamLog>(SERIALIZATION)
      .setKey(SERIALIZATION.toData("room")).setValue(SERIALIZATION.toData(merging.getValue()));
    Object kept = new SplitBrainMerge().merge(entry, null);
    StreamLog log = kept instanceof StreamLog l ? l : SERIALIZATION.toObject(kept);
    assertNotEquals("e1", log.epoch());
    assertEquals(0, log.top());
    assertEquals(NOW, log.touchedMillis(), "as recently appended to as the copy it replaces, for the trim");
  }

  /**
   * Appends {@code count} items, one a millisecond: before the split from NOW, then A's at odd and B's
   * at even milliseconds, so that two halves' last appends are never in the same millisecond.
   */
  private static void append(Map.Entry<String, StreamLog> entry, String side, int count, HistoryOptions options, List<String> givenOut) {
    for (int i = 0; i < count; i++) {
      String item = "\"" + side + "-" + i + "\"";
      long at = switch (side) {
        case "a" -> NOW + 1_000 + 2L * i + 1;
        case "b" -> NOW + 1_000 + 2L * i + 2;
        default -> NOW + i;
      };
      new Append(List.of(new Append.Push(List.of(item.getBytes(StandardCharsets.UTF_8)), null)), at, "e1", options).process(entry);
      givenOut.add(item);
    }
  }

  private static byte[] bytes(String s) {
    return ("\"" + s + "\"").getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) {
    return (T) SERIALIZATION.toObject(SERIALIZATION.toData(value));
  }
}
