package io.pushgate.bench.soak;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RssTrendTest {

  /** A node restarted every 600 s whose RSS climbs 100 MB in each process's first 120 s, then stays flat. */
  private static List<Timeline.Sample> restartedNode(double mbPerHourAfterWarmup) {
    List<Timeline.Sample> samples = new ArrayList<>();
    for (int t = 0; t < 3_600; t += 10) {
      long pid = 1000 + t / 600;
      double age = t % 600;
      double rss = 300 + Math.min(age, 120) / 120 * 100 + (age - Math.min(age, 120)) * mbPerHourAfterWarmup / 3_600;
      samples.add(new Timeline.Sample(t, 1, pid, age, 10, 5, 50, rss, 0));
    }
    return samples;
  }

  @Test
  void restartsAreNotATrendWithinProcesses() {
    RssTrend.Slope within = RssTrend.withinProcesses(restartedNode(0), 1, 1_200, 120);
    assertEquals(0, within.mbPerHour(), 0.01);
    assertTrue(within.samples() > 100);
  }

  @Test
  void aProcessThatKeepsGrowingIsSeen() {
    RssTrend.Slope within = RssTrend.withinProcesses(restartedNode(60), 1, 1_200, 120);
    assertEquals(60, within.mbPerHour(), 0.5);
  }

  @Test
  void thePlainFitAcrossRestartsIsKeptApart() {
    // The same flat processes, fitted across their restarts: the sawtooth gives a slope that is not 0.
    RssTrend.Slope across = RssTrend.acrossProcesses(restartedNode(0), 1, 1_500);
    assertTrue(Math.abs(across.mbPerHour()) > 1, "across " + across);
  }
}
