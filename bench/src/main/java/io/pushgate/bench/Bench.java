package io.pushgate.bench;

import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar bench/target/pushgate-bench.jar MODE [options]}: the load generator, a jar of its
 * own beside the server's. See {@link BenchOptions#USAGE} and BENCHMARKS.md. With {@code --child}
 * this process is one of the coordinator's workers instead; {@code soak} runs {@link io.pushgate.bench.soak.Soak}.
 */
public final class Bench {

  private Bench() {
  }

  public static void main(String[] args) throws Exception {
    List<String> words = List.of(args);
    if (!words.isEmpty() && args[0].equals("soak")) {
      io.pushgate.bench.soak.Soak.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (words.isEmpty() || words.contains("--help") || words.contains("-h")) {
      System.out.print(BenchOptions.USAGE);
      return;
    }
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.err.print(BenchOptions.USAGE);
      System.exit(64);
      return;
    }
    try {
      if (options.child) {
        Worker.run(options);
        return;
      }
      System.exit(new Coordinator(options).run());
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(1);
    } catch (Exception e) {
      System.err.println("bench: failed");
      e.printStackTrace();
      System.exit(1);
    }
  }
}
