package io.pushgate.history;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One append to a stream: the pushes a node collected while its previous append was in flight,
 * applied in order on the key's partition owner and then, the same operation, on its synchronous
 * backup. Everything it decides is in its fields (the time, the epoch of a stream it creates), so
 * owner and backup give the same offsets.
 */
public final class Append implements EntryProcessor<String, StreamLog, AppendResult>, DataSerializable {

  /** One push's items and its idempotency key (null for none). */
  public record Push(List<byte[]> items, String key) {
  }

  private List<Push> pushes;
  private long nowMillis;
  private String newEpoch;
  private HistoryOptions options;

  /** For Hazelcast's deserialization only. */
  public Append() {
  }

  Append(List<Push> pushes, long nowMillis, String newEpoch, HistoryOptions options) {
    this.pushes = pushes;
    this.nowMillis = nowMillis;
    this.newEpoch = newEpoch;
    this.options = options;
  }

  @Override
  public AppendResult process(Map.Entry<String, StreamLog> entry) {
    StreamLog log = entry.getValue() != null && !entry.getValue().idle(nowMillis, options) ? entry.getValue() : new StreamLog(newEpoch);
    AppendResult result = log.append(pushes, nowMillis, options);
    entry.setValue(log);
    return result;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
    out.writeString(newEpoch);
    options.writeData(out);
    out.writeInt(pushes.size());
    for (Push p : pushes) {
      out.writeString(p.key());
      out.writeInt(p.items().size());
      for (byte[] item : p.items()) {
        out.writeByteArray(item);
      }
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    nowMillis = in.readLong();
    newEpoch = WireCounts.epoch(in, false);
    options = HistoryOptions.readData(in);
    int n = WireCounts.read(in, "pushes");
    pushes = WireCounts.listFor(n);
    for (int i = 0; i < n; i++) {
      String key = in.readString();
      int count = WireCounts.read(in, "items");
      List<byte[]> items = WireCounts.listFor(count);
      for (int k = 0; k < count; k++) {
        items.add(WireCounts.bytes(in, "an item"));
      }
      pushes.add(new Push(items, key));
    }
  }
}
