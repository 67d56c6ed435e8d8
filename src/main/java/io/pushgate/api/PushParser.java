package io.pushgate.api;

import io.pushgate.config.Limit;
import io.pushgate.config.PushgateConfig;
import io.pushgate.merge.PushBatch;
import io.pushgate.protocol.RoomName;
import io.pushgate.protocol.Priority;
import io.pushgate.protocol.Surrogates;
import io.pushgate.protocol.Target;
import io.pushgate.security.BoundedJson;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a push at the edge. Every item must be valid JSON, because one malformed item inside a
 * merged frame would break every client's parse; each is re-serialised compactly once, here, and
 * those bytes are what every client eventually receives.
 */
public final class PushParser {

  private final int maxItems;
  private final int maxItemBytes;
  private final int maxItemDepth;
  private final long maxBodyBytes;
  /** A JSON body is an object holding the items array: two levels above each item. */
  private final BoundedJson bodyJson;
  /** A form's items field is the array itself: one level above each item. */
  private final BoundedJson formJson;

  public PushParser(PushgateConfig config) {
    this.maxItems = config.intLimit(Limit.MAX_ITEMS_PER_PUSH);
    this.maxItemBytes = config.intLimit(Limit.MAX_ITEM_BYTES);
    this.maxItemDepth = config.intLimit(Limit.MAX_ITEM_DEPTH);
    this.maxBodyBytes = config.limit(Limit.MAX_BODY_BYTES);
    this.bodyJson = new BoundedJson(maxItemDepth + 2);
    this.formJson = new BoundedJson(maxItemDepth + 1);
  }

  private PushRefused tooDeep() {
    return new PushRefused(ApiError.BAD_REQUEST, "JSON nested more than " + Limit.MAX_ITEM_DEPTH.key() + "=" + maxItemDepth + " levels inside an item");
  }

  private static PushRefused overParserLimit(BoundedJson.OverParserLimit e) {
    return new PushRefused(ApiError.BAD_REQUEST, "JSON past the parser's own bounds (a number of at most 1000 digits,"
      + " a name of at most 50000 characters): " + e.getMessage());
  }

  /** A pusher's retry token (PROTOCOL.md): short, so that a stream can remember many. */
  static final int MAX_KEY_CHARS = 64;

  /** The fields of a push, the same in a JSON body, a form and an event-bus message. */
  static final String ROOM = "room";
  static final String ITEMS = "items";
  static final String KEY = "idempotencyKey";
  static final String PRIORITY = "priority";
  /** What a push to a room takes, and a push to all: any other field is refused ({@link #notTaken}). */
  private static final List<String> TO_ROOM = List.of(ROOM, ITEMS, KEY, PRIORITY);
  private static final List<String> TO_ALL = List.of(ITEMS, KEY, PRIORITY);
  /**
   * The longest field name a refusal quotes, and only one of ASCII letters, digits, '_', '-' and '.':
   * enough for any typo of a real field, while an answer repeats no arbitrary text of the request.
   */
  static final int MAX_QUOTED_NAME = 32;

  /**
   * Why a push may not carry the field {@code name}. A field the push does not take would otherwise be
   * dropped without a word: a misspelt "priorty" or "idempotency_key" changes what the push does, and a
   * room on a push to all, meant for one room, would reach every viewer, those kept out of that room too.
   */
  static String notTaken(String name, boolean toRoom) {
    if (!toRoom && ROOM.equals(name)) {
      return "a push to all takes no room, whatever its value: a push to one room goes to POST /push/room";
    }
    boolean plain = !name.isEmpty() && name.length() <= MAX_QUOTED_NAME
      && name.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.'));
    return "unknown field " + (plain ? "'" + name + "'" : "(its name not repeated: over " + MAX_QUOTED_NAME
      + " characters, or not only ASCII letters, digits, '_', '-' and '.')") + ": a push to " + (toRoom ? "a room" : "all")
      + " takes only " + String.join(", ", toRoom ? TO_ROOM : TO_ALL);
  }

