package io.souper.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
import io.souper.events.SoupUpdated;
import io.souper.events.SubjectKind;
import io.souper.kafka.Faults;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Feeds {@link SoupEvents} from the topics dashboards read: every soup version
 * (souper.updates), every decision (souper.decisions) and every checkpoint's own score
 * (the CHECKPOINT results on souper.evaluations). A plain consumer without a group: each
 * web process reads every partition itself (so any instance's page shows every soup, not
 * just the soups its stream tasks hold) and commits nothing. On start it reads back the
 * last {@value #REPLAY} records of each partition, so a page shows the sweep's history.
 */
public final class SoupEventFeed implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SoupEventFeed.class);

    /** Records per partition read back on start. */
    static final long REPLAY = 2_000;
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofSeconds(2);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final SouperTopics topics;
    private final SoupEvents events;
    private final Thread thread;
    private volatile boolean running = true;

    private SoupEventFeed(KafkaClientConfigs clients, SouperTopics topics, SoupEvents events) {
        Map<String, Object> config = clients.consumer("souper-web", "souper-web-feed");
        config.remove("group.id");
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topics = topics;
        this.events = events;
        this.thread = new Thread(this::run, "souper-web-feed");
        thread.setDaemon(true);
    }

    public static SoupEventFeed start(KafkaClientConfigs clients, SouperTopics topics, SoupEvents events) {
        SoupEventFeed feed = new SoupEventFeed(clients, topics, events);
        feed.thread.start();
        return feed;
    }

    private void run() {
        try {
            Set<String> wanted = Set.of(topics.updates.name(), topics.decisions.name(), topics.evaluations.name());
            while (running && !assign(wanted)) {
                Thread.sleep(RETRY.toMillis());
            }
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    if (!forward(record)) {
                        // the registry is away: read this record again, after a pause
                        consumer.seek(new TopicPartition(record.topic(), record.partition()), record.offset());
                        Thread.sleep(RETRY.toMillis());
                        break;
                    }
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("the live page's event feed stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Assigns every partition of the wanted topics, once they all exist. */
    private boolean assign(Set<String> wanted) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : wanted) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                LOG.info("live page feed: waiting for topic {}", topic);
                return false;
            }
            infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> from = new HashMap<>();
        partitions.forEach(tp -> from.put(tp, Math.max(starts.get(tp), ends.get(tp) - REPLAY)));
        from.forEach(consumer::seek);
        return true;
    }

    /** False when the record could not be decoded for a reason that may pass (registry outage). */
    private boolean forward(ConsumerRecord<byte[], byte[]> record) {
        try {
            String topic = record.topic();
            if (topic.equals(topics.updates.name())) {
                SoupUpdated update = decode(topics.updates, record);
                if (update != null) {
                    events.publish("update", AvroJson.toJson(update));
                }
            } else if (topic.equals(topics.decisions.name())) {
                SoupDecision decision = decode(topics.decisions, record);
                if (decision != null) {
                    events.publish("decision", AvroJson.toJson(decision));
                }
            } else {
                EvaluationResult result = decode(topics.evaluations, record);
                if (result != null && result.getSubjectKind() == SubjectKind.CHECKPOINT && result.getError() == null
                        && result.getHeldOut() != null) {
                    events.publish("checkpoint", checkpoint(result));
                }
            }
            return true;
        } catch (RuntimeException e) {
            switch (Faults.classify(e)) {
                case WORLD -> {
                    LOG.warn("live page feed: cannot decode {}-{}@{} now ({}); retrying", record.topic(),
                            record.partition(), record.offset(), e.toString());
                    return false;
                }
                case RECORD -> {
                    // the souper dead-letters what it cannot read; the page just does not show it
                    LOG.warn("live page feed: skipping unreadable {}-{}@{}: {}", record.topic(), record.partition(),
                            record.offset(), e.getMessage());
                    return true;
                }
                default -> throw e;
            }
        }
    }

    private static <V> V decode(Topic<String, V> topic, ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? null : topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
    }

    /** A checkpoint's own score: one point of the page's chart. */
    private static ObjectNode checkpoint(EvaluationResult result) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("soupId", result.getSoupId());
        node.put("checkpointId", result.getSubjectId());
        node.put("heldOutAccuracy", result.getHeldOut().getAccuracy());
        if (result.getTest() != null) {
            node.put("testAccuracy", result.getTest().getAccuracy());
        } else {
            node.putNull("testAccuracy");
        }
        node.put("at", result.getEvaluatedAt().toString());
        return node;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
