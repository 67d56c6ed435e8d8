# pushgate container image. Build the jar first, then the image:
#   mvn -B -ntp package -DskipTests && docker build -t pushgate:0.1.0 .
# (Not built in CI: no Docker engine there. k8s/ runs this image as pushgate:0.1.0.)
#
# A JRE, not a JDK: the shaded jar needs no compiler, and a smaller image has fewer CVEs to patch.
FROM eclipse-temurin:17-jre

# A fixed numeric UID/GID, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd
# (k8s/deployment.yaml runs as 10001 too).
RUN groupadd --system --gid 10001 pushgate \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin pushgate

WORKDIR /app
COPY target/pushgate.jar /app/pushgate.jar
# Config files only: conf/ also holds the kustomization.yaml that feeds the k8s ConfigMap.
# On Kubernetes the ConfigMap is mounted over /app/conf; these copies serve plain `docker run`.
COPY conf/*.json conf/*.xml /app/conf/

USER 10001:10001

# 7777 public (WebSocket /connect, /health, /ready); 7799 push API, /stats, /metrics;
# 5701 Hazelcast; 15701 Vert.x event bus (with -cluster-port 15701).
EXPOSE 7777 7799 5701 15701

# Exec form: java is PID 1 and gets SIGTERM itself, so the node drains (close 1001) on stop.
ENTRYPOINT ["java", "-jar", "/app/pushgate.jar"]
CMD ["-conf", "/app/conf/pushgate.json"]
