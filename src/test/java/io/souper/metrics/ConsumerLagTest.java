package io.souper.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lag from committed offsets on a real broker: a group that consumed part of a topic and then
 * stopped (no consumer left) still shows what it has not read, per group and topic, and topics
 * outside the watched set are not reported.
 */
class ConsumerLagTest {

    @TempDir
    Path tmp;

    @Test
    void lagOfAGroupWithoutConsumersIsTheLogEndMinusItsCommittedOffsets() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp)) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), null);
            try (Admin admin = Admin.create(clients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(2), (short) 1);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(clients.producer("lag-test"),
                    new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>(TopicNames.CHECKPOINTS, 0, "s", "c" + i)).get();
                }
                producer.send(new ProducerRecord<>(TopicNames.EVALUATIONS, 1, "s", "e")).get();
            }
            // the group read 4 of partition 0 and committed, then its only consumer left
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(clients.consumer("evaluators", "c-1"),
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(List.of(new TopicPartition(TopicNames.CHECKPOINTS, 0)));
                consumer.commitSync(Map.of(new TopicPartition(TopicNames.CHECKPOINTS, 0), new OffsetAndMetadata(4)));
            }
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (ConsumerLag lag = ConsumerLag.start(clients.admin(), List.of(TopicNames.CHECKPOINTS), Duration.ofMillis(200),
                    registry)) {
                assertThat(lag.poll()).containsExactly(
                        Map.entry(new ConsumerLag.GroupTopic("evaluators", TopicNames.CHECKPOINTS), 6L));
                long deadline = System.currentTimeMillis() + 10_000;
                while (registry.find(MetricNames.CONSUMER_GROUP_LAG).gauge() == null
                        && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(registry.get(MetricNames.CONSUMER_GROUP_LAG).tag("group", "evaluators")
                        .tag("topic", TopicNames.CHECKPOINTS).gauge().value()).isEqualTo(6.0);
                // the series name the dashboard and the alerts use
                assertThat(registry.scrape()).containsPattern(
                        "(?m)^souper_consumer_group_lag\\{group=\"evaluators\",topic=\"souper.checkpoints\"} 6(\\.0)?$");
            }
        }
    }
}
