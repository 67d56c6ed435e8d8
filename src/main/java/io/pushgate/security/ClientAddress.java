package io.pushgate.security;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The unit per-address limits count by. An IPv4 address is itself; an IPv6 address is its /64,
 * because a single subscriber usually holds a whole /64 and can pick a new address in it for every
 * connection; an IPv4-mapped IPv6 address is the IPv4 address it maps.
 */
public final class ClientAddress {

  private ClientAddress() {
  }

  /** @param hostAddress a literal address as the socket reports it; anything else is used as it is */
  public static String group(String hostAddress) {
    if (hostAddress == null || hostAddress.indexOf(':') < 0) {
      return hostAddress == null ? "?" : hostAddress;
    }
    try {
      InetAddress address = InetAddress.getByName(hostAddress); // a literal: no lookup
      if (address instanceof Inet4Address v4) {
        return v4.getHostAddress();
      }
      if (address instanceof Inet6Address) {
        byte[] b = address.getAddress();
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
          prefix.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        }
        return prefix.append(":/64").toString();
      }
    } catch (UnknownHostException e) {
      // not a literal after all: count it as given
    }
    return hostAddress;
  }
}
