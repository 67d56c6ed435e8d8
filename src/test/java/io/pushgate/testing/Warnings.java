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
  private final List<String> messages = new CopyOnWriteArrayList<>();

  private Warnings(Logger logger) {
    this.logger = logger;
  }

  public static Warnings of(Class<?> type) {
    Warnings warnings = new Warnings(Logger.getLogger(type.getName()));
    warnings.logger.addHandler(warnings);
    return warnings;
  }

  /** The messages so far, oldest first. */
  public List<String> messages() {
    return List.copyOf(messages);
  }

  @Override
  public void publish(LogRecord record) {
    if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
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
