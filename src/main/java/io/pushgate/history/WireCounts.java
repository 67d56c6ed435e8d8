package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts and lengths read from another member's operations and entries. A count is only a promise of
 * what follows: a list is sized by what actually arrives (the input ends first for a count too large),
 * never by the count alone, and a length is checked against the bytes left, so a member that sends a
 * wrong one cannot make this one allocate for it.
 */
final class WireCounts {

  /** The most elements a list is made room for up front; past it the list grows as they come. */
  private static final int PRESIZE = 256;

  private WireCounts() {
  }

  /** A count of {@code what} that must not be negative. */
  static int read(ObjectDataInput in, String what) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("a negative count of " + what + " (" + n + ") from another member");
    }
    return n;
  }

  /**
   * A byte array as {@code writeByteArray} wrote it (its length, then its bytes), its length checked
   * against what the input still holds before anything is allocated: Hazelcast's own readByteArray
   * makes the array first, so a wrong length near 2^31 cost this member 2 GiB (or its heap).
   */
  static byte[] bytes(ObjectDataInput in, String what) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("a negative length of " + what + " (" + n + ") from another member");
    }
    if (in instanceof java.io.InputStream stream && n > stream.available()) {
      throw new IOException("a length of " + what + " (" + n + ") past the end of what another member sent");
    }
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    return bytes;
  }

  /** A list for {@code n} elements read one by one. */
  static <T> List<T> listFor(int n) {
    return new ArrayList<>(Math.min(n, PRESIZE));
  }
}
