package io.souper.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.events.DecisionKind;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDecision;
import io.souper.events.SoupIngredient;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.EventPublisher;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import io.souper.metrics.SouperMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live page in a real headless Chromium, fed by a real broker: soup versions, decisions
 * and checkpoint scores published to the topics reach the open page through {@code /events}
 * (server-sent events) and show up in its table and chart without a reload. The query API
 * behind the table is a fixed double (no Kafka Streams here): the push path is under test.
 * Keeps a screenshot as a build artefact: target/screenshots/live-page.png.
 */
class LiveSoupPageBrowserTest {

    private static final String SOUP = "sweep-7";
    private static final Instant T0 = Instant.now().minusSeconds(600);
    private static final Path SCREENSHOT = Path.of("target/screenshots/live-page.png");

    @TempDir
    Path tmp;

    @Test
    void aNewSoupVersionAndItsCheckpointAppearOnTheOpenPageWithoutAReload() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"))) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), "mock://live-" + UUID.randomUUID());
            SouperTopics topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
            try (Admin admin = Admin.create(clients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(2), (short) 1);
            }
            // Version 1 of the soup, from checkpoints c1 and c2, before the page opens: the page gets it as history.
            publishCheckpoint(clients, topics, "c1", 0.861, 0.850, 0);
            publishCheckpoint(clients, topics, "c2", 0.874, 0.862, 30);
            publishDecision(clients, topics, 1, 1, DecisionKind.SEEDED, "c2", 60);
            publishUpdate(clients, topics, 1, List.of("c2"), 0.874, 0.862, 60);

