package io.souper.streams;

import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import io.souper.kafka.TopicReader;
import io.souper.metrics.SouperMetrics;
import io.souper.web.HttpEndpoint;
import io.souper.web.SoupApi;
import io.souper.web.SoupApiClient;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two soups (sorted and online) on a real broker, once uninterrupted and once with the
 * souper stopped and restarted twice mid-run (the second time with its local state
 * wiped, so it restores from the changelog). Both runs must publish the same soup
 * versions and the same decisions, record for record.
 */
class SouperRestartIntegrationTest {

    private static final List<String> SOUPS = List.of("alpha", "beta");
    private static final long[] ACCURACIES = {810, 842, 799, 842, 860, 775, 901, 820, 815};
    /** Record timestamps drive the souper's clock; recent ones, or retention would delete the outputs. */
    private static final long T0 = System.currentTimeMillis() / 1000 * 1000;

    @TempDir
    Path tmp;

    record Outcome(Map<String, SoupUpdated> finalSoups, Map<String, List<SoupDecision>> decisions) {
    }

    @Test
    void restartsMidRunGiveTheSameSoupsAndDecisionsAsAnUninterruptedRun() throws Exception {
        Outcome uninterrupted = run(tmp.resolve("a"), List.of());
        Outcome restarted = run(tmp.resolve("b"), List.of(3, 6));

        assertThat(uninterrupted.finalSoups()).containsOnlyKeys(SOUPS);
        assertThat(uninterrupted.finalSoups().get("alpha").getIngredients()).hasSizeGreaterThan(0);
        assertThat(uninterrupted.decisions().get("alpha")).hasSizeGreaterThanOrEqualTo(ACCURACIES.length);
        assertThat(restarted.finalSoups()).isEqualTo(uninterrupted.finalSoups());
        assertThat(restarted.decisions()).isEqualTo(uninterrupted.decisions());
    }

    /** Publishes the checkpoints one by one, restarting the souper before the given indexes. */
    private Outcome run(Path dir, List<Integer> restartBefore) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir)) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), "mock://restart-" + UUID.randomUUID());
            SouperTopics topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
            try (Admin admin = Admin.create(clients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(2), (short) 1);
            }
            Path state = dir.resolve("streams");
            try (OracleEvaluator evaluator = new OracleEvaluator(clients, topics, "oracle");
                 KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(clients.producer("driver"),
                         topics.definitions.keySerde().serializer(), new AnyRecordSerializer(topics))) {
                for (String soup : SOUPS) {
                    producer.send(new ProducerRecord<>(TopicNames.DEFINITIONS, null, T0, soup,
                            Events.definition(soup, soup.equals("alpha") ? SoupPolicy.SORTED : SoupPolicy.ONLINE))).get();
                }
                Souper souper = new Souper(clients, topics, state);
                try {
                    for (int i = 0; i < ACCURACIES.length; i++) {
                        if (restartBefore.contains(i)) {
                            souper.close();
                            if (restartBefore.indexOf(i) == 1) {
                                wipe(state);
                            }
                            souper = new Souper(clients, topics, state);
                        }
                        for (String soup : SOUPS) {
                            EvaluationResult scored = Events.checkpoint(soup, soup + "-c" + i, ACCURACIES[i]);
                            producer.send(new ProducerRecord<>(TopicNames.EVALUATIONS, null, T0 + 1000L * (i + 1), soup, scored)).get();
                        }
                        for (String soup : SOUPS) {
                            souper.api.awaitSettled(soup, i + 1, Duration.ofSeconds(60));
                        }
                    }
                } finally {
                    souper.close();
                }
            }
            return new Outcome(latestByKey(clients, topics.updates), byKey(clients, topics.decisions));
        }
    }

    /** One souper instance with its HTTP API, as `souper streams` runs it. */
    private static final class Souper implements AutoCloseable {
        private final SouperMetrics metrics = new SouperMetrics("streams");
        private final HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, metrics).start();
        private final SouperStreamsApp app;
        private final SoupApiClient api = new SoupApiClient(endpoint.url());

        Souper(KafkaClientConfigs clients, SouperTopics topics, Path state) throws InterruptedException {
            app = SouperStreamsApp.start(clients.bootstrapServers(), topics, "souper-restart", state, 1,
                    SouperStreamsSettings.defaults(), metrics, new HostInfo("localhost", endpoint.port()));
            new SoupApi(app.queries()).register(endpoint);
            app.awaitRunning(Duration.ofSeconds(60));
        }

        @Override
        public void close() {
            app.close();
            endpoint.close();
            metrics.close();
        }
    }

    private static <V extends SpecificRecord> Map<String, V> latestByKey(KafkaClientConfigs clients, Topic<String, V> topic) {
        Map<String, V> latest = new LinkedHashMap<>();
        TopicReader.readAll(clients, topic).forEach(r -> latest.put(r.key(), r.value()));
        return latest;
    }

    private static <V extends SpecificRecord> Map<String, List<V>> byKey(KafkaClientConfigs clients, Topic<String, V> topic) {
        Map<String, List<V>> all = new LinkedHashMap<>();
        TopicReader.readAll(clients, topic).forEach(r -> all.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
        return all;
    }

    private static void wipe(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Serializes definitions and results with their own topic's serde. */
    private static final class AnyRecordSerializer implements org.apache.kafka.common.serialization.Serializer<SpecificRecord> {
        private final SouperTopics topics;

        AnyRecordSerializer(SouperTopics topics) {
            this.topics = topics;
        }

        @Override
        public byte[] serialize(String topic, SpecificRecord data) {
            if (data instanceof SoupDefinition d) {
                return topics.definitions.valueSerde().serializer().serialize(topic, d);
            }
            return topics.evaluations.valueSerde().serializer().serialize(topic, (EvaluationResult) data);
        }
    }
}
