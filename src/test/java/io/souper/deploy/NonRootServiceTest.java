package io.souper.deploy;

import io.souper.checkpoint.Sha256;
import io.souper.data.FashionMnist;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDefinition;
import io.souper.events.SubjectKind;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.FreePorts;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.testsupport.TorchReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image's promise, tried without Docker: the evaluator and the souper start and serve as the
 * image's unprivileged user (uid 10001), with the environment the Dockerfile sets (its ENV block,
 * /var/lib/souper mapped to a temporary directory), against a checkpoint store that root owns and
 * uid 10001 cannot write (only its artifacts/ directory is theirs, as the Dockerfile documents);
 * then the evaluator scores a candidate soup from that store, which is where a missing work dir or
 * an unwritable artifact directory used to stop it.
 *
 * <p>Each service is a fresh JVM started through {@code setpriv}, from a copy of the test classpath
 * that uid 10001 can read (the Maven repository under /root is not readable by other users), so the
 * test needs no packaged jar and runs in Maven's test phase. Tests run as root here and in CI;
 * anywhere else this test cannot switch user and fails saying so.
 */
class NonRootServiceTest {

    private static final int SERVICE_UID = 10001;
    private static final String IMAGE_STATE = "/var/lib/souper";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final Path ARCHITECTURE = Path.of("models/fmnist_cnn.pt");
    private static final Path FASHION_MNIST = FashionMnist.DEBIAN_DIRECTORY;
    private static final String SOUP = "non-root";

    @TempDir
    Path dir;
    private EmbeddedStack stack;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void startBroker() {
        stack = EmbeddedStack.start(dir.resolve("broker"), 0, 0, 2);
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        stack.close();
    }

