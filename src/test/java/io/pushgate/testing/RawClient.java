package io.pushgate.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

/**
 * A WebSocket client written on a plain socket, for what the JDK's client will not send: slow or
 * oversized requests, invalid UTF-8, bare continuation frames, unmasked frames, any bytes at all.
 * Every read has a timeout, so a test never hangs on it.
 */
public final class RawClient implements AutoCloseable {

  public static final int OP_CONTINUATION = 0;
  public static final int OP_TEXT = 1;
  public static final int OP_BINARY = 2;
  public static final int OP_CLOSE = 8;
  public static final int OP_PING = 9;
  public static final int OP_PONG = 10;

  /** One frame from the server; {@code closeCode} is set for close frames (-1 otherwise). */
  public record Frame(int opcode, boolean fin, byte[] payload, int closeCode) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final Random random = new Random();

  private RawClient(Socket socket) throws IOException {
    this.socket = socket;
    this.socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  public static RawClient connect(int port) {
    return connect(null, port);
  }

  /** @param localAddress a loopback address to connect from (127.0.0.2, ...), or null */
  public static RawClient connect(String localAddress, int port) {
    return connect(localAddress, port, 0);
  }

  /** @param receiveBuffer the socket's receive buffer in bytes (small: backpressure comes sooner), 0 for the default */
  public static RawClient connect(String localAddress, int port, int receiveBuffer) {
    try {
      Socket s = new Socket();
      if (receiveBuffer > 0) {
        s.setReceiveBufferSize(receiveBuffer);
      }
      if (localAddress != null) {
        s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
      }
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
      s.setTcpNoDelay(true);
      return new RawClient(s);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public static String upgradeRequest(String target, String extraHeaders) {
    String key = Base64.getEncoder().encodeToString("pushgate-raw-key".getBytes(StandardCharsets.US_ASCII));
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
  }

  /** Sends a WebSocket upgrade of {@code target}; returns the response's status code (101 on success). */
  public int handshake(String target, String extraHeaders) {
    writeRaw(upgradeRequest(target, extraHeaders).getBytes(StandardCharsets.US_ASCII));
    return readStatus();
  }

  public int handshake() {
    return handshake("/connect", "");
  }

  public RawClient writeRaw(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
      return this;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public RawClient writeRaw(String ascii) {
    return writeRaw(ascii.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Reads an HTTP response head and returns its status code; the head is consumed, a body is not. */
  public int readStatus() {
    String head = readHead();
    String[] parts = head.split(" ", 3);
    if (parts.length < 2) {
      throw new AssertionError("not an HTTP response: " + head);
    }
    return Integer.parseInt(parts[1]);
  }

  /** Reads a whole HTTP response (head, and a body of Content-Length bytes) and returns its status code. */
  public int readResponse() {
    String head = readHead();
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)\r\ncontent-length: *([0-9]+)").matcher(head);
    try {
      if (length.find()) {
        in.readNBytes(Integer.parseInt(length.group(1)));
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return Integer.parseInt(head.split(" ", 3)[1]);
  }

  /** Reads an HTTP response head (status line and headers, up to the blank line) and returns it; a body is not read. */
  public String readHead() {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try {
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new AssertionError("connection closed before a response head; got: " + head.toString(StandardCharsets.ISO_8859_1));
        }
        head.write(b);
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads exactly {@code n} bytes (a response body). */
  public byte[] readBytes(int n) {
    try {
      byte[] bytes = in.readNBytes(n);
      if (bytes.length < n) {
        throw new AssertionError("connection closed after " + bytes.length + " of " + n + " bytes");
      }
      return bytes;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** A client frame: always masked, as RFC 6455 requires of clients. */
  public RawClient sendFrame(int opcode, boolean fin, byte[] payload) {
    return sendFrame(opcode, fin, payload, true);
  }

  public RawClient sendFrame(int opcode, boolean fin, byte[] payload, boolean masked) {
    return writeRaw(frame(opcode, fin, payload, masked));
  }

  /** Several text messages in one write, so that the server reads them together. */
  public RawClient sendTexts(String... texts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (String text : texts) {
      all.writeBytes(frame(OP_TEXT, true, text.getBytes(StandardCharsets.UTF_8), true));
    }
    return writeRaw(all.toByteArray());
  }

  /** A frame's bytes as {@link #sendFrame} writes them, to write with something else. */
  public byte[] frame(int opcode, boolean fin, byte[] payload, boolean masked) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | (opcode & 0x0F));
    int mask = masked ? 0x80 : 0;
    if (payload.length < 126) {
      f.write(mask | payload.length);
    } else if (payload.length < 65_536) {
      f.write(mask | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length & 0xFF);
    } else {
      f.write(mask | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) (((long) payload.length >>> (8 * i)) & 0xFF));
      }
    }
    byte[] body = payload.clone();
    if (masked) {
      byte[] key = new byte[4];
      random.nextBytes(key);
      f.writeBytes(key);
      for (int i = 0; i < body.length; i++) {
        body[i] ^= key[i % 4];
      }
    }
    f.writeBytes(body);
    return f.toByteArray();
  }

  public RawClient sendText(String text) {
    return sendFrame(OP_TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The next frame from the server. */
  public Frame readFrame() {
    try {
      int b0 = readByte();
      int b1 = readByte();
      long length = b1 & 0x7F;
      if (length == 126) {
        length = (readByte() << 8) | readByte();
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | readByte();
        }
      }
      byte[] payload = in.readNBytes((int) length);
      int opcode = b0 & 0x0F;
      int code = opcode == OP_CLOSE && payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
      return new Frame(opcode, (b0 & 0x80) != 0, payload, code);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new IOException("end of stream");
    }
    return b;
  }

  /** Reads frames until a close frame and returns its code; -1 when the socket ended without one. */
  public int awaitClose() {
    try {
      while (true) {
        Frame f = readFrame();
        if (f.opcode() == OP_CLOSE) {
          return f.closeCode();
        }
      }
    } catch (AssertionError e) {
      if (e.getCause() instanceof SocketTimeoutException) {
        throw e;
      }
      return -1;
    }
  }

  /** True once the server has closed the socket (reads end); fails after the read timeout. */
  public boolean awaitEof() {
    try {
      byte[] buf = new byte[4096];
      while (in.read(buf) >= 0) {
        // discard whatever the server still sends
      }
      return true;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection within " + TestClient.TIMEOUT, e);
    } catch (IOException e) {
      return true; // reset by the server
    }
  }

  public RawClient soTimeout(int millis) {
    try {
      socket.setSoTimeout(millis);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return this;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
