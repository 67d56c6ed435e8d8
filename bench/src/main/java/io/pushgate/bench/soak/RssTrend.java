package io.pushgate.bench.soak;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Whether a node's RSS rises, from the samples of a window, as least-squares slopes of RSS over time.
 * {@link #withinProcesses}: within each process, pooled over the node's processes (each centred on
 * its own means), leaving out each process's first {@code warmupSeconds}: the leak check of processes
 * that live long past their warm-up. {@link #atEqualAge}: across the run between processes of the
 * same age (one-minute age classes, each centred on its own means): under chaos no process lives
 * long past its warm-up (kills every few minutes, rolls every ten), so the within-process slope
 * measures warm-up; whether a process of a given age is heavier at the end of the run than at its
 * start is the trend then. A restart resets RSS, so a plain fit across processes would measure the
 * restarts, not a leak; {@link #acrossProcesses} is that plain fit, for the record.
 */
final class RssTrend {

  /** Width of the age classes of {@link #atEqualAge}. */
  static final double AGE_CLASS_SECONDS = 60;

  /** MB per hour, and the samples it rests on. */
  record Slope(double mbPerHour, int samples) {
  }

  private RssTrend() {
  }

  static Slope withinProcesses(List<Timeline.Sample> all, int node, double fromSeconds, double warmupSeconds) {
    return fit(all.stream().filter(s -> s.node() == node && s.atSeconds() >= fromSeconds
      && s.processAgeSeconds() >= warmupSeconds && s.rssMb() > 0).toList(), Timeline.Sample::pid);
  }

  static Slope atEqualAge(List<Timeline.Sample> all, int node, double fromSeconds, double warmupSeconds) {
    return fit(all.stream().filter(s -> s.node() == node && s.atSeconds() >= fromSeconds
      && s.processAgeSeconds() >= warmupSeconds && s.rssMb() > 0).toList(), s -> (long) (s.processAgeSeconds() / AGE_CLASS_SECONDS));
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
