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
}
