package io.pushgate.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The reverse proxies (an Ingress controller, a load balancer) whose {@code X-Forwarded-For} is
 * believed: from them the client address is the rightmost address in the header that is not itself
 * a trusted proxy, since each proxy appends the peer it saw and anything left of that was written by
 * the client. From anyone else the header is ignored: the TCP peer is the client. Only literal
 * addresses are read, never names, so a header can never make the node resolve anything.
 */
public final class TrustedProxies {

  /** A network: address bytes and prefix length. */
  private record Range(byte[] network, int prefix) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  public static final TrustedProxies NONE = new TrustedProxies(List.of());

  private final List<Range> ranges;

  private TrustedProxies(List<Range> ranges) {
    this.ranges = ranges;
  }

  /**
   * @param list comma-separated addresses and CIDR ranges, IPv4 or IPv6
   * @throws IllegalArgumentException naming the entry that is neither
   */
  public static TrustedProxies parse(String list) {
    List<Range> ranges = new ArrayList<>();
    for (String entry : SecurityConfig.list(list)) {
      int slash = entry.indexOf('/');
      byte[] address = literal(slash < 0 ? entry : entry.substring(0, slash));
      if (address == null) {
        throw new IllegalArgumentException("trustedProxies: '" + entry + "' is not an IP address or CIDR range (like 10.0.0.0/8 or fd00::/8)");
      }
      int prefix = address.length * 8;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(entry.substring(slash + 1));
        } catch (NumberFormatException e) {
          prefix = -1;
        }
        if (prefix < 0 || prefix > address.length * 8) {
          throw new IllegalArgumentException("trustedProxies: '" + entry + "' has a prefix length outside 0.." + address.length * 8);
        }
      }
      ranges.add(new Range(address, prefix));
    }
    return ranges.isEmpty() ? NONE : new TrustedProxies(List.copyOf(ranges));
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /**
   * The client's address: the TCP peer, or, when the peer is a trusted proxy, the rightmost
   * {@code X-Forwarded-For} address that is not (the peer itself when there is none).
   *
   * @param forwardedFor every X-Forwarded-For header of the request, in order; empty for none
   */
  public String client(String peer, List<String> forwardedFor) {
    if (ranges.isEmpty() || peer == null || forwardedFor.isEmpty() || !trusted(literal(peer))) {
      return peer;
    }
    // From the right, where the proxies wrote: whatever a client put to the left (any number of
    // entries) is never read past the first address no proxy of ours is.
    int seen = 0;
    for (int h = forwardedFor.size() - 1; h >= 0; h--) {
      String header = forwardedFor.get(h);
      int end = header.length();
      while (true) {
        int comma = header.lastIndexOf(',', end - 1);
        String hop = header.substring(comma + 1, end).trim();
        byte[] address = literal(hop);
        if (address == null || ++seen > MAX_TRUSTED_HOPS) {
          return peer; // a hop the proxies did not write, or a chain of proxies longer than any: trust nothing left of it
        }
        if (!trusted(address)) {
          return hop;
        }
        if (comma < 0) {
          break;
        }
        end = comma;
      }
    }
    return peer;
  }

  /** Trusted proxies in a row that a request may have passed: far more than any real chain. */
  static final int MAX_TRUSTED_HOPS = 64;

  private boolean trusted(byte[] address) {
    if (address == null) {
      return false;
    }
    for (Range r : ranges) {
      if (r.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** The bytes of a literal IPv4 or IPv6 address; null for anything else (names included). */
  static byte[] literal(String text) {
    if (text == null || text.isEmpty() || text.length() > 45) {
      return null;
    }
    if (text.indexOf(':') < 0) {
      String[] parts = text.split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        if (parts[i].isEmpty() || parts[i].length() > 3 || !parts[i].chars().allMatch(Character::isDigit)) {
          return null;
        }
        int v = Integer.parseInt(parts[i]);
        if (v > 255) {
          return null;
        }
        b[i] = (byte) v;
      }
      return b;
    }
    if (!text.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 || ch == ':' || ch == '.')) {
      return null; // brackets, zones and ports are not what a proxy writes
    }
    try {
      byte[] b = InetAddress.getByName(text).getAddress(); // a colon: a literal, never a lookup
      return b.length == 16 && isMappedV4(b) ? new byte[] {b[12], b[13], b[14], b[15]} : b;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static boolean isMappedV4(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
  }
}
