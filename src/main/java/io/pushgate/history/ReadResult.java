package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.pushgate.protocol.ItemValidator;
import io.pushgate.protocol.Position;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Part of a stream as its log holds it: its epoch, the oldest offset still kept ({@code first}),
 * the last given out ({@code top}), and items with consecutive offsets from {@code from}. An empty
 * stream (no entry) reads as epoch null, top 0.
 */
public final class ReadResult implements DataSerializable {

  /** Items only as JSON: any depth another node's maxItemDepth took is delivered. */
  private static final ItemValidator ITEMS = new ItemValidator(1);

  private String epoch;
  private long first;
  private long top;
  private long from;
  private List<byte[]> items;

  /** For Hazelcast's deserialization only. */
  public ReadResult() {
  }

  ReadResult(String epoch, long first, long top, long from, List<byte[]> items) {
    this.epoch = epoch;
    this.first = first;
    this.top = top;
    this.from = from;
    this.items = items;
  }

  static ReadResult none() {
    return new ReadResult(null, 1, 0, 1, List.of());
  }

  public String epoch() {
    return epoch;
  }

  public long first() {
    return first;
  }

  public long top() {
    return top;
  }

  /** Offset of {@code items().get(0)}. */
  public long from() {
    return from;
  }

  public List<byte[]> items() {
    return items;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(first);
    out.writeLong(top);
    out.writeLong(from);
    out.writeInt(items.size());
    for (byte[] i : items) {
      out.writeByteArray(i);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = WireCounts.epoch(in, true);
    first = WireCounts.offset(in, 1, "a stream's first item");
    top = WireCounts.offset(in, 0, "a stream's top");
    from = in.readLong();
    // The position after the last offset a stream can have, for a read after it (since = MAX_OFFSET).
    WireCounts.check(1 <= from && from <= Position.MAX_OFFSET + 1, "a read from offset " + from);
    int n = WireCounts.read(in, "items");
    WireCounts.check(epoch != null || (top == 0 && n == 0), "items of no stream");
    WireCounts.check(first <= top + 1 && (n == 0 || (from >= first && n <= top - from + 1)),
      n + " items from " + from + " of a stream holding " + first + ".." + top);
    items = WireCounts.listFor(n);
    for (int i = 0; i < n; i++) {
      byte[] item = WireCounts.bytes(in, "an item");
      // They go into PUSH frames as they are: one that is not JSON would break every client's frame.
      ItemValidator.Problem problem = ITEMS.check(item);
      WireCounts.check(problem == null || problem.overLimit(), "an item read from the history refused: " + (problem == null ? "" : problem.message()));
      items.add(item);
    }
  }
}