            AtomicReference<String> soups = new AtomicReference<>(summary(1, 0.874, "c2"));
            SoupEvents events = new SoupEvents();
            try (SouperMetrics metrics = new SouperMetrics("test");
                 HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics);
                 SoupEventFeed feed = SoupEventFeed.start(clients, topics, events);
                 HeadlessChromium chromium = HeadlessChromium.start(tmp.resolve("profile"))) {
                new SoupPage().register(endpoint);
                new EventStream(events).register(endpoint);
                endpoint.get("/soups", exchange -> HttpEndpoint.respond(exchange, 200, "application/json",
                        exchange.getRequestURI().getPath().equals("/soups") ? "[" + soups.get() + "]" : soups.get()));
                endpoint.start();

                chromium.navigate(endpoint.url() + "/");
                chromium.await(versionsInChart(), v -> v.asText().equals("1"), Duration.ofSeconds(60));
                chromium.evaluate("window.loadedOnce = 'still the same page'");
                assertThat(chromium.evaluate("document.getElementById('live').textContent").asText()).isEqualTo("live");
                assertThat(chromium.evaluate(checkpointsInChart()).asText()).isEqualTo("c1,c2");

                // The world moves on while the page stays open: c3 is scored, accepted, version 2 is published.
                publishCheckpoint(clients, topics, "c3", 0.869, 0.858, 90);
                publishDecision(clients, topics, 2, 2, DecisionKind.ACCEPTED, "c3", 120);
                publishUpdate(clients, topics, 2, List.of("c2", "c3"), 0.883, 0.871, 120);

                chromium.await(versionsInChart(), v -> v.asText().equals("1,2"), Duration.ofSeconds(60));
                assertThat(chromium.evaluate("window.loadedOnce").asText()).as("no reload").isEqualTo("still the same page");
                assertThat(chromium.evaluate(checkpointsInChart()).asText()).isEqualTo("c1,c2,c3");
                assertThat(chromium.evaluate("document.querySelector('.chart circle.version-test[data-version=\"2\"]') !== null")
                        .asBoolean()).as("test accuracy of version 2 drawn").isTrue();
                JsonNode row = chromium.evaluate("[...document.querySelectorAll('tr[data-soup=\"" + SOUP
                        + "\"] td')].map(td => td.textContent)");
                assertThat(row.get(2).asText()).as("version").isEqualTo("2");
                assertThat(row.get(3).asText()).as("held-out").isEqualTo("88.30%");
                assertThat(row.get(4).asText()).as("test").isEqualTo("87.10%");
                assertThat(row.get(5).asText()).as("ingredients").isEqualTo("c2, c3");
                assertThat(row.get(11).asText()).as("last decision").isEqualTo("ACCEPTED c3");
                assertThat(chromium.evaluate("document.getElementById('decisions').firstChild.textContent").asText())
                        .startsWith(SOUP + " #2: ACCEPTED c3");
                assertThat(chromium.evaluate("document.getElementById('error').textContent").asText()).isEmpty();

                Files.createDirectories(SCREENSHOT.getParent());
                Files.write(SCREENSHOT, chromium.screenshot());
                assertThat(Files.size(SCREENSHOT)).isGreaterThan(10_000);
            }
        }
    }

    private static String versionsInChart() {
        return "[...document.querySelectorAll('.chart[data-soup=\"" + SOUP + "\"] circle.version')]"
                + ".map(c => c.dataset.version).join(',')";
    }

    private static String checkpointsInChart() {
        return "[...document.querySelectorAll('.chart[data-soup=\"" + SOUP + "\"] circle.checkpoint')]"
                + ".map(c => c.dataset.checkpoint).sort().join(',')";
    }

    private static String summary(long version, double heldOut, String ingredients) {
        return "{\"soupId\":\"" + SOUP + "\",\"policy\":\"SORTED\",\"version\":" + version + ",\"ingredients\":[\""
                + ingredients + "\"],\"heldOutAccuracy\":" + heldOut + ",\"counts\":{\"scored\":2,\"accepted\":1,"
                + "\"rejected\":0,\"pending\":0,\"failed\":0},\"inFlight\":null}";
    }

    private static void publishCheckpoint(KafkaClientConfigs clients, SouperTopics topics, String id, double heldOut,
                                          double test, int second) {
        EventPublisher.publish(clients, topics.evaluations, SOUP, EvaluationResult.newBuilder()
                .setSubjectId(id).setSoupId(SOUP).setSubjectKind(SubjectKind.CHECKPOINT)
                .setIngredients(List.of(new IngredientRef(id, "file:///store/" + id + ".safetensors", null)))
                .setHeldOut(split("held-out", heldOut)).setTest(split("test", test))
                .setEvaluatedAt(T0.plusSeconds(second)).build());
    }

    private static void publishDecision(KafkaClientConfigs clients, SouperTopics topics, long sequence, long version,
                                        DecisionKind kind, String checkpoint, int second) {
        EventPublisher.publish(clients, topics.decisions, SOUP, SoupDecision.newBuilder()
                .setDecisionId(SOUP + "/" + sequence).setSoupId(SOUP).setSequence(sequence).setSoupVersion(version)
                .setKind(kind).setCheckpointId(checkpoint).setCandidateIngredients(List.of(checkpoint))
                .setDecidedAt(T0.plusSeconds(second)).build());
    }

    private static void publishUpdate(KafkaClientConfigs clients, SouperTopics topics, long version, List<String> ids,
                                      double heldOut, double test, int second) {
        EventPublisher.publish(clients, topics.updates, SOUP, SoupUpdated.newBuilder()
                .setSoupId(SOUP).setVersion(version).setPolicy(SoupPolicy.SORTED)
                .setIngredients(ids.stream().map(id -> SoupIngredient.newBuilder().setCheckpointId(id)
                        .setUri("file:///store/" + id + ".safetensors").setHeldOutAccuracy(heldOut)
                        .setHyperParameters(Map.of()).build()).toList())
                .setHeldOut(split("held-out", heldOut)).setTest(split("test", test))
                .setScoredCount(ids.size() + 1).setAcceptedCount(ids.size())
                .setUpdatedAt(T0.plusSeconds(second)).build());
    }

    private static SplitMetrics split(String name, double accuracy) {
        long total = 1000;
        return new SplitMetrics(name, Math.round(accuracy * total), total, accuracy, null, java.util.Map.of());
    }
}
