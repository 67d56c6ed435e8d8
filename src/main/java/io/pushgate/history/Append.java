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
 * owner and backup give the same offsets. The backup's copy also carries where the owner's log stood
 * before it: Hazelcast evicts on owner and backup each by its own sample (historyMaxStreams), so a
 * backup may hold a stream the owner dropped and started again, or lack one the owner kept. A backup
 * whose log is not where the owner's was drops its copy instead of numbering another history: should
 * it become the owner, that stream starts again in a new epoch (clients told EPOCH_CHANGED), never
 * with offsets the owner gave to other items.
 */
public final class Append implements EntryProcessor<String, StreamLog, AppendResult>, DataSerializable {

  /** One push's items and its idempotency key (null for none). */
  public record Push(List<byte[]> items, String key) {
  }

  private List<Push> pushes;
  private long nowMillis;
  private String newEpoch;
  private HistoryOptions options;
  /** Set on the owner as it applies the append, and carried to the backup: where the owner's log stood. */
  private boolean onBackup;
  private boolean ownerCreated;
  private String ownerEpoch;
  private long ownerTopBefore;

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
    StreamLog log = entry.getValue();
    if (!onBackup) {
      ownerCreated = log == null;
      ownerEpoch = log == null ? newEpoch : log.epoch();
      ownerTopBefore = log == null ? 0 : log.top();
    } else if (ownerCreated) {
      log = null; // the owner started the stream (again): so does its copy, whatever it held
    } else if (log == null || !log.epoch().equals(ownerEpoch) || log.top() != ownerTopBefore) {
      entry.setValue(null); // not the owner's history: keep none rather than another
      return null;
    }
    if (log == null) {
      log = new StreamLog(newEpoch);
    }
    AppendResult result = log.append(pushes, nowMillis, options);
    entry.setValue(log);
    return result;
  }

  /** The same append for the backup, with where the owner's log stood before it ({@link #process} ran first). */
  @Override
  public EntryProcessor<String, StreamLog, AppendResult> getBackupProcessor() {
    Append backup = new Append(pushes, nowMillis, newEpoch, options);
    backup.onBackup = true;
    backup.ownerCreated = ownerCreated;
    backup.ownerEpoch = ownerEpoch;
    backup.ownerTopBefore = ownerTopBefore;
    return backup;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
    out.writeString(newEpoch);
    out.writeBoolean(onBackup);
    out.writeBoolean(ownerCreated);
    out.writeString(ownerEpoch);
    out.writeLong(ownerTopBefore);
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
    newEpoch = in.readString();
    onBackup = in.readBoolean();
    ownerCreated = in.readBoolean();
    ownerEpoch = in.readString();
    ownerTopBefore = in.readLong();
    options = HistoryOptions.readData(in);
    int n = in.readInt();
    pushes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = in.readString();
      int count = in.readInt();
      List<byte[]> items = new ArrayList<>(count);
      for (int k = 0; k < count; k++) {
        items.add(in.readByteArray());
      }
      pushes.add(new Push(items, key));
    }
  }
}
