package io.pushgate.bench;

import io.vertx.core.buffer.Buffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One benchmark item: {@code {"s":"0000000042","t":"0000012345678901","p":"xxx…"}}, a JSON object of a
 * fixed length. Sequence and stamp are zero-padded strings (JSON numbers may not have leading zeros),
 * so every item of a run has the same size and a receiver finds each field at a known offset instead
 * of parsing JSON: the generator shares the machine's two cores with the server, and a full parse of
 * ten million items a second would measure the generator, not the server.
 */
final class ItemCodec {

  private static final byte[] HEAD = "{\"s\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MID_T = "\",\"t\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MID_P = "\",\"p\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TAIL = "\"}".getBytes(StandardCharsets.US_ASCII);
  private static final int SEQ_DIGITS = 10;
  private static final int STAMP_DIGITS = 16;
  private static final int SEQ_AT = HEAD.length;
  private static final int STAMP_AT = SEQ_AT + SEQ_DIGITS + MID_T.length;
  private static final int PAD_AT = STAMP_AT + STAMP_DIGITS + MID_P.length;
  static final int MIN_BYTES = PAD_AT + TAIL.length;
  /** The padding of a normal item, and of a low-priority one: a receiver tells the two apart by one byte. */
  static final byte NORMAL_PAD = 'x';
  static final byte LOW_PAD = 'l';

  private final int size;
  private final byte[] template;

  ItemCodec(int size) {
    this(size, NORMAL_PAD);
  }

  ItemCodec(int size, byte pad) {
    if (size < MIN_BYTES) {
      throw new IllegalArgumentException("an item needs at least " + MIN_BYTES + " bytes");
    }
    this.size = size;
    template = new byte[size];
    Arrays.fill(template, pad);
    System.arraycopy(HEAD, 0, template, 0, HEAD.length);
    System.arraycopy(MID_T, 0, template, SEQ_AT + SEQ_DIGITS, MID_T.length);
    System.arraycopy(MID_P, 0, template, STAMP_AT + STAMP_DIGITS, MID_P.length);
    System.arraycopy(TAIL, 0, template, size - TAIL.length, TAIL.length);
  }

  int size() {
    return size;
  }

  /**
   * Microseconds of the machine's monotonic clock. On Linux {@link System#nanoTime} is
   * CLOCK_MONOTONIC, one clock for every process of the machine, so a stamp taken by the publisher
   * and read in a child process measure the same interval; no wall-clock step can skew it.
   */
  static long nowMicros() {
    return System.nanoTime() / 1_000;
  }

  void write(Buffer out, long seq, long stampMicros) {
    byte[] item = template.clone();
    digits(item, SEQ_AT, SEQ_DIGITS, seq);
    digits(item, STAMP_AT, STAMP_DIGITS, stampMicros);
    out.appendBytes(item);
  }

  private static void digits(byte[] into, int at, int count, long value) {
    for (int i = at + count - 1; i >= at; i--) {
      into[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
  }

  /** Whether an item of this run's layout starts at {@code at} of the first {@code length} bytes. */
  boolean matches(byte[] frame, int length, int at) {
    return at + size <= length
      && frame[at] == '{' && frame[at + SEQ_AT - 1] == '"'
      && frame[at + STAMP_AT - 1] == '"' && frame[at + size - 1] == '}';
  }

  /** Whether the item at {@code at} is padded as a low-priority one (items of --low-rate). */
  static boolean isLow(byte[] frame, int at) {
    return frame[at + PAD_AT] == LOW_PAD;
  }

  static long seq(byte[] frame, int at) {
    // 10 digits: two, then eight at once.
    long high = number(frame, at + SEQ_AT, 2);
    long low = eightDigits(frame, at + SEQ_AT + 2);
    return high < 0 || low < 0 ? -1 : high * 100_000_000L + low;
  }

  static long stamp(byte[] frame, int at) {
    long high = eightDigits(frame, at + STAMP_AT);
    long low = eightDigits(frame, at + STAMP_AT + 8);
    return high < 0 || low < 0 ? -1 : high * 100_000_000L + low;
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ZEROS = 0x3030303030303030L;
  private static final long HIGH_NIBBLES = 0xF0F0F0F0F0F0F0F0L;

  /**
   * Eight ASCII digits read as one long and combined pairwise (SWAR), or -1 when any byte is not a
   * digit: about a third of a digit-by-digit loop's cost, which at ten million items a second is a
   * tenth of a core of the generator's.
   */
  static long eightDigits(byte[] frame, int from) {
    long raw = (long) LONGS.get(frame, from);
    if ((raw & HIGH_NIBBLES) != ZEROS || ((raw + 0x0606060606060606L) & HIGH_NIBBLES) != ZEROS) {
      return -1;
    }
    long v = raw - ZEROS; // little-endian: the first (most significant) digit is the lowest byte
    v = (v * 10 + (v >>> 8)) & 0x00FF00FF00FF00FFL;
    v = (v * 100 + (v >>> 16)) & 0x0000FFFF0000FFFFL;
    return (v * 10_000 + (v >>> 32)) & 0xFFFFFFFFL;
  }

  private static long number(byte[] frame, int from, int count) {
    long value = 0;
    for (int i = from; i < from + count; i++) {
      int d = frame[i] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      value = value * 10 + d;
    }
    return value;
  }
}
