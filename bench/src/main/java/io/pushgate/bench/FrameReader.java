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

  private static final byte[] CLOSE = "}}".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OFFSET = ",\"offset\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EPOCH = ",\"epoch\":\"".getBytes(StandardCharsets.US_ASCII);

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
    item(s, ItemCodec.seq(frame, 0), ItemCodec.stamp(frame, 0), false, now);
    return true;
  }

  /**
   * {@code PREFIX item,item,...]} then {@code }}} or, for a stream, {@code ,"offset":O,"epoch":"E"}}}.
   * Every item is checked before any is counted, so a frame is counted whole or read slowly.
   */
  private boolean readPush(Subscriber s, byte[] frame, int length, long now) {
    byte[] prefix = s.pushPrefix;
    int size = codec.size();
    if (length < prefix.length + size + 3 || !Arrays.equals(frame, 0, prefix.length, prefix, 0, prefix.length)) {
      return false;
    }
    int at = prefix.length;
    int count = 0;
    while (true) {
      if (at + size >= length || !codec.matches(frame, length, at)) {
        return false;
      }
      byte after = frame[at + size];
      count++;
      at += size + 1;
      if (after == ']') {
        break;
      }
      if (after != ',') {
        return false;
      }
    }
    long offset = -1;
    int epochFrom = -1;
    int epochTo = -1;
    if (startsWith(frame, length, at, OFFSET)) {
      int digits = at + OFFSET.length;
      offset = 0;
      int i = digits;
      for (; i < length && frame[i] >= '0' && frame[i] <= '9' && i - digits < 18; i++) {
        offset = offset * 10 + (frame[i] - '0');
      }
      if (i == digits || !startsWith(frame, length, i, EPOCH)) {
        return false;
      }
      epochFrom = i + EPOCH.length;
      epochTo = epochFrom;
      while (epochTo < length && frame[epochTo] != '"' && frame[epochTo] != '\\') {
        epochTo++;
      }
      if (epochTo >= length || frame[epochTo] != '"') {
        return false;
      }
      at = epochTo + 1;
    }
    if (at + CLOSE.length != length || !startsWith(frame, length, at, CLOSE)) {
      return false;
    }
    int stride = size + 1;
    for (int i = 0; i < count; i++) {
      int item = prefix.length + i * stride;
      item(s, ItemCodec.seq(frame, item), ItemCodec.stamp(frame, item), ItemCodec.isLow(frame, item), now);
    }
    if (offset >= 0) {
      s.onPosition(offset, count, frame, epochFrom, epochTo);
    }
    return true;
  }

  private static boolean startsWith(byte[] frame, int length, int at, byte[] expected) {
    return at + expected.length <= length && Arrays.equals(frame, at, at + expected.length, expected, 0, expected.length);
  }

  private void item(Subscriber s, long seq, long stamp, boolean low, long now) {
    if (low) {
      s.onLowItem(seq);
      s.lane.tally.lowItemsReceived++;
      if (stamp >= measureFromMicros) {
        s.lane.tally.lowLatency.record(now - stamp);
      }
      return;
    }
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
        ack(s, json.getJsonObject("data"));
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
          String pad = item.getString("p", "");
          item(s, Long.parseLong(item.getString("s")), Long.parseLong(item.getString("t")),
            !pad.isEmpty() && pad.charAt(0) == ItemCodec.LOW_PAD, now);
        }
        JsonObject data = nchan ? null : json.getJsonObject("data");
        if (data != null && data.getValue("offset") instanceof Number offset && data.getValue("epoch") instanceof String epoch) {
          byte[] e = epoch.getBytes(StandardCharsets.UTF_8);
          s.onPosition(offset.longValue(), items.size(), e, 0, e.length);
        }
        return Kind.ITEMS;
      }
      default -> {
        // PONG, ONLINE: legitimate, and not what the benchmark measures.
        return Kind.OTHER;
      }
    }
  }

  /** A JOIN's answer: how a rejoin with since went, counted, and where the connection stands in its stream. */
  private static void ack(Subscriber s, JsonObject data) {
    if (data == null) {
      return;
    }
    boolean recovered = Boolean.TRUE.equals(data.getValue("recovered"));
    if (data.containsKey("recovered")) {
      s.lane.tally.recovery.merge(recovered ? "recovered" : data.getString("reason", "?"), 1L, Long::sum);
    }
    if (data.getValue("offset") instanceof Number offset && data.getValue("epoch") instanceof String epoch) {
      s.onAckPosition(offset.longValue(), epoch, recovered);
    }
  }

  private static boolean isBenchItem(Object o) {
    return o instanceof JsonObject item && item.getValue("s") instanceof String s && item.getValue("t") instanceof String t
      && s.chars().allMatch(Character::isDigit) && t.chars().allMatch(Character::isDigit) && !s.isEmpty() && !t.isEmpty();
  }
}