  /**
   * Refuses a field the push does not take, and one given twice (a form's {@code room=a&room=b}, a
   * JSON body's key repeated): which of the two counts differs from reader to reader, so a proxy or
   * a check in front of pushgate could read another room than pushgate would.
   */
  private static void takesOnly(Iterable<String> names, boolean toRoom) {
    List<String> taken = toRoom ? TO_ROOM : TO_ALL;
    Set<String> seen = new HashSet<>();
    for (String name : names) {
      if (!taken.contains(name)) {
        throw new PushRefused(ApiError.BAD_REQUEST, notTaken(name, toRoom));
      }
      if (!seen.add(name)) {
        throw new PushRefused(ApiError.BAD_REQUEST, "field '" + name + "' given more than once: a push gives each field once");
      }
    }
  }

  /**
   * go-push's form body: {@code items} is a JSON array in a string, beside {@code room} (to a room),
   * {@code idempotencyKey} and {@code priority}. Names are compared as written, as a JSON body's are:
   * Vert.x's form map is blind to case, and would take "Room" for "room".
   */
  public PushBatch fromForm(MultiMap form, boolean toRoom) {
    takesOnly(form.entries().stream().map(Map.Entry::getKey).toList(), toRoom);
    String items = form.get(ITEMS);
    if (items == null) {
      throw new PushRefused(ApiError.BAD_REQUEST, "form field 'items' is missing");
    }
    Object parsed;
    try {
      parsed = formJson.decode(items);
    } catch (BoundedJson.TooDeep e) {
      throw tooDeep();
    } catch (BoundedJson.OverParserLimit e) {
      throw overParserLimit(e);
    } catch (DecodeException e) {
      throw new PushRefused(ApiError.BAD_REQUEST, "form field 'items' is not valid JSON");
    }
    return batch(toRoom ? form.get(ROOM) : null, parsed, toRoom, form.get(KEY), form.get(PRIORITY), Long.MAX_VALUE);
  }

  /** A JSON body {@code {"room": R, "items": [...]}}. */
  public PushBatch fromJsonBody(Buffer body, boolean toRoom) {
    BoundedJson.Members members;
    try {
      members = bodyJson.decodeObject(body);
      if (members == null) {
        bodyJson.decode(body); // no object: refused below, unless this says it is no JSON at all
      }
    } catch (BoundedJson.NotUtf8 e) {
      throw new PushRefused(ApiError.BAD_REQUEST, "body is not valid UTF-8");
    } catch (BoundedJson.TooDeep e) {
      throw tooDeep();
    } catch (BoundedJson.OverParserLimit e) {
      throw overParserLimit(e);
    } catch (DecodeException e) {
      throw new PushRefused(ApiError.BAD_REQUEST, "body is not valid JSON");
    }
    if (members == null) {
      throw new PushRefused(ApiError.BAD_REQUEST, "body must be a JSON object {\"room\": ..., \"items\": [...]}");
    }
    // Its names as written, a repeated one twice: the decoded object has each once.
    return fromJson(members.object(), members.names(), toRoom, Long.MAX_VALUE);
  }

  /** An already-parsed object; no room (toRoom false) means all. */
  public PushBatch fromJson(JsonObject json, boolean toRoom) {
    return fromJson(json, json.fieldNames(), toRoom, Long.MAX_VALUE);
  }

  /**
   * A push over the event bus, whose body no HTTP body limit bounded: its items, encoded, may come to
   * at most maxBodyBytes in all, or every node would take and rebroadcast a push the API refuses.
   * An item whose characters alone pass the bound is refused before it is encoded, so what a refusal allocates is bounded by it too.
   */
  public PushBatch fromBus(JsonObject json) {
    return fromJson(json, json.fieldNames(), json.containsKey(ROOM), maxBodyBytes);
  }

