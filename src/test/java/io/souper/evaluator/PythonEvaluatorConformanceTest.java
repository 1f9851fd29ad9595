package io.souper.evaluator;

import io.souper.data.FashionMnist;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.testsupport.EvaluatorReference;
import io.souper.testsupport.TorchReference;
import io.souper.web.HttpEndpoint;
import io.souper.web.SoupApi;
import io.souper.web.SoupApiClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The evaluation protocol (docs/protocol.md) as a contract: the souper runs with two evaluators
 * at once, Souper's Java one and examples/python_evaluator.py (plain PyTorch, Confluent's Python
 * client with librdkafka's default partitioner). Two soups with the same data and the same four
 * checkpoints differ only in which evaluator their definition names; each evaluator answers only
 * its own soup, and the two soups must come out the same: the same decisions in the same order,
 * the same scores on every split, the same ingredients, and candidate soups with the same weights.
 */
class PythonEvaluatorConformanceTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    private static final Path PYTHON_EVALUATOR = Path.of("examples/python_evaluator.py").toAbsolutePath();
    private static final String JAVA_SOUP = "conformance-java";
    private static final String PYTHON_SOUP = "conformance-python";
    private static final int CHECKPOINTS = 4;

    @TempDir
    Path tmp;

    @Test
    void aSoupAnsweredByThePythonEvaluatorComesOutLikeTheSameSoupAnsweredByTheJavaOne() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path arch = Files.createDirectories(store.resolve("models")).resolve("cnn.pt");
        Files.copy(ARCH, arch, StandardCopyOption.REPLACE_EXISTING);
        List<Path> checkpoints = EvaluatorReference.makeCheckpoints(ARCH, IDX,
                Files.createDirectories(store.resolve("runs")), CHECKPOINTS);
        Path pythonArtifacts = store.resolve("artifacts-python");

        try (EmbeddedStack stack = EmbeddedStack.start(tmp.resolve("stack"), 0, 0, 3);
             SouperMetrics streamsMetrics = new SouperMetrics("streams");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, streamsMetrics).start();
             SouperMetrics evaluatorMetrics = new SouperMetrics("evaluator")) {
            KafkaClientConfigs clients = stack.clientConfigs();
            SouperTopics topics = clients.topics();
            SouperStreamsApp souper = SouperStreamsApp.start(clients, topics, "souper-conformance",
                    tmp.resolve("streams"), 1, SouperStreamsSettings.defaults(), streamsMetrics,
                    new HostInfo("localhost", endpoint.port()));
            new SoupApi(souper.queries()).register(endpoint);
            EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store, IDX), tmp.resolve("work"))
                    .withDevice("cpu").withGroupId("java-evaluator-conformance");
            Process python = startPythonEvaluator(stack, store, pythonArtifacts);
            try (souper; EvaluatorService java = EvaluatorService.start(clients, topics, settings, evaluatorMetrics);
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("conformance-driver"),
                         new StringSerializer(), new ByteArraySerializer())) {
                souper.awaitRunning(Duration.ofSeconds(60));
                publish(producer, topics.definitions, JAVA_SOUP, definition(JAVA_SOUP, arch, null));
                publish(producer, topics.definitions, PYTHON_SOUP, definition(PYTHON_SOUP, arch, "python"));
                for (int k = 0; k < CHECKPOINTS; k++) {
                    String uri = checkpoints.get(k).toUri().toString();
                    for (String soup : List.of(JAVA_SOUP, PYTHON_SOUP)) {
                        publish(producer, topics.checkpoints, soup,
                                KafkaFixture.checkpoint(soup, "ckpt-" + k, uri, null));
                    }
                }
                SoupApiClient api = new SoupApiClient(endpoint.url());
                api.awaitSettled(JAVA_SOUP, CHECKPOINTS, Duration.ofSeconds(300));
                assertThat(python.isAlive()).as("python evaluator alive; its log: %s", log(python)).isTrue();
                api.awaitSettled(PYTHON_SOUP, CHECKPOINTS, Duration.ofSeconds(300));

                Map<String, List<SoupDecision>> decisions = bySoup(readAll(clients, topics.decisions), SoupDecision::getSoupId);
                assertThat(comparable(decisions.get(PYTHON_SOUP))).as("decisions")
                        .isNotEmpty().isEqualTo(comparable(decisions.get(JAVA_SOUP)));

                Map<String, List<EvaluationResult>> results = bySoup(readAll(clients, topics.evaluations), EvaluationResult::getSoupId);
                Map<String, EvaluationResult> javaResults = bySubject(results.get(JAVA_SOUP));
                Map<String, EvaluationResult> pythonResults = bySubject(results.get(PYTHON_SOUP));
                assertThat(results.get(PYTHON_SOUP)).as("each subject answered once, by its soup's evaluator alone")
                        .hasSameSizeAs(pythonResults.keySet());
                assertThat(results.get(JAVA_SOUP)).hasSameSizeAs(javaResults.keySet());
                for (int k = 0; k < CHECKPOINTS; k++) {
                    EvaluationResult j = javaResults.get("ckpt-" + k);
                    EvaluationResult p = pythonResults.get("ckpt-" + k);
                    assertThat(p.getError()).as("python error on ckpt-%d", k).isNull();
                    assertThat(p.getIngredients().get(0).getSha256()).isEqualTo(j.getIngredients().get(0).getSha256());
                    assertSameScores(p.getHeldOut(), j.getHeldOut());
                    assertSameScores(p.getTest(), j.getTest());
                    assertThat(p.getShifts()).hasSameSizeAs(j.getShifts());
                    for (int s = 0; s < j.getShifts().size(); s++) {
                        assertSameScores(p.getShifts().get(s), j.getShifts().get(s));
                    }
                }

                SoupUpdated javaSoup = latest(readAll(clients, topics.updates), JAVA_SOUP);
                SoupUpdated pythonSoup = latest(readAll(clients, topics.updates), PYTHON_SOUP);
                assertThat(ids(pythonSoup)).isEqualTo(ids(javaSoup));
                assertSameScores(pythonSoup.getHeldOut(), javaSoup.getHeldOut());
                // every candidate soup (same request number in both soups): the same scores, image by image;
                // the weights the Python evaluator wrote equal PyTorch's mean of the ingredients, and the
                // Java evaluator's where it stored them too (it stores only candidates that may become the soup)
                int candidates = 0;
                EvaluatorReference reference = new EvaluatorReference(ARCH, IDX);
                Map<String, Path> pythonArtifactsById = new java.util.HashMap<>();
                for (EvaluationResult p : pythonResults.values()) {
                    if (p.getSubjectKind() != SubjectKind.CANDIDATE) {
                        continue;
                    }
                    EvaluationResult j = javaResults.get(p.getSubjectId().replace(PYTHON_SOUP, JAVA_SOUP));
                    assertThat(j).as("the Java soup's twin of %s", p.getSubjectId()).isNotNull();
                    assertSameScores(p.getHeldOut(), j.getHeldOut());
                    Path pythonArtifact = Path.of(URI.create(p.getArtifactUri()));
                    assertThat(pythonArtifact).startsWith(pythonArtifacts.toRealPath());
                    pythonArtifactsById.put(p.getSubjectId(), pythonArtifact);
                    reference.model(p.getSubjectId(), "mean", p.getIngredients().stream()
                            .map(i -> checkpoints.get(Integer.parseInt(i.getCheckpointId().substring("ckpt-".length()))))
                            .toList());
                    if (j.getArtifactUri() != null) {
                        assertThat(EvaluatorReference.tensorsSha256(pythonArtifact)).as("weights of %s", p.getSubjectId())
                                .isEqualTo(EvaluatorReference.tensorsSha256(Path.of(URI.create(j.getArtifactUri()))));
                    }
                    candidates++;
                }
                assertThat(candidates).as("candidate soups compared").isPositive();
                com.fasterxml.jackson.databind.JsonNode torch = reference.split("held-out", "train", 55_000, 55_500,
                        0.2860, 0.3530).run(tmp);
                pythonArtifactsById.forEach((id, artifact) -> assertThat(EvaluatorReference.tensorsSha256(artifact))
                        .as("weights of %s against PyTorch's mean", id)
                        .isEqualTo(torch.get("meanTensorsSha256").get(id).asText()));
                System.out.printf("conformance: %d decisions and %d candidates each, soup of %d, held-out %d/%d%n",
                        decisions.get(JAVA_SOUP).size(), candidates, javaSoup.getIngredients().size(),
                        javaSoup.getHeldOut().getCorrect(), javaSoup.getHeldOut().getTotal());
            } finally {
                python.destroy();
                if (!python.waitFor(20, TimeUnit.SECONDS)) {
                    python.destroyForcibly();
                }
            }
        }
    }

    private Process startPythonEvaluator(EmbeddedStack stack, Path store, Path artifacts) throws Exception {
        Path logFile = Path.of("target", "python-evaluator-conformance.log");
        return new ProcessBuilder(TorchReference.PYTHON.toString(), PYTHON_EVALUATOR.toString(),
                "--bootstrap", stack.bootstrapServers(), "--registry", stack.schemaRegistryUrl(),
                "--name", "python", "--store-root", store.toString(), "--store-root", IDX.toString(),
                "--artifacts", artifacts.toString(), "--device", "cpu", "--threads", "1")
                .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    }

    private String log(Process python) {
        try {
            return Files.readString(Path.of("target", "python-evaluator-conformance.log"));
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }

    private static SoupDefinition definition(String soup, Path arch, String evaluator) {
        SoupDefinition d = KafkaFixture.definition(soup, arch, KafkaFixture.idx("train", 55_000, 55_500),
                KafkaFixture.idx("t10k", 0, 300), Map.of("contrast", KafkaFixture.idx("t10k", 5_000, 5_200)
                        + "&mean=0.5&std=0.25"));
        d.setEvaluator(evaluator);
        return d;
    }

    private static <V> void publish(KafkaProducer<String, byte[]> producer, Topic<String, V> topic, String key, V value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value)))
                .get(30, TimeUnit.SECONDS);
    }

    /** What must agree between the two soups: everything but ids, times and the soup's name. */
    private static List<String> comparable(List<SoupDecision> decisions) {
        return decisions.stream().map(d -> String.join("|", String.valueOf(d.getSequence()),
                String.valueOf(d.getSoupVersion()), d.getKind().name(), String.valueOf(d.getCheckpointId()),
                String.valueOf(d.getCandidateIngredients()), String.valueOf(d.getCandidateAccuracy()),
                String.valueOf(d.getSoupAccuracy()))).toList();
    }

    private static void assertSameScores(SplitMetrics python, SplitMetrics java) {
        assertThat(python).as("split present").isNotNull();
        assertThat(python.getSplit()).isEqualTo(java.getSplit());
        assertThat(python.getTotal()).isEqualTo(java.getTotal());
        assertThat(python.getCorrect()).as("%s correct", java.getSplit()).isEqualTo(java.getCorrect());
        if (java.getCorrectMask() != null) {
            assertThat(python.getCorrectMask()).as("%s per-image correctness", java.getSplit())
                    .isEqualTo(java.getCorrectMask());
        }
    }

    private static <V> List<V> readAll(KafkaClientConfigs clients, Topic<String, V> topic) {
        Map<String, Object> config = clients.consumer("conformance-reader-" + UUID.randomUUID(), "reader");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(config, topic.keySerde().deserializer(),
                topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos()) {
                var records = consumer.poll(Duration.ofMillis(300));
                if (!records.isEmpty()) {
                    quietSince = System.nanoTime();
                }
                for (ConsumerRecord<String, V> r : records) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }

    private static <V> Map<String, List<V>> bySoup(List<V> values, Function<V, String> soupId) {
        return values.stream().collect(Collectors.groupingBy(soupId));
    }

    private static Map<String, EvaluationResult> bySubject(List<EvaluationResult> results) {
        return results.stream().filter(r -> r.getSubjectKind() != SubjectKind.UNKNOWN)
                .collect(Collectors.toMap(EvaluationResult::getSubjectId, Function.identity(), (a, b) -> a));
    }

    private static SoupUpdated latest(List<SoupUpdated> updates, String soup) {
        return updates.stream().filter(u -> u.getSoupId().equals(soup)).reduce((a, b) -> b).orElseThrow();
    }

    private static List<String> ids(SoupUpdated soup) {
        return soup.getIngredients().stream().map(i -> i.getCheckpointId()).toList();
    }
}
