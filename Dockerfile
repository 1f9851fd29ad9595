# Souper image: one jar, every role (souper streams | souper evaluator | souper ...).
# GPU evaluators: build with --build-arg MAVEN_PROFILES=cuda (DJL's CUDA 12.8 libtorch 2.7.1)
# and run on a CUDA base image, or mount a CUDA libtorch 2.7.1 and set PYTORCH_LIBRARY_PATH.
FROM maven:3.9-eclipse-temurin-17 AS build
ARG MAVEN_PROFILES=""
WORKDIR /src
COPY pom.xml .
COPY schemas schemas
COPY src/main src/main
COPY models models
RUN mvn -B -q -DskipTests ${MAVEN_PROFILES:+-P$MAVEN_PROFILES} package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 souper && mkdir -p /data /models && chown souper /data
COPY --from=build /src/target/souper.jar /opt/souper/souper.jar
COPY --from=build /src/models /models
USER souper
ENV JAVA_TOOL_OPTIONS="-Dai.djl.offline=true -XX:MaxRAMPercentage=75"
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/souper/souper.jar"]
CMD ["--help"]