    @Test
    void evaluatorAndSouperServeAndScoreAsTheImagesUserAgainstARootOwnedStore() throws Exception {
        assertThat(run("id", "-u").strip()).as("this test switches user, so it must run as root").isEqualTo("0");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));

        Path classpath = readableClasspath(dir.resolve("classpath"));
        Path state = dir.resolve("var-lib-souper");
        Files.createDirectories(state);
        chown(state);
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-x---"));

        // The checkpoint store: root's, read-only to the service, with what a training job left there
        // (two checkpoints of the demo CNN, made by PyTorch); only artifacts/ belongs to the service.
        Path store = dir.resolve("checkpoints");
        Path architecture = Files.createDirectories(store.resolve("models")).resolve("fmnist_cnn.pt");
        Files.copy(ARCHITECTURE, architecture);
        Path runs = Files.createDirectories(store.resolve("runs"));
        TorchReference.run("make-checkpoints", "--arch", architecture.toString(), "--dir", FASHION_MNIST.toString(),
                "--out", runs.toString(), "--count", "2");
        run("chmod", "-R", "a+rX,go-w", store.toString());
        Path artifacts = Files.createDirectories(store.resolve("artifacts"));
        chown(artifacts);
        assertThat(runAsService(null, "touch", runs.resolve("not-allowed").toString()).exitCode)
                .as("uid %d must not be able to write the store root", SERVICE_UID).isNotZero();
        assertThat(Files.getAttribute(runs.resolve("ckpt-0.safetensors"), "unix:uid")).isEqualTo(0);

        Map<String, String> env = imageEnvironment(state);
        // Debian's Fashion-MNIST (root's, read-only) is the second root: the held-out split.
        env.put("SOUPER_STORE_ROOTS", store + ":" + FASHION_MNIST);
        assertThat(env.get("SOUPER_WORK_DIR")).startsWith(state.toString());
        assertThat(env.get("SOUPER_STATE_DIR")).startsWith(state.toString());

        int evaluatorPort = FreePorts.pick();
        int streamsPort = FreePorts.pick();
        Path evaluatorLog = dir.resolve("evaluator.log");
        Path streamsLog = dir.resolve("streams.log");
        startAsService(classpath, env, state, evaluatorLog, "evaluator", "--device", "auto",
                "--http-port", String.valueOf(evaluatorPort));
        startAsService(classpath, env, state, streamsLog, "streams", "--http-port", String.valueOf(streamsPort));

        awaitServing(evaluatorPort, evaluatorLog, "kafka_consumer");
        awaitServing(streamsPort, streamsLog, "kafka_stream");
        // The HTTP endpoint opens before the service behind it: wait for each to say it runs.
        awaitLine(evaluatorLog, "souper evaluator running on cpu");
        awaitLine(streamsLog, "souper streams running");

        // What they wrote went where the image's defaults say, owned by the service user.
        for (String written : List.of(env.get("SOUPER_WORK_DIR"), env.get("SOUPER_STATE_DIR"), env.get("DJL_CACHE_DIR"))) {
            Path path = Path.of(written);
            assertThat(path).as("%s (from the image's ENV)", written).isDirectory();
            assertThat(Files.getAttribute(path, "unix:uid")).as("owner of %s", path).isEqualTo(SERVICE_UID);
        }

        // A candidate soup of both checkpoints, as the souper asks for it: the evaluator reads root's
        // files, keeps the running sum in its work dir and writes the soup into artifacts/.
        EvaluationResult result = evaluateCandidate(architecture, List.of(runs.resolve("ckpt-0.safetensors"),
                runs.resolve("ckpt-1.safetensors")), evaluatorLog);
        assertThat(result.getError()).as("the candidate's error; evaluator log:%n%s", Files.readString(evaluatorLog))
                .isNull();
        assertThat(result.getHeldOut().getTotal()).isEqualTo(200);
        Path artifact = artifacts.resolve(result.getArtifactSha256() + ".safetensors");
        assertThat(result.getArtifactUri()).isEqualTo(artifact.toUri().toString());
        assertThat(Files.getAttribute(artifact, "unix:uid")).isEqualTo(SERVICE_UID);
        try (Stream<Path> sums = Files.walk(Path.of(env.get("SOUPER_WORK_DIR")))) {
            assertThat(sums.filter(Files::isRegularFile).filter(p -> p.toString().contains("running-sums")))
                    .as("a running sum in the work dir").isNotEmpty();
        }
        try (Stream<Path> left = Files.list(store)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("models", "runs", "artifacts");
        }
        for (Process p : processes) {
            assertThat(p.isAlive()).isTrue();
        }
    }

    private EvaluationResult evaluateCandidate(Path architecture, List<Path> checkpoints, Path log) throws Exception {
        SouperTopics topics = SouperTopics.forRegistry(stack.schemaRegistryUrl());
        KafkaClientConfigs clients = stack.clientConfigs();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("non-root-test"),
                new StringSerializer(), new ByteArraySerializer())) {
            send(producer, topics.definitions, SOUP, SoupDefinition.newBuilder().setSoupId(SOUP)
                    .setArchitectureUri(architecture.toUri().toString())
                    .setHeldOutUri("file://" + FASHION_MNIST + "?split=train&from=50000&to=50200")
                    .setCreatedAt(Instant.now()).build());
            List<IngredientRef> ingredients = new ArrayList<>();
            for (Path checkpoint : checkpoints) {
                ingredients.add(IngredientRef.newBuilder().setCheckpointId(checkpoint.getFileName().toString())
                        .setUri(checkpoint.toUri().toString()).setSha256(Sha256.of(checkpoint)).build());
            }
            send(producer, topics.candidates, SOUP, EvaluationRequest.newBuilder().setRequestId(SOUP + "#1")
                    .setSoupId(SOUP).setBaseVersion(1).setKind(SubjectKind.CANDIDATE).setIngredients(ingredients)
                    .setRequestedAt(Instant.now()).build());
        }
        try (KafkaConsumer<String, EvaluationResult> consumer = new KafkaConsumer<>(
                clients.consumer("non-root-test-reader", "non-root-test-reader"),
                topics.evaluations.keySerde().deserializer(), topics.evaluations.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.evaluations.name()));
            Instant deadline = Instant.now().plus(START_TIMEOUT);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, EvaluationResult> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value().getSubjectId().equals(SOUP + "#1")) {
                        return record.value();
                    }
                }
            }
        }
        throw new AssertionError("no answer to the candidate within " + START_TIMEOUT + "; evaluator log:\n"
                + Files.readString(log));
    }

    private static <V> void send(KafkaProducer<String, byte[]> producer, Topic<String, V> topic, String key, V value)
            throws Exception {
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        producer.send(new ProducerRecord<>(topic.name(), key, bytes)).get(30, TimeUnit.SECONDS);
    }

    /** The Dockerfile's ENV block with the image's state directory mapped to {@code state}. */
    private static Map<String, String> imageEnvironment(Path state) throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile")).replace("\\\n", " ");
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : dockerfile.split("\n")) {
            if (line.startsWith("ENV ")) {
                Matcher m = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)").matcher(line.substring(4));
                while (m.find()) {
                    env.put(m.group(1), m.group(2).replace("\"", "").replace(IMAGE_STATE, state.toString()));
                }
            }
        }
        assertThat(env).as("the Dockerfile's ENV").containsKeys("HOME", "SOUPER_WORK_DIR", "SOUPER_STATE_DIR",
                "SOUPER_DATA_DIR", "DJL_CACHE_DIR", "SOUPER_STORE_ROOTS", "JAVA_TOOL_OPTIONS");
        return env;
    }

    /**
     * The test JVM's classpath, hard-linked (or copied) into a directory every user can read:
     * the service user gets the same classes and libtorch jar without reading /root.
     */
    private static Path readableClasspath(Path target) throws Exception {
        Files.createDirectories(target);
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path source = Path.of(entry);
            if (!Files.exists(source) || source.toString().contains("test-classes")) {
                continue;
            }
            Path copy = target.resolve((i++) + "-" + source.getFileName());
            if (Files.isDirectory(source)) {
                copyTree(source, copy);
            } else {
                try {
                    Files.createLink(copy, source);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(source, copy);
                }
            }
            entries.add(copy.toString());
        }
        run("chmod", "-R", "a+rX", target.toString());
        Files.writeString(target.resolve("classpath.txt"), String.join(java.io.File.pathSeparator, entries));
        return target;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    try {
                        Files.copy(p, dest);
                    } catch (FileAlreadyExistsException ignored) {
                        // directories first, files once: cannot happen twice
                    }
                }
            }
        }
    }

    private void startAsService(Path classpath, Map<String, String> env, Path workingDir, Path log, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(setpriv());
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx768m", "-cp", Files.readString(classpath.resolve("classpath.txt")),
                "io.souper.cli.SouperCli"));
        command.addAll(List.of(args));
        command.addAll(List.of("--bootstrap-servers", stack.bootstrapServers(),
                "--schema-registry-url", stack.schemaRegistryUrl()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        pb.environment().putAll(env);
        processes.add(pb.start());
    }

    private void awaitServing(int port, Path log, String metricPrefix) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        String last = "nothing yet";
        while (Instant.now().isBefore(deadline)) {
            for (Process p : processes) {
                assertThat(p.isAlive()).as("a service exited (%d); its log:%n%s", p.isAlive() ? 0 : p.exitValue(),
                        Files.readString(log)).isTrue();
            }
            try {
                HttpResponse<String> health = http.send(get(port, "/health"), HttpResponse.BodyHandlers.ofString());
                HttpResponse<String> metrics = http.send(get(port, "/metrics"), HttpResponse.BodyHandlers.ofString());
                last = health.statusCode() + " " + health.body();
                if (health.statusCode() == 200 && metrics.statusCode() == 200 && metrics.body().contains(metricPrefix)) {
                    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
                    return;
                }
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("port " + port + " did not serve /health and /metrics (with " + metricPrefix
                + ") within " + START_TIMEOUT + "; last: " + last + "; log:\n" + Files.readString(log));
    }

    private void awaitLine(Path log, String text) throws Exception {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (!Files.readString(log).contains(text)) {
            for (Process p : processes) {
                assertThat(p.isAlive()).as("a service exited; %s:%n%s", log.getFileName(), Files.readString(log))
                        .isTrue();
            }
            assertThat(Instant.now()).as("'%s' in %s within %s:%n%s", text, log.getFileName(), START_TIMEOUT,
                    Files.readString(log)).isBefore(deadline);
            Thread.sleep(500);
        }
    }

    private static HttpRequest get(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(5))
                .build();
    }

    private static List<String> setpriv() {
        return List.of("setpriv", "--reuid=" + SERVICE_UID, "--regid=" + SERVICE_UID, "--clear-groups");
    }

    private record Result(int exitCode, String out) {
    }

    private static Result runAsService(Path workingDir, String... command) throws Exception {
        List<String> full = new ArrayList<>(setpriv());
        full.addAll(List.of(command));
        return exec(workingDir, full);
    }

    private static void chown(Path path) throws Exception {
        run("chown", SERVICE_UID + ":" + SERVICE_UID, path.toString());
    }

    private static String run(String... command) throws Exception {
        Result r = exec(null, List.of(command));
        assertThat(r.exitCode).as("%s: %s", String.join(" ", command), r.out).isZero();
        return r.out;
    }

    private static Result exec(Path workingDir, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (workingDir != null) {
            pb.directory(workingDir.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " is missing (package util-linux): run scripts/install-deps.sh", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
