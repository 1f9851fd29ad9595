package io.souper.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.events.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dead letter always fits the dead-letter topic, whatever the size of what it carries. */
class DeadLettersTest {

    /** Accepted by a broker with default limits; its bytes plus a dead letter's metadata are not. */
    private static final int NEAR_ONE_MIB = 1_048_400;

    @Test
    void aNearOneMibValueIsAcceptedAndItsDeadLetterFitsTheDeadLetterTopic(@TempDir Path dir) throws Exception {
        byte[] garbage = new byte[NEAR_ONE_MIB];
        new Random(7).nextBytes(garbage);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir)) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(),
                    "mock://dead-letters-" + UUID.randomUUID());
            SouperTopics topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
            try (Admin admin = Admin.create(clients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(1), (short) 1);
            }
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(clients.producer("dlq-test"),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                byte[] key = "soup-a".getBytes(StandardCharsets.UTF_8);
                long offset = producer.send(new ProducerRecord<>(TopicNames.CHECKPOINTS, key, garbage))
                        .get(30, TimeUnit.SECONDS).offset();

                DeadLetter whole = DeadLetter.newBuilder(DeadLetters.of(TopicNames.CHECKPOINTS, 0, offset, key,
                        new byte[0], DeadLetters.DESERIALIZATION_FAILED, "bad magic", "evaluator", Instant.now()))
                        .setValue(ByteBuffer.wrap(garbage)).build();
                assertThatThrownBy(() -> send(producer, topics, key, whole))
                        .as("without the cap the dead letter is refused, so a component would retry forever")
                        .hasCauseInstanceOf(RecordTooLargeException.class);

                DeadLetter capped = DeadLetters.of(TopicNames.CHECKPOINTS, 0, offset, key, garbage,
                        DeadLetters.DESERIALIZATION_FAILED, "Unknown magic byte", "evaluator", Instant.now());
                send(producer, topics, DeadLetters.recordKey(key), capped);
            }
            List<ConsumerRecord<String, DeadLetter>> read = TopicReader.readAll(clients, topics.deadLetters);
            assertThat(read).hasSize(1);
            DeadLetter letter = read.get(0).value();
            String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(garbage));
            assertThat(bytes(letter.getValue())).isEqualTo(Arrays.copyOf(garbage, DeadLetters.MAX_COPIED_VALUE_BYTES));
            assertThat(letter.getHeaders()).containsEntry(DeadLetters.ORIGINAL_VALUE_BYTES, "1048400")
                    .containsEntry(DeadLetters.ORIGINAL_VALUE_SHA256, sha256);
            assertThat(letter.getMessage()).startsWith("Unknown magic byte")
                    .contains("first " + DeadLetters.MAX_COPIED_VALUE_BYTES + " of 1048400 bytes").contains(sha256);
            assertThat(letter.getReasonCode()).isEqualTo(DeadLetters.DESERIALIZATION_FAILED);
        }
    }

    @Test
    void smallValuesAreCopiedWholeAndHugeKeysMessagesAndHeadersAreCut() {
        byte[] value = {0, 1, 2, 3};
        byte[] hugeKey = new byte[100_000];
        String hugeText = "é".repeat(200_000);

        DeadLetter letter = DeadLetters.of("t", 1, 2, hugeKey, value, DeadLetters.INVALID_EVENT, hugeText, "souper",
                Instant.EPOCH, Map.of("subjectId", hugeText, "errorCode", "HASH_MISMATCH"));

        assertThat(bytes(letter.getValue())).isEqualTo(value);
        assertThat(letter.getKey().remaining()).isEqualTo(DeadLetters.MAX_COPIED_KEY_BYTES);
        assertThat(letter.getHeaders()).containsEntry(DeadLetters.ORIGINAL_KEY_BYTES, "100000")
                .containsEntry("errorCode", "HASH_MISMATCH")
                .doesNotContainKey(DeadLetters.ORIGINAL_VALUE_BYTES);
        assertThat(letter.getHeaders().get("subjectId")).hasSize(DeadLetters.MAX_HEADER_CHARS);
        assertThat(letter.getMessage()).hasSize(DeadLetters.MAX_MESSAGE_CHARS);
        assertThat(DeadLetters.recordKey(hugeKey)).hasSize(DeadLetters.MAX_COPIED_KEY_BYTES);
        assertThat(DeadLetters.of("t", 0, 0, null, null, "R", null, "c", Instant.EPOCH).getMessage()).isEqualTo("R");
    }

    @Test
    void aCutNeverSplitsASurrogatePair() {
        String emoji = "\uD83D\uDE00"; // one character, two chars
        String text = "x" + emoji.repeat(DeadLetters.MAX_MESSAGE_CHARS);

        String message = DeadLetters.of("t", 0, 0, null, null, "R", text, "c", Instant.EPOCH).getMessage();

        assertThat(message.length()).isLessThanOrEqualTo(DeadLetters.MAX_MESSAGE_CHARS);
        assertThat(Character.isHighSurrogate(message.charAt(message.length() - 2))).isFalse();
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, SouperTopics topics, byte[] key, DeadLetter letter)
            throws ExecutionException, InterruptedException {
        byte[] value = topics.deadLetters.valueSerde().serializer().serialize(TopicNames.DLQ, letter);
        try {
            producer.send(new ProducerRecord<>(TopicNames.DLQ, key, value)).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the broker did not answer", e);
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
