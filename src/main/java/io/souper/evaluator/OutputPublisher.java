package io.souper.evaluator;

import io.souper.events.DeadLetter;
import io.souper.events.EvaluationResult;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Produces results (souper.evaluations, key soup id) and dead letters (souper.dlq, the original
 * key bytes) and waits until Kafka has them, because the consumed record's offset is committed
 * only afterwards. A failed send (broker or schema registry unreachable) is retried with backoff
 * for as long as the service runs; resending is safe since results are idempotent.
 */
final class OutputPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutputPublisher.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final KafkaProducer<byte[], byte[]> producer;
    private final String evaluationsTopic;
    private final String deadLetterTopic;
    private final Serializer<EvaluationResult> results;
    private final Serializer<DeadLetter> deadLetters;
    private final BooleanSupplier running;

    OutputPublisher(KafkaClientConfigs clients, SouperTopics topics, String clientId, SouperMetrics metrics,
                    BooleanSupplier running) {
        this.producer = new KafkaProducer<>(clients.producer(clientId), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.evaluationsTopic = topics.evaluations.name();
        this.deadLetterTopic = topics.deadLetters.name();
        this.results = topics.evaluations.valueSerde().serializer();
        this.deadLetters = topics.deadLetters.valueSerde().serializer();
        this.running = running;
        if (metrics != null) {
            metrics.bind(producer);
        }
    }

    /**
     * Sends {@code result} (may be null) and {@code deadLetter} (may be null) and waits for both
     * acknowledgements. False if the service stopped before they were delivered.
     */
    boolean publish(EvaluationResult result, DeadLetter deadLetter, byte[] deadLetterKey) {
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try {
                List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(2);
                if (result != null) {
                    records.add(new ProducerRecord<>(evaluationsTopic, result.getSoupId().getBytes(StandardCharsets.UTF_8),
                            results.serialize(evaluationsTopic, result)));
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
            } catch (SerializationException e) {
                if (!RegistryOutage.causedBy(e)) {
                    // Our own event failed to serialise: a bug that no retry fixes. Blocking the
                    // partition forever would be worse than losing this one answer.
                    LOG.error("cannot serialise the evaluator's output; dropping it: {}", e.getMessage(), e);
                    return true;
                }
                LOG.warn("schema registry unavailable, retrying in {}: {}", backoff, e.getMessage());
            } catch (ExecutionException e) {
                LOG.warn("cannot deliver the evaluator's output, retrying in {}: {}", backoff, e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (org.apache.kafka.common.KafkaException e) {
                LOG.warn("cannot send the evaluator's output, retrying in {}: {}", backoff, e.toString());
            }
            if (!running.getAsBoolean() || !sleep(backoff)) {
                return false;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private boolean sleep(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        try {
            while (running.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.sleep(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return running.getAsBoolean();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
