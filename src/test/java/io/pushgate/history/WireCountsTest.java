package io.pushgate.history;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import com.hazelcast.nio.ObjectDataOutput;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An operation whose counts promise more than follows fails as bad input, without allocating for the count. */
class WireCountsTest {

  private final InternalSerializationService serialization = new DefaultSerializationServiceBuilder().build();

  /** An append's fields up to its count of pushes, then {@code count} and nothing more. */
  private byte[] appendPromising(int count) throws IOException {
    ObjectDataOutput out = serialization.createObjectDataOutput();
    out.writeLong(1L);
    out.writeString("epoch");
    HistoryOptions.DEFAULTS.writeData(out);
    out.writeInt(count);
    return out.toByteArray();
  }

  @Test
  void aCountFarBeyondWhatFollowsEndsTheInputNotTheHeap() throws IOException {
    byte[] bytes = appendPromising(Integer.MAX_VALUE);
    // new ArrayList<>(Integer.MAX_VALUE) would throw OutOfMemoryError here.
    assertThrows(EOFException.class, () -> new Append().readData(serialization.createObjectDataInput(bytes)));
  }

  @Test
  void aNegativeCountIsRefusedByName() throws IOException {
    byte[] bytes = appendPromising(-1);
    IOException e = assertThrows(IOException.class, () -> new Append().readData(serialization.createObjectDataInput(bytes)));
    assertTrue(e.getMessage().contains("negative count of pushes"), e.getMessage());
  }

  @Test
  void countsThatAreTrueStillRead() throws IOException {
    ObjectDataOutput out = serialization.createObjectDataOutput();
    new Append(java.util.List.of(new Append.Push(java.util.List.of(new byte[] {'1'}, new byte[] {'2'}), "k")), 5L, "e", HistoryOptions.DEFAULTS)
      .writeData(out);
    Append read = new Append();
    read.readData(serialization.createObjectDataInput(out.toByteArray()));
    ObjectDataOutput again = serialization.createObjectDataOutput();
    read.writeData(again);
    assertEquals(java.util.Arrays.toString(out.toByteArray()), java.util.Arrays.toString(again.toByteArray()), "read back as written");
  }

  /**
   * An item whose length promises 2 GiB that never follow: refused by name before anything is made
   * for it (Hazelcast's readByteArray made the array first: 2 GiB, or an OutOfMemoryError).
   */
  @Test
  void anItemLengthPastTheEndIsRefusedBeforeItIsAllocated() throws IOException {
    ObjectDataOutput out = serialization.createObjectDataOutput();
    new Append(java.util.List.of(new Append.Push(java.util.List.of(new byte[] {'Z'}), null)), 5L, "e", HistoryOptions.DEFAULTS).writeData(out);
    byte[] bytes = out.toByteArray();
    // The last five bytes are the item: its length (1), then 'Z'. Promise far more instead.
    java.nio.ByteBuffer.wrap(bytes, bytes.length - 5, 4).order(serialization.getByteOrder()).putInt(Integer.MAX_VALUE - 16);
    IOException e = assertThrows(IOException.class, () -> new Append().readData(serialization.createObjectDataInput(bytes)));
    assertTrue(e.getMessage().contains("length of an item (2147483631) past the end"), e.getMessage());
  }
}
