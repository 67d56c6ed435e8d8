package io.pushgate.security;

import io.pushgate.config.PushgateConfig;
import io.pushgate.example.PushingService;
import io.pushgate.testing.Eventually;
import io.pushgate.testing.TestClient;
import io.pushgate.testing.TestCluster;
import io.pushgate.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two pushgate nodes whose event bus runs TLS with client certificates (key stores made here with
 * keytool), on loopback: a push accepted by one reaches a client of the other, and a pushing service
 * with the cluster certificate can push over the event bus. A member with another certificate, and
 * one without TLS, join Hazelcast (which TLS does not cover) but cannot push.
 */
class EventBusTlsTest {

  private static final String PASSWORD = "test-only-password";

  private static Path keyStore(Path dir, String name) throws IOException, InterruptedException {
    Path file = dir.resolve(name + ".p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
      "-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=" + name,
      "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
      .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool: " + output);
    return file;
  }

  private static PushgateConfig tls(Path store) {
    return PushgateConfig.defaults().with(new JsonObject()
      .put("eventBusTlsKeyStore", store.toString()).put("eventBusTlsKeyStorePassword", PASSWORD));
  }

  /** The store is opened with its password before the node joins the cluster; what is wrong is named, never the password. */
  @Test
  void aStoreThatDoesNotOpenWithItsPasswordIsNamedBeforeTheNodeJoins() throws Exception {
    Path dir = Files.createTempDirectory("pushgate-tls");
    Path store = keyStore(dir, "pushgate-cluster");
    assertEquals(java.util.List.of(), EventBusTls.problems(tls(store)));
    PushgateConfig wrong = PushgateConfig.defaults().with(new JsonObject()
      .put("eventBusTlsKeyStore", store.toString()).put("eventBusTlsKeyStorePassword", "not-the-password-at-all"));
    assertEquals(java.util.List.of("eventBusTlsKeyStore: " + store + " does not open with eventBusTlsKeyStorePassword (the password is wrong)"),
      EventBusTls.problems(wrong));
    Path text = Files.writeString(dir.resolve("not-a-store.p12"), "hello");
    java.util.List<String> problems = EventBusTls.problems(tls(text));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("eventBusTlsKeyStore: " + text + " is not a PKCS12 store that opens with eventBusTlsKeyStorePassword"),
      problems.toString());
    assertTrue(!problems.toString().contains(PASSWORD), problems.toString());
  }

  @Test
  void nodesWithTheClusterCertificateExchangePushesAndOthersCannotPush() throws Exception {
    Path dir = Files.createTempDirectory("pushgate-tls");
    Path cluster = keyStore(dir, "pushgate-cluster");
    Path stranger = keyStore(dir, "stranger");
    TestCluster members = new TestCluster(TestNode.freePortRange(5), 5);
    PushgateConfig clusterTls = tls(cluster);
    try (TestNode a = TestNode.start(members.member(o -> EventBusTls.apply(o.getEventBusOptions(), clusterTls)), new JsonObject());
         TestNode b = TestNode.start(members.member(o -> EventBusTls.apply(o.getEventBusOptions(), clusterTls)), new JsonObject())) {
      Vertx service = members.member(o -> EventBusTls.apply(o.getEventBusOptions(), clusterTls));
      Vertx untrusted = members.member(o -> EventBusTls.apply(o.getEventBusOptions(), tls(stranger)));
      Vertx plain = members.member();
      try {
        Eventually.await("5 members", () -> a.stats().getJsonObject("cluster").getInteger("members") == 5);
        try (TestClient onB = b.client().joinAcked("tls-room", 1)) {
          assertEquals(200, a.pushJson("/push/room", new JsonObject().put("room", "tls-room")
            .put("items", new JsonArray().add("across TLS"))).statusCode());
          assertEquals(List.of("across TLS"), onB.awaitItems("tls-room", 1));
          // A pushing service with the cluster certificate: it has no consumer of its own, so its push crosses TLS.
          assertEquals(1, TestNode.await(PushingService.push(service, "tls-room", new JsonArray().add("from the service"))).getInteger("accepted"));
          assertEquals(List.of("from the service"), onB.awaitItems("tls-room", 1));

          for (Vertx outsider : List.of(untrusted, plain)) {
            Throwable refused = outsider.eventBus().request(io.pushgate.bus.Addresses.PUSH,
                new JsonObject().put("room", "tls-room").put("items", new JsonArray().add("injected")),
                new DeliveryOptions().setSendTimeout(2_000))
              .toCompletionStage().toCompletableFuture().handle((ok, error) -> error).get(20, TimeUnit.SECONDS);
            assertTrue(refused != null, "an outsider's push was accepted");
          }
          // Proof by a later item that nothing injected was delivered in between.
          TestNode.await(PushingService.push(service, "tls-room", new JsonArray().add("after")));
          assertEquals(List.of("after"), onB.awaitItems("tls-room", 1));
        }
      } finally {
        TestNode.await(io.vertx.core.Future.all(service.close(), untrusted.close(), plain.close()));
      }
    } finally {
      for (Path p : List.of(cluster, stranger, dir)) {
        Files.deleteIfExists(p);
      }
    }
  }
}
