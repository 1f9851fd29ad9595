package io.souper.chaos;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.souper.checkpoint.Sha256;
import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDefinition;
import io.souper.kafka.BrokerWatch;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.FreePorts;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.HttpEndpoint;
import io.souper.web.SoupApi;
import io.souper.web.SoupApiClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, item 5 (broker part): the broker goes away for a minute while a checkpoint is in
 * flight, and comes back on the same port with the same data. The evaluator and the souper run
 * in this JVM as their commands run them (each with its {@link BrokerWatch}); the schema registry
 * is in memory, so only the broker is away. Afterwards the soup must equal its undisturbed twin
 * (same tensors; see {@link ChaosInputs}), nothing may be on the dead-letter topic, both services
 * must still run, and each must have logged exactly one "broker unreachable" and one "broker back".
 */
class BrokerOutageTest {

    /** Issue 12 says a minute. */
    static final Duration OUTAGE = Duration.ofSeconds(60);
    private static final Duration SETTLE = Duration.ofSeconds(120);
    private static final String BASELINE = "b00";
    private static final String UNDER_OUTAGE = "c00";

    @TempDir
    Path tmp;

    @Test
    void aMinuteWithoutTheBrokerStopsNothingLosesNothingAndIsLoggedOnceEachWay() throws Exception {
        long started = System.nanoTime();
        // PyTorch makes the checkpoints while the broker and the services start (2 cores: both busy)
        Path store = Files.createDirectories(tmp.resolve("store"));
        CompletableFuture<ChaosInputs> making = CompletableFuture.supplyAsync(
                () -> ChaosInputs.make(store, 20261201L, 1, 2));
        int port = FreePorts.pick();
        Path brokerData = tmp.resolve("broker");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(brokerData, port);
        ListAppender<ILoggingEvent> watchLog = new ListAppender<>();
        watchLog.start();
        Logger watchLogger = (Logger) LoggerFactory.getLogger(BrokerWatch.class);
        watchLogger.addAppender(watchLog);
        KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(),
                "mock://broker-outage-" + UUID.randomUUID());
        SouperTopics topics = clients.topics();
        try (Admin admin = Admin.create(clients.admin())) {
            new TopicBootstrapper(admin).ensure(TopicNames.all(2), (short) 1);
        }
        try (SouperMetrics souperMetrics = new SouperMetrics("streams");
             HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, souperMetrics).start();
             SouperMetrics evaluatorMetrics = new SouperMetrics("evaluator");
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("outage-test"),
                     new StringSerializer(), new ByteArraySerializer())) {
            // the souper as `souper streams` runs it: Kafka Streams, its query API and its broker watch
            SouperStreamsApp souper = SouperStreamsApp.start(clients, topics, "souper-outage", tmp.resolve("state"), 1,
                    SouperStreamsSettings.defaults(), souperMetrics, new HostInfo("localhost", endpoint.port()));
            BrokerWatch souperWatch = BrokerWatch.start("souper", clients);
            new SoupApi(souper.queries()).register(endpoint);
            SoupApiClient api = new SoupApiClient(endpoint.url());
            EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store, ChaosInputs.IDX),
                    tmp.resolve("work")).withDevice("cpu").withGroupId("evaluator-outage");
            try (souper; souperWatch;
                 EvaluatorService evaluator = EvaluatorService.start(clients, topics, settings, evaluatorMetrics)) {
                souper.awaitRunning(Duration.ofSeconds(60));
                ChaosInputs inputs = making.get(5, TimeUnit.MINUTES);
                for (String soup : List.of(BASELINE, UNDER_OUTAGE)) {
                    send(producer, topics.definitions.name(), soup, topics.definitions.valueSerde().serializer()
                            .serialize(topics.definitions.name(), definition(soup, inputs)));
                }

                // k00 of both twins side by side, then the undisturbed soup's k01
                publish(producer, topics, inputs, BASELINE, 0);
                publish(producer, topics, inputs, UNDER_OUTAGE, 0);
                api.awaitSettled(BASELINE, 1, SETTLE);
                api.awaitSettled(UNDER_OUTAGE, 1, SETTLE);
                publish(producer, topics, inputs, BASELINE, 1);
                api.awaitSettled(BASELINE, 2, SETTLE);

                // k01 of the other: once its score is out, the souper asks for the candidate {k00, k01}
                // and decides; the broker goes in the middle of that
                publish(producer, topics, inputs, UNDER_OUTAGE, 1);
                awaitScored(clients, topics, UNDER_OUTAGE + "-k01");
                long down = System.nanoTime();
                broker.close();
                System.out.printf(Locale.ROOT, "broker stopped at %.1f s for %d s%n",
                        (down - started) / 1e9, OUTAGE.toSeconds());

                await("both services to see the broker gone", Duration.ofSeconds(40),
                        () -> !evaluator.brokerReachable() && !souperWatch.reachable());
                Thread.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - down) / 1_000_000));
                assertThat(evaluator.isRunning()).as("evaluator running during the outage").isTrue();
                assertThat(souper.state()).as("souper during the outage").isIn(KafkaStreams.State.RUNNING,
                        KafkaStreams.State.REBALANCING);

                long restart = System.nanoTime();
                broker = EmbeddedKafkaBroker.start(brokerData, port);
                api.awaitSettled(UNDER_OUTAGE, 2, SETTLE);
                long settled = System.nanoTime();
                await("both services to see the broker back", Duration.ofSeconds(30),
                        () -> evaluator.brokerReachable() && souperWatch.reachable());
                System.out.printf(Locale.ROOT, "broker down %.1f s; restart -> soup settled %.1f s%n",
                        (restart - down) / 1e9, (settled - restart) / 1e9);

                Map<String, List<String>> published = Map.of(BASELINE, List.of("k00", "k01"),
                        UNDER_OUTAGE, List.of("k00", "k01"));
                Map<String, SoupOutcome> outcome = SoupOutcome.read(clients, topics.updates, topics.decisions,
                        published);
                SoupOutcome undisturbed = outcome.get(BASELINE);
                SoupOutcome disturbed = outcome.get(UNDER_OUTAGE);
                assertThat(undisturbed.versions()).isNotEmpty();
                assertThat(undisturbed.decisions()).as("a checkpoint decision and a candidate decision")
                        .hasSizeGreaterThanOrEqualTo(2);
                assertThat(ChaosRun.comparable(disturbed.versions())).as("versions after the outage")
                        .isEqualTo(ChaosRun.comparable(undisturbed.versions()));
                assertThat(disturbed.decisions()).as("decisions after the outage").isEqualTo(undisturbed.decisions());
                assertThat(undisturbed.problems()).isEmpty();
                assertThat(disturbed.problems()).isEmpty();
                assertThat(SoupOutcome.readAll(clients, topics.deadLetters)).as("dead letters").isEmpty();
                assertThat(evaluator.isRunning()).as("evaluator still running").isTrue();
                assertThat(souper.state()).as("souper still running").isIn(KafkaStreams.State.RUNNING,
                        KafkaStreams.State.REBALANCING);

                List<String> lines = watchLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
                for (String service : List.of("evaluator", "souper")) {
                    assertThat(lines.stream().filter(l -> l.startsWith(BrokerWatch.UNREACHABLE + " for " + service)))
                            .as("'%s' lines of the %s in %s", BrokerWatch.UNREACHABLE, service, lines).hasSize(1);
                    assertThat(lines.stream().filter(l -> l.startsWith(BrokerWatch.BACK + " for " + service)))
                            .as("'%s' lines of the %s in %s", BrokerWatch.BACK, service, lines).hasSize(1);
                }
            }
        } finally {
            watchLogger.detachAppender(watchLog);
            broker.close();
        }
    }

    private static void publish(KafkaProducer<String, byte[]> producer, SouperTopics topics, ChaosInputs inputs,
                                String soup, int k) throws Exception {
        Path file = soup.equals(BASELINE) ? inputs.checkpoints.get(0).get(k).baseline()
                : inputs.checkpoints.get(0).get(k).chaos();
        String id = String.format(Locale.ROOT, "%s-k%02d", soup, k);
        CheckpointReady event = CheckpointReady.newBuilder().setCheckpointId(id).setSoupId(soup)
                .setUri(file.toUri().toString()).setSha256(Sha256.of(file)).setRunId("run-" + id)
                .setHyperParameters(Map.of("k", "" + k)).setProducedAt(Instant.now()).build();
        send(producer, topics.checkpoints.name(), soup,
                topics.checkpoints.valueSerde().serializer().serialize(topics.checkpoints.name(), event));
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    private static SoupDefinition definition(String soup, ChaosInputs inputs) {
        return SoupDefinition.newBuilder().setSoupId(soup).setArchitectureUri(inputs.architecture.toUri().toString())
                .setHeldOutUri(ChaosInputs.HELD_OUT).setCreatedAt(Instant.now()).build();
    }

    /** Waits until the evaluator's score of checkpoint {@code id} is on souper.evaluations. */
    private static void awaitScored(KafkaClientConfigs clients, SouperTopics topics, String id) {
        try (KafkaConsumer<String, EvaluationResult> consumer = new KafkaConsumer<>(
                clients.consumer("outage-reader-" + UUID.randomUUID(), "outage-reader"),
                topics.evaluations.keySerde().deserializer(), topics.evaluations.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.evaluations.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + SETTLE.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, EvaluationResult> r : consumer.poll(Duration.ofMillis(100))) {
                    if (id.equals(r.value().getSubjectId())) {
                        return;
                    }
                }
            }
            throw new AssertionError(id + " was not scored within " + SETTLE);
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
