package io.pushgate.history;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;

/** Reads part of a stream where its entry lives, sending back only what was asked for. */
public final class Read implements EntryProcessor<String, StreamLog, ReadResult>, ReadOnly, DataSerializable {

  private long after;
  private int limit;
  private long nowMillis;
  private HistoryOptions options;

  /** For Hazelcast's deserialization only. */
  public Read() {
  }

  Read(long after, int limit, long nowMillis, HistoryOptions options) {
    this.after = after;
    this.limit = limit;
    this.nowMillis = nowMillis;
    this.options = options;
  }

  @Override
  public ReadResult process(Map.Entry<String, StreamLog> entry) {
    StreamLog log = entry.getValue();
    return log == null || log.idle(nowMillis, options) ? ReadResult.none() : log.read(after, limit, nowMillis, options);
  }

  @Override
  public EntryProcessor<String, StreamLog, ReadResult> getBackupProcessor() {
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(after);
    out.writeInt(limit);
    out.writeLong(nowMillis);
    options.writeData(out);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    after = in.readLong();
    limit = in.readInt();
    nowMillis = in.readLong();
    options = HistoryOptions.readData(in);
  }
}
