package io.pushgate.cluster;

import io.netty.buffer.ByteBuf;
import io.pushgate.merge.NotTaken;
import io.pushgate.merge.PushBatch;
import io.pushgate.protocol.ItemValidator;
import io.pushgate.protocol.Position;
import io.pushgate.protocol.RoomName;
import io.pushgate.protocol.Target;
import io.pushgate.vertx.VertxInternals;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Wire form of a broadcast push: the items travel as the compact UTF-8 bytes the accepting node
 * already validated, so a receiving node does not re-encode them.
 * Layout: origin, room (length -1 for all), the first item's position (offset, epoch; an epoch of
 * length -1 for a push that is not a stream's), the priority (a byte: 0 normal, 1 low), item count,
 * then each item as length + bytes.
 *
 * <p>Decoding trusts nothing it reads: every count and length is checked against this node's own
 * limits and against the bytes that are really left before anything is allocated, and a message
 * that fails is decoded as a refusal naming the problem, never as an exception or an allocation of
 * whatever size a peer wrote. Every item is checked as one JSON value, as a push to the API is
 * ({@link ItemValidator}), in the one pass that reads it. A message whose every length fits in it and
 * every item is valid, but with more items, a longer item or one nested deeper than this node's
 * limits, is decoded as over them: the node that sent it may have higher limits, and this one's
 * clients must then learn they missed it.
 */
public final class ClusterPushCodec implements MessageCodec<ClusterPush, ClusterPush> {

  /** v2: a stream's push carries its numbering. A v1 node has no codec of this name: see README, Upgrading. */
  public static final String NAME = "pushgate.cluster-push.v2";
  /** A stream's epoch is a short string of hex digits the sequencer made: as many bytes as characters. */
  static final int MAX_EPOCH_BYTES = Position.MAX_EPOCH_CHARS;
  /** Node ids are UUIDs: 36 characters. */
  static final int MAX_ORIGIN_BYTES = 64;
  /** A room id is at most 128 code points, each at most 4 bytes of UTF-8. */
  static final int MAX_ROOM_BYTES = 4 * RoomName.MAX_CODE_POINTS;

  private final int maxItems;
  private final int maxItemBytes;
  private final long farItems;
  private final long farBytes;
  private final ItemValidator validator;

  public ClusterPushCodec(ClusterOptions options) {
    this.maxItems = options.maxItemsPerPush();
    this.maxItemBytes = options.maxItemBytes();
    this.farItems = (long) FAR_PAST * options.maxItemsPerPush();
    // A push's items are re-encoded by the API that took it (1e23 comes back as 9.999999999999999E22),
    // so their bytes can outgrow the body they came in; maxItemsPerPush x maxItemBytes is what any node
    // with these limits can send.
    this.farBytes = Math.max((long) FAR_PAST * options.maxBodyBytes(), (long) options.maxItemsPerPush() * options.maxItemBytes());
    this.validator = new ItemValidator(options.maxItemDepth());
  }

  @Override
  public void encodeToWire(Buffer buffer, ClusterPush push) {
    writeString(buffer, push.origin());
    writeString(buffer, push.batch().target().room());
    Position first = push.batch().first();
    buffer.appendLong(first == null ? 0 : first.offset());
    writeString(buffer, first == null ? null : first.epoch());
    buffer.appendByte(push.batch().low() ? (byte) 1 : 0);
    buffer.appendInt(push.batch().items().size());
    for (byte[] item : push.batch().items()) {
      buffer.appendInt(item.length).appendBytes(item);
    }
  }

  /**
   * A broadcast with more than this many times this node's maxItemsPerPush items, or items of more
   * bytes than this many times its maxBodyBytes and than maxItemsPerPush x maxItemBytes, is refused
   * as malformed before the rest is read: no node set as README asks (the same limits everywhere)
   * sends one, and checking each item of such a message as JSON would keep the merger's loop for
   * seconds (2,000,000 one-byte items: 0.2–2.5 s).
   * Within it, a push over a limit is checked item by item, so that garbage is never taken for one.
   */
  static final int FAR_PAST = 4;

