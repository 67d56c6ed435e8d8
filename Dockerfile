# syntax=docker/dockerfile:1
# pushgate container image. Build the jar first, then the image, from the repository root:
#   mvn -B -ntp package -DskipTests && docker build -t pushgate:0.1.0 .
# Not built in CI (no Docker engine there): keep it correct by reading. k8s/ runs it as pushgate:0.1.0.
#
# Base images, pinned by digest so that a rebuild of the same commit gets the same JRE (a tag such
# as 17-jre-noble moves with every Temurin and Ubuntu update). Both digests are the multi-arch index
# (amd64, arm64, ...) of Temurin 17.0.20+8 on Ubuntu 24.04, built 2026-09-09, as recorded in
# docker-library/repo-info (repos/eclipse-temurin/remote/17-{jre,jdk}-noble.md, commit 11bfd4f9).
# They were read there, not pulled: this project has no Docker engine to check them with. To move
# to a newer JRE (do, for its security fixes), take the new digests from the same files, or run
#   docker buildx imagetools inspect eclipse-temurin:17-jre-noble   (the first "Digest:")
# and replace both lines together.
ARG JRE_IMAGE=eclipse-temurin:17-jre-noble@sha256:76bf6d763e84e4d286d5ee3df61e4adeca214977f83c7d8d2327b93db582dd9d
ARG JDK_IMAGE=eclipse-temurin:17-jdk-noble@sha256:1acf864adb20be14ffa9039e44ba4c8e120e78a14492e67d67eafc6d5b52219a

# Stage 1: split the shaded jar in two, so that the image has a layer of dependencies (30 MB, changes
# when pom.xml does) under a layer of pushgate's own classes (changes with every commit): a new
# version then ships, and a node pulls, only the small layer and the class-data archive trained on it
# (stage 2; about 45 MB, 14 MB compressed; --build-arg CDS=false leaves it out). pushgate.jar keeps the shaded jar's
# manifest (Main-Class, Add-Opens, ...) and adds Class-Path: lib/deps.jar, so `java -jar` works as
# before. Entries are sorted and dated like the reproducible build (pom.xml outputTimestamp), so the
# same dependencies give the same deps.jar, byte for byte, and Docker reuses its layer. Module
# descriptors are left out (as the shade plugin does at the top level): on the class path they mean
# nothing, and the jar tool would parse the Java 21 ones of multi-release dependencies and fail.
FROM ${JDK_IMAGE} AS split
# Keep equal to pom.xml's project.build.outputTimestamp.
ARG OUTPUT_TIMESTAMP=2026-11-30T00:00:00Z
WORKDIR /split
COPY target/pushgate.jar fat.jar
RUN set -eux; \
    mkdir -p fat out/lib; \
    (cd fat && jar xf ../fat.jar); \
    (cd fat && find . -type f ! -path './META-INF/MANIFEST.MF' ! -name module-info.class | LC_ALL=C sort | sed 's|^\./||') > all.list; \
    grep -E '^(io/pushgate/|webroot/|pushgate-logging\.properties$|META-INF/maven/io\.pushgate/)' all.list > own.list; \
    grep -v -x -F -f own.list all.list > deps.list; \
    tr -d '\r' < fat/META-INF/MANIFEST.MF | sed '/^$/d' > manifest.txt; \
    echo 'Class-Path: lib/deps.jar' >> manifest.txt; \
    (cd fat && jar --create --no-manifest --date="$OUTPUT_TIMESTAMP" --file ../out/lib/deps.jar @../deps.list); \
    (cd fat && jar --create --date="$OUTPUT_TIMESTAMP" --manifest ../manifest.txt --file ../out/pushgate.jar @../own.list)

# Stage 2: the image. A JRE, not a JDK: the jar needs no compiler, and a smaller image has fewer
# CVEs to patch.
FROM ${JRE_IMAGE}

# A fixed numeric UID/GID, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd
# (k8s/base/deployment.yaml runs as 10001 too).
RUN groupadd --system --gid 10001 pushgate \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin pushgate

WORKDIR /app
# Dependencies first (rarely change), then pushgate's classes and the archive trained on them, then
# the config (smallest, most often).
COPY --from=split /split/out/lib/deps.jar /app/lib/deps.jar
COPY --from=split /split/out/pushgate.jar /app/pushgate.jar
COPY --chmod=755 bin/pushgate bin/pushgate-cds /app/bin/
# The class-data archive (/app/pushgate.jsa), written here by one training start with this image's JVM
# and jars: an archive holds only to the JVM build and the jars that wrote it, so the one mvn package
# left in target/ is no use here. A node maps the classes of its start from it instead of loading
# them again (BENCHMARKS.md, cluster formation). The training reads conf/cluster.xml only, copied
# first so that a change to the other files does not train again. bin/pushgate-cds never fails the
# build: without an archive the node starts as before, only slower. It runs as root before USER; the
# archive is world-readable and the training's files are gone with its temporary directory.
ARG CDS=true
COPY conf/cluster.xml /app/conf/cluster.xml
RUN if [ "$CDS" = true ]; then /app/bin/pushgate-cds /app/pushgate.jar; fi
# Config files only: conf/ also holds the kustomization.yaml that feeds the k8s ConfigMap.
# On Kubernetes the ConfigMap is mounted over /app/conf. These copies are what a plain `docker run`
# starts with, and their safe defaults shut out more there than on a host: the push API listens on
# 127.0.0.1 inside the container, out of reach of `-p 7799:7799` (set PUSHGATE_API_HOST=0.0.0.0 with
# PUSHGATE_API_KEYS: the node refuses a non-loopback API without keys), and cluster.xml binds Hazelcast
# to loopback, so -cluster forms no cluster across containers (mount a Hazelcast file of your own and
# name it with PUSHGATE_CLUSTER_CONFIG; cluster-k8s.xml finds members through a Kubernetes Service and
# needs -Dpushgate.hazelcast.cluster-name, which the k8s Deployment sets). README, Run it, says more.
COPY conf/*.json conf/*.xml /app/conf/

USER 10001:10001

# 7777 public (WebSocket /connect, /health, /ready); 7799 push API, /stats, /metrics (reachable only
# with PUSHGATE_API_HOST set, above); 5701 Hazelcast and 15701 Vert.x event bus (with -cluster-port
# 15701; across containers only with a Hazelcast file of your own, above).
EXPOSE 7777 7799 5701 15701

# The launcher sizes the JVM from the configuration and execs java, so java is PID 1 and gets SIGTERM
# itself: the node drains (close 1001) on stop. Flags in JDK_JAVA_OPTIONS (the k8s Deployment sets
# heap and direct memory from the pod's limits) win over its choices; the Deployment passes only
# arguments, which replace CMD.
ENTRYPOINT ["/app/bin/pushgate"]
CMD ["-conf", "/app/conf/pushgate.json"]
