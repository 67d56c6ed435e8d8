package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** CPU time and memory of processes, and the machine's load and socket memory, from /proc. */
public final class ProcStats {

  /** USER_HZ: the unit of utime and stime in /proc/PID/stat, 100 on every Linux x86 ABI. */
  private static final double TICKS_PER_SECOND = 100.0;

  /** One reading of a group of processes (a server's master and workers, or the generator). */
  record Sample(long nanos, double cpuSeconds, double sysSeconds, long rssKb, double machineBusySeconds,
                Map<String, Double> threads) {

    /**
     * CPU use over the interval. {@code sysSeconds} is the kernel's share: on loopback the sender's
     * write also runs the receiver's TCP stack. {@code othersCpuPercent} is everything the machine
     * did besides the processes sampled together with it (see {@link Coordinator}).
     */
    JsonObject since(Sample start) {
      double seconds = (nanos - start.nanos) / 1e9;
      double cpu = cpuSeconds - start.cpuSeconds;
      JsonObject byThread = new JsonObject();
      threads.forEach((group, t) -> byThread.put(group, round(t - start.threads.getOrDefault(group, 0.0), 2)));
      return new JsonObject()
        .put("cpuSeconds", round(cpu, 3))
        .put("sysSeconds", round(sysSeconds - start.sysSeconds, 3))
        .put("cpuPercent", seconds > 0 ? round(100 * cpu / seconds, 1) : 0.0)
        .put("rssMB", round(rssKb / 1024.0, 1))
        .put("threads", byThread);
    }
  }

  private ProcStats() {
  }

  /**
   * What the rest of the machine used while server and generator ran, in percent of one core: other
   * sessions share these two cores, and a figure taken while they were busy is worth less.
   */
  static double othersPercent(Sample server0, Sample server1, Sample gen0, Sample gen1) {
    double seconds = (server1.nanos() - server0.nanos()) / 1e9;
    double others = (server1.machineBusySeconds() - server0.machineBusySeconds())
      - (server1.cpuSeconds() - server0.cpuSeconds()) - (gen1.cpuSeconds() - gen0.cpuSeconds());
    return seconds <= 0 ? 0 : round(Math.max(0, 100 * others / seconds), 1);
  }

  static Sample sample(List<Long> pids) {
    double cpu = 0;
    double sys = 0;
    long rss = 0;
    Map<String, Double> threads = new TreeMap<>();
    for (long pid : pids) {
      double[] userSys = userSys(pid);
      cpu += userSys[0] + userSys[1];
      sys += userSys[1];
      rss += rssKb(pid);
      addThreadCpu(pid, threads);
    }
    return new Sample(System.nanoTime(), cpu, sys, rss, machineBusySeconds(), threads);
  }

