package io.pushgate.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The generator may only ever talk to this machine: every target and every source address must be
 * in 127.0.0.0/8 (or ::1). Anything else is refused before a single socket is opened.
 */
public final class Loopback {

  private Loopback() {
  }

  /** @throws IllegalArgumentException when the URL's host is not a loopback address */
  static URI require(String url) {
    URI uri = URI.create(url);
    if (uri.getHost() == null || uri.getPort() <= 0) {
      throw new IllegalArgumentException(url + ": give a host and an explicit port");
    }
    requireAddress(uri.getHost());
    return uri;
  }

  static void requireAddress(String host) {
    InetAddress address;
    try {
      // Only literal addresses and "localhost": a name that DNS would resolve elsewhere never gets here.
      if (!host.equals("localhost") && !Character.isDigit(host.charAt(0)) && !host.startsWith("[") && !host.contains(":")) {
        throw new IllegalArgumentException(host + ": use a literal loopback address such as 127.0.0.1");
      }
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(host + ": not an address", e);
    }
    if (!address.isLoopbackAddress()) {
      throw new IllegalArgumentException(host + " is not a loopback address: the generator only targets 127.0.0.0/8");
    }
  }

  /**
   * 127.0.0.2 … 127.0.0.(count+1): each source address has its own ~28k ephemeral ports, and a
   * reconnect storm needs fresh ports while the old ones sit in TIME_WAIT.
   */
  public static List<String> sources(int count) {
    if (count < 1 || count > 250) {
      throw new IllegalArgumentException("--sources must be 1..250");
    }
    List<String> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      list.add("127.0.0." + (i + 2));
    }
    return list;
  }
}
