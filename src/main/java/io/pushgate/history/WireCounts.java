package io.pushgate.history;

import com.hazelcast.nio.ObjectDataInput;
import io.pushgate.protocol.Position;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts, lengths, epochs and offsets read from another member's operations and entries: a broken or
 * hostile member's fails to deserialize (Hazelcast fails the operation), as a broadcast's does in
 * ClusterPushCodec, instead of reaching a merger's loop or a client. A count is only a promise of
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

  /**
   * A stream's epoch, as this node's sequencer makes them: at most {@link Position#MAX_EPOCH_CHARS}
   * characters and never {@link Position#NO_EPOCH} (ClusterPushCodec refuses the same in broadcasts).
   * Every node hands it to clients and sends it to the others, so one no node makes would stall the
   * stream's broadcasts everywhere, and a missing one would leave a stream with no numbering.
   *
   * @param orNone whether null (no stream) may stand for it
   */
  static String epoch(ObjectDataInput in, boolean orNone) throws IOException {
    String epoch = in.readString();
    if (epoch == null ? !orNone : epoch.isEmpty() || epoch.length() > Position.MAX_EPOCH_CHARS || Position.NO_EPOCH.equals(epoch)) {
      throw new IOException("an epoch from another member that no node makes ("
        + (epoch == null ? "none" : epoch.length() > Position.MAX_EPOCH_CHARS ? epoch.length() + " characters" : "'" + epoch + "'") + ")");
    }
    return epoch;
  }

  /** An offset of {@code what}, from {@code min} (0 or 1) to {@link Position#MAX_OFFSET}. */
  static long offset(ObjectDataInput in, long min, String what) throws IOException {
    long offset = in.readLong();
    if (offset < min || offset > Position.MAX_OFFSET) {
      throw new IOException("an offset of " + what + " (" + offset + ") from another member outside " + min + ".." + Position.MAX_OFFSET);
    }
    return offset;
  }

  /** Throws unless {@code holds}: a member's answer that contradicts itself. */
  static void check(boolean holds, String what) throws IOException {
    if (!holds) {
      throw new IOException(what + ", from another member");
    }
  }

  /** A list for {@code n} elements read one by one. */
  static <T> List<T> listFor(int n) {
    return new ArrayList<>(Math.min(n, PRESIZE));
  }
}
