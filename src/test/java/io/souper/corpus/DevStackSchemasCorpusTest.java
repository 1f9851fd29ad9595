package io.souper.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import io.souper.events.CheckpointReady;
import io.souper.events.SoupDefinition;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import io.souper.kafka.TopicNames;
import io.souper.registry.SchemaRegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: one non-JSON record on {@code _schemas} stopped the dev-stack from starting again. Here
 * the record is written by a plain producer into a real dev-stack's schemas topic, the stack is
 * stopped and started on the same data directory with the record still in the log, and the restarted
 * registry both serves the schema an earlier event was written with and registers new ones.
 */
class DevStackSchemasCorpusTest {

    @TempDir
    Path dataDir;

    @Test
    void aNonJsonRecordOnTheSchemasTopicDoesNotStopTheDevStackFromStartingAgain() throws Exception {
        CheckpointReady before = CorpusStack.checkpoint("s", "before-restart", "file:///data/ckpt.safetensors", null);
        long garbageOffset;
        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 1)) {
            KafkaClientConfigs clients = stack.clientConfigs();
            send(clients, TopicNames.CHECKPOINTS, clients.topics().checkpoints.valueSerde().serializer()
                    .serialize(TopicNames.CHECKPOINTS, before));
            garbageOffset = send(clients, SchemaRegistryServer.DEFAULT_TOPIC,
                    "\u0000\u0001 not json {".getBytes(StandardCharsets.UTF_8));
        }

        try (EmbeddedStack again = EmbeddedStack.start(dataDir, 0, 0, 1)) {
            KafkaClientConfigs clients = again.clientConfigs();
            assertThat(read(clients, SchemaRegistryServer.DEFAULT_TOPIC, garbageOffset + 1))
                    .as("the non-JSON record is still in the schemas log").hasSizeGreaterThan((int) garbageOffset);
            SouperTopics topics = clients.topics(); // a new client: its schemas come from the restarted registry
            List<byte[]> checkpoints = read(clients, TopicNames.CHECKPOINTS, 1);
            assertThat(decode(topics.checkpoints, checkpoints.get(0))).isEqualTo(before);

            SoupDefinition definition = CorpusStack.definition("s", Path.of("/data/arch.pt"), "file:///data/held-out",
                    io.souper.events.SoupPolicy.SORTED, io.souper.events.AcceptRule.GREATER, null);
            send(clients, TopicNames.DEFINITIONS, topics.definitions.valueSerde().serializer()
                    .serialize(TopicNames.DEFINITIONS, definition));
            assertThat(decode(clients.topics().definitions, read(clients, TopicNames.DEFINITIONS, 1).get(0)))
                    .as("a new schema registered after the restart").isEqualTo(definition);
        }
    }

    private static <V> V decode(Topic<String, V> topic, byte[] value) {
        return topic.valueSerde().deserializer().deserialize(topic.name(), value);
    }

    private static long send(KafkaClientConfigs clients, String topic, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(clients.producer("corpus-schemas"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(topic, "not json either".getBytes(StandardCharsets.UTF_8), value))
                    .get(30, TimeUnit.SECONDS).offset();
        }
    }

    /** At least {@code count} values of partition 0 of {@code topic}, from its start. */
    private static List<byte[]> read(KafkaClientConfigs clients, String topic, long count) {
        List<byte[]> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(clients.consumer("corpus-unused",
                "corpus-schemas-reader"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition only = new TopicPartition(topic, 0);
            consumer.assign(List.of(only));
            consumer.seekToBeginning(List.of(only));
            long deadline = System.nanoTime() + CorpusStack.WAIT.toNanos();
            while (values.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        assertThat(values).as(topic).hasSizeGreaterThanOrEqualTo((int) count);
        return values;
    }
}
