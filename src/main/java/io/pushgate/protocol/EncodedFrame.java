package io.pushgate.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One PUSH frame, encoded once per room per tick and written to every member: the whole WebSocket
 * frame as it goes on the wire, header included, in direct memory.
 *
 * <p>Server frames are never masked, so the header is the same for every connection and can be
 * written once with the payload; a shard then writes these bytes below the WebSocket encoder, and
 * the socket sends them straight from this memory. A heap buffer in a Netty {@code TextWebSocketFrame}
 * would cost, per connection, a frame object, a header buffer, and a copy of the payload into
 * direct memory before the syscall.
 *
 * <p>Each write gets its own duplicate of the shared buffer: the socket advances the reader index of
 * what it writes, and a buffer shared without duplicating would reach every connection after the
 * first as an empty frame. The memory is freed when the last reference is released: the merger
 * holds one and gives one to each shard ({@link #retain}), each shard releases its own once it has
 * written the frame ({@link #release}), and each write's duplicate holds one until the socket has
 * sent it. Not left to the GC: a cleaner-freed direct buffer counts against the JVM's direct-memory
 * limit until a collection runs, and with many rooms that limit forces full GCs.
 */
public final class EncodedFrame {

  private final Target target;
  private final ByteBuf wire;
  private final int headerLength;
  private final int items;
  private final Position last;

  EncodedFrame(Target target, ByteBuf wire, int headerLength, int items, Position last) {
    this.target = target;
    this.wire = wire;
    this.headerLength = headerLength;
    this.items = items;
    this.last = last;
  }

  /** The room whose members get this frame, or all. */
  public Target target() {
    return target;
  }

  public int items() {
    return items;
  }

  /** For a stream's frame, the position of its last item (also in its bytes); null otherwise. */
  public Position last() {
    return last;
  }

  /** Payload bytes: the JSON text, without the WebSocket header. */
  public int length() {
    return wire.readableBytes() - headerLength;
  }

  /**
   * The complete frame for exactly one connection's write, to be written below the WebSocket
   * encoder (it is a plain ByteBuf, which that encoder passes on untouched).
   */
  public ByteBuf newWireBuffer() {
    return wire.retainedDuplicate();
  }

  /**
   * The address of the frame's first wire byte in native memory, for a write straight to a socket
   * that neither moves its indices nor keeps it; 0 when its memory has no address (then write
   * {@link #newWireBuffer}). Valid while the caller holds a reference.
   */
  public long wireAddress() {
    return wire.hasMemoryAddress() ? wire.memoryAddress() + wire.readerIndex() : 0;
  }

  /** Bytes on the wire: header and payload. */
  public int wireLength() {
    return wire.readableBytes();
  }

  /** Bytes on the wire of all the frames. */
  public static long wireLength(List<EncodedFrame> frames) {
    long bytes = 0;
    for (EncodedFrame frame : frames) {
      bytes += frame.wireLength();
    }
    return bytes;
  }

  /** Takes {@code count} more references, one for each shard the frame is handed to. */
  public EncodedFrame retain(int count) {
    wire.retain(count);
    return this;
  }

  /** Gives back one reference; the last returns the memory to the pool. */
  public void release() {
    wire.release();
  }

  /** References still held, for tests. */
  int refCnt() {
    return wire.refCnt();
  }

  /** For tests and logs only: decodes the payload. */
  public String text() {
    return wire.toString(wire.readerIndex() + headerLength, length(), StandardCharsets.UTF_8);
  }
}
