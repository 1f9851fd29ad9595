package io.souper.streams;

import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A test double for the evaluator (which is not what the souper's tests test): answers
 * every candidate request with a deterministic accuracy of the ingredient set, stamped
 * one millisecond after the request, so two runs see identical inputs.
 */
final class OracleEvaluator implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    OracleEvaluator(KafkaClientConfigs clients, SouperTopics topics, String groupId) {
        thread = new Thread(() -> loop(clients, topics, groupId), "oracle-evaluator");
        thread.start();
    }

    /** Accuracy of a set, in thousandths: same set, same answer, whatever the order. */
    static long correctFor(List<IngredientRef> ingredients) {
        TreeSet<String> ids = new TreeSet<>();
        ingredients.forEach(i -> ids.add(i.getCheckpointId()));
        return 700 + Math.floorMod(String.join(",", ids).hashCode(), 250);
    }

    private void loop(KafkaClientConfigs clients, SouperTopics topics, String groupId) {
        try (KafkaConsumer<String, EvaluationRequest> consumer = new KafkaConsumer<>(
                     clients.consumer(groupId, "oracle"), topics.candidates.keySerde().deserializer(),
                     topics.candidates.valueSerde().deserializer());
             KafkaProducer<String, EvaluationResult> producer = new KafkaProducer<>(clients.producer("oracle"),
                     topics.evaluations.keySerde().serializer(), topics.evaluations.valueSerde().serializer())) {
            consumer.subscribe(List.of(topics.candidates.name()));
            while (running.get()) {
                for (ConsumerRecord<String, EvaluationRequest> record : consumer.poll(Duration.ofMillis(100))) {
                    EvaluationResult answer = Events.answer(record.value(), correctFor(record.value().getIngredients()));
                    producer.send(new ProducerRecord<>(topics.evaluations.name(), null, record.timestamp() + 1,
                            record.key(), answer));
                }
                producer.flush();
                consumer.commitSync();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(10_000);
    }
}