  /** {@code names}: the fields the push came with, checked by {@link #takesOnly}. */
  private PushBatch fromJson(JsonObject json, Iterable<String> names, boolean toRoom, long maxTotalBytes) {
    takesOnly(names, toRoom);
    Object room = json.getValue(ROOM);
    if (toRoom && room != null && !(room instanceof String)) {
      throw new PushRefused(ApiError.BAD_ROOM, "room must be a string");
    }
    return batch(toRoom ? (String) room : null, json.getValue(ITEMS), toRoom, json.getValue(KEY), json.getValue(PRIORITY), maxTotalBytes);
  }

  private PushBatch batch(String room, Object items, boolean toRoom, Object key, Object priorityField, long maxTotalBytes) {
    Priority priority = Priority.parse(priorityField);
    if (priority == null) {
      throw new PushRefused(ApiError.BAD_REQUEST, "priority must be \"normal\" or \"low\"");
    }
    // Characters as PROTOCOL.md and room names count them: code points, not UTF-16 units.
    if (key != null && (!(key instanceof String k) || k.length() > 2 * MAX_KEY_CHARS || k.codePointCount(0, k.length()) > MAX_KEY_CHARS)) {
      throw new PushRefused(ApiError.BAD_REQUEST, "idempotencyKey must be a string of at most " + MAX_KEY_CHARS + " characters");
    }
    if (key instanceof String k && Surrogates.firstUnpaired(k) >= 0) {
      // The history writes it as UTF-8, which has no such character: two keys could become one.
      throw new PushRefused(ApiError.BAD_REQUEST, "idempotencyKey contains an unpaired surrogate");
    }
    if ("".equals(key)) {
      key = null; // a form that always sends the field, empty when there is no key: no key
    }
    if (toRoom) {
      String problem = RoomName.problem(room);
      if (problem != null) {
        throw new PushRefused(ApiError.BAD_ROOM, problem);
      }
    }
    if (!(items instanceof JsonArray array)) {
      throw new PushRefused(ApiError.BAD_REQUEST, "items must be a JSON array");
    }
    if (array.isEmpty()) {
      throw new PushRefused(ApiError.BAD_REQUEST, "items must not be empty");
    }
    if (array.size() > maxItems) {
      throw new PushRefused(ApiError.TOO_LARGE, array.size() + " items, more than " + Limit.MAX_ITEMS_PER_PUSH.key() + "=" + maxItems);
    }
    List<byte[]> encoded = new ArrayList<>(array.size());
    long bytes = 0;
    for (int i = 0; i < array.size(); i++) {
      if (deeperThan(array.getValue(i), maxItemDepth)) {
        // Parsed bodies never get here (the parser stops first); the event bus's are decoded by Vert.x
        // with Jackson's 1,000 levels, and every other node would drop what this one accepted.
        throw tooDeep();
      }
      if (beyondDouble(array.getValue(i))) {
        throw new PushRefused(ApiError.BAD_REQUEST, "item " + i + " holds a number beyond the range of a double (such as 1e400,"
          + " or an integer of 400 digits), which clients would read as Infinity and JSON cannot carry");
      }
      long least = encodedAtLeast(array.getValue(i), Math.min(maxItemBytes, maxTotalBytes - bytes));
      if (least > maxItemBytes) {
        // Refused before it is encoded: an event-bus item comes decoded, of any size its sender chose.
        throw new PushRefused(ApiError.TOO_LARGE, "item " + i + " is at least " + least + " bytes, more than "
          + Limit.MAX_ITEM_BYTES.key() + "=" + maxItemBytes);
      }
      if (bytes + least > maxTotalBytes) {
        throw itemsOverTotal(maxTotalBytes);
      }
      String json = Json.encode(array.getValue(i));
      int unpaired = Surrogates.firstUnpaired(json);
      if (unpaired >= 0) {
        // getBytes would turn it into '?' and the push would be taken changed; the encoder writes
        // non-ASCII characters as they are, so one in a name or a value is found here.
        throw new PushRefused(ApiError.BAD_REQUEST, "item " + i + " holds an unpaired surrogate (\\u"
          + Integer.toHexString(json.charAt(unpaired)) + "), which is no Unicode character and UTF-8 cannot carry");
      }
      byte[] item = json.getBytes(StandardCharsets.UTF_8);
      if (item.length > maxItemBytes) {
        throw new PushRefused(ApiError.TOO_LARGE, "item " + i + " is " + item.length + " bytes, more than "
          + Limit.MAX_ITEM_BYTES.key() + "=" + maxItemBytes);
      }
      if (bytes + item.length > maxTotalBytes) {
        throw itemsOverTotal(maxTotalBytes);
      }
      encoded.add(item);
      bytes += item.length;
    }
    return new PushBatch(toRoom ? Target.room(room) : Target.ALL, encoded, bytes, (String) key, null, priority == Priority.LOW);
  }

