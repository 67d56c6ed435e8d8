package io.pushgate.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Counters the kernel keeps for this network namespace (a pod's own, on Kubernetes) that say what
 * clients met before the node saw them: SYNs dropped because a listen queue was full, which those
 * clients retry only after a second or more.
 */
final class KernelCounters {

  private static final Path NETSTAT = Path.of("/proc/net/netstat");

  private KernelCounters() {
  }

  /** TcpExt ListenOverflows, or -1 where the kernel does not say (not Linux). */
  static long listenOverflows() {
    try {
      return field(Files.readAllLines(NETSTAT), "TcpExt:", "ListenOverflows");
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** /proc/net/netstat holds pairs of lines: names, then values, each starting with the same prefix. */
  static long field(List<String> lines, String prefix, String name) {
    for (int i = 0; i + 1 < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix) && lines.get(i + 1).startsWith(prefix)) {
        String[] names = lines.get(i).trim().split("\\s+");
        String[] values = lines.get(i + 1).trim().split("\\s+");
        for (int k = 1; k < names.length && k < values.length; k++) {
          if (names[k].equals(name)) {
            return Long.parseLong(values[k]);
          }
        }
      }
    }
    return -1;
  }
}
