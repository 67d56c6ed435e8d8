package io.pushgate.metrics;

import io.netty.util.internal.OutOfDirectMemoryError;
import io.netty.util.internal.PlatformDependent;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Direct memory, where encoded frames live: what is used against the limit, and whether a failure
 * was a shortage of it (an allocation the limit refused) rather than something to crash on.
 */
public final class DirectMemory {

  /** The JVM's pool of direct ByteBuffers; null if the JVM has none by that name. */
  private static final BufferPoolMXBean JVM_POOL = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
    .filter(pool -> "direct".equals(pool.getName())).findFirst().orElse(null);

  private DirectMemory() {
  }

  /**
   * Direct memory in use. Netty allocates either around the JVM's accounting (no cleaner: counted by
   * Netty alone, so its count adds to the JVM's buffers) or through it (its buffers are then among the
   * JVM's, and adding Netty's count would count them twice).
   */
  public static long used() {
    return PlatformDependent.useDirectBufferNoCleaner() ? Math.max(0, PlatformDependent.usedDirectMemory()) + jvmBuffers() : jvmBuffers();
  }

  /** The limit: -XX:MaxDirectMemorySize, else about the heap's maximum. */
  public static long max() {
    return PlatformDependent.maxDirectMemory();
  }

  public static long jvmBuffers() {
    return JVM_POOL == null ? 0 : JVM_POOL.getMemoryUsed();
  }

  /** Whether {@code t} is a direct allocation the limit refused (Netty's count, or the JVM's). */
  public static boolean isShortage(Throwable t) {
    return t instanceof OutOfDirectMemoryError
      || (t instanceof OutOfMemoryError && String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("direct buffer memory"));
  }
}
