package io.pushgate.bench;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ItemCodecTest {

  private final ItemCodec codec = new ItemCodec(100);

  private static long[] roundTrip(ItemCodec codec, long seq, long stamp) {
    Buffer b = Buffer.buffer();
    codec.write(b, seq, stamp);
    byte[] bytes = b.getBytes();
    return new long[] {ItemCodec.seq(bytes, 0), ItemCodec.stamp(bytes, 0)};
  }

  @Test
  void sequenceAndStampReadBackAsWritten() {
    long[][] cases = {{0, 0}, {7, 12}, {9_999_999_999L, 9_999_999_999_999_999L}, {1_234_567_890L, 1_000_000_000_000_001L},
      {100_000_000L, 98_765_432_123L}};
    for (long[] c : cases) {
      long[] read = roundTrip(codec, c[0], c[1]);
      assertEquals(c[0], read[0], "seq " + c[0]);
      assertEquals(c[1], read[1], "stamp " + c[1]);
    }
  }

  @Test
  void eightDigitsRefusesAnythingButDigits() {
    assertEquals(12_345_678, ItemCodec.eightDigits("12345678".getBytes(StandardCharsets.US_ASCII), 0));
    assertEquals(90_000_009, ItemCodec.eightDigits("x90000009".getBytes(StandardCharsets.US_ASCII), 1));
    for (String bad : new String[] {"1234567:", "/1234567", "1234 678", "123456x8", "12345678".replace('8', (char) 0xB8)}) {
      byte[] bytes = bad.getBytes(StandardCharsets.ISO_8859_1);
      assertEquals(-1, ItemCodec.eightDigits(bytes, 0), bad);
    }
  }
}
