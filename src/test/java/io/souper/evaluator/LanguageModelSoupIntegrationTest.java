package io.souper.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.checkpoint.Sha256;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.Metric;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.testsupport.TorchReference;
import io.souper.web.HttpEndpoint;
import io.souper.web.SoupApi;
import io.souper.web.SoupApiClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second task end to end: a tiny causal language model (TorchScript, two inputs: int64 token
 * ids and a float attention mask; next-token targets with -100 for padding) is pre-trained and
 * fine-tuned by PyTorch on Debian's licence texts (src/test/resources/python/tiny_lm.py); the
 * fine-tunes go through Kafka to the evaluator and the souper, which soups them by held-out
 * perplexity (lower is better). Every score equals PyTorch's on the same weights and data, and the
 * published soup is the paper's greedy loop over those PyTorch scores.
 */
class LanguageModelSoupIntegrationTest {

    private static final Path SCRIPT = Path.of("src/test/resources/python/tiny_lm.py").toAbsolutePath();
    private static final String SOUP = "tiny-lm";
    private static final int RUNS = 3;
    /** float32 logits in libtorch on both sides, summed in double here and in float by torch. */
    private static final double RELATIVE = 1e-5;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void fineTunedLanguageModelsAreSoupedByPerplexityWithPyTorchsScores() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        JsonNode made = TorchReference.runScript(SCRIPT, 600, "make", store, RUNS);
        assertThat(made.get("parameters").asLong()).as("a tiny but real model").isBetween(100_000L, 1_000_000L);

