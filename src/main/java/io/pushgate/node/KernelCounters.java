package io.pushgate.node;

import io.pushgate.config.PushgateConfig;

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
  private static final Path SOMAXCONN = Path.of("/proc/sys/net/core/somaxconn");

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

  /** net.core.somaxconn, the longest accept queue a listening socket gets, or -1 where unknown. */
  static long somaxconn() {
    try {
      // Read as lines, to the end: /proc files report a size that whole-file reads trust.
      return Long.parseLong(Files.readAllLines(SOMAXCONN).get(0).trim());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * The start-up warning when the public port's accept queues together (each the smaller of
   * acceptBacklog and somaxconn) hold fewer connections than maxConnections, or null: a reconnect
   * storm of that many clients then has SYNs dropped, retried after a second or more.
   */
  static String listenQueueWarning(long somaxconn, int sockets, int acceptBacklog, int maxConnections) {
    if (somaxconn < 0) {
      return null;
    }
    long perSocket = PushgateConfig.acceptQueue(acceptBacklog, somaxconn);
    long total = perSocket * sockets;
    if (total >= maxConnections) {
      return null;
    }
    long needed = (maxConnections + sockets - 1) / sockets;
    String raise = acceptBacklog < somaxconn ? "acceptBacklog" : "net.core.somaxconn";
    return "net.core.somaxconn is " + somaxconn + " and acceptBacklog " + acceptBacklog + ": the public port's " + sockets + " listening sockets queue "
      + perSocket + " connections each, " + total + " in all, fewer than maxConnections=" + maxConnections + "; in a reconnect storm of "
      + "more clients at once the kernel drops the SYNs that do not fit and those clients retry 1 s or more later "
      + "(node.listenOverflows in /stats). Raise " + raise + " to at least " + needed + ", or listenSockets (README, Reconnect storms and somaxconn)";
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
