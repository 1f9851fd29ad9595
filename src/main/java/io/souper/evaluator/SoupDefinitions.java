package io.souper.evaluator;

import io.souper.errors.SouperException;
import io.souper.events.SoupDefinition;
import io.souper.kafka.Faults;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.Topic;
import io.souper.metrics.SouperMetrics;
import io.souper.soup.SoupTerms;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every soup's definition, read from the compacted souper.definitions topic by a consumer of its
 * own: no group, all partitions assigned, from the beginning, so every evaluator instance knows
 * every soup whichever partitions of the work topics it owns. {@link #refresh} picks up what has
 * arrived since; {@link #require} reads to the topic's end before declaring a soup unknown, since
 * a definition published just before its first checkpoint may not have been fetched yet.
 * A tombstone (null value) forgets a soup. A redefinition that changes what the soup's scores mean
 * (its {@link SoupTerms}: architecture, held-out data, policy, accept rule) is refused here as the
 * souper refuses it, so this evaluator goes on scoring with the definition the souper keeps and
 * scores on other data are never compared. Not thread-safe: the evaluation thread owns it.
 */
final class SoupDefinitions implements AutoCloseable {

    /** The name Souper's own evaluator answers to in a definition's {@code evaluator} field (null means it too). */
    static final String SOUPER_EVALUATOR = "souper";
    private static final Logger LOG = LoggerFactory.getLogger(SoupDefinitions.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Deserializer<SoupDefinition> deserializer;
    private final String topic;
    private final Duration catchUpTimeout;
    private final Map<String, SoupDefinition> bySoup = new HashMap<>();
    /** The registry failure that stops reading now (null when definitions decode): logged when it starts and ends. */
    private RuntimeException outage;

    SoupDefinitions(KafkaClientConfigs clients, Topic<String, SoupDefinition> topic, String clientId,
                    Duration catchUpTimeout, SouperMetrics metrics) {
        Map<String, Object> config = clients.consumer("unused", clientId);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.deserializer = topic.valueSerde().deserializer();
        this.topic = topic.name();
        this.catchUpTimeout = catchUpTimeout;
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(this.topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + this.topic + " does not exist (run `souper topics create`)");
            }
            List<TopicPartition> all = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(all);
            consumer.seekToBeginning(all);
            if (metrics != null) {
                metrics.bind(consumer);
            }
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    /** Applies whatever definitions have been fetched since the last call, without waiting. */
    void refresh() {
        apply(consumer.poll(Duration.ZERO));
    }

    /** The soup's definition, reading the topic to its end first if needed; UNKNOWN_SOUP if it has none. */
    SoupDefinition require(String soupId) {
        refresh();
        SoupDefinition known = bySoup.get(soupId);
        if (known != null) {
            return known;
        }
        catchUp();
        known = bySoup.get(soupId);
        if (known == null && outage != null) {
            throw outage; // the definition may be among those not readable yet: the world's fault, retried
        }
        if (known == null) {
            throw new SouperException(EvaluatorErrorCode.UNKNOWN_SOUP, "no definition of soup '" + soupId
                    + "' on " + topic + " (read to its end); publish one with `souper soup define`");
        }
        return known;
    }

    /**
     * Whether the soup's definition hands it to another evaluator (its {@code evaluator} names one
     * other than {@value #SOUPER_EVALUATOR}): then this evaluator leaves its records to that one.
     * An unknown soup is not another's: it goes the usual way and is answered UNKNOWN_SOUP.
     */
    boolean answeredElsewhere(String soupId) {
        refresh();
        if (!bySoup.containsKey(soupId)) {
            catchUp();
        }
        SoupDefinition known = bySoup.get(soupId);
        if (known == null && outage != null) {
            throw outage; // whose soup it is may be among the definitions not readable yet
        }
        return known != null && known.getEvaluator() != null && !SOUPER_EVALUATOR.equals(known.getEvaluator());
    }

    /** Reads until every partition's position reaches the end offset taken now (bounded by the catch-up timeout). */
    private void catchUp() {
        long deadline = System.nanoTime() + catchUpTimeout.toNanos();
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), catchUpTimeout);
        while (!reached(end)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.warn("reading {} to its end took longer than {}; going on with what was read", topic, catchUpTimeout);
                return;
            }
            if (apply(consumer.poll(Duration.ofMillis(Math.min(200, Math.max(1, left / 1_000_000)))))) {
                return; // the registry is down: what is left cannot be read now
            }
        }
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** True when some record could not be read for the world's reasons (it is read again later). */
    private boolean apply(ConsumerRecords<byte[], byte[]> records) {
        if (records.isEmpty()) {
            return false;
        }
        RuntimeException failing = null;
        Set<TopicPartition> retryLater = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (retryLater.contains(tp)) {
                continue;
            }
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                if (key != null) {
                    bySoup.remove(key);
                }
                continue;
            }
            SoupDefinition definition;
            try {
                definition = deserializer.deserialize(r.topic(), r.value());
            } catch (SerializationException e) {
                if (Faults.isWorld(e)) {
                    // Not the record's fault: read it again on the next refresh.
                    failing = e;
                    consumer.seek(tp, r.offset());
                    retryLater.add(tp);
                    continue;
                }
                // The souper dead-letters bad definitions; the evaluator only must not trip over them.
                LOG.warn("skipping unreadable definition at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                        e.getMessage());
                continue;
            }
            if (definition.getSoupId() == null || definition.getSoupId().isBlank()) {
                LOG.warn("skipping definition without a soup id at {}-{}@{}", r.topic(), r.partition(), r.offset());
                continue;
            }
            SoupDefinition current = bySoup.get(definition.getSoupId());
            Optional<String> refused = current == null ? Optional.empty()
                    : terms(current).refusal(terms(definition));
            if (refused.isPresent()) {
                // Logged once per refused record (a compacted topic holds one per soup): the souper dead-letters it.
                LOG.warn("ignoring the definition at {}-{}@{} for soup {}: {}; scoring goes on with the soup's "
                        + "first definition", r.topic(), r.partition(), r.offset(), definition.getSoupId(),
                        refused.get());
                continue;
            }
            bySoup.put(definition.getSoupId(), definition);
        }
        if (failing != null && outage == null) {
            LOG.warn("schema registry unreachable while reading {}; definitions are read again until it is back: {}",
                    topic, failing.getMessage());
        } else if (failing == null && outage != null) {
            LOG.info("schema registry back: reading {} again", topic);
        }
        outage = failing;
        return failing != null;
    }

    /** The terms of {@code definition} that no redefinition may change (the souper maps them alike). */
    static SoupTerms terms(SoupDefinition definition) {
        return new SoupTerms(definition.getPolicy().name(), definition.getAcceptRule().name(),
                definition.getArchitectureUri(), definition.getHeldOutUri(), definition.getMetric().name(),
                "inputs " + definition.getInputNames() + ", ignore index " + definition.getIgnoreIndex());
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
