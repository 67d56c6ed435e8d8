package io.pushgate.bench;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's handle on one child process: the same jar and options relaunched with
 * {@code --child}, so that each process stays under the 20,000 open files one process may have.
 */
final class WorkerProcess {

  final int index;
  final int count;
  private final Process process;
  private final PrintStream commands;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
  private volatile JsonObject progress = new JsonObject();
  private volatile boolean stopping;

  private WorkerProcess(int index, int count, Process process) {
    this.index = index;
    this.count = count;
    this.process = process;
    this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readReplies, "bench-child-" + index);
    reader.setDaemon(true);
    reader.start();
  }

  static WorkerProcess start(BenchOptions options, int index, int offset, int count) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    Arrays.stream(options.childJvm.trim().split("\\s+")).filter(s -> !s.isEmpty()).forEach(command::add);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Bench.class.getName());
    command.addAll(List.of(options.raw));
    command.addAll(List.of("--child", "--child-index", String.valueOf(index),
      "--child-offset", String.valueOf(offset), "--child-count", String.valueOf(count)));
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return new WorkerProcess(index, count, process);
  }

  long pid() {
    return process.pid();
  }

  private void readReplies() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith(WorkerProtocol.PROGRESS + " ")) {
          progress = new JsonObject(line.substring(WorkerProtocol.PROGRESS.length() + 1));
        } else if (!line.startsWith(WorkerProtocol.HELLO)) {
          replies.add(line);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!stopping) {
        System.err.println("bench: lost child " + index + ": " + e);
      }
    }
  }

  JsonObject progress() {
    return progress;
  }

  void send(String command) {
    commands.println(command);
  }

  /** The next reply, which must be {@code word}; fails when the child died or the time ran out. */
  JsonObject await(String word, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      String line = replies.poll(200, TimeUnit.MILLISECONDS);
      if (line != null) {
        if (!line.startsWith(word + " ")) {
          throw new IllegalStateException("child " + index + " answered '" + line + "' instead of " + word);
        }
        return new JsonObject(line.substring(word.length() + 1));
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("child " + index + " exited with " + process.exitValue() + " before " + word);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("child " + index + " did not answer " + word + " within " + timeoutMillis + " ms");
      }
    }
  }

  void stop() {
    stopping = true;
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
