package io.pushgate.protocol;

/**
 * Unpaired UTF-16 surrogates: a Java string (a JSON string's {@code \ud800} escape, decoded) may hold
 * one, but it is no Unicode character and UTF-8 cannot carry it. Encoding one would silently turn it
 * into {@code ?}, so whatever reaches clients or names a room is checked first.
 */
public final class Surrogates {

  private Surrogates() {
  }

  /** @return the index of the first surrogate in {@code s} that is not half of a high-low pair, or -1 when there is none */
  public static int firstUnpaired(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (!Character.isHighSurrogate(c) || i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return i;
        }
        i++;
      }
    }
    return -1;
  }
}
