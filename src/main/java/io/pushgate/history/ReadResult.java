package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Part of a stream as its log holds it: its epoch, the oldest offset still kept ({@code first}),
 * the last given out ({@code top}), and items with consecutive offsets from {@code from}. An empty
 * stream (no entry) reads as epoch null, top 0.
 */
public final class ReadResult implements DataSerializable {

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
    epoch = in.readString();
    first = in.readLong();
    top = in.readLong();
    from = in.readLong();
    int n = WireCounts.read(in, "items");
    items = WireCounts.listFor(n);
    for (int i = 0; i < n; i++) {
      items.add(WireCounts.bytes(in, "an item"));
    }
  }
}
