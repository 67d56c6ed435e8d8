package io.pushgate.security;

import io.pushgate.config.PushgateConfig;
import io.pushgate.config.Setting;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PfxOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS for the clustered event bus (the TCP links over which nodes hand each other pushes). Both
 * directions present a certificate and each side requires the other's to chain to the trust store,
 * so a process that reaches the event-bus port without a cluster certificate can neither push nor
 * read. Peers are authenticated by their certificate, not by host name: nodes reach each other by
 * pod IP, which no certificate names. Hazelcast's own port (membership, the subscription map) is not
 * covered; see README, Security.
 */
public final class EventBusTls {

  private EventBusTls() {
  }

  public static boolean enabled(PushgateConfig config) {
    return !config.text(Setting.EVENT_BUS_TLS_KEY_STORE).isEmpty();
  }

  /** Turns TLS on in {@code options} when a key store is configured; otherwise leaves them as they are. */
  public static EventBusOptions apply(EventBusOptions options, PushgateConfig config) {
    if (!enabled(config)) {
      return options;
    }
    String keyStore = config.text(Setting.EVENT_BUS_TLS_KEY_STORE);
    String keyPassword = config.text(Setting.EVENT_BUS_TLS_KEY_STORE_PASSWORD);
    String trustStore = config.text(Setting.EVENT_BUS_TLS_TRUST_STORE);
    String trustPassword = config.text(Setting.EVENT_BUS_TLS_TRUST_STORE_PASSWORD);
    if (trustStore.isEmpty()) {
      trustStore = keyStore;
      trustPassword = keyPassword;
    } else if (trustPassword.isEmpty()) {
      trustPassword = keyPassword;
    }
    // PfxOptions, not the generic KeyStoreOptions: Vert.x copies the event-bus options through JSON
    // into its NetServer/NetClient options, and only the typed store options survive that copy.
    return options.setSsl(true)
      .setKeyCertOptions(new PfxOptions().setPath(keyStore).setPassword(keyPassword))
      .setTrustOptions(new PfxOptions().setPath(trustStore).setPassword(trustPassword))
      .setClientAuth(ClientAuth.REQUIRED);
  }

  static List<String> problems(PushgateConfig config) {
    List<String> problems = new ArrayList<>();
    String keyStore = config.text(Setting.EVENT_BUS_TLS_KEY_STORE);
    String trustStore = config.text(Setting.EVENT_BUS_TLS_TRUST_STORE);
    if (keyStore.isEmpty()) {
      if (!trustStore.isEmpty() || !config.text(Setting.EVENT_BUS_TLS_KEY_STORE_PASSWORD).isEmpty()) {
        problems.add(Setting.EVENT_BUS_TLS_KEY_STORE.key() + " is needed for event-bus TLS (its password or trust store is set)");
      }
      return problems;
    }
    String keyPassword = config.text(Setting.EVENT_BUS_TLS_KEY_STORE_PASSWORD);
    if (!Files.isReadable(Path.of(keyStore))) {
      problems.add(Setting.EVENT_BUS_TLS_KEY_STORE.key() + ": cannot read " + keyStore);
    } else if (!keyPassword.isEmpty()) {
      opens(Setting.EVENT_BUS_TLS_KEY_STORE, keyStore, Setting.EVENT_BUS_TLS_KEY_STORE_PASSWORD, keyPassword, true, problems);
    }
    if (keyPassword.isEmpty()) {
      problems.add(Setting.EVENT_BUS_TLS_KEY_STORE_PASSWORD.key() + " is needed with " + Setting.EVENT_BUS_TLS_KEY_STORE.key());
    }
    if (!trustStore.isEmpty() && !Files.isReadable(Path.of(trustStore))) {
      problems.add(Setting.EVENT_BUS_TLS_TRUST_STORE.key() + ": cannot read " + trustStore);
    } else if (!trustStore.isEmpty()) {
      String trustPassword = config.text(Setting.EVENT_BUS_TLS_TRUST_STORE_PASSWORD);
      opens(Setting.EVENT_BUS_TLS_TRUST_STORE, trustStore, trustPassword.isEmpty() ? Setting.EVENT_BUS_TLS_KEY_STORE_PASSWORD
        : Setting.EVENT_BUS_TLS_TRUST_STORE_PASSWORD, trustPassword.isEmpty() ? keyPassword : trustPassword, false, problems);
    }
    return problems;
  }

  /**
   * Opens the PKCS12 store with its password, before the node joins the cluster: a wrong one would
   * otherwise show only once the member had joined Hazelcast (the event bus starts after it), and a
   * pod crash-looping on it would make the cluster move partitions each time.
   */
  private static void opens(Setting store, String path, Setting passwordSetting, String password, boolean needsKey, List<String> problems) {
    try (java.io.InputStream in = Files.newInputStream(Path.of(path))) {
      java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
      keys.load(in, password.toCharArray());
      boolean found = false;
      for (String alias : java.util.Collections.list(keys.aliases())) {
        found |= needsKey ? keys.isKeyEntry(alias) : keys.isCertificateEntry(alias) || keys.getCertificate(alias) != null;
      }
      if (!found) {
        problems.add(store.key() + ": " + path + " holds no " + (needsKey ? "private key" : "certificate"));
      }
    } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException e) {
      boolean wrongPassword = e.getCause() instanceof java.security.UnrecoverableKeyException
        || String.valueOf(e.getMessage()).contains("password");
      problems.add(store.key() + ": " + path + (wrongPassword ? " does not open with " + passwordSetting.key() + " (the password is wrong)"
        : " is not a PKCS12 store that opens with " + passwordSetting.key() + " (" + e.getClass().getSimpleName() + ")"));
    }
  }
}
