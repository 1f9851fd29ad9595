package io.souper.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.Topic;
import io.souper.web.AvroJson;
import io.souper.web.Json;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print a Souper topic's events as JSON lines (one object per record: topic, partition, offset, "
                + "timestamp, key, value), decoded through the schema registry. Starts at the beginning (or "
                + "--last N records before the end of each partition) and follows new events until Ctrl-C, or "
                + "stops at the end with --no-follow. Records that cannot be decoded are printed with an error "
                + "instead of a value."})
public final class TailCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "souper.checkpoints, souper.updates, souper.dlq...")
    String topicName;

    @PerInvocation
    @Option(names = "--last", paramLabel = "N", description = "Start N records before the end of each partition.")
    Long last;

    @PerInvocation
    @Option(names = "--no-follow", description = "Stop at the end of the topic instead of waiting for new events.")
    boolean noFollow;

    @PerInvocation
    @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
    Long max;

    @Override
    public Integer call() {
        KafkaClientConfigs clients = connection.connect();
        Topic<String, ? extends SpecificRecord> topic = clients.topics().byName(topicName);
        PrintStream out = System.out;
        Map<String, Object> config = clients.consumer("souper-tail", "souper-tail");
        config.remove("group.id");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
            for (TopicPartition tp : partitions) {
                long start = last == null ? starts.get(tp) : Math.max(starts.get(tp), ends.get(tp) - last);
                consumer.seek(tp, start);
            }
            long printed = 0;
            while (true) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    out.println(Json.write(line(topic, record)));
                    out.flush();
                    if (max != null && ++printed >= max) {
                        return 0;
                    }
                }
                if (noFollow && partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp))) {
                    return 0;
                }
            }
        }
    }

    private static ObjectNode line(Topic<String, ? extends SpecificRecord> topic, ConsumerRecord<byte[], byte[]> record) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("topic", record.topic());
        node.put("partition", record.partition());
        node.put("offset", record.offset());
        node.put("timestamp", Instant.ofEpochMilli(record.timestamp()).toString());
        node.put("key", record.key() == null ? null : topic.keySerde().deserializer().deserialize(record.topic(), record.key()));
        try {
            SpecificRecord value = topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
            node.set("value", value == null ? null : AvroJson.toJson(value));
        } catch (RuntimeException e) {
            node.put("error", e.getMessage());
        }
        return node;
    }
}
