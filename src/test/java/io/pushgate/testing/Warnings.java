package io.pushgate.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The warnings one class logs while this is open, for tests of what the log says and how often. */
public final class Warnings extends Handler implements AutoCloseable {

  private final Logger logger;
  private final Level least;
  private final List<String> messages = new CopyOnWriteArrayList<>();

  private Warnings(Logger logger, Level least) {
    this.logger = logger;
    this.least = least;
  }

  public static Warnings of(Class<?> type) {
    return of(type, Level.WARNING);
  }

  /** The lines of {@code least} level or above: INFO for a line that is news rather than a fault, but may repeat. */
  public static Warnings of(Class<?> type, Level least) {
    Warnings warnings = new Warnings(Logger.getLogger(type.getName()), least);
    warnings.logger.addHandler(warnings);
    return warnings;
  }

  /** The messages so far, oldest first. */
  public List<String> messages() {
    return List.copyOf(messages);
  }

  @Override
  public void publish(LogRecord record) {
    if (record.getLevel().intValue() >= least.intValue()) {
      messages.add(record.getMessage());
    }
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
