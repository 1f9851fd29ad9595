package io.souper.corpus;

import static io.souper.corpus.CorpusStack.byOffset;
import static io.souper.corpus.CorpusStack.checkpoint;
import static io.souper.corpus.CorpusStack.deadLetters;
import static io.souper.corpus.CorpusStack.definition;
import static io.souper.corpus.CorpusStack.idx;
import static org.assertj.core.api.Assertions.assertThat;

import io.souper.checkpoint.DType;
import io.souper.checkpoint.TensorConversions;
import io.souper.checkpoint.Tensor;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.Sha256;
import io.souper.events.AcceptRule;
import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.DecisionKind;
import io.souper.events.EvaluationError;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.events.SoupDecision;
import io.souper.events.SoupIngredient;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.TopicNames;
import io.souper.metrics.MetricNames;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.HttpEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's bad checkpoints, announced through Kafka to the real evaluator with the real souper
 * behind it, table-driven: each row is one kind of bad file or URI. For every row: the evaluator's
 * answer carries the row's error code, its dead letter (found by the original offset) has the
 * reason EVALUATION_FAILED and the code, the souper decides the checkpoint FAILED (nothing waits),
 * the dead-letter count per reason matches, and the good checkpoint published after them all is
 * scored and seeds its soup. Half-precision checkpoints are scored, not refused and not a crash.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluatorAndSouperCorpusTest {

    private static final Path IDX = CorpusStack.IDX;
    private static final int HELD_OUT = 200;
    /** More than one, so that a producer hashing keys otherwise than Java's puts soups elsewhere. */
    private static final int PARTITIONS = 3;

    @TempDir
    static Path tmp;

    private CorpusStack stack;
    private SouperMetrics evaluatorMetrics;
    private SouperMetrics souperMetrics;
    private EvaluatorService evaluator;
    private HttpEndpoint endpoint;
    private SouperStreamsApp souper;
    private Path store;
    private Path architecture;
    private Path good;
    private BadCheckpointFiles files;
    private CorpusStack.Log<EvaluationResult> results;
    private CorpusStack.Log<SoupDecision> decisions;
    private CorpusStack.Log<DeadLetter> letters;

    @BeforeAll
    void start() throws Exception {
        stack = new CorpusStack(tmp.resolve("kafka"), PARTITIONS);
        store = Files.createDirectories(tmp.resolve("store"));
        architecture = store.resolve("fmnist_cnn.pt");
        Files.copy(CorpusStack.ARCHITECTURE, architecture, StandardCopyOption.REPLACE_EXISTING);
        good = Files.copy(CorpusStack.goodCheckpoint(), Files.createDirectories(store.resolve("ckpt"))
                .resolve("ckpt-0.safetensors"), StandardCopyOption.REPLACE_EXISTING);
        files = new BadCheckpointFiles(good);

        evaluatorMetrics = new SouperMetrics("evaluator");
        evaluator = EvaluatorService.start(stack.clients, stack.topics,
                EvaluatorSettings.defaults(List.of(store, IDX), tmp.resolve("work")).withDevice("cpu")
                        .withGroupId("corpus-evaluator"), evaluatorMetrics);
        souperMetrics = new SouperMetrics("streams");
        endpoint = new HttpEndpoint("localhost", 0, souperMetrics).start();
        souper = SouperStreamsApp.start(stack.clients, stack.topics, "corpus-souper", tmp.resolve("souper-state"), 1,
                SouperStreamsSettings.defaults(), souperMetrics, new HostInfo("localhost", endpoint.port()));
        souper.awaitRunning(Duration.ofSeconds(90));
        results = stack.log(stack.topics.evaluations);
        decisions = stack.log(stack.topics.decisions);
        letters = stack.log(stack.topics.deadLetters);
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {souper == null ? null : souper::close, endpoint, evaluator,
                stack, souperMetrics, evaluatorMetrics}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // closing the rest matters more than this one's failure
            }
        }
    }

    /** One bad checkpoint: what is announced, and the error code it must be answered with. */
    private record Row(String kind, String uri, String sha256, String code) {
        static Row file(String kind, Path file, String code) {
            return new Row(kind, file.toUri().toString(), null, code);
        }
    }

    @Test
    void everyBadCheckpointIsAnsweredDeadLetteredAndDecidedAndTheNextGoodOneIsScored() throws Exception {
        Path bad = Files.createDirectories(store.resolve("bad"));
        Path outside = Files.copy(good, Files.createDirectories(tmp.resolve("outside")).resolve("ckpt.safetensors"),
                StandardCopyOption.REPLACE_EXISTING);
        Path unpickled = tmp.resolve("outside/unpickled-marker");
        List<String> names = files.names();
        String first = names.get(0);
        String last = names.get(names.size() - 1);
        String storeUri = "file://" + store.toAbsolutePath();
        List<Row> rows = List.of(
                Row.file("garbage bytes", BadCheckpointFiles.garbage(bad.resolve("garbage.safetensors")), "BAD_HEADER"),
                Row.file("truncated safetensors", files.truncated(bad.resolve("truncated.safetensors")), "BAD_HEADER"),
                Row.file("header length 2^62", BadCheckpointFiles.absurdHeaderLength(bad.resolve("hlen.safetensors")),
                        "BAD_HEADER"),
                Row.file("offsets a terabyte out", BadCheckpointFiles.absurdOffsets(bad.resolve("offsets.safetensors")),
                        "BAD_HEADER"),
                Row.file("overlapping offsets", BadCheckpointFiles.overlappingOffsets(bad.resolve("overlap.safetensors")),
                        "BAD_HEADER"),
                Row.file("100,000-deep JSON header", BadCheckpointFiles.deepHeader(bad.resolve("deep.safetensors")),
                        "BAD_HEADER"),
                Row.file("duplicate JSON keys", BadCheckpointFiles.duplicateKeys(bad.resolve("dup.safetensors")),
                        "BAD_HEADER"),
                Row.file("torch.save pickle renamed .safetensors",
                        BadCheckpointFiles.pickle(bad.resolve("pickle.safetensors"), unpickled), "BAD_HEADER"),
                Row.file("shape mismatch", files.with(bad.resolve("shape.safetensors"), last, BadCheckpointFiles::longer),
                        "SHAPE_MISMATCH"),
                Row.file("key mismatch", files.with(bad.resolve("key.safetensors"), first, BadCheckpointFiles::renamed),
                        "KEY_MISMATCH"),
                Row.file("dtype mismatch (I64 weights)",
                        files.with(bad.resolve("dtype.safetensors"), first, BadCheckpointFiles::integers), "DTYPE_MISMATCH"),
                Row.file("NaN weight", files.with(bad.resolve("nan.safetensors"), first,
                        t -> BadCheckpointFiles.poisoned(t, 3, Float.NaN)), "NON_FINITE_WEIGHTS"),
                Row.file("infinite weight", files.with(bad.resolve("inf.safetensors"), last,
                        t -> BadCheckpointFiles.poisoned(t, 0, Float.POSITIVE_INFINITY)), "NON_FINITE_WEIGHTS"),
                new Row("wrong sha256", good.toUri().toString(), "0".repeat(64), "HASH_MISMATCH"),
                Row.file("missing file", bad.resolve("absent.safetensors"), "FILE_NOT_FOUND"),
                Row.file("outside the store roots", outside, "URI_OUTSIDE_ROOTS"),
                Row.file("symlink out of the roots", Files.createSymbolicLink(bad.resolve("link.safetensors"), outside),
                        "URI_OUTSIDE_ROOTS"),
                new Row("'..' traversal", storeUri + "/ckpt/../../outside/ckpt.safetensors", null, "BAD_URI"),
                new Row("'%2e%2e' traversal", storeUri + "/ckpt/%2e%2e/%2e%2e/outside/ckpt.safetensors", null, "BAD_URI"),
                new Row("http: scheme", "http://127.0.0.1:9/ckpt.safetensors", null, "BAD_URI"),
                new Row("s3: scheme, no object store configured", "s3://models/ckpt.safetensors", null, "BAD_URI"));

        String heldOut = idx(IDX, "train", 50_000, 50_000 + HELD_OUT);
        for (String soup : List.of("bad", "half-bf16", "half-f16")) {
            stack.publish(stack.topics.definitions, soup, definition(soup, architecture, heldOut, SoupPolicy.SORTED,
                    AcceptRule.GREATER, null));
        }
        stack.publish(stack.topics.definitions, "empty", definition("empty", architecture,
                idx(IDX, "train", 50_000, 50_000), SoupPolicy.SORTED, AcceptRule.GREATER, null));
        double failedBefore = deadLetters(evaluatorMetrics, DeadLetters.EVALUATION_FAILED);
        double undecodableBefore = deadLetters(evaluatorMetrics, DeadLetters.DESERIALIZATION_FAILED);
        double decidedFailedBefore = CorpusStack.count(souperMetrics, MetricNames.DECISIONS, "kind", "failed");

        Map<String, Long> offsets = new LinkedHashMap<>();
        Map<String, Row> byId = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            String id = "bad-" + i;
            byId.put(id, row);
            offsets.put(id, stack.publish(stack.topics.checkpoints, "bad", checkpoint("bad", id, row.uri(), row.sha256())));
        }
        byte[] framed = stack.encode(stack.topics.checkpoints, checkpoint("bad", "truncated-avro", good.toUri().toString(),
                null));
        long truncatedAvro = stack.publishRaw(TopicNames.CHECKPOINTS, "bad", Arrays.copyOf(framed, framed.length * 2 / 3));
        long wrongType = stack.publishRaw(TopicNames.CHECKPOINTS, "bad", stack.encode(stack.topics.definitions,
                definition("bad", architecture, heldOut, SoupPolicy.SORTED, AcceptRule.GREATER, null)));
        stack.publish(stack.topics.checkpoints, "half-bf16", checkpoint("half-bf16", "bf16",
                files.halfPrecision(bad.resolve("bf16.safetensors"), DType.BF16, t -> t).toUri().toString(), null));
        stack.publish(stack.topics.checkpoints, "half-f16", checkpoint("half-f16", "f16",
                files.halfPrecision(bad.resolve("f16.safetensors"), DType.F16, t -> t).toUri().toString(), null));
        stack.publish(stack.topics.checkpoints, "empty", checkpoint("empty", "on-empty", good.toUri().toString(), null));
        stack.publish(stack.topics.checkpoints, "bad", checkpoint("bad", "good", good.toUri().toString(), null));

        // the evaluator's answers: each row's code; half precision and the good one scored
        Map<String, EvaluationResult> answers = firstBySubject(results.awaitUntil("every answer",
                rs -> firstBySubject(rs).keySet().containsAll(byId.keySet())
                        && firstBySubject(rs).keySet().containsAll(List.of("bf16", "f16", "on-empty", "good"))));
        for (Map.Entry<String, Row> e : byId.entrySet()) {
            EvaluationResult answer = answers.get(e.getKey());
            assertThat(answer.getError()).as(e.getValue().kind()).isNotNull();
            assertThat(answer.getError().getCode()).as(e.getValue().kind() + ": " + answer.getError().getMessage())
                    .isEqualTo(e.getValue().code());
            assertThat(answer.getError().getRetriable()).as(e.getValue().kind()).isFalse();
        }
        for (String scored : List.of("bf16", "f16", "good")) {
            EvaluationResult answer = answers.get(scored);
            assertThat(answer.getError()).as(scored).isNull();
            assertThat(answer.getHeldOut().getTotal()).as(scored).isEqualTo(HELD_OUT);
        }
        assertThat(answers.get("bf16").getHeldOut().getCorrect()).as("bf16 scores like its f32 original")
                .isCloseTo(answers.get("good").getHeldOut().getCorrect(), org.assertj.core.data.Offset.offset(6L));
        assertThat(answers.get("f16").getHeldOut().getCorrect()).as("f16 scores like its f32 original")
                .isCloseTo(answers.get("good").getHeldOut().getCorrect(), org.assertj.core.data.Offset.offset(2L));
        assertThat(unpickled).as("nothing unpickled the renamed pickle").doesNotExist();

        // the dead letters, by original offset
        List<Long> expected = new ArrayList<>(offsets.values());
        expected.addAll(List.of(truncatedAvro, wrongType));
        Map<Long, DeadLetter> dead = byOffset(letters, TopicNames.CHECKPOINTS,
                stack.partitionOf(TopicNames.CHECKPOINTS, "bad"), expected);
        for (Map.Entry<String, Long> e : offsets.entrySet()) {
            Row row = byId.get(e.getKey());
            DeadLetter letter = dead.get(e.getValue());
            assertThat(letter.getReasonCode()).as(row.kind()).isEqualTo(DeadLetters.EVALUATION_FAILED);
            assertThat(letter.getHeaders()).as(row.kind()).containsEntry("errorCode", row.code())
                    .containsEntry("subjectId", e.getKey());
        }
        assertThat(dead.get(truncatedAvro).getReasonCode()).as("truncated Avro").isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
        assertThat(dead.get(wrongType).getReasonCode()).as("a SoupDefinition on souper.checkpoints")
                .isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
        CorpusStack.awaitCount("evaluator dead letters EVALUATION_FAILED",
                () -> deadLetters(evaluatorMetrics, DeadLetters.EVALUATION_FAILED), failedBefore + rows.size());
        CorpusStack.awaitCount("evaluator dead letters DESERIALIZATION_FAILED",
                () -> deadLetters(evaluatorMetrics, DeadLetters.DESERIALIZATION_FAILED), undecodableBefore + 2);

        // the souper: every bad checkpoint decided FAILED, the 0-image split too, the good one seeds
        Map<String, SoupDecision> decided = firstByCheckpoint(decisions.awaitUntil("every decision",
                ds -> firstByCheckpoint(ds).keySet().containsAll(byId.keySet())
                        && firstByCheckpoint(ds).keySet().containsAll(List.of("bf16", "f16", "on-empty", "good"))));
        for (Map.Entry<String, Row> e : byId.entrySet()) {
            assertThat(decided.get(e.getKey()).getKind()).as(e.getValue().kind()).isEqualTo(DecisionKind.FAILED);
            assertThat(decided.get(e.getKey()).getReason()).as(e.getValue().kind()).contains(e.getValue().code());
        }
        assertThat(decided.get("on-empty").getKind()).as("scored on 0 images: decided, not left waiting")
                .isEqualTo(DecisionKind.FAILED);
        assertThat(decided.get("on-empty").getReason()).contains("0 images");
        assertThat(decided.get("good").getKind()).isEqualTo(DecisionKind.SEEDED);
        assertThat(decided.get("bf16").getKind()).isEqualTo(DecisionKind.SEEDED);
        assertThat(decided.get("f16").getKind()).isEqualTo(DecisionKind.SEEDED);
        CorpusStack.awaitCount("souper decisions FAILED",
                () -> CorpusStack.count(souperMetrics, MetricNames.DECISIONS, "kind", "failed"),
                decidedFailedBefore + rows.size() + 1);
        assertThat(evaluator.isRunning()).isTrue();

        // a corrected announcement after a hash mismatch is evaluated again, and decided on its score
        String hashRow = byId.entrySet().stream().filter(e -> e.getValue().code().equals("HASH_MISMATCH"))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        stack.publish(stack.topics.checkpoints, "bad", checkpoint("bad", hashRow, good.toUri().toString(),
                Sha256.of(good)));
        List<EvaluationResult> again = results.awaitUntil("the corrected checkpoint scored", rs -> rs.stream()
                .anyMatch(r -> r.value().getSubjectId().equals(hashRow) && r.value().getError() == null)).stream()
                .map(ConsumerRecord::value).filter(r -> r.getSubjectId().equals(hashRow)).toList();
        assertThat(again.get(again.size() - 1).getHeldOut().getTotal()).isEqualTo(HELD_OUT);
        decisions.awaitUntil("a decision on the corrected checkpoint", ds -> ds.stream().map(ConsumerRecord::value)
                .anyMatch(d -> d.getCheckpointId().equals(hashRow) && d.getKind() != DecisionKind.FAILED));
    }

    /**
     * An fp16 checkpoint as the soup's best, then an f32 one: the candidate mixes them and is
     * averaged in the promoted dtype (F32), scored, and joins, so a half-precision seed never
     * freezes an f32 soup. The f32 checkpoint holds the fp16 values widened, so the average equals
     * them exactly and ties under {@code >=}. Nothing is dead-lettered, and the soup's artifact is F32.
     */
    @Test
    void aHalfPrecisionSeedDoesNotFreezeTheSoupAndTheNextF32CheckpointJoins() throws Exception {
        Path mixed = Files.createDirectories(store.resolve("mixed"));
        Path half = files.halfPrecision(mixed.resolve("f16.safetensors"), DType.F16, t -> t);
        Path widened = mixed.resolve("f32-widened.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(half)) {
            List<Tensor> f32 = new ArrayList<>();
            reader.tensors().forEach(spec -> f32.add(TensorConversions.toFloat32(reader.load(spec.name()))));
            SafetensorsWriter.write(widened, f32, Map.of());
        }
        stack.publish(stack.topics.definitions, "mixed", definition("mixed", architecture,
                idx(IDX, "train", 50_000, 50_000 + HELD_OUT), SoupPolicy.ONLINE, AcceptRule.GREATER_OR_EQUAL, null));
        double failedBefore = deadLetters(evaluatorMetrics, DeadLetters.EVALUATION_FAILED);

        stack.publish(stack.topics.checkpoints, "mixed", checkpoint("mixed", "m-f16", half.toUri().toString(), null));
        decisionOf("m-f16", DecisionKind.SEEDED);
        stack.publish(stack.topics.checkpoints, "mixed", checkpoint("mixed", "m-f32", widened.toUri().toString(), null));
        // online, m-f32 ties the soup alone and replaces it, then m-f16 is tried with it (or the
        // reverse order): either way the candidate that mixes F16 and F32 is scored and accepted
        decisions.awaitUntil("an accepted candidate of m-f16 and m-f32", ds -> ds.stream().map(ConsumerRecord::value)
                .anyMatch(d -> d.getSoupId().equals("mixed") && d.getKind() == DecisionKind.ACCEPTED
                        && d.getCandidateIngredients().containsAll(List.of("m-f16", "m-f32"))));

        SoupUpdated published = stack.log(stack.topics.updates).awaitUntil("the soup of m-f16 and m-f32", us -> us.stream()
                .map(ConsumerRecord::value).anyMatch(u -> u.getSoupId().equals("mixed") && u.getIngredients().size() == 2))
                .stream().map(ConsumerRecord::value).filter(u -> u.getSoupId().equals("mixed"))
                .reduce((a, b) -> b).orElseThrow();
        try (SafetensorsReader soup = SafetensorsReader.open(Path.of(java.net.URI.create(published.getArtifactUri())))) {
            assertThat(soup.tensors()).as("the mixed soup is written in the promoted dtype")
                    .allMatch(t -> t.dtype() == DType.F32);
            try (SafetensorsReader original = SafetensorsReader.open(widened)) {
                for (var spec : original.tensors()) {
                    assertThat(soup.load(spec.name())).as(spec.name()).isEqualTo(original.load(spec.name()));
                }
            }
        }
        assertThat(deadLetters(evaluatorMetrics, DeadLetters.EVALUATION_FAILED)).isEqualTo(failedBefore);
    }

    /**
     * What another evaluator (or anyone who can write to souper.evaluations) could publish for a soup
     * it answers: truncated Avro, another record type, forged scores, a result keyed to one soup that
     * names another, an answer to a request never made; then retriable failures, which must not be
     * final: a checkpoint that failed retriably is scored when published again, and a candidate whose
     * evaluation failed retriably is asked for again and decided by the answer.
     */
    @Test
    void forgedAndRetriableResultsFromAnotherEvaluator() throws Exception {
        String soup = "forged";
        stack.publish(stack.topics.definitions, soup, definition(soup, architecture,
                idx(IDX, "train", 50_000, 50_000 + HELD_OUT), SoupPolicy.SORTED, AcceptRule.GREATER, "corpus-driver"));
        double undecodableBefore = deadLetters(souperMetrics, DeadLetters.DESERIALIZATION_FAILED);
        double invalidBefore = deadLetters(souperMetrics, DeadLetters.INVALID_EVENT);
        double unknownRequestBefore = CorpusStack.count(souperMetrics, MetricNames.RESULTS_IGNORED, "reason",
                "unknown_request");

        Map<String, Long> offsets = new LinkedHashMap<>();
        byte[] framed = stack.encode(stack.topics.evaluations, scored(soup, "r0", 150));
        offsets.put("truncated Avro", stack.publishRaw(TopicNames.EVALUATIONS, soup,
                Arrays.copyOf(framed, framed.length / 2)));
        offsets.put("a CheckpointReady on souper.evaluations", stack.publishRaw(TopicNames.EVALUATIONS, soup,
                stack.encode(stack.topics.checkpoints, checkpoint(soup, "r0", good.toUri().toString(), null))));
        EvaluationResult impossible = scored(soup, "r0", 150);
        impossible.getHeldOut().setCorrect(HELD_OUT + 1);
        offsets.put("forged score: more correct than scored", stack.publish(stack.topics.evaluations, soup, impossible));
        offsets.put("keyed to one soup, naming another", stack.publish(stack.topics.evaluations, soup,
                scored("another-soup", "r0", 150)));
        Map<String, String> reasons = Map.of(
                "truncated Avro", DeadLetters.DESERIALIZATION_FAILED,
                "a CheckpointReady on souper.evaluations", DeadLetters.DESERIALIZATION_FAILED,
                "forged score: more correct than scored", DeadLetters.INVALID_EVENT,
                "keyed to one soup, naming another", DeadLetters.INVALID_EVENT);
        EvaluationResult neverAsked = scored(soup, soup + "#99", 199);
        neverAsked.setSubjectKind(SubjectKind.CANDIDATE);
        neverAsked.setBaseVersion(1L);
        stack.publish(stack.topics.evaluations, soup, neverAsked);

        // a retriable checkpoint failure is decided FAILED for now; the same checkpoint scored later seeds
        stack.publish(stack.topics.evaluations, soup, failed(scored(soup, "r1", 0), "IO_ERROR", true));
        assertThat(decisionOf("r1", DecisionKind.FAILED).getReason()).contains("IO_ERROR");
        stack.publish(stack.topics.evaluations, soup, scored(soup, "r1", 150));
        decisionOf("r1", DecisionKind.SEEDED);

        // a retriable candidate failure: the same set is asked for again, and the answer decides
        stack.publish(stack.topics.evaluations, soup, scored(soup, "r2", 140));
        CorpusStack.Log<EvaluationRequest> requests = stack.log(stack.topics.candidates);
        EvaluationRequest first = requests.awaitUntil("a candidate request", rs -> rs.stream()
                .anyMatch(r -> r.key().equals(soup))).stream().map(ConsumerRecord::value)
                .filter(r -> r.getSoupId().equals(soup)).findFirst().orElseThrow();
        stack.publish(stack.topics.evaluations, soup, failed(answer(first, 0), "IO_ERROR", true));
        EvaluationRequest again = requests.awaitUntil("the same set asked for again", rs -> rs.stream()
                .filter(r -> r.key().equals(soup)).count() >= 2).stream().map(ConsumerRecord::value)
                .filter(r -> r.getSoupId().equals(soup)).toList().get(1);
        assertThat(again.getRequestId()).isNotEqualTo(first.getRequestId());
        assertThat(ids(again)).isEqualTo(ids(first)).containsExactlyInAnyOrder("r1", "r2");
        stack.publish(stack.topics.evaluations, soup, answer(again, 160));
        SoupDecision accepted = decisionOf("r2", DecisionKind.ACCEPTED);
        assertThat(accepted.getRequestId()).isEqualTo(again.getRequestId());

        Map<Long, DeadLetter> dead = byOffset(letters, TopicNames.EVALUATIONS,
                stack.partitionOf(TopicNames.EVALUATIONS, soup), offsets.values());
        for (Map.Entry<String, Long> e : offsets.entrySet()) {
            assertThat(dead.get(e.getValue()).getReasonCode()).as(e.getKey()).isEqualTo(reasons.get(e.getKey()));
            assertThat(dead.get(e.getValue()).getComponent()).as(e.getKey()).isNotBlank();
        }
        CorpusStack.awaitCount("souper dead letters DESERIALIZATION_FAILED",
                () -> deadLetters(souperMetrics, DeadLetters.DESERIALIZATION_FAILED), undecodableBefore + 2);
        CorpusStack.awaitCount("souper dead letters INVALID_EVENT",
                () -> deadLetters(souperMetrics, DeadLetters.INVALID_EVENT), invalidBefore + 2);
        CorpusStack.awaitCount("results ignored as an unknown request",
                () -> CorpusStack.count(souperMetrics, MetricNames.RESULTS_IGNORED, "reason", "unknown_request"),
                unknownRequestBefore + 1);
        assertThat(decisions.awaitUntil("", ds -> true).stream().map(ConsumerRecord::value)
                .filter(d -> d.getSoupId().equals(soup)).map(SoupDecision::getRequestId))
                .as("nothing decided on the forged request").doesNotContain(soup + "#99");
    }

    private EvaluationResult scored(String soupId, String checkpointId, long correct) {
        return EvaluationResult.newBuilder().setSubjectId(checkpointId).setSoupId(soupId)
                .setSubjectKind(SubjectKind.CHECKPOINT)
                .setIngredients(List.of(IngredientRef.newBuilder().setCheckpointId(checkpointId)
                        .setUri(good.toUri().toString()).setSha256(null).build()))
                .setRunId("run-" + checkpointId)
                .setHeldOut(SplitMetrics.newBuilder().setSplit("held-out").setCorrect(correct).setTotal(HELD_OUT)
                        .setAccuracy((double) correct / HELD_OUT).build())
                .setEvaluatedAt(Instant.now()).build();
    }

    private static EvaluationResult answer(EvaluationRequest request, long correct) {
        return EvaluationResult.newBuilder().setSubjectId(request.getRequestId()).setSoupId(request.getSoupId())
                .setSubjectKind(SubjectKind.CANDIDATE).setBaseVersion(request.getBaseVersion())
                .setIngredients(request.getIngredients())
                .setHeldOut(SplitMetrics.newBuilder().setSplit("held-out").setCorrect(correct).setTotal(HELD_OUT)
                        .setAccuracy((double) correct / HELD_OUT).build())
                .setEvaluatedAt(Instant.now()).build();
    }

    private static EvaluationResult failed(EvaluationResult result, String code, boolean retriable) {
        result.setHeldOut(null);
        result.setError(EvaluationError.newBuilder().setCode(code).setMessage("the store did not answer")
                .setRetriable(retriable).build());
        return result;
    }

    private static java.util.Set<String> ids(EvaluationRequest request) {
        return request.getIngredients().stream().map(IngredientRef::getCheckpointId)
                .collect(java.util.stream.Collectors.toSet());
    }

    /**
     * A definition and checkpoints published by Confluent's Python client (librdkafka's default
     * partitioner, CRC32), for a soup id that Java's murmur2 puts on another partition: the evaluator's
     * results (Java) land elsewhere than the definition, and the soup is decided all the same, the
     * bad checkpoint dead-lettered and decided FAILED, the good one scored and seeding the soup.
     */
    @Test
    void aDefinitionAndCheckpointsFromLibrdkafkasPartitionerAreScoredAndDecided() throws Exception {
        String soup = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "rdkafka-" + i)
                .filter(s -> LibrdkafkaProducer.crc32Partition(s, PARTITIONS)
                        != LibrdkafkaProducer.murmur2Partition(s, PARTITIONS))
                .findFirst().orElseThrow();
        int partition = LibrdkafkaProducer.crc32Partition(soup, PARTITIONS);
        double failedBefore = deadLetters(evaluatorMetrics, DeadLetters.EVALUATION_FAILED);
        List<String> placed = LibrdkafkaProducer.send(tmp, stack.clients.bootstrapServers(), List.of(
                new LibrdkafkaProducer.Record(TopicNames.DEFINITIONS, soup, stack.encode(stack.topics.definitions,
                        definition(soup, architecture, idx(IDX, "train", 50_000, 50_000 + HELD_OUT), SoupPolicy.SORTED,
                                AcceptRule.GREATER, null))),
                new LibrdkafkaProducer.Record(TopicNames.CHECKPOINTS, soup, stack.encode(stack.topics.checkpoints,
                        checkpoint(soup, "py-wrong-hash", good.toUri().toString(), "0".repeat(64)))),
                new LibrdkafkaProducer.Record(TopicNames.CHECKPOINTS, soup, stack.encode(stack.topics.checkpoints,
                        checkpoint(soup, "py-good", good.toUri().toString(), null)))));
        assertThat(placed).as("the premise: librdkafka placed them where Java would not").containsExactly(
                TopicNames.DEFINITIONS + "\t" + soup + "\t" + partition,
                TopicNames.CHECKPOINTS + "\t" + soup + "\t" + partition,
                TopicNames.CHECKPOINTS + "\t" + soup + "\t" + partition);

        assertThat(decisionOf("py-wrong-hash", DecisionKind.FAILED).getReason()).contains("HASH_MISMATCH");
        assertThat(decisionOf("py-good", DecisionKind.SEEDED).getSoupId()).isEqualTo(soup);
        DeadLetter letter = letters.awaitUntil("the wrong hash's dead letter", ls -> ls.stream().map(ConsumerRecord::value)
                .anyMatch(l -> "py-wrong-hash".equals(l.getHeaders().get("subjectId")))).stream()
                .map(ConsumerRecord::value).filter(l -> "py-wrong-hash".equals(l.getHeaders().get("subjectId")))
                .findFirst().orElseThrow();
        assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.EVALUATION_FAILED);
        assertThat(letter.getHeaders()).containsEntry("errorCode", "HASH_MISMATCH");
        assertThat(letter.getPartition()).isEqualTo(partition);
        CorpusStack.awaitCount("evaluator dead letters EVALUATION_FAILED",
                () -> deadLetters(evaluatorMetrics, DeadLetters.EVALUATION_FAILED), failedBefore + 1);
    }

    /** The first decision of {@code kind} on {@code checkpointId}, once it is there. */
    private SoupDecision decisionOf(String checkpointId, DecisionKind kind) {
        return decisions.awaitUntil(kind + " " + checkpointId, ds -> ds.stream().map(ConsumerRecord::value)
                .anyMatch(d -> d.getCheckpointId().equals(checkpointId) && d.getKind() == kind)).stream()
                .map(ConsumerRecord::value).filter(d -> d.getCheckpointId().equals(checkpointId) && d.getKind() == kind)
                .findFirst().orElseThrow();
    }

    private static Map<String, EvaluationResult> firstBySubject(List<ConsumerRecord<String, EvaluationResult>> rs) {
        return first(rs, EvaluationResult::getSubjectId);
    }

    private static Map<String, SoupDecision> firstByCheckpoint(List<ConsumerRecord<String, SoupDecision>> ds) {
        return first(ds, SoupDecision::getCheckpointId);
    }

    private static <V> Map<String, V> first(List<ConsumerRecord<String, V>> records, Function<V, String> id) {
        Map<String, V> out = new LinkedHashMap<>();
        records.forEach(r -> out.putIfAbsent(id.apply(r.value()), r.value()));
        return out;
    }
}