  /** Thrown inside decoding only, and turned into a refusal there. */
  private static final class Malformed extends Exception {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public ClusterPush decodeFromWire(int pos, Buffer buffer) {
    Reader in = new Reader(buffer, pos);
    String origin = null;
    try {
      origin = in.string(MAX_ORIGIN_BYTES, "origin");
      String room = in.string(MAX_ROOM_BYTES, "room");
      if (room != null && RoomName.problem(room) != null) {
        throw new Malformed("an invalid room name");
      }
      long offset = in.offset();
      String epoch = in.string(MAX_EPOCH_BYTES, "epoch");
      if (epoch != null && (room == null || offset < 1)) {
        throw new Malformed("a stream position without a room or below offset 1");
      }
      if (Position.NO_EPOCH.equals(epoch)) {
        // No stream's items are numbered in it, and a node's stream with no entry stands in it: that
        // node would deliver the batch as the stream's first items.
        throw new Malformed("a stream position in the epoch of a stream with no items");
      }
      byte priority = in.flag("priority");
      if (priority == 1 && epoch != null) {
        throw new Malformed("a low-priority push with a stream position");
      }
      int count = in.length(Integer.MAX_VALUE, "item count");
      if (count == 0) {
        throw new Malformed("no items");
      }
      if (count > farItems) {
        throw new Malformed(count + " items, more than " + FAR_PAST + " x maxItemsPerPush=" + maxItems + ": not read");
      }
      if (epoch != null && offset > Position.MAX_OFFSET - (count - 1)) {
        // It would wait among the stream's early batches for ever, holding pending bytes.
        throw new Malformed("a stream position past the largest offset");
      }
      Target target = room == null ? Target.ALL : Target.room(room);
      Position first = epoch == null ? null : new Position(offset, epoch);
      // Over a limit, the rest is only walked, not copied, but each item is still checked as one JSON
      // value where it lies: garbage is malformed wherever it stands, not merely over a limit, which for
      // a push to all would close every client here with 1013. The check is the one every item of a
      // push within the limits needs anyway, made in this one pass over the bytes.
      String over = count > maxItems ? count + " items, more than maxItemsPerPush=" + maxItems : null;
      List<byte[]> items = over == null ? new ArrayList<>(count) : null;
      long walked = 0;
      for (int i = 0; i < count; i++) {
        int length = in.itemLength();
        walked += length;
        if (walked > farBytes) {
          throw new Malformed("items of more than " + farBytes + " bytes (" + FAR_PAST + " x maxBodyBytes, or maxItemsPerPush x maxItemBytes): not read");
        }
        ItemValidator.Problem problem = validator.check(in.ahead(length));
        if (problem != null && !problem.overLimit()) {
          throw new Malformed(problem.message());
        }
        if (over == null && (length > maxItemBytes || problem != null)) {
          over = length > maxItemBytes ? "an item of " + length + " bytes, more than maxItemBytes=" + maxItemBytes : problem.message();
          items = null;
        }
        if (items == null) {
          in.skip(length);
        } else {
          items.add(in.take(length));
        }
      }
      if (over != null) {
        return ClusterPush.overLimits(origin, NotTaken.of(target, first, count, priority == 1), over);
      }
      // Within the limits every item was taken: the bytes walked are the batch's bytes.
      return ClusterPush.of(origin, new PushBatch(target, items, walked, null, first, priority == 1));
    } catch (Malformed e) {
      return ClusterPush.refused(origin, e.getMessage());
    }
  }

  /** Reads within the message: a length is checked against its limit and the bytes left first. */
  private static final class Reader {
    private final Buffer buffer;
    /** The same bytes, for items checked where they lie. */
    private final ByteBuf bytes;
    private final int end;
    private int at;

    Reader(Buffer buffer, int pos) {
      this.buffer = buffer;
      this.bytes = VertxInternals.bytes(buffer);
      this.at = pos;
      this.end = buffer.length();
    }

    /** The next {@code n} bytes, known to be there, not copied and not passed yet. */
    ByteBuf ahead(int n) {
      return bytes.slice(at, n);
    }

    long offset() throws Malformed {
      if (end - at < 8) {
        throw new Malformed("a truncated offset");
      }
      long n = buffer.getLong(at);
      at += 8;
      return n;
    }

    /** A byte that must be 0 or 1. */
    byte flag(String what) throws Malformed {
      if (end - at < 1) {
        throw new Malformed("a truncated " + what);
      }
      byte b = buffer.getByte(at);
      at += 1;
      if (b != 0 && b != 1) {
        throw new Malformed(what + " " + b + " is neither 0 nor 1");
      }
      return b;
    }

    /** A length in [0, max] that fits in what is left; -1 only where {@code nullable}. */
    int length(int max, String what) throws Malformed {
      if (end - at < 4) {
        throw new Malformed("a truncated " + what);
      }
      int n = buffer.getInt(at);
      at += 4;
      if (n < 0 || n > max) {
        throw new Malformed(what + " " + n + " outside 0.." + max);
      }
      return n;
    }

    byte[] bytes(int max, String what) throws Malformed {
      int n = length(max, what + " length");
      if (end - at < n) {
        throw new Malformed(what + " longer than the message");
      }
      return take(n);
    }

    /** An item's length: any that fits in what is left, whatever this node's limit (an empty item is no JSON: the item's check says so). */
    int itemLength() throws Malformed {
      int n = length(Integer.MAX_VALUE, "item length");
      if (end - at < n) {
        throw new Malformed("item longer than the message");
      }
      return n;
    }

    /** {@code n} bytes known to be there. */
    byte[] take(int n) {
      byte[] b = buffer.getBytes(at, at + n);
      at += n;
      return b;
    }

    void skip(int n) {
      at += n;
    }

    /** A UTF-8 string, or null when written as length -1. */
    String string(int max, String what) throws Malformed {
      if (end - at >= 4 && buffer.getInt(at) == -1) {
        at += 4;
        return null;
      }
      byte[] bytes = bytes(max, what);
      try {
        // Strict: a lenient decoding would make another room of bytes that are none (U+FFFD for each).
        return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
      } catch (java.nio.charset.CharacterCodingException e) {
        throw new Malformed("a " + what + " that is not UTF-8");
      }
    }
  }

  private static void writeString(Buffer buffer, String s) {
    if (s == null) {
      buffer.appendInt(-1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(bytes.length).appendBytes(bytes);
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
