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

  /** A node killed every 180 s whose processes' RSS climbs 0.1 MB a second all their short lives, plus {@code mbPerHour} of the run. */
  private static List<Timeline.Sample> killedOften(double mbPerHour) {
    List<Timeline.Sample> samples = new ArrayList<>();
    for (int t = 0; t < 3_600; t += 10) {
      long pid = 1000 + t / 180;
      double age = t % 180;
      samples.add(new Timeline.Sample(t, 1, pid, age, 10, 5, 50, 300 + age * 0.1 + t * mbPerHour / 3_600, 0));
    }
    return samples;
  }

  @Test
  void underChaosWarmUpIsNotATrendAtEqualAge() {
    // Within its processes this node climbs 360 MB/h: each one's warm-up, as in a chaos soak.
    assertEquals(360, RssTrend.withinProcesses(killedOften(0), 1, 1_200, 60).mbPerHour(), 0.5);
    RssTrend.Slope equalAge = RssTrend.atEqualAge(killedOften(0), 1, 1_200, 60);
    assertEquals(0, equalAge.mbPerHour(), 0.5);
    assertTrue(equalAge.samples() > 100);
  }

  @Test
  void processesThatStartHeavierAsTheRunGoesOnAreATrendAtEqualAge() {
    assertEquals(40, RssTrend.atEqualAge(killedOften(40), 1, 1_200, 60).mbPerHour(), 0.5);
  }
}
