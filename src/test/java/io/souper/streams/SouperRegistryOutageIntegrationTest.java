package io.souper.streams;


import io.souper.testsupport.NewerSchema;
import io.souper.events.DeadLetter;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import io.souper.kafka.TopicReader;
import io.souper.registry.SchemaRegistryServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two soups (sorted and online) on a real broker and the embedded HTTP schema registry, once
 * uninterrupted and once with the registry stopped in the middle of the run and started again on
 * the same port. The results published during the outage carry a schema id the souper has never
 * read (a newer evaluator's), so it cannot decode them until the registry is back: it must fail the
 * task and read them again, not dead-letter them. Both runs must end with the same soups and the
 * same decisions, and nothing in the dead-letter topic.
 */
class SouperRegistryOutageIntegrationTest {

    private static final List<String> SOUPS = List.of("alpha", "beta");
    private static final long[] ACCURACIES = {810, 842, 799, 860, 775, 901};
    /** From this checkpoint on, results are written with the newer schema; the outage starts here. */
    private static final int NEWER_FROM = 3;
    private static final Duration SETTLE = Duration.ofSeconds(90);
    /** Record timestamps drive the souper's clock; recent ones, or retention would delete the outputs. */
    private static final long T0 = System.currentTimeMillis() / 1000 * 1000;

    @TempDir
    Path tmp;

    record Outcome(Map<String, SoupUpdated> finalSoups, Map<String, List<SoupDecision>> decisions,
                   List<DeadLetter> deadLetters, int failedStreamThreads) {
    }

    @Test
    void aRegistryOutageMidRunLosesNoResultAndDeadLettersNone() throws Exception {
        Outcome uninterrupted = run(tmp.resolve("a"), false);
        Outcome interrupted = run(tmp.resolve("b"), true);

        assertThat(uninterrupted.finalSoups()).containsOnlyKeys(SOUPS);
        assertThat(uninterrupted.decisions().get("alpha")).hasSizeGreaterThanOrEqualTo(ACCURACIES.length);
        assertThat(uninterrupted.failedStreamThreads()).isZero();
        assertThat(interrupted.failedStreamThreads()).as("the outage reached the souper").isGreaterThanOrEqualTo(2);

        assertThat(interrupted.deadLetters()).isEmpty();
        assertThat(uninterrupted.deadLetters()).isEmpty();
        assertThat(interrupted.finalSoups()).isEqualTo(uninterrupted.finalSoups());
        assertThat(interrupted.decisions()).isEqualTo(uninterrupted.decisions());
        // and none was skipped: run() returns only once both soups have settled on every checkpoint
    }

    private Outcome run(Path dir, boolean outage) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir)) {
            try (Admin admin = Admin.create(new KafkaClientConfigs(broker.bootstrapServers(), null).admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(2), (short) 1);
            }
            SchemaRegistryServer registry = new SchemaRegistryServer(broker.bootstrapServers(), 0);
            int registryPort = registry.port();
            try {
                KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), registry.url());
                // each party has its own registry client (and cache), as separate processes would
                SouperTopics driver = SouperTopics.forRegistry(clients.schemaRegistryUrl());
                NewerSchema<EvaluationResult> newer = new NewerSchema<>(driver.registry(), TopicNames.EVALUATIONS,
                        EvaluationResult.getClassSchema());
                int failedThreads;
                try (OracleEvaluator evaluator = new OracleEvaluator(clients,
                             SouperTopics.forRegistry(clients.schemaRegistryUrl()), "oracle");
                     KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("driver"),
                             new StringSerializer(), new ByteArraySerializer())) {
                    for (String soup : SOUPS) {
                        byte[] definition = driver.definitions.valueSerde().serializer().serialize(TopicNames.DEFINITIONS,
                                Events.definition(soup, soup.equals("alpha") ? SoupPolicy.SORTED : SoupPolicy.ONLINE));
                        producer.send(new ProducerRecord<>(TopicNames.DEFINITIONS, null, T0, soup, definition)).get();
                    }
                    RunningSouper souper = new RunningSouper(clients, SouperTopics.forRegistry(clients.schemaRegistryUrl()),
                            "souper-outage", dir.resolve("streams"));
                    try {
                        for (int i = 0; i < ACCURACIES.length; i++) {
                            if (outage && i == NEWER_FROM) {
                                registry.close();
                            }
                            for (String soup : SOUPS) {
                                var result = Events.checkpoint(soup, soup + "-c" + i, ACCURACIES[i]);
                                byte[] bytes = i >= NEWER_FROM ? newer.serialize(result)
                                        : driver.evaluations.valueSerde().serializer().serialize(TopicNames.EVALUATIONS, result);
                                producer.send(new ProducerRecord<>(TopicNames.EVALUATIONS, null, T0 + 1000L * (i + 1),
                                        soup, bytes)).get();
                            }
                            if (outage && i == NEWER_FROM) {
                                // the replacement thread reads the same result again and fails again: twice
                                // proves the retry re-reads it, and that retrying while down drops nothing
                                awaitFailedThreads(souper, 2);
                                registry = new SchemaRegistryServer(broker.bootstrapServers(), registryPort);
                            }
                            for (String soup : SOUPS) {
                                souper.awaitSettled(soup, i + 1, SETTLE);   // fails the test if a result was lost
                            }
                        }
                        failedThreads = souper.failedStreamThreads();
                    } finally {
                        souper.close();
                    }
                }
                return new Outcome(SouperRestartIntegrationTest.latestByKey(clients, driver.updates),
                        SouperRestartIntegrationTest.byKey(clients, driver.decisions),
                        TopicReader.readAll(clients, driver.deadLetters).stream().map(ConsumerRecord::value).toList(),
                        failedThreads);
            } finally {
                registry.close();
            }
        }
    }

    /** Waits until the souper has failed {@code count} stream threads on a result it cannot read yet. */
    private static void awaitFailedThreads(RunningSouper souper, int count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (souper.failedStreamThreads() < count) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the souper failed " + souper.failedStreamThreads() + " stream threads, not "
                        + count + ", on a result it cannot read while the registry is down");
            }
            Thread.sleep(50);
        }
    }
}
