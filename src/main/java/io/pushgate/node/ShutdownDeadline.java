package io.pushgate.node;

import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The one deadline of a shutdown: a daemon thread that, if the process is still stopping when
 * shutdownTimeoutMillis have passed since SIGTERM, says which stage ran over and ends the process.
 * An orchestrator's SIGKILL would end it a little later without a word; this way the log says why,
 * and the exit code (1) says it was not clean.
 */
final class ShutdownDeadline {

  private ShutdownDeadline() {
  }

  static void start(long deadlineMillis, long timeoutMillis, Supplier<String> stage) {
    Thread watchdog = new Thread(() -> {
      try {
        long left = deadlineMillis - System.currentTimeMillis();
        if (left > 0) {
          Thread.sleep(left);
        }
      } catch (InterruptedException e) {
        return;
      }
      Logger.getLogger(Main.class.getName()).severe("shutdown passed shutdownTimeoutMillis=" + timeoutMillis + " while "
        + stage.get() + ": exiting now, before the orchestrator kills the process");
      Runtime.getRuntime().halt(1);
    }, "pushgate-shutdown-deadline");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
