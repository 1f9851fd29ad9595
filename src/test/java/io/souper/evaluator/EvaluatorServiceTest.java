package io.souper.evaluator;

import io.souper.testsupport.EvaluatorReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.Tensor;
import io.souper.data.FashionMnist;
import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.TopicNames;
import io.souper.metrics.MetricNames;
import io.souper.metrics.SouperMetrics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The evaluator on a real broker, without the souper: failures of every kind are answered with a
 * structured error and dead-lettered while the service keeps going, and candidates and ensembles
 * are scored exactly as PyTorch scores the same weights.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluatorServiceTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    private static final String SOUP = "fmnist";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path tmp;

    private Path store;
    private List<Path> checkpoints;
    private List<String> shas;
    private Path shapeBad;
    private KafkaFixture kafka;
    private SouperMetrics metrics;
    private EvaluatorService service;
    private JsonNode reference;

    @BeforeAll
    void start() throws Exception {
        store = Files.createDirectories(tmp.resolve("store"));
        Path arch = Files.createDirectories(store.resolve("models")).resolve("fmnist_cnn.pt");
        Files.copy(ARCH, arch, StandardCopyOption.REPLACE_EXISTING);
        checkpoints = EvaluatorReference.makeCheckpoints(ARCH, IDX, Files.createDirectories(store.resolve("ckpt")), 2);
        shas = checkpoints.stream().map(Sha256::of).toList();
        shapeBad = rewrite(checkpoints.get(0), store.resolve("ckpt/shape.safetensors"), "fc2.bias", null);

        reference = new EvaluatorReference(ARCH, IDX)
                .split("held-out", "train", 50_000, 50_300, 0.2860, 0.3530)
                .split("test", "t10k", 0, 200, 0.2860, 0.3530)
                .split("contrast", "t10k", 500, 700, 0.5, 0.25)
                .model("c1", "single", List.of(checkpoints.get(1)))
                .model("mean01", "mean", checkpoints)
                .model("ensemble01", "ensemble", checkpoints)
                .run(tmp);

        kafka = new KafkaFixture(tmp.resolve("kafka"), 2);
        metrics = new SouperMetrics("evaluator");
        EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store, IDX), tmp.resolve("work"))
                .withDevice("cpu").withGroupId("evaluator-service-test");
        service = EvaluatorService.start(kafka.clients, kafka.topics, settings, metrics);
        kafka.publish(kafka.topics.definitions, SOUP, KafkaFixture.definition(SOUP, arch,
                KafkaFixture.idx("train", 50_000, 50_300), KafkaFixture.idx("t10k", 0, 200),
                Map.of("contrast", KafkaFixture.idx("t10k", 500, 700) + "&mean=0.5&std=0.25")));
    }

    @AfterAll
    void stop() {
        if (service != null) {
            service.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    @Test
    void everyFailureIsAnsweredAndDeadLetteredAndTheNextGoodCheckpointIsStillScored() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside")).resolve("ckpt.safetensors");
        Files.copy(checkpoints.get(0), outside, StandardCopyOption.REPLACE_EXISTING);
        Path garbage = Files.write(Files.createDirectories(store.resolve("bad")).resolve("garbage.safetensors"),
                "not a safetensors file".getBytes(StandardCharsets.UTF_8));
        Path nan = rewrite(checkpoints.get(0), store.resolve("bad/nan.safetensors"), "fc1.weight", Float.NaN);
        Path badData = Files.write(store.resolve("bad/heldout.safetensors"), new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        kafka.publish(kafka.topics.definitions, "bad-data", KafkaFixture.definition("bad-data",
                store.resolve("models/fmnist_cnn.pt"), badData.toUri().toString(), null, Map.of()));

        Map<String, String> expectedCodes = new LinkedHashMap<>();
        Map<String, byte[]> published = new HashMap<>();
        record Case(String id, String soup, String key, Path file, String sha, String code) {
        }
        List<Case> cases = List.of(
                new Case("f-garbage", SOUP, SOUP, garbage, null, "BAD_HEADER"),
                new Case("f-nan", SOUP, SOUP, nan, null, "NON_FINITE_WEIGHTS"),
                new Case("f-hash", SOUP, SOUP, checkpoints.get(1), "0".repeat(64), "HASH_MISMATCH"),
                new Case("f-outside", SOUP, SOUP, outside, null, "URI_OUTSIDE_ROOTS"),
                new Case("f-missing", SOUP, SOUP, store.resolve("ckpt/absent.safetensors"), null, "FILE_NOT_FOUND"),
                new Case("f-shape", SOUP, SOUP, shapeBad, null, "SHAPE_MISMATCH"),
                new Case("f-unknown", "nobody", "nobody", checkpoints.get(0), null, "UNKNOWN_SOUP"),
                new Case("f-data", "bad-data", "bad-data", checkpoints.get(0), null, "BAD_DATASET"),
                new Case("f-key", SOUP, "another-soup", checkpoints.get(0), null, "INVALID_EVENT"));
        for (Case c : cases) {
            CheckpointReady event = KafkaFixture.checkpoint(c.soup(), c.id(), c.file().toUri().toString(), c.sha());
            published.put(c.id(), kafka.publish(kafka.topics.checkpoints, c.key(), event));
            expectedCodes.put(c.id(), c.code());
        }
        byte[] undecodable = "\u0000\u0000\u0000\u0000\u0063garbage".getBytes(StandardCharsets.ISO_8859_1);
        kafka.publishRaw(TopicNames.CHECKPOINTS, SOUP, undecodable);
        kafka.publish(kafka.topics.checkpoints, SOUP,
                KafkaFixture.checkpoint(SOUP, "ok-1", checkpoints.get(1).toUri().toString(), shas.get(1)));

        Set<String> wanted = new java.util.HashSet<>(expectedCodes.keySet());
        wanted.add("ok-1");
        Map<String, EvaluationResult> results = bySubject(kafka.readUntil(kafka.topics.evaluations,
                rs -> bySubject(rs).keySet().containsAll(wanted), WAIT));

        for (Map.Entry<String, String> e : expectedCodes.entrySet()) {
            EvaluationResult r = results.get(e.getKey());
            assertThat(r.getSubjectKind()).isEqualTo(SubjectKind.CHECKPOINT);
            assertThat(r.getError()).as(e.getKey()).isNotNull();
            assertThat(r.getError().getCode()).as(e.getKey() + ": " + r.getError().getMessage()).isEqualTo(e.getValue());
            assertThat(r.getError().getRetriable()).isFalse();
            assertThat(r.getError().getMessage()).isNotBlank().doesNotStartWith(e.getValue() + ":");
            assertThat(r.getHeldOut()).isNull();
        }
        assertThat(results.get("f-nan").getError().getMessage()).contains("fc1.weight");
        assertThat(results.get("f-hash").getError().getMessage()).contains("0".repeat(64), shas.get(1));
        assertThat(results.get("f-unknown").getSoupId()).isEqualTo("nobody");

        EvaluationResult ok = results.get("ok-1");
        assertThat(ok.getError()).isNull();
        assertScores(ok, "c1");
        assertThat(ok.getIngredients()).singleElement().satisfies(i -> assertThat(i.getSha256()).isEqualTo(shas.get(1)));
        assertThat(ok.getRunId()).isEqualTo("run-ok-1");
        assertThat(ok.getDevice()).isEqualTo("cpu");
        assertThat(ok.getDurationMs()).isPositive();

        List<ConsumerRecord<String, DeadLetter>> letters = kafka.readUntil(kafka.topics.deadLetters,
                ls -> ls.stream().filter(l -> l.value().getOriginalTopic().equals(TopicNames.CHECKPOINTS)).count()
                        >= expectedCodes.size() + 1, WAIT);
        Map<String, DeadLetter> bySubject = new HashMap<>();
        List<DeadLetter> undecoded = new ArrayList<>();
        for (ConsumerRecord<String, DeadLetter> l : letters) {
            DeadLetter letter = l.value();
            if (letter.getReasonCode().equals(DeadLetters.DESERIALIZATION_FAILED)) {
                undecoded.add(letter);
            } else if (letter.getOriginalTopic().equals(TopicNames.CHECKPOINTS)) {
                bySubject.put(letter.getHeaders().get("subjectId"), letter);
            }
        }
        assertThat(bySubject.keySet()).containsExactlyInAnyOrderElementsOf(expectedCodes.keySet());
        for (Map.Entry<String, DeadLetter> e : bySubject.entrySet()) {
            DeadLetter letter = e.getValue();
            assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.EVALUATION_FAILED);
            assertThat(letter.getComponent()).isEqualTo("evaluator");
            assertThat(letter.getHeaders()).containsEntry("errorCode", expectedCodes.get(e.getKey()));
            assertThat(bytes(letter.getValue())).as("original bytes").isEqualTo(published.get(e.getKey()));
            assertThat(letter.getOffset()).isNotNegative();
        }
        assertThat(undecoded).singleElement().satisfies(letter -> {
            assertThat(bytes(letter.getValue())).isEqualTo(undecodable);
            assertThat(new String(bytes(letter.getKey()), StandardCharsets.UTF_8)).isEqualTo(SOUP);
            assertThat(letter.getMessage()).isNotBlank();
        });

        MeterRegistry registry = metrics.registry();
        assertThat(registry.get(MetricNames.EVALUATIONS).tags("kind", "checkpoint", "outcome", "failed").counter()
                .count()).isEqualTo(expectedCodes.size());
        assertThat(registry.get(MetricNames.EVALUATIONS).tags("kind", "checkpoint", "outcome", "ok").counter()
                .count()).isGreaterThanOrEqualTo(1);
        assertThat(registry.get(MetricNames.DEAD_LETTERS).tags("reason", DeadLetters.DESERIALIZATION_FAILED).counter()
                .count()).isEqualTo(1);
        assertThat(registry.get(MetricNames.DEAD_LETTERS).tags("reason", DeadLetters.EVALUATION_FAILED).counter()
                .count()).isGreaterThanOrEqualTo(expectedCodes.size());
        assertThat(registry.get(MetricNames.EVALUATOR_IMAGES).counter().count()).isGreaterThanOrEqualTo(700);
        assertThat(metrics.scrape()).contains("souper_evaluation_duration_seconds_bucket");
    }

    @Test
    void candidatesAreStoredContentAddressedAndScoredLikePyTorchsMeanOfWeights() throws Exception {
        List<io.souper.events.IngredientRef> both = List.of(KafkaFixture.ref("c0", checkpoints.get(0), shas.get(0)),
                KafkaFixture.ref("c1", checkpoints.get(1), shas.get(1)));
        // a report's request scores every split; the souper's (reportSplits off) only held-out
        kafka.publish(kafka.topics.candidates, SOUP, reported(KafkaFixture.request(SOUP, "fmnist#1", SubjectKind.CANDIDATE, both)));
        kafka.publish(kafka.topics.candidates, SOUP, KafkaFixture.request(SOUP, "fmnist#2", SubjectKind.CANDIDATE, both));
        kafka.publish(kafka.topics.candidates, SOUP, reported(KafkaFixture.request(SOUP, "ensemble#1", SubjectKind.ENSEMBLE, both)));
        EvaluationRequest mismatched = KafkaFixture.request(SOUP, "fmnist#3", SubjectKind.CANDIDATE,
                List.of(both.get(0), KafkaFixture.ref("shape", shapeBad, null)));
        byte[] mismatchedBytes = kafka.publish(kafka.topics.candidates, SOUP, mismatched);

        Set<String> wanted = Set.of("fmnist#1", "fmnist#2", "ensemble#1", "fmnist#3");
        Map<String, EvaluationResult> results = bySubject(kafka.readUntil(kafka.topics.evaluations,
                rs -> bySubject(rs).keySet().containsAll(wanted), WAIT));

        EvaluationResult first = results.get("fmnist#1");
        assertThat(first.getError()).isNull();
        assertThat(first.getSubjectKind()).isEqualTo(SubjectKind.CANDIDATE);
        assertThat(first.getBaseVersion()).isEqualTo(1L);
        assertScores(first, "mean01");
        Path artifact = store.resolve("artifacts").resolve(first.getArtifactSha256() + ".safetensors");
        assertThat(first.getArtifactUri()).isEqualTo(artifact.toUri().toString());
        assertThat(Sha256.of(artifact)).isEqualTo(first.getArtifactSha256());
        assertThat(EvaluatorReference.tensorsSha256(artifact)).as("the weights are torch's mean, bit for bit")
                .isEqualTo(reference.get("meanTensorsSha256").get("mean01").asText());

        JsonNode manifest = new ObjectMapper().readTree(store.resolve("artifacts")
                .resolve(first.getArtifactSha256() + ".json").toFile());
        assertThat(manifest.get("method").asText()).isEqualTo("uniform_average");
        assertThat(manifest.get("ingredients").findValuesAsText("checkpointId")).containsExactly("c0", "c1");
        assertThat(manifest.get("ingredients").findValuesAsText("sha256")).containsExactlyElementsOf(shas);
        assertThat(manifest.get("scores").get("held-out").asDouble()).isEqualTo(first.getHeldOut().getAccuracy());
        assertThat(manifest.get("scores").has("shift:contrast")).isTrue();

        EvaluationResult repeated = results.get("fmnist#2");
        assertThat(repeated.getArtifactSha256()).as("the same set is the same artifact").isEqualTo(first.getArtifactSha256());
        assertThat(repeated.getHeldOut()).isEqualTo(first.getHeldOut());
        assertThat(repeated.getTest()).as("decisions need held-out only").isNull();
        assertThat(repeated.getShifts()).isEmpty();

        EvaluationResult ensemble = results.get("ensemble#1");
        assertThat(ensemble.getSubjectKind()).isEqualTo(SubjectKind.ENSEMBLE);
        assertThat(ensemble.getArtifactUri()).isNull();
        assertScores(ensemble, "ensemble01");

        EvaluationResult failed = results.get("fmnist#3");
        assertThat(failed.getError().getCode()).isEqualTo("SHAPE_MISMATCH");
        assertThat(failed.getError().getMessage()).contains("fc2.bias");
        assertThat(failed.getArtifactUri()).isNull();
        DeadLetter letter = kafka.readUntil(kafka.topics.deadLetters, ls -> ls.stream()
                        .anyMatch(l -> "fmnist#3".equals(l.value().getHeaders().get("subjectId"))), WAIT)
                .stream().map(ConsumerRecord::value).filter(l -> "fmnist#3".equals(l.getHeaders().get("subjectId")))
                .findFirst().orElseThrow();
        assertThat(letter.getOriginalTopic()).isEqualTo(TopicNames.CANDIDATES);
        assertThat(bytes(letter.getValue())).isEqualTo(mismatchedBytes);
    }

    /**
     * A redefinition with another held-out set is refused as the souper refuses it (the same
     * SoupTerms rule): checkpoints go on being scored on the first held-out split, so no score taken
     * on other data is compared. A redefinition that changes only reported splits is taken.
     */
    @Test
    void aRedefinitionWithOtherHeldOutDataIsRefusedAndScoringGoesOnWithTheFirst() throws Exception {
        Path arch = store.resolve("models/fmnist_cnn.pt");
        String soup = "redefined";
        kafka.publish(kafka.topics.definitions, soup, KafkaFixture.definition(soup, arch,
                KafkaFixture.idx("t10k", 0, 200), null, Map.of()));
        kafka.publish(kafka.topics.checkpoints, soup, KafkaFixture.checkpoint(soup, "r-1",
                checkpoints.get(0).toUri().toString(), null));
        kafka.readUntil(kafka.topics.evaluations, rs -> bySubject(rs).containsKey("r-1"), WAIT);
        kafka.publish(kafka.topics.definitions, soup, KafkaFixture.definition(soup, arch,
                KafkaFixture.idx("t10k", 0, 100), null, Map.of()));
        kafka.publish(kafka.topics.definitions, soup, KafkaFixture.definition(soup, arch,
                KafkaFixture.idx("t10k", 0, 200), KafkaFixture.idx("t10k", 300, 350), Map.of()));
        // A soup the evaluator has never seen makes it read souper.definitions to its end, redefinitions included.
        kafka.publish(kafka.topics.definitions, "redefined-sync", KafkaFixture.definition("redefined-sync", arch,
                KafkaFixture.idx("t10k", 0, 20), null, Map.of()));
        kafka.publish(kafka.topics.checkpoints, "redefined-sync", KafkaFixture.checkpoint("redefined-sync", "r-sync",
                checkpoints.get(0).toUri().toString(), null));
        kafka.readUntil(kafka.topics.evaluations, rs -> bySubject(rs).containsKey("r-sync"), WAIT);
        kafka.publish(kafka.topics.checkpoints, soup, KafkaFixture.checkpoint(soup, "r-2",
                checkpoints.get(1).toUri().toString(), null));

        Map<String, EvaluationResult> results = bySubject(kafka.readUntil(kafka.topics.evaluations,
                rs -> bySubject(rs).containsKey("r-2"), WAIT));
        assertThat(results.get("r-1").getHeldOut().getTotal()).isEqualTo(200);
        assertThat(results.get("r-2").getError()).isNull();
        assertThat(results.get("r-2").getHeldOut().getTotal()).as("still the first held-out split").isEqualTo(200);
        assertThat(results.get("r-2").getTest().getTotal()).as("the test split may change").isEqualTo(50);
    }

    // ---- helpers ----

    private static EvaluationRequest reported(EvaluationRequest request) {
        return EvaluationRequest.newBuilder(request).setReportSplits(true).build();
    }

    private void assertScores(EvaluationResult result, String model) {
        JsonNode expected = reference.get("correct").get(model);
        assertSplit(result.getHeldOut(), "held-out", 300, expected.get("held-out").asLong());
        assertSplit(result.getTest(), "test", 200, expected.get("test").asLong());
        assertThat(result.getShifts()).hasSize(1);
        assertSplit(result.getShifts().get(0), "contrast", 200, expected.get("contrast").asLong());
    }

    private static void assertSplit(SplitMetrics metrics, String split, long total, long correct) {
        assertThat(metrics.getSplit()).isEqualTo(split);
        assertThat(metrics.getTotal()).isEqualTo(total);
        assertThat(metrics.getCorrect()).as("%s correct (PyTorch: %d)", split, correct).isEqualTo(correct);
        assertThat(metrics.getAccuracy()).isEqualTo((double) correct / total);
    }

    private static Map<String, EvaluationResult> bySubject(List<ConsumerRecord<String, EvaluationResult>> records) {
        return records.stream().collect(Collectors.toMap(r -> r.value().getSubjectId(), ConsumerRecord::value,
                (a, b) -> a, LinkedHashMap::new));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /**
     * A copy of {@code source} with tensor {@code name} changed: one NaN at index 3 if {@code poison}
     * is given, else one element longer (a shape the architecture does not have).
     */
    private static Path rewrite(Path source, Path target, String name, Float poison) {
        List<Tensor> tensors = new ArrayList<>();
        try (SafetensorsReader reader = SafetensorsReader.open(source)) {
            for (String n : reader.names()) {
                Tensor t = reader.load(n);
                if (n.equals(name)) {
                    long count = t.elementCount();
                    ByteBuffer data = ByteBuffer.allocate((int) (poison != null ? count : count + 1) * 4)
                            .order(ByteOrder.LITTLE_ENDIAN);
                    data.put(t.data());
                    if (poison != null) {
                        data.putFloat(3 * 4, poison);
                        t = new Tensor(n, DType.F32, t.shape(), data.rewind());
                    } else {
                        data.putFloat(0f);
                        t = new Tensor(n, DType.F32, new long[] {count + 1}, data.flip());
                    }
                }
                tensors.add(t);
            }
        }
        SafetensorsWriter.write(target, tensors, Map.of());
        return target;
    }
}
