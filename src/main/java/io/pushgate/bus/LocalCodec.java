package io.pushgate.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Hands an immutable object from one verticle to another inside the JVM by reference. Only for
 * messages that never leave the node: encoding one to the wire is a bug, so it throws.
 */
public final class LocalCodec<T> implements MessageCodec<T, T> {

  private final Class<T> type;

  private LocalCodec(Class<T> type) {
    this.type = type;
  }

  /** Registers the codec as the default for {@code type}, once per Vert.x instance. */
  public static <T> void register(Vertx vertx, Class<T> type) {
    try {
      vertx.eventBus().registerDefaultCodec(type, new LocalCodec<>(type));
    } catch (IllegalStateException alreadyRegistered) {
      // another node verticle in this Vert.x instance did it first
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, T t) {
    throw new IllegalStateException(type.getSimpleName() + " is local to a node and cannot cross the cluster");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException(type.getSimpleName() + " is local to a node and cannot cross the cluster");
  }

  @Override
  public T transform(T t) {
    return t;
  }

  @Override
  public String name() {
    return "pushgate.local." + type.getName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
