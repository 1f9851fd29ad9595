package io.souper.streams;

import io.souper.events.DeadLetter;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicNames;
import io.souper.soup.Decision;
import io.souper.soup.SoupInput;
import io.souper.soup.SoupState;
import io.souper.soup.SoupStep;
import io.souper.soup.SoupVersion;
import io.souper.soup.Souper;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The souper: folds definitions and evaluation results into per-soup state with the
 * pure core ({@link Souper#step}) and emits requests, decisions, updates and dead
 * letters. It reads raw bytes and decodes them itself, so an unreadable record becomes
 * a dead letter inside the same exactly-once transaction instead of stopping the app.
 * Time given to the core is the record's timestamp, so a replay after a crash emits the
 * same events.
 */
final class SoupProcessor implements Processor<String, byte[], String, SpecificRecord> {

    static final String COMPONENT = "souper-streams";
    private static final Logger LOG = LoggerFactory.getLogger(SoupProcessor.class);

    private final SouperTopics topics;
    private final SouperStreamsSettings settings;
    private final SoupStreamsMetrics metrics;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, SoupDefinition> definitions;
    private KeyValueStore<String, byte[]> states;
    private KeyValueStore<String, SoupUpdated> latest;
    private KeyValueStore<String, SoupDecision> decisions;
    private KeyValueStore<String, DeadLetter> waiting;
    /** Soups of this task with gauges, removed when the task leaves this instance (see close). */
    private final Set<String> observedSoups = new HashSet<>();

    SoupProcessor(SouperTopics topics, SouperStreamsSettings settings, SoupStreamsMetrics metrics) {
        this.topics = topics;
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        definitions = context.getStateStore(StoreNames.DEFINITIONS);
        states = context.getStateStore(StoreNames.STATE);
        latest = context.getStateStore(StoreNames.LATEST);
        decisions = context.getStateStore(StoreNames.DECISIONS);
        waiting = context.getStateStore(StoreNames.WAITING);
        context.schedule(settings.waitingCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::expireWaiting);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata meta = context.recordMetadata().orElseThrow();
        if (record.key() == null) {
            deadLetter(meta, record, DeadLetters.INVALID_EVENT, "record without a key: every Souper topic is keyed by soup id");
            return;
        }
        if (TopicNames.DEFINITIONS.equals(meta.topic())) {
            onDefinition(meta, record);
        } else {
            onEvaluation(meta, record);
        }
    }

    private void onDefinition(RecordMetadata meta, Record<String, byte[]> record) {
        String soupId = record.key();
        if (record.value() == null) {
            // a tombstone deletes the soup: a later definition starts it afresh
            definitions.delete(soupId);
            states.delete(soupId);
            latest.delete(soupId);
            metrics.forget(soupId);
            observedSoups.remove(soupId);
            LOG.info("soup {} deleted", soupId);
            return;
        }
        SoupDefinition definition = decode(meta, record, topics.definitions.valueSerde().deserializer());
        if (definition == null) {
            return;
        }
        if (!soupId.equals(definition.getSoupId())) {
            deadLetter(meta, record, DeadLetters.INVALID_EVENT, "definition keyed '" + soupId
                    + "' names soup '" + definition.getSoupId() + "'");
            return;
        }
        SoupState state = loadState(soupId);
        if (state != null && (state.policy() != EventMapping.policy(definition)
                || state.acceptance() != EventMapping.acceptance(definition))) {
            deadLetter(meta, record, DeadLetters.DEFINITION_CONFLICT, "soup '" + soupId + "' runs with policy "
                    + state.policy() + " and accept rule " + state.acceptance() + "; a definition cannot change them"
                    + " (define a new soup id instead)");
            return;
        }
        definitions.put(soupId, definition);
        if (state == null) {
            states.put(soupId, SoupState.create(soupId, EventMapping.policy(definition),
                    EventMapping.acceptance(definition)).encode());
            LOG.info("soup {} defined ({}, accept {})", soupId, definition.getPolicy(), definition.getAcceptRule());
        }
        releaseWaiting(soupId);
    }

    private void onEvaluation(RecordMetadata meta, Record<String, byte[]> record) {
        String soupId = record.key();
        if (record.value() == null) {
            deadLetter(meta, record, DeadLetters.INVALID_EVENT, "evaluation result without a value");
            return;
        }
        EvaluationResult result = decode(meta, record, topics.evaluations.valueSerde().deserializer());
        if (result == null) {
            return;
        }
        if (!soupId.equals(result.getSoupId())) {
            deadLetter(meta, record, DeadLetters.INVALID_EVENT, "evaluation result keyed '" + soupId
                    + "' names soup '" + result.getSoupId() + "'");
            return;
        }
        if (definitions.get(soupId) == null) {
            park(meta, record);
            return;
        }
        apply(soupId, result, record.timestamp(), deadLetterFor(meta, record));
    }

    private void apply(String soupId, EvaluationResult result, long timestamp, DeadLetterSink onInvalid) {
        Optional<SoupInput> input;
        try {
            input = EventMapping.toInput(result);
        } catch (InvalidEventException | IllegalArgumentException | NullPointerException e) {
            onInvalid.send(DeadLetters.INVALID_EVENT, "evaluation result " + result.getSubjectId() + ": " + e.getMessage());
            return;
        }
        if (input.isEmpty()) {
            return; // ensemble baselines are for reports, not for the soup
        }
        SoupState state = loadState(soupId);
        SoupStep step;
        try {
            step = Souper.step(state, input.get(), timestamp);
        } catch (IllegalArgumentException impossible) {
            // e.g. the request in flight answered with other ingredients: a broken evaluator.
            // The core refuses before changing anything, so the soup is untouched.
            onInvalid.send(DeadLetters.INVALID_EVENT, "evaluation result " + result.getSubjectId() + ": "
                    + impossible.getMessage());
            return;
        }
        states.put(soupId, state.encode());
        step.ignored().ifPresent(reason -> metrics.ignored(reason.name()));
        for (Decision decision : step.decisions()) {
            SoupDecision event = EventMapping.toDecision(decision);
            decisions.put(StoreNames.sequenced(soupId, decision.sequence()), event);
            metrics.decided(decision.kind().name());
            LOG.info("soup {} v{}: {} {} (candidate {} vs soup {})", soupId, decision.soupVersion(), decision.kind(),
                    decision.checkpointId(), decision.candidateAccuracy(), decision.soupAccuracy());
            context.forward(new Record<>(soupId, event, timestamp));
        }
        for (SoupVersion version : step.updates()) {
            SoupUpdated event = EventMapping.toUpdate(version);
            latest.put(soupId, event);
            context.forward(new Record<>(soupId, event, timestamp));
        }
        step.request().ifPresent(request -> context.forward(new Record<>(soupId, EventMapping.toRequest(request), timestamp)));
        metrics.observe(state);
        observedSoups.add(soupId);
    }

    @Override
    public void close() {
        // the task is revoked, migrates or shuts down: its soups' gauges must not outlive it here
        metrics.forgetAll(observedSoups);
        observedSoups.clear();
    }

    private SoupState loadState(String soupId) {
        byte[] bytes = states.get(soupId);
        return bytes == null ? null : SoupState.decode(bytes);
    }

    private <T> T decode(RecordMetadata meta, Record<String, byte[]> record, Deserializer<T> deserializer) {
        try {
            return deserializer.deserialize(meta.topic(), record.value());
        } catch (SerializationException e) {
            deadLetter(meta, record, DeadLetters.DESERIALIZATION_FAILED, e.getMessage());
            return null;
        }
    }

    // ---- results that arrive before their soup's definition wait, bounded in count and time ----

    private void park(RecordMetadata meta, Record<String, byte[]> record) {
        String soupId = record.key();
        int parked = 0;
        try (KeyValueIterator<String, DeadLetter> it = waiting.prefixScan(StoreNames.soupPrefix(soupId), keySerializer())) {
            while (it.hasNext()) {
                it.next();
                parked++;
            }
        }
        if (parked >= settings.maxWaitingPerSoup()) {
            deadLetter(meta, record, DeadLetters.UNKNOWN_SOUP, "no definition for soup '" + soupId + "' and "
                    + parked + " results already wait for it");
            return;
        }
        DeadLetter parkedRecord = DeadLetters.of(meta.topic(), meta.partition(), meta.offset(),
                soupId.getBytes(StandardCharsets.UTF_8), record.value(), "WAITING_FOR_DEFINITION",
                "waiting for the definition of soup '" + soupId + "'", COMPONENT, Instant.ofEpochMilli(record.timestamp()));
        waiting.put(StoreNames.sequenced(soupId, meta.offset()), parkedRecord);
        LOG.info("result for soup {} waits for its definition", soupId);
    }

    private void releaseWaiting(String soupId) {
        List<KeyValue<String, DeadLetter>> parked = new ArrayList<>();
        try (KeyValueIterator<String, DeadLetter> it = waiting.prefixScan(StoreNames.soupPrefix(soupId), keySerializer())) {
            it.forEachRemaining(parked::add);
        }
        for (KeyValue<String, DeadLetter> entry : parked) {
            waiting.delete(entry.key);
            DeadLetter p = entry.value;
            byte[] value = bytes(p.getValue());
            EvaluationResult result = topics.evaluations.valueSerde().deserializer().deserialize(p.getOriginalTopic(), value);
            apply(soupId, result, p.getFailedAt().toEpochMilli(), (reason, message) ->
                    forwardDeadLetter(soupId, DeadLetters.of(p.getOriginalTopic(), p.getPartition(), p.getOffset(),
                            bytes(p.getKey()), value, reason, message, COMPONENT, p.getFailedAt())));
        }
    }

    private void expireWaiting(long now) {
        List<KeyValue<String, DeadLetter>> expired = new ArrayList<>();
        try (KeyValueIterator<String, DeadLetter> it = waiting.all()) {
            it.forEachRemaining(entry -> {
                if (now - entry.value.getFailedAt().toEpochMilli() > settings.definitionWait().toMillis()) {
                    expired.add(entry);
                }
            });
        }
        for (KeyValue<String, DeadLetter> entry : expired) {
            waiting.delete(entry.key);
            DeadLetter p = entry.value;
            String soupId = new String(bytes(p.getKey()), StandardCharsets.UTF_8);
            forwardDeadLetter(soupId, DeadLetters.of(p.getOriginalTopic(), p.getPartition(), p.getOffset(),
                    bytes(p.getKey()), bytes(p.getValue()), DeadLetters.UNKNOWN_SOUP,
                    "no definition for soup '" + soupId + "' arrived within " + settings.definitionWait(),
                    COMPONENT, Instant.ofEpochMilli(now)));
        }
    }

    // ---- dead letters ----

    @FunctionalInterface
    private interface DeadLetterSink {
        void send(String reasonCode, String message);
    }

    private DeadLetterSink deadLetterFor(RecordMetadata meta, Record<String, byte[]> record) {
        return (reason, message) -> deadLetter(meta, record, reason, message);
    }

    private void deadLetter(RecordMetadata meta, Record<String, byte[]> record, String reason, String message) {
        String key = record.key();
        forwardDeadLetter(key, DeadLetters.of(meta.topic(), meta.partition(), meta.offset(),
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), record.value(), reason, message,
                COMPONENT, Instant.ofEpochMilli(record.timestamp())));
    }

    private void forwardDeadLetter(String key, DeadLetter letter) {
        LOG.warn("dead letter from {}[{}]@{}: {} {}", letter.getOriginalTopic(), letter.getPartition(),
                letter.getOffset(), letter.getReasonCode(), letter.getMessage());
        metrics.deadLetter(letter.getReasonCode());
        context.forward(new Record<>(key, letter, letter.getFailedAt().toEpochMilli()));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static org.apache.kafka.common.serialization.Serializer<String> keySerializer() {
        return org.apache.kafka.common.serialization.Serdes.String().serializer();
    }
}
