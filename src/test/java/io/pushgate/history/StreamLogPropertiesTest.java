package io.pushgate.history;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import io.pushgate.protocol.RoomPatterns;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * A stream's rules as properties, against a model written from PROTOCOL.md: offsets are given out
 * {@code top+1...} and never twice in an epoch; a key seen within the window gets its first push's
 * offsets again; what is kept is the last historySize items, of at most historyStreamBytes together,
 * not older than historyTtlMillis; and the
 * backup, applying the same operation as it travels (serialized), ends with the owner's state.
 */
class StreamLogPropertiesTest {

  private static final InternalSerializationService SERIALIZATION = new DefaultSerializationServiceBuilder().build();

  /** One push as the property runs it: time passes, then {@code count} items with key {@code key} (-1: none). */
  record Op(int elapsedMillis, int count, int key, int readAfter, int readLimit) {
  }

  private static Gen<Op> ops() {
    // Times in steps of 100 ms, like the TTL and window, so that items and keys land exactly on their bounds too.
    return integers().between(0, 20).map(t -> t * 100).zip(integers().between(0, 3), integers().between(-1, 3),
      integers().between(-1, 40), integers().between(1, 10), Op::new);
  }

  private static Gen<HistoryOptions> options() {
    // Items are 8 to 10 bytes: from 5 bytes (not even one item) to more than 8 of them.
    return integers().between(1, 8).zip(integers().between(5, 50).map(t -> t * 100), integers().between(3, 50).map(t -> t * 100), integers().between(1, 4),
      integers().between(5, 100), (size, ttl, window, keys, bytes) -> new HistoryOptions(size, ttl, window, keys, bytes, 0, 0, 0, 0, 0, 3_600_000, RoomPatterns.ANY));
  }

  @Test
  void ownerAndBackupApplyingTheSameAppendsEndInTheSameStateAndMatchTheModel() {
    qt().withExamples(300).forAll(options(), lists().of(ops()).ofSizeBetween(1, 60)).checkAssert((options, ops) -> {
      Map.Entry<String, StreamLog> owner = new AbstractMap.SimpleEntry<>("room", null);
      Map.Entry<String, StreamLog> backup = new AbstractMap.SimpleEntry<>("room", null);
      Model model = new Model(options);
      Set<Long> handedOut = new HashSet<>();
      long now = 1_700_000_000_000L;
      int n = 0;
      for (Op op : ops) {
        now += op.elapsedMillis();
        List<byte[]> items = new ArrayList<>();
        for (int i = 0; i < op.count(); i++) {
          items.add(("\"item-" + n++ + "\"").getBytes(StandardCharsets.UTF_8));
        }
        String key = op.key() < 0 ? null : "key-" + op.key();
        Append append = new Append(List.of(new Append.Push(items, key)), now, "e1", options);
        AppendResult got = append.process(owner);
        // The backup gets the operation as it travels, and applies it to its own copy.
        roundTrip(append.getBackupProcessor()).process(backup);

        assertArrayEquals(bytes(owner.getValue()), bytes(backup.getValue()), "owner and backup differ");
        AppendResult.Pushed expected = model.append(items, key, now);
        assertEquals(List.of(expected), got.pushed());
        assertEquals(model.top, got.top());
        assertEquals("e1", got.epoch());
        if (!expected.duplicate()) {
          for (long o = expected.first(); o <= expected.last(); o++) {
            assertTrue(handedOut.add(o), "offset " + o + " given out twice");
          }
        }
        assertRead(owner.getValue().read(op.readAfter(), op.readLimit(), now, options), model, op.readAfter(), op.readLimit(), now);
        assertRead(owner.getValue().read(-1, op.readLimit(), now, options), model, -1, op.readLimit(), now);
        // A JOIN reads whenever it comes, long after the last append: what aged out since is not read.
        long later = now + options.ttlMillis() / 2;
        assertRead(owner.getValue().read(op.readAfter(), op.readLimit(), later, options), model, op.readAfter(), op.readLimit(), later);
      }
    });
  }

  private static void assertRead(ReadResult r, Model model, long after, int limit, long now) {
    List<Long> live = model.live(now);
    long firstLive = live.isEmpty() ? model.top + 1 : live.get(0);
    List<Long> expected = new ArrayList<>();
    for (long o : live) {
      if (after < 0 || o > after) {
        expected.add(o);
      }
    }
    if (after < 0) {
      expected = expected.subList(Math.max(0, expected.size() - limit), expected.size());
    } else {
      expected = expected.subList(0, Math.min(limit, expected.size()));
    }
    assertEquals(model.top, r.top());
    assertEquals(firstLive, r.first(), "first: the oldest offset still kept");
    long from = after < 0 ? Math.max(firstLive, model.top - limit + 1) : Math.max(after + 1, firstLive);
    assertEquals(from, r.from(), "from");
    assertEquals(expected.size(), r.items().size(), "items read after " + after + " limit " + limit);
    for (int i = 0; i < expected.size(); i++) {
      // The result numbers its items from r.from() on: item i is at r.from() + i.
      assertEquals(expected.get(i), r.from() + i, "offset of the item read at " + i);
      assertArrayEquals(model.items.get(expected.get(i)), r.items().get(i), "item at offset " + expected.get(i));
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) {
    return (T) SERIALIZATION.toObject(SERIALIZATION.toData(value));
  }

  private static byte[] bytes(StreamLog log) {
    return SERIALIZATION.toData(log).toByteArray();
  }

  /** The rules, written plainly. */
  private static final class Model {
    final HistoryOptions options;
    long top;
    final LinkedHashMap<Long, byte[]> items = new LinkedHashMap<>();
    final Map<Long, Long> times = new LinkedHashMap<>();
    final LinkedHashMap<String, long[]> keys = new LinkedHashMap<>();
    /** The oldest offset historyStreamBytes leaves: the newest items whose bytes fit, as of the last append. */
    long byteFloor = 1;

    Model(HistoryOptions options) {
      this.options = options;
    }

    AppendResult.Pushed append(List<byte[]> batch, String key, long now) {
      for (Iterator<long[]> it = keys.values().iterator(); it.hasNext(); ) {
        if (it.next()[2] < now - options.idempotencyWindowMillis()) {
          it.remove();
        }
      }
      if (key != null && keys.containsKey(key)) {
        long[] k = keys.get(key);
        return new AppendResult.Pushed(k[0], k[1], true);
      }
      long from = top + 1;
      for (byte[] item : batch) {
        top++;
        items.put(top, item);
        times.put(top, now);
      }
      if (key != null) {
        keys.put(key, new long[] {from, top, now});
        if (keys.size() > options.maxIdempotencyKeys()) {
          keys.remove(keys.keySet().iterator().next());
        }
      }
      long sum = 0;
      for (long o = top; o >= byteFloor; o--) {
        sum += items.get(o).length;
        if (sum > options.streamBytes()) {
          byteFloor = o + 1;
          break;
        }
      }
      return new AppendResult.Pushed(from, top, false);
    }

    /** Offsets still kept at {@code now}: the last historySize given out, within the bytes, none older than the TTL. */
    List<Long> live(long now) {
      List<Long> out = new ArrayList<>();
      for (long o = Math.max(byteFloor, top - options.size() + 1); o <= top; o++) {
        if (times.get(o) >= now - options.ttlMillis()) {
          out.add(o);
        }
      }
      return out;
    }
  }
}