  /**
   * Adds the CPU seconds of each live thread of the process to its group: what a JVM's event loops
   * did apart from its JIT compilers and garbage collector, which a short run still pays for and
   * a long-running server does not. Threads that ended are not counted here, only in the total.
   */
  private static void addThreadCpu(long pid, Map<String, Double> groups) {
    Path tasks = Path.of("/proc", String.valueOf(pid), "task");
    try (Stream<Path> list = Files.list(tasks)) {
      list.forEach(task -> {
        String stat = read(task.resolve("stat"));
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
          return;
        }
        double[] userSys = userSys(stat);
        groups.merge(threadGroup(stat.substring(open + 1, close)), userSys[0] + userSys[1], Double::sum);
      });
    } catch (IOException | RuntimeException e) {
      // The process ended between listing and reading: its threads count in the total only.
    }
  }

  /** The group of a thread by its name (Linux keeps the first 15 characters). */
  static String threadGroup(String name) {
    if (name.startsWith("vert.x-eventloo")) {
      return "eventLoops";
    }
    if (name.contains("CompilerThre")) {
      return "jit";
    }
    if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread")) {
      return "gc";
    }
    return "other";
  }

  /** utime and stime of a live process, in seconds; zeros once it is gone. */
  static double[] userSys(long pid) {
    return userSys(read(Path.of("/proc", String.valueOf(pid), "stat")));
  }

  /** utime and stime, in seconds, from the text of a process's or a thread's stat file. */
  private static double[] userSys(String stat) {
    if (stat.isEmpty()) {
      return new double[2];
    }
    // The command name in parentheses may hold spaces; the numbered fields start after its ')'.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new double[] {Long.parseLong(f[11]) / TICKS_PER_SECOND, Long.parseLong(f[12]) / TICKS_PER_SECOND};
  }

  /** CPU seconds the whole machine spent busy (all cores; /proc/stat, everything but idle and iowait). */
  static double machineBusySeconds() {
    String first = read(Path.of("/proc/stat")).split("\n", 2)[0];
    String[] f = first.trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < f.length && i <= 8; i++) {
      if (i != 4 && i != 5) {
        busy += Long.parseLong(f[i]);
      }
    }
    return busy / TICKS_PER_SECOND;
  }

  public static long rssKb(long pid) {
    return statusField(pid, "VmRSS:");
  }

  static long statusField(long pid, String field) {
    for (String line : read(Path.of("/proc", String.valueOf(pid), "status")).split("\n")) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
      }
    }
    return 0;
  }

  static boolean alive(long pid) {
    return Files.exists(Path.of("/proc", String.valueOf(pid), "stat"));
  }

  /** The 1-minute load average: how busy the shared machine is, other sessions included. */
  static double load1() {
    String s = read(Path.of("/proc/loadavg"));
    return s.isEmpty() ? -1 : Double.parseDouble(s.split(" ")[0]);
  }

  /**
   * Kernel-wide TCP socket state: sockets in use, TIME_WAIT, and the pages of socket buffer memory.
   * Client and server share the loopback, so this counts both ends of every connection.
   */
  static JsonObject tcp() {
    JsonObject out = new JsonObject();
    for (String line : read(Path.of("/proc/net/sockstat")).split("\n")) {
      if (line.startsWith("TCP:")) {
        String[] f = line.substring(4).trim().split("\\s+");
        for (int i = 0; i + 1 < f.length; i += 2) {
          out.put(f[i], Long.parseLong(f[i + 1]));
        }
      }
    }
    // Java opens dual-stack sockets, which the kernel counts as TCP6 even for 127.0.0.1.
    for (String line : read(Path.of("/proc/net/sockstat6")).split("\n")) {
      if (line.startsWith("TCP6:")) {
        String[] f = line.substring(5).trim().split("\\s+");
        out.put("inuse6", Long.parseLong(f[1]));
      }
    }
    for (String line : read(Path.of("/proc/meminfo")).split("\n")) {
      if (line.startsWith("Slab:")) {
        out.put("slabKb", Long.parseLong(line.substring(5).trim().split("\\s+")[0]));
      }
    }
    return out;
  }

  static double round(double value, int places) {
    double scale = Math.pow(10, places);
    return Math.round(value * scale) / scale;
  }

  /**
   * The kernel's count of connections dropped because a listen queue was full (TcpExt
   * ListenOverflows, all sockets of the machine); each such client waits for its SYN retransmit,
   * one second or more.
   */
  static long listenOverflows() {
    String[] lines = read(Path.of("/proc/net/netstat")).split("\n");
    for (int i = 0; i + 1 < lines.length; i++) {
      if (lines[i].startsWith("TcpExt:") && lines[i + 1].startsWith("TcpExt:")) {
        List<String> names = List.of(lines[i].trim().split("\\s+"));
        String[] values = lines[i + 1].trim().split("\\s+");
        int at = names.indexOf("ListenOverflows");
        return at > 0 && at < values.length ? Long.parseLong(values[at]) : -1;
      }
    }
    return -1;
  }

  /** net.core.somaxconn: the longest accept queue a listening socket may ask for. */
  static long somaxconn() {
    String value = read(Path.of("/proc/sys/net/core/somaxconn")).trim();
    return value.isEmpty() ? -1 : Long.parseLong(value);
  }

  /**
   * Reads to the end of the stream: Files.readString trusts the size the file reports, and a
   * /proc/sys file reports a size that makes it return only the first byte ("3" for 32768).
   */
  private static String read(Path path) {
    try (java.io.InputStream in = Files.newInputStream(path)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }
}
