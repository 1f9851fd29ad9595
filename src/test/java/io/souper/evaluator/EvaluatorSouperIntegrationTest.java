package io.souper.evaluator;

import io.souper.testsupport.EvaluatorReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.souper.checkpoint.Sha256;
import io.souper.data.FashionMnist;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.HttpEndpoint;
import io.souper.web.SoupApi;
import io.souper.web.SoupApiClient;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole loop on a real broker: the evaluator and the souper (Kafka Streams) side by side.
 * Three real checkpoints go in as CheckpointReady events; the evaluator scores them, the souper
 * asks for candidate soups, the evaluator averages and scores those, and the souper publishes a
 * soup. Every score equals what PyTorch computes for the same TorchScript, weights and images
 * (for candidates: torch's mean of the ingredients' weights).
 */
class EvaluatorSouperIntegrationTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    private static final String SOUP = "fmnist-it";
    private static final int HELD_OUT = 500;
    private static final int TEST = 300;
    private static final int SHIFT = 200;

    @TempDir
    Path tmp;

    @Test
    void checkpointsAndTheSoupersCandidatesAreScoredLikePyTorchAndASoupIsPublished() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path arch = Files.createDirectories(store.resolve("models")).resolve("cnn.pt");
        Files.copy(ARCH, arch, StandardCopyOption.REPLACE_EXISTING);
        List<Path> checkpoints = EvaluatorReference.makeCheckpoints(ARCH, IDX,
                Files.createDirectories(store.resolve("runs")), 3);

        try (KafkaFixture kafka = new KafkaFixture(tmp.resolve("kafka"), 2);
             SouperMetrics streamsMetrics = new SouperMetrics("streams");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, streamsMetrics).start();
             SouperMetrics evaluatorMetrics = new SouperMetrics("evaluator")) {
            SouperStreamsApp souper = SouperStreamsApp.start(kafka.clients.bootstrapServers(), kafka.topics,
                    "souper-evaluator-it", tmp.resolve("streams"), 1, SouperStreamsSettings.defaults(),
                    streamsMetrics, new HostInfo("localhost", endpoint.port()));
            new SoupApi(souper.queries()).register(endpoint);
            EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store, IDX), tmp.resolve("work"))
                    .withDevice("auto").withGroupId("evaluator-it");
            try (souper; EvaluatorService evaluator = EvaluatorService.start(kafka.clients, kafka.topics, settings,
                    evaluatorMetrics)) {
                souper.awaitRunning(Duration.ofSeconds(60));
                kafka.publish(kafka.topics.definitions, SOUP, KafkaFixture.definition(SOUP, arch,
                        KafkaFixture.idx("train", 55_000, 55_000 + HELD_OUT), KafkaFixture.idx("t10k", 0, TEST),
                        Map.of("contrast", KafkaFixture.idx("t10k", 5_000, 5_000 + SHIFT) + "&mean=0.5&std=0.25")));
                for (int k = 0; k < checkpoints.size(); k++) {
                    Path file = checkpoints.get(k);
                    // one event without a hash: the evaluator computes it and reports it
                    String sha = k == 1 ? null : Sha256.of(file);
                    kafka.publish(kafka.topics.checkpoints, SOUP,
                            KafkaFixture.checkpoint(SOUP, "ckpt-" + k, file.toUri().toString(), sha));
                }
                SoupApiClient.SoupStatus settled = new SoupApiClient(endpoint.url())
                        .awaitSettled(SOUP, checkpoints.size(), Duration.ofSeconds(60));

                List<EvaluationResult> results = kafka.readUntil(kafka.topics.evaluations,
                        rs -> rs.stream().filter(r -> r.value().getSubjectKind() == SubjectKind.CHECKPOINT).count() >= 3
                                && rs.stream().anyMatch(r -> r.value().getSubjectKind() == SubjectKind.CANDIDATE),
                        Duration.ofSeconds(30)).stream().map(ConsumerRecord::value).toList();
                Map<String, EvaluationResult> scoredCheckpoints = results.stream()
                        .filter(r -> r.getSubjectKind() == SubjectKind.CHECKPOINT)
                        .collect(Collectors.toMap(EvaluationResult::getSubjectId, r -> r, (a, b) -> a));
                Map<String, EvaluationResult> candidates = results.stream()
                        .filter(r -> r.getSubjectKind() == SubjectKind.CANDIDATE)
                        .collect(Collectors.toMap(EvaluationResult::getSubjectId, r -> r, (a, b) -> a));
                assertThat(scoredCheckpoints).containsOnlyKeys("ckpt-0", "ckpt-1", "ckpt-2");
                assertThat(candidates).isNotEmpty();
                assertThat(results).allSatisfy(r -> {
                    assertThat(r.getError()).as(r.getSubjectId()).isNull();
                    assertThat(r.getSoupId()).isEqualTo(SOUP);
                    assertThat(r.getDevice()).isEqualTo(evaluator.device());
                });
                assertThat(scoredCheckpoints.get("ckpt-1").getIngredients().get(0).getSha256())
                        .as("computed when the event carried none").isEqualTo(Sha256.of(checkpoints.get(1)));

                // PyTorch on the same weights and images.
                Map<String, Path> files = new HashMap<>();
                for (int k = 0; k < checkpoints.size(); k++) {
                    files.put("ckpt-" + k, checkpoints.get(k));
                }
                EvaluatorReference reference = new EvaluatorReference(ARCH, IDX)
                        .split("held-out", "train", 55_000, 55_000 + HELD_OUT, 0.2860, 0.3530)
                        .split("test", "t10k", 0, TEST, 0.2860, 0.3530)
                        .split("contrast", "t10k", 5_000, 5_000 + SHIFT, 0.5, 0.25);
                scoredCheckpoints.keySet().forEach(id -> reference.model(id, "single", List.of(files.get(id))));
                candidates.values().forEach(c -> reference.model(c.getSubjectId(), "mean",
                        c.getIngredients().stream().map(i -> files.get(i.getCheckpointId())).toList()));
                JsonNode torch = reference.run(tmp);

                for (EvaluationResult r : results) {
                    JsonNode expected = torch.get("correct").get(r.getSubjectId());
                    assertSplit(r.getHeldOut(), "held-out", HELD_OUT, expected.get("held-out").asLong());
                    if (r.getSubjectKind() == SubjectKind.CHECKPOINT) {
                        assertSplit(r.getTest(), "test", TEST, expected.get("test").asLong());
                        assertThat(r.getShifts()).hasSize(1);
                        assertSplit(r.getShifts().get(0), "contrast", SHIFT, expected.get("contrast").asLong());
                    } else {
                        // the souper's candidates are decided on held-out alone, so only it is scored
                        assertThat(r.getTest()).isNull();
                        assertThat(r.getShifts()).isEmpty();
                    }
                }
                for (EvaluationResult c : candidates.values()) {
                    assertThat(c.getIngredients()).hasSizeGreaterThanOrEqualTo(2);
                    assertThat(c.getIngredients().stream().map(IngredientRef::getSha256))
                            .allSatisfy(sha -> assertThat(sha).hasSize(64));
                    if (c.getArtifactSha256() == null) {
                        // scored from memory and below its base: never written (only a possible soup is)
                        assertThat(c.getArtifactUri()).isNull();
                        continue;
                    }
                    Path artifact = store.resolve("artifacts").resolve(c.getArtifactSha256() + ".safetensors");
                    assertThat(c.getArtifactUri()).isEqualTo(artifact.toUri().toString());
                    assertThat(EvaluatorReference.tensorsSha256(artifact)).as("candidate %s", c.getSubjectId())
                            .isEqualTo(torch.get("meanTensorsSha256").get(c.getSubjectId()).asText());
                }

                // The souper made a soup of them and published it.
                List<SoupUpdated> updates = kafka.readUntil(kafka.topics.updates, us -> !us.isEmpty(),
                        Duration.ofSeconds(30)).stream().map(ConsumerRecord::value).toList();
                SoupUpdated latest = updates.get(updates.size() - 1);
                assertThat(latest.getSoupId()).isEqualTo(SOUP);
                assertThat(latest.getVersion()).isPositive();
                assertThat(latest.getIngredients()).isNotEmpty();
                Set<String> ingredientIds = latest.getIngredients().stream().map(i -> i.getCheckpointId())
                        .collect(Collectors.toSet());
                assertThat(scoredCheckpoints.keySet()).containsAll(ingredientIds);
                long bestSingle = scoredCheckpoints.values().stream().mapToLong(r -> r.getHeldOut().getCorrect())
                        .max().orElseThrow();
                assertThat(latest.getHeldOut().getCorrect()).as("greedy never ends below the best single checkpoint")
                        .isGreaterThanOrEqualTo(bestSingle);
                assertThat(settled.counts().scored()).isEqualTo(3);
                assertThat(evaluatorMetrics.scrape()).contains("souper_evaluations_total{", "kind=\"candidate\"");
                System.out.printf("evaluator integration: %d checkpoints, %d candidates; durations (ms) %s%n",
                        scoredCheckpoints.size(), candidates.size(), results.stream()
                                .map(r -> r.getSubjectId() + "=" + r.getDurationMs()).toList());
            }
        }
    }

    private static void assertSplit(SplitMetrics metrics, String split, long total, long correct) {
        assertThat(metrics.getSplit()).isEqualTo(split);
        assertThat(metrics.getTotal()).isEqualTo(total);
        assertThat(metrics.getCorrect()).as("%s correct (PyTorch: %d)", split, correct).isEqualTo(correct);
    }
}
