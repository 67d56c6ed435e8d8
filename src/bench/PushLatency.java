import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * A separate pusher's view of the push API: POST /push/room one request at a time, paced at RATE
 * requests a second for SECONDS, each timed from send to the whole answer; prints one line
 * {@code PUSHLATENCY {"client":..,"count":..,"errors":..,"p50Ms":..,"p90Ms":..,"p99Ms":..,"maxMs":..}}.
 * Bounded: RATE x SECONDS requests and SECONDS + 30 s at most. Loopback targets only.
 * Run with the JDK's source launcher: {@code java src/bench/PushLatency.java URL ROOM RATE SECONDS [CLIENT]}.
 *
 * <p>CLIENT {@code socket} (the default) writes each request on one kept-alive socket from the timing
 * thread and reads the answer there: nothing but the server and the kernel between the two clock
 * reads. {@code jdk} uses java.net.http.HttpClient, which hands each request to its selector thread
 * and the answer to an executor: on a machine whose cores are busy every hop waits for one, so it
 * measures the client's scheduling as much as the server (BENCHMARKS.md section 6 has both).
 */
public final class PushLatency {

  interface Pusher extends AutoCloseable {
    /** One request, answered whole; true if the status was 200. */
    boolean push() throws IOException, InterruptedException;

    @Override
    default void close() throws IOException {
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4 && args.length != 5) {
      System.err.println("usage: java src/bench/PushLatency.java http://127.0.0.1:PORT/push/room ROOM RATE SECONDS [socket|jdk]");
      System.exit(2);
    }
    URI uri = URI.create(args[0]);
    if (!uri.getHost().startsWith("127.") && !uri.getHost().equals("localhost")) {
      throw new IllegalArgumentException("loopback targets only: " + uri);
    }
    String room = args[1];
    int rate = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    String kind = args.length == 5 ? args[4] : "socket";
    int total = rate * seconds;
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds + 30L).toNanos();
    String body = "{\"room\":\"" + room + "\",\"items\":[{\"probe\":true}]}";
    long[] micros = new long[total];
    int done = 0;
    int errors = 0;
    try (Pusher pusher = kind.equals("jdk") ? jdk(uri, body) : socket(uri, body)) {
      // Two untimed requests first: the connection, and the first pass through the client's code.
      for (int i = 0; i < 2; i++) {
        pusher.push();
      }
      long interval = 1_000_000_000L / rate;
      long next = System.nanoTime();
      while (done < total && System.nanoTime() < deadline) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        next += interval;
        long start = System.nanoTime();
        try {
          if (!pusher.push()) {
            errors++;
          }
        } catch (IOException e) {
          errors++;
        }
        micros[done++] = (System.nanoTime() - start) / 1_000;
      }
    }
    long[] sorted = Arrays.copyOf(micros, done);
    Arrays.sort(sorted);
    System.out.printf(java.util.Locale.ROOT,
      "PUSHLATENCY {\"client\":\"%s\",\"count\":%d,\"errors\":%d,\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.2f}%n",
      kind, done, errors, pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99), done == 0 ? 0.0 : sorted[done - 1] / 1000.0);
  }

  private static Pusher jdk(URI uri, String body) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
      .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return () -> client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
  }

  private static Pusher socket(URI uri, String body) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(10_000);
    s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
    byte[] payload = body.getBytes(StandardCharsets.UTF_8);
    byte[] head = ("POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
      + "\r\nContent-Type: application/json\r\nContent-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] request = new byte[head.length + payload.length];
    System.arraycopy(head, 0, request, 0, head.length);
    System.arraycopy(payload, 0, request, head.length, payload.length);
    OutputStream out = s.getOutputStream();
    InputStream in = new BufferedInputStream(s.getInputStream());
    return new Pusher() {
      @Override
      public boolean push() throws IOException {
        out.write(request);
        out.flush();
        return readResponse(in) == 200;
      }

      @Override
      public void close() throws IOException {
        s.close();
      }
    };
  }

  /** Reads one HTTP/1.1 response with a Content-Length (what pushgate's API sends); returns its status. */
  private static int readResponse(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int status = -1;
    long length = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed mid-response");
      }
      if (b != '\n') {
        if (b != '\r') {
          line.append((char) b);
        }
        continue;
      }
      if (line.length() == 0) {
        break;
      }
      String l = line.toString();
      if (status < 0) {
        status = Integer.parseInt(l.split(" ")[1]);
      } else if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Long.parseLong(l.substring(15).trim());
      }
      line.setLength(0);
    }
    for (long skipped = 0; skipped < length; skipped++) {
      if (in.read() < 0) {
        throw new IOException("connection closed mid-body");
      }
    }
    return status;
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000.0;
  }
}
