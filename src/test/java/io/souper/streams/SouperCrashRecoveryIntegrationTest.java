package io.souper.streams;

import io.souper.events.SoupPolicy;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A souper that vanishes from the group without leaving it (as a killed process does) and is
 * started again on the same state directory rejoins under the same static member id and settles
 * the next checkpoint. The time from restart to settled is printed (the session timeout is 10 s:
 * without static membership the restarted member waits for the dead one's session to expire).
 */
class SouperCrashRecoveryIntegrationTest {

    private static final long T0 = System.currentTimeMillis() / 1000 * 1000;

    @TempDir
    Path tmp;

    @Test
    void aRestartAfterACrashRejoinsAsTheSameMemberAndSettles() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp.resolve("broker"))) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), "mock://crash-" + UUID.randomUUID());
            SouperTopics topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
            try (Admin admin = Admin.create(clients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(2), (short) 1);
            }
            Path state = tmp.resolve("state");
            try (OracleEvaluator evaluator = new OracleEvaluator(clients, topics, "oracle");
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("driver"),
                         new org.apache.kafka.common.serialization.StringSerializer(),
                         new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                send(producer, TopicNames.DEFINITIONS, "s", topics.definitions.valueSerde().serializer()
                        .serialize(TopicNames.DEFINITIONS, Events.definition("s", SoupPolicy.SORTED)), T0);
                RunningSouper souper = new RunningSouper(clients, topics, "souper-crash", state);
                String instanceId = Files.readString(state.resolve(InstanceId.FILE)).strip();
                checkpoint(producer, topics, 0, 800);
                checkpoint(producer, topics, 1, 820);
                souper.awaitSettled("s", 2, Duration.ofSeconds(60));
                souper.crash();

                long start = System.nanoTime();
                souper = new RunningSouper(clients, topics, "souper-crash", state);
                try {
                    checkpoint(producer, topics, 2, 790);
                    souper.awaitSettled("s", 3, Duration.ofSeconds(60));
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf("souper restart after a crash: settled the next checkpoint %.1f s after the"
                            + " restart began%n", seconds);
                } finally {
                    souper.close();
                }
                assertThat(Files.readString(state.resolve(InstanceId.FILE)).strip()).isEqualTo(instanceId);
            }
        }
    }

    private static void checkpoint(KafkaProducer<String, byte[]> producer, SouperTopics topics, int i, long correct)
            throws Exception {
        send(producer, TopicNames.EVALUATIONS, "s", topics.evaluations.valueSerde().serializer()
                .serialize(TopicNames.EVALUATIONS, Events.checkpoint("s", "c" + i, correct)), T0 + 1000L * (i + 1));
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value, long ts)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, null, ts, key, value)).get();
    }
}
