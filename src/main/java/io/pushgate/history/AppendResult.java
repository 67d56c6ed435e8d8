package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** What an append gave each of its pushes, in the stream's epoch. */
public final class AppendResult implements DataSerializable {

  /**
   * @param first     offset of the push's first item
   * @param last      offset of its last item
   * @param duplicate true when its idempotency key was seen within the window: nothing was appended
   *                  now, and these are the offsets the first push got
   */
  public record Pushed(long first, long last, boolean duplicate) {
  }

  private String epoch;
  private long top;
  private List<Pushed> pushed;

  /** For Hazelcast's deserialization only. */
  public AppendResult() {
  }

  AppendResult(String epoch, long top, List<Pushed> pushed) {
    this.epoch = epoch;
    this.top = top;
    this.pushed = pushed;
  }

  public String epoch() {
    return epoch;
  }

  /** The stream's last offset after this append. */
  public long top() {
    return top;
  }

  public List<Pushed> pushed() {
    return pushed;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(top);
    out.writeInt(pushed.size());
    for (Pushed p : pushed) {
      out.writeLong(p.first());
      out.writeLong(p.last());
      out.writeBoolean(p.duplicate());
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = WireCounts.epoch(in, false);
    top = WireCounts.offset(in, 0, "a stream's top");
    int n = WireCounts.read(in, "pushes");
    pushed = WireCounts.listFor(n);
    for (int i = 0; i < n; i++) {
      Pushed p = new Pushed(in.readLong(), in.readLong(), in.readBoolean());
      WireCounts.check(1 <= p.first() && p.first() <= p.last() && p.last() <= top, "a push's offsets " + p.first() + ".." + p.last()
        + " outside the stream's 1.." + top);
      pushed.add(p);
    }
  }
}
