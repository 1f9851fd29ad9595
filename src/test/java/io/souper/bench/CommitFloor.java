package io.souper.bench;

import io.souper.kafka.KafkaClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The broker's floor under one souper cycle, measured in the same JVM and at the same moment as the
 * benchmark: a transaction shaped like one souper commit (a small record to each of {@code partitions}
 * partitions, flushed, offsets added, committed), with the souper's producer settings (one request in
 * flight), timed from begin to committed. Nothing the souper does per record is in it: it is what
 * exactly-once costs on this broker and machine, paid once per commit.
 */
final class CommitFloor {

    static final String TOPIC = "bench-commit-floor";

    private CommitFloor() {
    }

    /** Sorted commit times in ms of {@code transactions} transactions, after a few to warm up. */
    static double[] measure(KafkaClientConfigs clients, int partitions, int transactions) throws Exception {
        try (Admin admin = Admin.create(clients.admin())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> config = clients.producer("bench-commit-floor");
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-commit-floor");
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        double[] ms = new double[transactions];
        byte[] value = new byte[512];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            for (int t = -5; t < transactions; t++) {
                long start = System.nanoTime();
                producer.beginTransaction();
                for (int p = 0; p < partitions; p++) {
                    producer.send(new ProducerRecord<>(TOPIC, p, null, null, value));
                }
                producer.flush();
                producer.sendOffsetsToTransaction(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(t + 6)),
                        new ConsumerGroupMetadata("bench-commit-floor"));
                producer.commitTransaction();
                if (t >= 0) {
                    ms[t] = (System.nanoTime() - start) / 1e6;
                }
            }
        }
        Arrays.sort(ms);
        return ms;
    }
}
