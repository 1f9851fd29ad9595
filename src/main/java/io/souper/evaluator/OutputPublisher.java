package io.souper.evaluator;

import io.souper.events.DeadLetter;
import io.souper.events.EvaluationResult;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

/**
 * Produces results (souper.evaluations, key soup id) and dead letters (souper.dlq, the original
 * key bytes) and waits until Kafka has them, because the consumed record's offset is committed
 * only afterwards. A send that fails for the world's reasons (broker or schema registry
 * unreachable) is retried by {@link Retry} for as long as the service runs; resending is safe
 * since results are idempotent. Any other failure (our own event cannot be serialised) is a bug
 * and stops the evaluator rather than dropping an answer.
 */
final class OutputPublisher implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final String evaluationsTopic;
    private final String deadLetterTopic;
    private final Serializer<EvaluationResult> results;
    private final Serializer<DeadLetter> deadLetters;
    private final Retry retry;

    OutputPublisher(KafkaClientConfigs clients, SouperTopics topics, String clientId, SouperMetrics metrics,
                    Retry retry) {
        this.producer = new KafkaProducer<>(clients.producer(clientId), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.evaluationsTopic = topics.evaluations.name();
        this.deadLetterTopic = topics.deadLetters.name();
        this.results = topics.evaluations.valueSerde().serializer();
        this.deadLetters = topics.deadLetters.valueSerde().serializer();
        this.retry = retry;
        if (metrics != null) {
            metrics.bind(producer);
        }
    }

    /**
     * Sends {@code result} (may be null) and {@code deadLetter} (may be null) and waits for both
     * acknowledgements. False if the service stopped before they were delivered.
     */
    boolean publish(EvaluationResult result, DeadLetter deadLetter, byte[] deadLetterKey) {
        return publish(evaluationsTopic, result, deadLetter, deadLetterKey);
    }

    /** The same, with the result on {@code resultsTopic} (souper.report-results for report parts). */
    boolean publish(String resultsTopic, EvaluationResult result, DeadLetter deadLetter, byte[] deadLetterKey) {
        return retry.call("publishing the evaluator's output", () -> {
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(2);
            if (result != null) {
                records.add(new ProducerRecord<>(resultsTopic, result.getSoupId().getBytes(StandardCharsets.UTF_8),
                        results.serialize(resultsTopic, result)));
            }
            if (deadLetter != null) {
                records.add(new ProducerRecord<>(deadLetterTopic, deadLetterKey,
                        deadLetters.serialize(deadLetterTopic, deadLetter)));
            }
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            records.forEach(r -> acks.add(producer.send(r)));
            for (Future<RecordMetadata> ack : acks) {
                ack.get();
            }
            return true;
        }).orElse(false);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
