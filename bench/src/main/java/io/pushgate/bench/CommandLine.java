package io.pushgate.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --key value} options and bare flags, as the generator's modes and the soak read them. */
public final class CommandLine {

  private CommandLine() {
  }

  /**
   * @param flags      option names that take no value (their value becomes "true")
   * @param positional where words not starting with -- go, in order
   */
  public static Map<String, String> parse(String[] args, Set<String> flags, List<String> positional) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        positional.add(a);
        continue;
      }
      String key = a.substring(2);
      if (flags.contains(key)) {
        values.put(key, "true");
      } else if (i + 1 < args.length) {
        values.put(key, args[++i]);
      } else {
        throw new IllegalArgumentException(a + " needs a value");
      }
    }
    return values;
  }

  public static int integer(Map<String, String> values, String key, int fallback) {
    String s = values.get(key);
    try {
      return s == null ? fallback : Integer.parseInt(s.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be a whole number, got '" + s + "'");
    }
  }
}
