package io.pushgate.bench;

/**
 * {@code java -jar pushgate.jar bench MODE [options]}: the load generator of issue 6. See
 * {@link BenchOptions#USAGE} and BENCHMARKS.md. With {@code --child} this process is one of the
 * coordinator's workers instead.
 */
public final class Bench {

  private Bench() {
  }

  public static void main(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
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
