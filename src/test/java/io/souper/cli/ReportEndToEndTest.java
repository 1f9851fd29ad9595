package io.souper.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.data.FashionMnist;
import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupUpdated;
import io.souper.events.SubjectKind;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicReader;
import io.souper.metrics.MetricNames;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.testsupport.EvaluatorReference;
import io.souper.web.HttpEndpoint;
import io.souper.web.Json;
import io.souper.web.SoupApiClient;
import io.souper.web.SouperWeb;
import io.micrometer.core.instrument.Counter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code souper report} on a soup fed as a user feeds one: the embedded stack (what {@code souper
 * dev-stack} runs), the souper and the evaluator in this JVM, the soup defined and three real
 * checkpoints (trained by PyTorch) published with the CLI. The report's numbers must be the
 * evaluator's: every checkpoint alone as on souper.evaluations, the greedy soup's held-out as the
 * souper published it; the baselines and the paired intervals present; and the souper must never
 * see the report's work (no result ignored, no version changed). Then the same report over HTTP,
 * from the answers already given.
 */
class ReportEndToEndTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    private static final String SOUP = "report-e2e";

    @TempDir
    Path tmp;

    @Test
    void reportOfASoupFedThroughTheCli() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path arch = Files.createDirectories(store.resolve("models")).resolve("cnn.pt");
        Files.copy(ARCH, arch, StandardCopyOption.REPLACE_EXISTING);
        List<Path> checkpoints = EvaluatorReference.makeCheckpoints(ARCH, IDX,
                Files.createDirectories(store.resolve("runs")), 3);

        try (EmbeddedStack stack = EmbeddedStack.start(tmp.resolve("stack"), 0, 0, 2);
             SouperMetrics metrics = new SouperMetrics("report-e2e");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics)) {
            KafkaClientConfigs clients = stack.clientConfigs();
            SouperTopics topics = clients.topics();
            endpoint.start();
            SouperStreamsApp souper = SouperStreamsApp.start(clients, topics, "souper-report-e2e", tmp.resolve("streams"),
                    1, SouperStreamsSettings.defaults(), metrics, new HostInfo("localhost", endpoint.port()));
            SouperWeb web = SouperWeb.serve(endpoint, souper, clients, topics);
            EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store, IDX), tmp.resolve("work"))
                    .withDevice("cpu").withGroupId("evaluator-report-e2e");
            try (souper; web; EvaluatorService evaluator = EvaluatorService.start(clients, topics, settings, metrics)) {
                souper.awaitRunning(Duration.ofSeconds(60));
                Map<String, String> env = Map.of("SOUPER_BOOTSTRAP_SERVERS", clients.bootstrapServers(),
                        "SOUPER_SCHEMA_REGISTRY_URL", clients.schemaRegistryUrl());
                CliRun defined = CliRun.run(env, "soup", "define", SOUP, "--no-check", "--architecture", arch.toString(),
                        "--held-out", idx("train", 55_000, 55_400), "--test", idx("t10k", 0, 300),
                        "--shift", "contrast=" + idx("t10k", 5_000, 5_200) + "&mean=0.5&std=0.25");
                assertThat(defined.code()).as(defined.err()).isZero();
                for (int k = 0; k < checkpoints.size(); k++) {
                    CliRun published = CliRun.run(env, "publish-checkpoint", "--soup", SOUP, "--checkpoint",
                            checkpoints.get(k).toString(), "--checkpoint-id", "ckpt-" + k, "--run-id", "run-" + k);
                    assertThat(published.code()).as(published.err()).isZero();
                }
                SoupApiClient api = new SoupApiClient(endpoint.url());
                SoupApiClient.SoupStatus settled = api.awaitSettled(SOUP, checkpoints.size(), Duration.ofSeconds(60));
                double ignoredBefore = ignored(metrics);

                Path out = tmp.resolve("report");
                CliRun report = CliRun.capturingOut(env, "report", SOUP, "--out", out.toString(), "--timeout", "PT60S");
                assertThat(report.code()).as(report.err()).isZero();
                assertThat(report.out()).contains("| greedy soup (sorted) |", "| uniform soup |",
                        "| ensemble (logit mean) |", "within noise");
                assertThat(out.resolve("report.md")).exists();
                assertThat(Files.readString(out.resolve("figure1.svg"))).startsWith("<svg").contains("greedy-sorted");
                JsonNode json = Json.MAPPER.readTree(Files.readString(out.resolve("report.json")));
                System.out.println("report.json of the end-to-end run:\n" + Files.readString(out.resolve("report.json")));

                // every checkpoint alone: as the evaluator scored it for the souper (a different path, same numbers)
                Map<String, EvaluationResult> scored = TopicReader.readAll(clients, topics.evaluations).stream()
                        .map(ConsumerRecord::value).filter(r -> r.getSubjectKind() == SubjectKind.CHECKPOINT)
                        .collect(Collectors.toMap(EvaluationResult::getSubjectId, r -> r, (a, b) -> a));
                assertThat(json.get("models")).hasSize(3);
                for (JsonNode model : json.get("models")) {
                    EvaluationResult r = scored.get(model.get("id").asText());
                    assertThat(model.get("heldout").asDouble()).isCloseTo(100 * r.getHeldOut().getAccuracy(), within(1e-9));
                    assertThat(model.get("test").asDouble()).isCloseTo(100 * r.getTest().getAccuracy(), within(1e-9));
                    assertThat(model.get("shifts").get("contrast").asDouble())
                            .isCloseTo(100 * r.getShifts().get(0).getAccuracy(), within(1e-9));
                }
                // the greedy soup: the souper's own soup, with the held-out score it published
                List<ConsumerRecord<String, SoupUpdated>> updates = TopicReader.readAll(clients, topics.updates);
                SoupUpdated latest = updates.get(updates.size() - 1).value();
                JsonNode greedy = json.get("results").get("greedy_sorted");
                assertThat(greedy.get("ingredients")).extracting(JsonNode::asText).containsExactlyElementsOf(
                        latest.getIngredients().stream().map(i -> i.getCheckpointId()).toList());
                assertThat(greedy.get("heldout").asDouble()).isCloseTo(100 * latest.getHeldOut().getAccuracy(), within(1e-9));
                assertThat(greedy.get("soup_size").asInt()).isEqualTo(settled.ingredients().size());
                // the baselines, with their cost, and every comparison with its paired interval and verdict
                assertThat(json.get("results").get("uniform_soup").get("soup_size").asInt()).isEqualTo(3);
                assertThat(json.get("results").get("ensemble").get("forward_passes").asInt()).isEqualTo(3);
                for (String method : List.of("uniform_soup", "greedy_sorted", "ensemble")) {
                    JsonNode vs = json.get("results").get(method).get("vs_best_single");
                    assertThat(vs.fieldNames()).toIterable().containsExactly("held-out", "test", "contrast");
                    vs.forEach(c -> {
                        assertThat(c.get("lower").asDouble()).isLessThanOrEqualTo(c.get("difference").asDouble());
                        assertThat(c.get("upper").asDouble()).isGreaterThanOrEqualTo(c.get("difference").asDouble());
                        assertThat(c.get("verdict").asText()).isIn("within noise", "better beyond noise", "worse beyond noise");
                        assertThat(c.get("p").asDouble()).isBetween(0.0, 1.0);
                    });
                }
                assertThat(json.get("results").get("greedy_sorted").get("vs_best_single").get("held-out").get("images")
                        .asInt()).isEqualTo(400);

                // the souper never saw the report: nothing ignored, no new version, nothing on souper.evaluations
                assertThat(ignored(metrics)).isEqualTo(ignoredBefore);
                assertThat(api.soup(SOUP).orElseThrow().version()).isEqualTo(settled.version());
                assertThat(TopicReader.readAll(clients, topics.evaluations)).noneMatch(r -> r.value().getSubjectId()
                        .contains("~report-"));
                assertThat(TopicReader.readAll(clients, topics.reportResults)).hasSize(3 + 3)
                        .allSatisfy(r -> assertThat(r.value().getError()).isNull());

                // the same report over HTTP: answered from the answers already given, nothing asked again
                HttpResponse<String> md = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(endpoint.url() + "/soups/" + SOUP + "/report?format=md")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(md.statusCode()).as(md.body()).isEqualTo(200);
                assertThat(md.body()).isEqualTo(Files.readString(out.resolve("report.md")));
                assertThat(TopicReader.readAll(clients, topics.reportRequests)).hasSize(3 + 3);
                HttpResponse<String> unknown = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(endpoint.url() + "/soups/no-such-soup/report")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(unknown.statusCode()).isEqualTo(404);
                assertThat(unknown.body()).contains("no soup 'no-such-soup'");
            }
        }
    }

    private static double ignored(SouperMetrics metrics) {
        return metrics.registry().find(MetricNames.RESULTS_IGNORED).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static String idx(String split, int from, int to) {
        return "file://" + IDX + "?split=" + split + "&from=" + from + "&to=" + to;
    }
}
