# Souper image: one jar, every role (souper streams | souper evaluator | souper topics ...).
#
# CPU (default):  docker build -t souper:latest .
# GPU evaluators: docker build --build-arg MAVEN_PROFILES=cuda -t souper:cuda .
#   (the `cuda` Maven profile bundles DJL's CUDA 12.8 build of libtorch 2.7.1, which carries its
#   own CUDA libraries; the host needs only the NVIDIA driver and container toolkit. See docs/gpu.md.)
#
# The image runs as the unprivileged user souper (uid 10001, gid 10001). Volume layout:
#
#   /var/lib/souper            the process's own state, owned by 10001 (WORKDIR, HOME, VOLUME)
#     streams/                 SOUPER_STATE_DIR: the souper's RocksDB state (keep it on a volume per instance)
#     evaluator/               SOUPER_WORK_DIR: the evaluator's running sums (scratch; losing it costs time, not data)
#     djl/                     DJL_CACHE_DIR: libtorch extracted from the jar at first start
#   /checkpoints               SOUPER_STORE_ROOTS: the checkpoint store, shared by training jobs and evaluators.
#                              Souper only reads it (it may be root-owned and read-only to uid 10001) ...
#     artifacts/               ... except here: the evaluator writes averaged soups, so this directory must be
#                              writable by uid 10001 (or gid 10001: Kubernetes' fsGroup). The image creates it
#                              owned by 10001, so a fresh Docker named volume mounted at /checkpoints starts right.
#   /tmp                       RocksDB and JNI libraries unpack here (an emptyDir under readOnlyRootFilesystem)
FROM maven:3.9-eclipse-temurin-17 AS build
ARG MAVEN_PROFILES=""
WORKDIR /src
COPY pom.xml .
COPY schemas schemas
COPY src/main src/main
COPY models models
RUN mvn -B -q -DskipTests ${MAVEN_PROFILES:+-P$MAVEN_PROFILES} package

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 souper \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/souper --no-create-home \
      --shell /usr/sbin/nologin souper \
 && mkdir -p /var/lib/souper /checkpoints/artifacts /models \
 && chown 10001:10001 /var/lib/souper /checkpoints/artifacts \
 && chmod 0750 /var/lib/souper
COPY --from=build /src/target/souper.jar /opt/souper/souper.jar
COPY --from=build /src/models /models
# Every default points into the layout above, so `souper evaluator` and `souper streams` start
# without a flag; the JVM's user.home comes from /etc/passwd, so DJL's cache is set explicitly.
ENV HOME=/var/lib/souper \
    SOUPER_DATA_DIR=/var/lib/souper \
    SOUPER_STATE_DIR=/var/lib/souper/streams \
    SOUPER_WORK_DIR=/var/lib/souper/evaluator \
    DJL_CACHE_DIR=/var/lib/souper/djl \
    SOUPER_STORE_ROOTS=/checkpoints \
    JAVA_TOOL_OPTIONS="-Dai.djl.offline=true -XX:MaxRAMPercentage=75"
# glibc malloc settings, as in the ./souper wrapper (see the comment there and bench/scoring/README.md):
# without them libtorch's per-batch buffers are unmapped after each batch and page-faulted in again
# (bench/scoring, DJL on the demo CNN: minor page faults per process 454k -> 91k, images/s +51% on
# 1 thread and +20% on 2, peak RSS no higher).
ENV MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=33554432 \
    MALLOC_TRIM_THRESHOLD_=1073741824 \
    MALLOC_TOP_PAD_=67108864
WORKDIR /var/lib/souper
VOLUME ["/var/lib/souper"]
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/souper/souper.jar"]
CMD ["--help"]
