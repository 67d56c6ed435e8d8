package io.pushgate.merge;

import io.pushgate.protocol.Position;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A page of a stream's history for {@code GET /rooms/{room}/history}: its fields, and its items as
 * the history keeps them (compact UTF-8 JSON). Its JSON is spliced from those bytes, as a frame's is
 * (PushFrameEncoder): a page of up to historyStreamBytes made into a tree of values, copied between
 * verticles and encoded again cost tens of milliseconds on the loop that also runs the merger's tick.
 * Immutable; it passes from the merger to the API by reference.
 *
 * @param fields every field but {@code items}
 */
public record HistoryPage(JsonObject fields, List<byte[]> items) {

  public HistoryPage {
    items = List.copyOf(items);
  }

  /** Items {@code first}.. of a stream at {@code top} in {@code epoch}. */
  static HistoryPage of(String room, String epoch, long top, long first, List<byte[]> items) {
    return new HistoryPage(new JsonObject().put("room", room).put("epoch", epoch).put("offset", top).put("first", first), items);
  }

  /** The page of a room with nothing in the history: offset 0 of epoch "0", the position a JOIN's ACK gives it. */
  public static HistoryPage none(String room) {
    return of(room, Position.NO_EPOCH, 0, 1, List.of());
  }

  /** The same page with {@code name} set to {@code value}. */
  public HistoryPage with(String name, Object value) {
    return new HistoryPage(fields.copy().put(name, value), items);
  }

  /** The page's JSON object: the fields, then {@code "items":[...]}. */
  public Buffer toJson() {
    Buffer head = fields.toBuffer();
    String opening = fields.isEmpty() ? "\"items\":[" : ",\"items\":[";
    int length = head.length() - 1 + opening.length() + Math.max(0, items.size() - 1) + 2;
    for (byte[] item : items) {
      length += item.length;
    }
    Buffer out = Buffer.buffer(length);
    out.appendBuffer(head, 0, head.length() - 1); // without its closing brace
    out.appendString(opening);
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        out.appendByte((byte) ',');
      }
      out.appendBytes(items.get(i));
    }
    return out.appendString("]}");
  }
}
