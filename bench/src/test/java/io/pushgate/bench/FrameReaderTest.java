package io.pushgate.bench;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The generator's reader counts what a subscriber really received, on its fast path and off it. */
class FrameReaderTest {

  private static final String ROOM = "live";
  private final ItemCodec codec = new ItemCodec(100);
  private final FrameReader reader = new FrameReader(codec, false, 0);
  private final Lane lane = new Lane(null);
  private final Subscriber subscriber = new Subscriber(0, ROOM, lane, FrameReader.pushPrefix(ROOM));

  private Buffer push(String separator, long... seqs) {
    Buffer frame = Buffer.buffer(FrameReader.pushPrefix(ROOM));
    for (int i = 0; i < seqs.length; i++) {
      if (i > 0) {
        frame.appendString(separator);
      }
      codec.write(frame, seqs[i], ItemCodec.nowMicros());
    }
    return frame.appendString("]}}");
  }

  @Test
  void countsEveryItemOfAMergedFrame() {
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, push(",", 0, 1, 2)));
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, push(",", 3, 2)));
    assertEquals(5, lane.tally.itemsReceived);
    assertEquals(4, subscriber.distinct());
    assertEquals(1, subscriber.duplicates);
    assertEquals(0, lane.tally.unexpectedFrames);
  }

  @Test
  void aFrameWhoseItemsAreNotSeparatedIsNotCounted() {
    assertEquals(FrameReader.Kind.OTHER, reader.read(subscriber, push("|", 0, 1, 2)));
    assertEquals(0, lane.tally.itemsReceived);
    assertEquals(1, lane.tally.unexpectedFrames);
  }

  @Test
  void aFrameLargerThanTheScratchArrayIsRead() {
    long[] seqs = new long[1_000]; // 101 KB, over the lane's first 64 KB array
    for (int i = 0; i < seqs.length; i++) {
      seqs[i] = i;
    }
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, push(",", seqs)));
    assertEquals(1_000, subscriber.distinct());
    assertEquals(0, subscriber.outOfOrder);
  }

  private Buffer streamPush(long lastOffset, String epoch, long... seqs) {
    Buffer frame = push(",", seqs);
    frame = frame.getBuffer(0, frame.length() - 2); // without the closing "}}"
    return frame.appendString(",\"offset\":" + lastOffset + ",\"epoch\":\"" + epoch + "\"}}");
  }

  @Test
  void aStreamFrameIsReadOnTheFastPathAndMovesThePosition() {
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, streamPush(3, "e1", 0, 1, 2)));
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, streamPush(5, "e1", 3, 4)));
    assertEquals(5, subscriber.distinct());
    assertEquals(5, subscriber.offset);
    assertEquals("e1", new String(subscriber.epoch, java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(0, subscriber.offsetGaps);
    assertEquals(0, subscriber.offsetRepeats);
    assertEquals(0, lane.tally.unexpectedFrames);
  }

  @Test
  void offsetsSkippedOrSentTwiceAreCounted() {
    reader.read(subscriber, streamPush(2, "e1", 0, 1));
    reader.read(subscriber, streamPush(6, "e1", 4, 5)); // offsets 5, 6: 3 and 4 never came
    reader.read(subscriber, streamPush(7, "e1", 5, 6)); // offsets 6, 7: 6 again
    assertEquals(2, subscriber.offsetGaps);
    assertEquals(1, subscriber.offsetRepeats);
    assertEquals(7, subscriber.offset);
  }

  @Test
  void aNewEpochStartsThePositionAgain() {
    reader.read(subscriber, streamPush(40, "old", 0));
    reader.read(subscriber, streamPush(1, "new", 1));
    assertEquals(1, subscriber.offset);
    assertEquals(0, subscriber.offsetGaps + subscriber.offsetRepeats);
  }

  @Test
  void aStreamFrameOffTheFastPathIsStillReadWhole() {
    Buffer spaced = Buffer.buffer(streamPush(2, "e1", 0, 1).toString().replace(",\"offset\":", ", \"offset\": "));
    assertEquals(FrameReader.Kind.ITEMS, reader.read(subscriber, spaced));
    assertEquals(2, subscriber.distinct());
    assertEquals(2, subscriber.offset);
  }

  @Test
  void anAckGivesThePositionAndCountsTheAnswer() {
    Buffer ack = Buffer.buffer("{\"type\":\"ACK\",\"id\":1,\"data\":{\"room\":\"live\",\"recovered\":false,\"reason\":\"HISTORY_GONE\",\"offset\":9,\"epoch\":\"e2\"}}");
    assertEquals(FrameReader.Kind.ACK, reader.read(subscriber, ack));
    assertEquals(9, subscriber.offset);
    assertEquals(1L, lane.tally.recovery.get("HISTORY_GONE"));
    Buffer recovered = Buffer.buffer("{\"type\":\"ACK\",\"id\":1,\"data\":{\"room\":\"live\",\"recovered\":true,\"offset\":12,\"epoch\":\"e2\"}}");
    reader.read(subscriber, recovered);
    assertEquals(9, subscriber.offset, "a recovered rejoin's replay moves the position, not its ACK");
    assertEquals(1L, lane.tally.recovery.get("recovered"));
  }
}
