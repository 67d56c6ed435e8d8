package io.pushgate.node;

import java.util.logging.LogManager;

/**
 * The JDK resets logging from its own shutdown hook, racing ours: without this, everything the
 * node logs while draining on SIGTERM would be lost. Installed by {@link Main} before the first logger.
 */
public final class DrainingLogManager extends LogManager {

  @Override
  public void reset() {
    // Logging stays up until the JVM is gone; handlers flush on every record.
  }
}
