package io.pushgate.protocol;

/**
 * A place in a stream (PROTOCOL.md, "Streams"): the offset of an item and the epoch of the stream's
 * numbering. Offsets start at 1; offset 0 is the position before the first item.
 */
public record Position(long offset, String epoch) {
}
