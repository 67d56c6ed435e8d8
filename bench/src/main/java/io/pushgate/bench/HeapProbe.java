package io.pushgate.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A Java server's live heap: {@code jcmd PID GC.class_histogram} runs a full GC first, so its total
 * is what the objects alive right now occupy, unlike RSS, which keeps whatever the heap once grew to.
 */
final class HeapProbe {

  private HeapProbe() {
  }

  /** @return live heap bytes, or -1 when jcmd is missing or failed */
  static long liveBytes(long pid) {
    try {
      Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.class_histogram")
        .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return -1;
      }
      for (String line : out.split("\n")) {
        if (line.startsWith("Total")) {
          String[] f = line.trim().split("\\s+");
          return Long.parseLong(f[2]);
        }
      }
      return -1;
    } catch (IOException | InterruptedException | RuntimeException e) {
      return -1;
    }
  }
}
