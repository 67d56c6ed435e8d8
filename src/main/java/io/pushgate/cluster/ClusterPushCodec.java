package io.pushgate.cluster;

import io.pushgate.merge.PushBatch;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Wire form of a broadcast push: the items travel as the compact UTF-8 bytes the accepting node
 * already validated, so a receiving node neither parses nor re-encodes them.
 * Layout: origin, room (length -1 for all), item count, then each item as length + bytes.
 */
public final class ClusterPushCodec implements MessageCodec<ClusterPush, ClusterPush> {

  public static final String NAME = "pushgate.cluster-push.v1";

  @Override
  public void encodeToWire(Buffer buffer, ClusterPush push) {
    writeString(buffer, push.origin());
    writeString(buffer, push.batch().room());
    buffer.appendInt(push.batch().items().size());
    for (byte[] item : push.batch().items()) {
      buffer.appendInt(item.length).appendBytes(item);
    }
  }

  @Override
  public ClusterPush decodeFromWire(int pos, Buffer buffer) {
    int[] at = {pos};
    String origin = readString(buffer, at);
    String room = readString(buffer, at);
    int count = buffer.getInt(at[0]);
    at[0] += 4;
    List<byte[]> items = new ArrayList<>(count);
    long bytes = 0;
    for (int i = 0; i < count; i++) {
      int length = buffer.getInt(at[0]);
      items.add(buffer.getBytes(at[0] + 4, at[0] + 4 + length));
      at[0] += 4 + length;
      bytes += length;
    }
    return new ClusterPush(origin, new PushBatch(room, items, bytes));
  }

  private static void writeString(Buffer buffer, String s) {
    if (s == null) {
      buffer.appendInt(-1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(bytes.length).appendBytes(bytes);
  }

  private static String readString(Buffer buffer, int[] at) {
    int length = buffer.getInt(at[0]);
    at[0] += 4;
    if (length < 0) {
      return null;
    }
    String s = buffer.getString(at[0], at[0] + length, "UTF-8");
    at[0] += length;
    return s;
  }

  @Override
  public ClusterPush transform(ClusterPush push) {
    return push;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
