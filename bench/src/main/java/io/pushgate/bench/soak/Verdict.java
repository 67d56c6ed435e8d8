package io.pushgate.bench.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** The pass criteria, each judged once and printed on a line of its own; the run passes when all do. */
final class Verdict {

  private record Criterion(String name, boolean passed, String detail) {
  }

  private final List<Criterion> criteria = new ArrayList<>();

  void judge(String name, boolean passed, String detail) {
    criteria.add(new Criterion(name, passed, detail));
  }

  boolean passed() {
    return criteria.stream().allMatch(Criterion::passed);
  }

  void print(Consumer<String> log) {
    for (Criterion c : criteria) {
      log.accept((c.passed() ? "PASS " : "FAIL ") + c.name() + ": " + c.detail());
    }
    log.accept(passed() ? "PASS" : "FAIL: " + criteria.stream().filter(c -> !c.passed()).map(Criterion::name).toList());
  }
}
