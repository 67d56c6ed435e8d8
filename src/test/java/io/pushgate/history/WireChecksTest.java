package io.pushgate.history;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What another member's history operations and answers may say: an epoch no node makes, offsets
 * that contradict each other, an item that is no JSON value fail to deserialize (Hazelcast then fails
 * the operation) instead of reaching a merger's loop as a NullPointerException or a client's frame as
 * a push to another room. What this node's own code writes reads back unchanged.
 */
class WireChecksTest {

  private final InternalSerializationService serialization = new DefaultSerializationServiceBuilder().build();

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private byte[] written(DataSerializable value) throws IOException {
    ObjectDataOutput out = serialization.createObjectDataOutput();
    value.writeData(out);
    return out.toByteArray();
  }

  /** {@code value} written and read into {@code fresh}: the message of the refusal, or null if it read. */
  private String refusal(DataSerializable value, Supplier<DataSerializable> fresh) throws IOException {
    byte[] bytes = written(value);
    DataSerializable read = fresh.get();
    try {
      read.readData(serialization.createObjectDataInput(bytes));
    } catch (IOException e) {
      return e.getMessage();
    }
    assertArrayEquals(bytes, written(read), "read back as written");
    return null;
  }

  @Test
  void anAppendNamesAnEpochANodeMakes() throws IOException {
    List<Append.Push> pushes = List.of(new Append.Push(List.of(utf8("1")), null));
    assertEquals(null, refusal(new Append(pushes, 5L, Sequencer.newEpoch(), HistoryOptions.DEFAULTS), Append::new));
    assertEquals("an epoch from another member that no node makes (none)",
      refusal(new Append(pushes, 5L, null, HistoryOptions.DEFAULTS), Append::new));
    assertEquals("an epoch from another member that no node makes ('0')", refusal(new Append(pushes, 5L, "0", HistoryOptions.DEFAULTS), Append::new));
    assertEquals("an epoch from another member that no node makes (65 characters)",
      refusal(new Append(pushes, 5L, "e".repeat(65), HistoryOptions.DEFAULTS), Append::new));
    assertEquals(null, refusal(new Append(pushes, 5L, "e".repeat(64), HistoryOptions.DEFAULTS), Append::new), "64 characters are an epoch still");
  }

  @Test
  void anAppendsAnswerHasAnEpochAndOffsetsWithinItsTop() throws IOException {
    assertEquals(null, refusal(new AppendResult("e1", 7, List.of(new AppendResult.Pushed(6, 7, false), new AppendResult.Pushed(2, 3, true))),
      AppendResult::new));
    assertEquals("an epoch from another member that no node makes (none)",
      refusal(new AppendResult(null, 7, List.of(new AppendResult.Pushed(6, 7, false))), AppendResult::new));
    assertEquals("a push's offsets 6..8 outside the stream's 1..7, from another member",
      refusal(new AppendResult("e1", 7, List.of(new AppendResult.Pushed(6, 8, false))), AppendResult::new));
    assertEquals("a push's offsets 0..1 outside the stream's 1..7, from another member",
      refusal(new AppendResult("e1", 7, List.of(new AppendResult.Pushed(0, 1, false))), AppendResult::new));
    assertTrue(refusal(new AppendResult("e1", 1L << 53, List.of()), AppendResult::new).startsWith("an offset of a stream's top (9007199254740992)"));
  }

  @Test
  void anAnswerFitsThePushesSent() {
    List<Append.Push> two = List.of(new Append.Push(List.of(utf8("1"), utf8("2")), null), new Append.Push(List.of(utf8("3")), "k"));
    assertTrue(HazelcastSequencer.answersEach(new AppendResult("e", 3, List.of(new AppendResult.Pushed(1, 2, false),
      new AppendResult.Pushed(3, 3, false))), two));
    assertTrue(HazelcastSequencer.answersEach(new AppendResult("e", 3, List.of(new AppendResult.Pushed(1, 2, false),
      new AppendResult.Pushed(1, 1, true))), two), "a repeated key is answered with the first push's offsets, however many");
    assertFalse(HazelcastSequencer.answersEach(new AppendResult("e", 2, List.of(new AppendResult.Pushed(1, 2, false))), two), "one answer for two pushes");
    assertFalse(HazelcastSequencer.answersEach(new AppendResult("e", 4, List.of(new AppendResult.Pushed(1, 3, false),
      new AppendResult.Pushed(4, 4, false))), two), "three offsets for two items");
  }

  @Test
  void aReadsItemsAreJsonValuesWithinTheStream() throws IOException {
    assertEquals(null, refusal(ReadResult.none(), ReadResult::new));
    assertEquals(null, refusal(new ReadResult("e", 3, 9, 4, List.of(utf8("{\"a\":[[[1]]]}"), utf8("\"x\""))), ReadResult::new),
      "nested deeper than any maxItemDepth of 1: another node's bound may be higher");
    assertEquals(null, refusal(new ReadResult("e", 10, 9, 10, List.of()), ReadResult::new), "all trimmed: nothing to read");
    assertEquals(null, refusal(new ReadResult("e", 1, 9, (1L << 53), List.of()), ReadResult::new), "a read after the last offset there can be");
    assertEquals("a read from offset 9007199254740993, from another member", refusal(new ReadResult("e", 1, 9, (1L << 53) + 1, List.of()), ReadResult::new));
    assertEquals("an item read from the history refused: an item is not valid JSON, from another member",
      refusal(new ReadResult("e", 1, 1, 1, List.of(utf8("0],\"room\":\"other\",\"items\":[\"x\""))), ReadResult::new));
    assertEquals("items of no stream, from another member", refusal(new ReadResult(null, 1, 1, 1, List.of(utf8("1"))), ReadResult::new));
    assertEquals("2 items from 9 of a stream holding 3..9, from another member",
      refusal(new ReadResult("e", 3, 9, 9, List.of(utf8("1"), utf8("2"))), ReadResult::new));
    assertEquals("1 items from 2 of a stream holding 3..9, from another member",
      refusal(new ReadResult("e", 3, 9, 2, List.of(utf8("1"))), ReadResult::new));
    assertEquals("0 items from 5 of a stream holding 11..9, from another member", refusal(new ReadResult("e", 11, 9, 5, List.of()), ReadResult::new));
  }

  @Test
  void aStreamsLogKeepsItsItemsAsItsLastOnes() throws IOException {
    StreamLog log = new StreamLog("e");
    log.append(List.of(new Append.Push(List.of(utf8("1"), utf8("2")), "k")), 1_000, HistoryOptions.DEFAULTS);
    assertEquals(null, refusal(log, StreamLog::new));
    assertEquals(null, refusal(new StreamLog("e"), StreamLog::new), "a stream with nothing yet");
    byte[] bytes = written(log);
    // epoch, then first (1): claim the items start at 5 of a stream whose top is 2.
    int firstAt = 4 + "e".length();
    java.nio.ByteBuffer.wrap(bytes, firstAt, 8).order(serialization.getByteOrder()).putLong(5);
    IOException e = assertThrows(IOException.class, () -> new StreamLog().readData(serialization.createObjectDataInput(bytes)));
    assertEquals("2 items as 5..2, from another member", e.getMessage());
  }
}
