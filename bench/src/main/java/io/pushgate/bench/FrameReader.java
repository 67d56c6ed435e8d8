package io.pushgate.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what a subscriber receives. A pushgate PUSH frame of this run's room and item layout is
 * read at fixed offsets; anything else (ACK, ERROR, a frame of another shape) is parsed as JSON, so
 * the fast path can never count a frame it did not understand.
 */
final class FrameReader {

  enum Kind { ITEMS, ACK, ERROR, OTHER }

  private static final byte[] SUFFIX = "]}}".getBytes(StandardCharsets.US_ASCII);

  private final ItemCodec codec;
  private final boolean nchan;
  /**
   * Items stamped before this (monotonic µs) are left out of the latency: the warm-up. Set by the
   * coordinator when the warm-up ends; a count of items would be wrong for a server that could not
   * take the publisher's rate.
   */
  private volatile long measureFromMicros;

  FrameReader(ItemCodec codec, boolean nchan, long measureFromMicros) {
    this.codec = codec;
    this.nchan = nchan;
    this.measureFromMicros = measureFromMicros;
  }

  void measureFrom(long micros) {
    measureFromMicros = micros;
  }

  static byte[] pushPrefix(String room) {
    return ("{\"type\":\"PUSH\",\"data\":{\"room\":" + io.vertx.core.json.Json.encode(room)
      + ",\"items\":[").getBytes(StandardCharsets.UTF_8);
  }

  Kind read(Subscriber s, Buffer frame) {
    Tally tally = s.lane.tally;
    tally.framesReceived++;
    tally.bytesReceived += frame.length();
    long now = ItemCodec.nowMicros();
    int length = frame.length();
    if (s.lane.scratch.length < length) {
      s.lane.scratch = new byte[Math.max(length, 2 * s.lane.scratch.length)];
    }
    byte[] bytes = s.lane.scratch;
    frame.getBytes(0, length, bytes);
    if (nchan ? readNchan(s, bytes, length, now) : readPush(s, bytes, length, now)) {
      return Kind.ITEMS;
    }
    return readSlowly(s, frame, now);
  }

  private boolean readNchan(Subscriber s, byte[] frame, int length, long now) {
    if (length != codec.size() || !codec.matches(frame, length, 0)) {
      return false;
    }
    item(s, ItemCodec.seq(frame, 0), ItemCodec.stamp(frame, 0), now);
    return true;
  }

  private boolean readPush(Subscriber s, byte[] frame, int length, long now) {
    byte[] prefix = s.pushPrefix;
    int stride = codec.size() + 1;
    int body = length - prefix.length - SUFFIX.length + 1;
    if (body < stride || body % stride != 0 || !Arrays.equals(frame, 0, prefix.length, prefix, 0, prefix.length)
      || !Arrays.equals(frame, length - SUFFIX.length, length, SUFFIX, 0, SUFFIX.length)) {
      return false;
    }
    int count = body / stride;
    for (int i = 0; i < count; i++) {
      int at = prefix.length + i * stride;
      if (!codec.matches(frame, length, at) || frame[at + codec.size()] != (i == count - 1 ? ']' : ',')) {
        return false;
      }
    }
    for (int i = 0; i < count; i++) {
      int at = prefix.length + i * stride;
      item(s, ItemCodec.seq(frame, at), ItemCodec.stamp(frame, at), now);
    }
    return true;
  }

  private void item(Subscriber s, long seq, long stamp, long now) {
    s.onItem(seq);
    s.lane.tally.itemsReceived++;
    if (stamp >= measureFromMicros) {
      s.lane.tally.latency.record(now - stamp);
    }
  }

  private Kind readSlowly(Subscriber s, Buffer frame, long now) {
    Tally tally = s.lane.tally;
    JsonObject json;
    try {
      json = new JsonObject(frame);
    } catch (RuntimeException notJson) {
      tally.unexpectedFrames++;
      return Kind.OTHER;
    }
    String type = nchan ? "PUSH" : json.getString("type", "");
    switch (type) {
      case "ACK" -> {
        return Kind.ACK;
      }
      case "ERROR" -> {
        JsonObject data = json.getJsonObject("data", new JsonObject());
        tally.errors.merge(data.getString("code", "?"), 1L, Long::sum);
        return Kind.ERROR;
      }
      case "PUSH" -> {
        JsonArray items = nchan ? new JsonArray().add(json) : json.getJsonObject("data", new JsonObject()).getJsonArray("items");
        if (items == null || !items.stream().allMatch(FrameReader::isBenchItem)) {
          tally.unexpectedFrames++;
          return Kind.OTHER;
        }
        for (Object o : items) {
          JsonObject item = (JsonObject) o;
          item(s, Long.parseLong(item.getString("s")), Long.parseLong(item.getString("t")), now);
        }
        return Kind.ITEMS;
      }
      default -> {
        // PONG, ONLINE: legitimate, and not what the benchmark measures.
        return Kind.OTHER;
      }
    }
  }

  private static boolean isBenchItem(Object o) {
    return o instanceof JsonObject item && item.getValue("s") instanceof String s && item.getValue("t") instanceof String t
      && s.chars().allMatch(Character::isDigit) && t.chars().allMatch(Character::isDigit) && !s.isEmpty() && !t.isEmpty();
  }
}