  private static PushRefused itemsOverTotal(long maxTotalBytes) {
    return new PushRefused(ApiError.TOO_LARGE, "items of more than " + Limit.MAX_BODY_BYTES.key() + "=" + maxTotalBytes
      + " bytes in all, encoded (an event-bus push is held to an HTTP body's limit)");
  }

  /**
   * Bytes that {@code value}'s compact JSON has at least (each character of a string or a name takes
   * one or more), counted until past {@code stopAt}: what encoding an item allocates is so bounded by
   * the limits, not by the size of what a sender decoded. Nesting was bounded before.
   */
  private static long encodedAtLeast(Object value, long stopAt) {
    if (value instanceof String text) {
      return text.length() + 2L;
    }
    long bytes = 2; // brackets or braces; a scalar's own bytes are at least that, but for a digit
    if (value instanceof JsonObject o) {
      value = o.getMap();
    } else if (value instanceof JsonArray a) {
      value = a.getList();
    }
    if (value instanceof java.util.Map<?, ?> map) {
      for (java.util.Map.Entry<?, ?> e : map.entrySet()) {
        bytes += String.valueOf(e.getKey()).length() + 3L + encodedAtLeast(e.getValue(), stopAt - bytes); // "name": (commas uncounted)
        if (bytes > stopAt) {
          return bytes;
        }
      }
      return bytes;
    }
    if (value instanceof List<?> list) {
      for (Object child : list) {
        bytes += encodedAtLeast(child, stopAt - bytes);
        if (bytes > stopAt) {
          return bytes;
        }
      }
      return bytes;
    }
    return 1;
  }

  /** Whether {@code value} nests more than {@code levels} arrays or objects; recurses at most that deep. */
  private static boolean deeperThan(Object value, int levels) {
    Iterable<?> children = children(value);
    if (children == null) {
      return false;
    }
    if (levels == 0) {
      return true;
    }
    for (Object child : children) {
      if (deeperThan(child, levels - 1)) {
        return true;
      }
    }
    return false;
  }

  private static Iterable<?> children(Object value) {
    return value instanceof JsonObject o ? o.getMap().values()
      : value instanceof JsonArray a ? a.getList()
      : value instanceof java.util.Map<?, ?> m ? m.values()
      : value instanceof List<?> l ? l : null;
  }

  /**
   * A JSON number too large for a double is parsed as Infinity, which would go out as the string
   * "Infinity": not the value pushed (PROTOCOL.md: items are delivered as equal values). An integer
   * arrives as a BigInteger and goes out digit for digit, but a browser's JSON.parse rounds it to a
   * double all the same, so one past a double's range is refused too (as is any other Number a local
   * sender may have put in the JsonObject, a BigDecimal or a Float). Nesting was bounded before (by the
   * parser, or {@link #deeperThan}), so the recursion is too.
   */
  private static boolean beyondDouble(Object value) {
    if (value instanceof Number n) {
      return !(n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) && !Double.isFinite(n.doubleValue());
    }
    Iterable<?> children = children(value);
    if (children != null) {
      for (Object child : children) {
        if (beyondDouble(child)) {
          return true;
        }
      }
    }
    return false;
  }
}
