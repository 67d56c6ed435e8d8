package io.pushgate.bench.soak;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Whether a node's RSS rises, from the samples of a window: the least-squares slope of RSS over time
 * within each process, pooled over the node's processes (each centred on its own means), leaving out
 * each process's first {@code warmupSeconds}. A restart resets RSS, so a plain fit across processes
 * would measure the restarts, not a leak; {@link #acrossProcesses} is that plain fit, for the record.
 */
final class RssTrend {

  /** MB per hour, and the samples it rests on. */
  record Slope(double mbPerHour, int samples) {
  }

  private RssTrend() {
  }

  static Slope withinProcesses(List<Timeline.Sample> all, int node, double fromSeconds, double warmupSeconds) {
    return fit(all.stream().filter(s -> s.node() == node && s.atSeconds() >= fromSeconds
      && s.processAgeSeconds() >= warmupSeconds && s.rssMb() > 0).toList(), Timeline.Sample::pid);
  }

  static Slope acrossProcesses(List<Timeline.Sample> all, int node, double fromSeconds) {
    return fit(all.stream().filter(s -> s.node() == node && s.atSeconds() >= fromSeconds && s.rssMb() > 0).toList(), s -> 0L);
  }

  /** The slope of RSS over time with each group's samples centred on the group's own means. */
  private static Slope fit(List<Timeline.Sample> used, ToLongFunction<Timeline.Sample> group) {
    Map<Long, double[]> sums = new HashMap<>(); // group -> n, Σt, Σr
    for (Timeline.Sample s : used) {
      double[] m = sums.computeIfAbsent(group.applyAsLong(s), g -> new double[3]);
      m[0]++;
      m[1] += s.atSeconds();
      m[2] += s.rssMb();
    }
    double sxy = 0;
    double sxx = 0;
    for (Timeline.Sample s : used) {
      double[] m = sums.get(group.applyAsLong(s));
      double dt = s.atSeconds() - m[1] / m[0];
      sxy += dt * (s.rssMb() - m[2] / m[0]);
      sxx += dt * dt;
    }
    return new Slope(sxx == 0 ? 0 : sxy / sxx * 3_600, used.size());
  }
}