        try (KafkaFixture kafka = new KafkaFixture(tmp.resolve("kafka"), 2);
             SouperMetrics streamsMetrics = new SouperMetrics("streams");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, streamsMetrics).start();
             SouperMetrics evaluatorMetrics = new SouperMetrics("evaluator")) {
            SouperStreamsApp souper = SouperStreamsApp.start(kafka.clients.bootstrapServers(), kafka.topics,
                    "souper-lm-it", tmp.resolve("streams"), 1, SouperStreamsSettings.defaults(),
                    streamsMetrics, new HostInfo("localhost", endpoint.port()));
            new SoupApi(souper.queries()).register(endpoint);
            EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store), tmp.resolve("work"))
                    .withDevice("cpu").withGroupId("evaluator-lm-it");
            try (souper; EvaluatorService evaluator = EvaluatorService.start(kafka.clients, kafka.topics, settings,
                    evaluatorMetrics)) {
                souper.awaitRunning(Duration.ofSeconds(60));
                SoupDefinition definition = SoupDefinition.newBuilder(KafkaFixture.definition(SOUP,
                                store.resolve("lm.pt"), uri(store, "held-out"), uri(store, "test"), Map.of()))
                        .setMetric(Metric.PERPLEXITY)
                        .setInputNames(List.of("input_ids", "attention_mask"))
                        .setIgnoreIndex(-100L)
                        .build();
                kafka.publish(kafka.topics.definitions, SOUP, definition);
                Map<String, Path> files = new LinkedHashMap<>();
                for (int k = 0; k < RUNS; k++) {
                    Path file = store.resolve("ckpt-" + k + ".safetensors");
                    files.put("ckpt-" + k, file);
                    kafka.publish(kafka.topics.checkpoints, SOUP,
                            KafkaFixture.checkpoint(SOUP, "ckpt-" + k, file.toUri().toString(), Sha256.of(file)));
                }
                SoupApiClient.SoupStatus settled = new SoupApiClient(endpoint.url())
                        .awaitSettled(SOUP, RUNS, Duration.ofSeconds(90));

                // sorted greedy over n checkpoints judges at least n - 1 candidate sets
                List<EvaluationResult> results = kafka.readUntil(kafka.topics.evaluations,
                        rs -> count(rs, SubjectKind.CHECKPOINT) >= RUNS && count(rs, SubjectKind.CANDIDATE) >= RUNS - 1,
                        Duration.ofSeconds(30)).stream().map(ConsumerRecord::value).toList();
                Map<String, EvaluationResult> bySubject = new LinkedHashMap<>();
                results.forEach(r -> bySubject.putIfAbsent(r.getSubjectId(), r));
                assertThat(bySubject.values()).allSatisfy(r -> assertThat(r.getError()).as(r.getSubjectId()).isNull());

                // PyTorch on the same weights (candidates: torch's mean of the ingredients) and data
                ObjectNode spec = JSON.createObjectNode();
                spec.put("arch", store.resolve("lm.pt").toString());
                spec.putObject("splits").put("held-out", store.resolve("held-out.safetensors").toString())
                        .put("test", store.resolve("test.safetensors").toString());
                ObjectNode models = spec.putObject("models");
                bySubject.values().forEach(r -> {
                    var list = models.putArray(r.getSubjectId());
                    r.getIngredients().forEach(i -> list.add(files.get(i.getCheckpointId()).toString()));
                });
                Path specFile = tmp.resolve("spec.json");
                JSON.writeValue(specFile.toFile(), spec);
                JsonNode torch = TorchReference.runScript(SCRIPT, 300, "score", specFile);

                for (EvaluationResult r : bySubject.values()) {
                    assertLikeTorch(r.getHeldOut(), torch.get(r.getSubjectId()).get("held-out"), r.getSubjectId());
                    if (r.getSubjectKind() == SubjectKind.CHECKPOINT) {
                        assertLikeTorch(r.getTest(), torch.get(r.getSubjectId()).get("test"), r.getSubjectId());
                    }
                }

                // The published soup is the paper's greedy loop, by lowest perplexity, over PyTorch's scores.
                Map<String, Double> perplexity = new LinkedHashMap<>();
                bySubject.values().forEach(r -> perplexity.put(setKey(r.getIngredients().stream()
                        .map(IngredientRef::getCheckpointId).toList()),
                        torch.get(r.getSubjectId()).get("held-out").get("perplexity").asDouble()));
                List<String> expected = greedyByLowest(new ArrayList<>(files.keySet()), perplexity);
                SoupUpdated latest = kafka.readUntil(kafka.topics.updates, us -> us.stream()
                        .anyMatch(u -> u.value().getVersion() == settled.version()), Duration.ofSeconds(30)).stream()
                        .map(ConsumerRecord::value).filter(u -> u.getVersion() == settled.version()).findFirst()
                        .orElseThrow();
                assertThat(latest.getIngredients().stream().map(i -> i.getCheckpointId()).toList())
                        .as("greedy by perplexity over %s", perplexity).isEqualTo(expected);
                assertThat(latest.getHeldOut().getMetrics()).as("the souper copies the split metrics")
                        .containsKeys("accuracy", "top5_accuracy", "mean_loss", "perplexity");
                assertThat(latest.getHeldOut().getMetrics().get("perplexity"))
                        .isCloseTo(perplexity.get(setKey(expected)), within(perplexity.get(setKey(expected)) * RELATIVE));
                System.out.printf("language-model soup: %s; held-out perplexity by set %s%n", expected, perplexity);
            }
        }
    }

    private static String uri(Path store, String split) {
        return store.resolve(split + ".safetensors").toUri().toString();
    }

    private static long count(List<ConsumerRecord<String, EvaluationResult>> records, SubjectKind kind) {
        return records.stream().filter(r -> r.value().getSubjectKind() == kind).map(r -> r.value().getSubjectId())
                .distinct().count();
    }

    private static String setKey(List<String> ids) {
        return String.join(",", new TreeSet<>(ids));
    }

    /** The paper's loop, plainly: lowest first, keep a checkpoint only if the set's perplexity is strictly lower. */
    private static List<String> greedyByLowest(List<String> checkpoints, Map<String, Double> perplexity) {
        List<String> ranked = checkpoints.stream().sorted(Comparator.comparingDouble(id -> perplexity.get(id)))
                .collect(Collectors.toList());
        List<String> soup = new ArrayList<>(List.of(ranked.get(0)));
        for (String next : ranked.subList(1, ranked.size())) {
            List<String> candidate = new ArrayList<>(soup);
            candidate.add(next);
            Double score = perplexity.get(setKey(candidate));
            assertThat(score).as("the souper never asked for %s", candidate).isNotNull();
            if (score < perplexity.get(setKey(soup))) {
                soup = candidate;
            }
        }
        return soup;
    }

    private static void assertLikeTorch(SplitMetrics m, JsonNode torch, String subject) {
        String what = subject + " " + m.getSplit();
        assertThat(m.getTotal()).as("%s scored tokens (padding ignored)", what).isEqualTo(torch.get("total").asLong());
        assertThat(m.getCorrect()).as("%s top-1", what).isEqualTo(torch.get("correct").asLong());
        Map<String, Double> metrics = m.getMetrics();
        assertThat(Math.round(metrics.get("top5_accuracy") * m.getTotal())).as("%s top-5", what)
                .isEqualTo(torch.get("top5").asLong());
        double loss = torch.get("mean_loss").asDouble();
        double ppl = torch.get("perplexity").asDouble();
        assertThat(metrics.get("mean_loss")).as("%s mean loss", what).isCloseTo(loss, within(loss * RELATIVE));
        assertThat(metrics.get("perplexity")).as("%s perplexity", what).isCloseTo(ppl, within(ppl * RELATIVE));
        assertThat(metrics.get("accuracy")).isEqualTo(m.getAccuracy());
    }
}
