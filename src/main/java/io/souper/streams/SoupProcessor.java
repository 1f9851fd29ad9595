package io.souper.streams;

import io.souper.events.DeadLetter;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.events.WaitingResult;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.Faults;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicNames;
import io.souper.soup.Decision;
import io.souper.soup.InvalidSoupInputException;
import io.souper.soup.SoupInput;
import io.souper.soup.SoupState;
import io.souper.soup.SoupStep;
import io.souper.soup.SoupVersion;
import io.souper.soup.Souper;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The souper: folds definitions and evaluation results into per-soup state with the
 * pure core ({@link Souper#step}) and emits requests, decisions, updates and dead
 * letters. It reads raw bytes and decodes them itself, so an unreadable record becomes
 * a dead letter inside the same exactly-once transaction instead of stopping the app.
 * What is the record's fault and what is the world's is decided by {@link Faults}: only the
 * record's is dead-lettered; a schema registry that does not answer fails the task, so the
 * record is read again (see {@link SouperStreamsConfig}).
 * Time given to the core is the record's timestamp, so a replay after a crash emits the
 * same events.
 */
final class SoupProcessor implements Processor<String, byte[], String, SpecificRecord> {

    static final String COMPONENT = "souper-streams";
    /** Soup states kept decoded per task (a 126-checkpoint soup's state is ~30 KB, decoded and encoded). */
    static final int DECODED_STATES = 2_048;
    private static final Logger LOG = LoggerFactory.getLogger(SoupProcessor.class);

    private final SouperTopics topics;
    private final SouperStreamsSettings settings;
    private final SoupStreamsMetrics metrics;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, SoupDefinition> definitions;
    private KeyValueStore<String, byte[]> states;
    private KeyValueStore<String, SoupUpdated> latest;
    private KeyValueStore<String, SoupDecision> decisions;
    private WaitingResults waiting;
    private PoisonAttempts poison;
    /** Per task: the soups of a task stay on one thread. */
    private final DecodedStates decoded = new DecodedStates(DECODED_STATES);
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
        waiting = new WaitingResults(context.getStateStore(StoreNames.WAITING),
                context.getStateStore(StoreNames.WAITING_COUNTS), settings.maxWaitingPerSoup(), settings.definitionWait());
        // stream time, not the wall clock: a result's wait is measured in the records' own time, so a
        // replay (or a souper catching up after downtime) expires the same results as the first run
        context.schedule(settings.waitingCheckInterval(), PunctuationType.STREAM_TIME, this::expireWaiting);
        poison = PoisonAttempts.of(context.stateDir(), context.taskId());
    }

    /**
     * One record, guarded: a record that already made the souper fail {@code poisonAttempts} times is
     * dead-lettered as REPEATED_CRASH instead of failing the task again. What escapes is counted first (an outage
     * is not: the record is fine and is retried for as long as the outage lasts).
     */
    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata where = context.recordMetadata().orElseThrow();
        int failed = poison.failures(where);
        if (failed >= settings.poisonAttempts()) {
            deadLetter(Origin.of(record, where), record, DeadLetters.REPEATED_CRASH, "the souper failed " + failed
                    + " times on this record (" + where.topic() + "[" + where.partition() + "]@" + where.offset()
                    + "); skipped so the other soups go on");
            poison.forget(where);
            return;
        }
        try {
            processOnce(record, where);
        } catch (RuntimeException | Error e) {
            if (!Faults.isWorld(e)) {
                int attempts = poison.recordFailure(where);
                LOG.error("souper failed on {}[{}]@{} (soup '{}'), attempt {} of {}: {}", where.topic(),
                        where.partition(), where.offset(), record.key(), attempts, settings.poisonAttempts(), e.toString());
            }
            throw e;
        }
        if (failed > 0) {
            poison.forget(where);
        }
    }

    private void processOnce(Record<String, byte[]> record, RecordMetadata where) {
        Origin meta = Origin.of(record, where);
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

    private void onDefinition(Origin meta, Record<String, byte[]> record) {
        String soupId = record.key();
        if (record.value() == null) {
            // a tombstone deletes the soup: a later definition starts it afresh
            definitions.delete(soupId);
            states.delete(soupId);
            decoded.forget(soupId);
            latest.delete(soupId);
            metrics.forget(soupId);
            observedSoups.remove(soupId);
            LOG.info("soup {} deleted", soupId);
            return;
        }
        SoupDefinition definition = decode(meta.topic(), record.value(), topics.definitions.valueSerde().deserializer(),
                deadLetterFor(meta, record));
        if (definition == null) {
            return;
        }
        if (!soupId.equals(definition.getSoupId())) {
            deadLetter(meta, record, DeadLetters.INVALID_EVENT, "definition keyed '" + soupId
                    + "' names soup '" + definition.getSoupId() + "'");
            return;
        }
        SoupState state = loadState(soupId);
        SoupDefinition current = state == null ? null : definitions.get(soupId);
        Optional<String> refused = current == null ? Optional.empty() : EventMapping.terms(current)
                .refusal(EventMapping.terms(definition));
        if (refused.isPresent()) {
            deadLetter(meta, record, DeadLetters.DEFINITION_CONFLICT, "soup '" + soupId + "': " + refused.get());
            return;
        }
        boolean created = state == null;
        if (created) {
            try {
                state = SoupState.create(soupId, EventMapping.policy(definition), EventMapping.acceptance(definition),
                        EventMapping.objective(definition));
            } catch (InvalidSoupInputException invalid) {
                // e.g. a '#' in the soup id, which would make its request ids ambiguous
                deadLetter(meta, record, DeadLetters.INVALID_EVENT, "definition of soup '" + soupId + "': "
                        + invalid.getMessage());
                return;
            }
        }
        definitions.put(soupId, definition);
        if (created) {
            store(soupId, state);
            LOG.info("soup {} defined ({}, accept {})", soupId, definition.getPolicy(), definition.getAcceptRule());
        }
        releaseWaiting(soupId);
    }

    private void onEvaluation(Origin meta, Record<String, byte[]> record) {
        String soupId = record.key();
        if (record.value() == null) {
            deadLetter(meta, record, DeadLetters.INVALID_EVENT, "evaluation result without a value");
            return;
        }
        EvaluationResult result = decode(meta.topic(), record.value(), topics.evaluations.valueSerde().deserializer(),
                deadLetterFor(meta, record));
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
        SoupInput input;
        try {
            Optional<SoupInput> mapped = EventMapping.toInput(result);
            if (mapped.isEmpty()) {
                return; // ensemble baselines are for reports, not for the soup
            }
            input = mapped.get();
        } catch (InvalidEventException | InvalidSoupInputException invalid) {
            onInvalid.send(DeadLetters.INVALID_EVENT, "evaluation result " + result.getSubjectId() + ": "
                    + invalid.getMessage());
            return;
        }
        SoupState state = loadState(soupId);
        SoupStep step;
        try {
            step = Souper.step(state, input, timestamp);
        } catch (InvalidSoupInputException impossible) {
            // e.g. the request in flight answered with other ingredients: a broken evaluator.
            // The core refuses before changing anything, and the state is not stored, so the soup is
            // untouched. Anything else the core throws is a bug in it and fails the task loudly.
            onInvalid.send(DeadLetters.INVALID_EVENT, "evaluation result " + result.getSubjectId() + ": "
                    + impossible.getMessage());
            return;
        }
        store(soupId, state);
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
        decoded.clear();
    }

    /** The soup's stored state, for the caller to change and {@link #store}; null for a soup not defined. */
    private SoupState loadState(String soupId) {
        return decoded.take(soupId, states.get(soupId));
    }

    private void store(String soupId, SoupState state) {
        byte[] bytes = state.encode();
        states.put(soupId, bytes);
        decoded.stored(soupId, bytes, state);
    }

    /**
     * Decodes a value, or returns null when it is unreadable, after dead-lettering it. What is
     * unreadable is decided by {@link Faults}, the rule every consumer uses: only the record's fault
     * (bad magic byte, truncated Avro, a schema id the registry does not have) is dead-lettered. A
     * registry that does not answer is the world's fault: the exception fails the task, nothing of
     * this transaction commits, and Kafka Streams reads the record again once a new stream thread
     * has the task (exactly once, so nothing is lost and nothing is applied twice). A bug fails too.
     */
    private <T> T decode(String topic, byte[] value, Deserializer<T> deserializer, DeadLetterSink onUnreadable) {
        try {
            return deserializer.deserialize(topic, value);
        } catch (RuntimeException e) {
            if (Faults.classify(e) != Faults.Fault.RECORD) {
                LOG.warn("cannot decode a record of {} now ({}): failing the task so that it is read again", topic,
                        e.getMessage());
                throw e;
            }
            onUnreadable.send(DeadLetters.DESERIALIZATION_FAILED, e.getMessage());
            return null;
        }
    }

    // ---- results that arrive before their soup's definition wait, bounded in count and time ----

    private void park(Origin meta, Record<String, byte[]> record) {
        String soupId = record.key();
        if (waiting.full(soupId)) {
            deadLetter(meta, record, DeadLetters.UNKNOWN_SOUP, "no definition for soup '" + soupId + "' and "
                    + waiting.count(soupId) + " results already wait for it");
            return;
        }
        waiting.park(soupId, WaitingResult.newBuilder()
                .setTopic(meta.topic())
                .setPartition(meta.partition())
                .setOffset(meta.offset())
                .setValue(ByteBuffer.wrap(record.value()))
                .setTimestamp(Instant.ofEpochMilli(record.timestamp()))
                .build());
        LOG.info("result for soup {} waits for its definition", soupId);
    }

    private void releaseWaiting(String soupId) {
        for (WaitingResult parked : waiting.release(soupId)) {
            byte[] value = bytes(parked.getValue());
            DeadLetterSink onInvalid = (reason, message) -> forwardDeadLetter(soupId, DeadLetters.of(parked.getTopic(),
                    parked.getPartition(), parked.getOffset(), soupId.getBytes(StandardCharsets.UTF_8), value, reason,
                    message, COMPONENT, parked.getTimestamp()));
            EvaluationResult result = decode(parked.getTopic(), value, topics.evaluations.valueSerde().deserializer(),
                    onInvalid);
            if (result != null) {
                apply(soupId, result, parked.getTimestamp().toEpochMilli(), onInvalid);
            }
        }
    }

    /** Stream-time punctuation: the results whose definition did not come in time go to the DLQ. */
    private void expireWaiting(long streamTime) {
        for (WaitingResults.Expired expired : waiting.expire(streamTime)) {
            WaitingResult parked = expired.result();
            forwardDeadLetter(expired.soupId(), DeadLetters.of(parked.getTopic(), parked.getPartition(),
                    parked.getOffset(), expired.soupId().getBytes(StandardCharsets.UTF_8), bytes(parked.getValue()),
                    DeadLetters.UNKNOWN_SOUP, "no definition for soup '" + expired.soupId() + "' arrived within "
                            + settings.definitionWait() + " (stream time) of this result",
                    COMPONENT, Instant.ofEpochMilli(streamTime)));
        }
    }

    // ---- dead letters ----

    @FunctionalInterface
    private interface DeadLetterSink {
        void send(String reasonCode, String message);
    }

    private DeadLetterSink deadLetterFor(Origin meta, Record<String, byte[]> record) {
        return (reason, message) -> deadLetter(meta, record, reason, message);
    }

    private void deadLetter(Origin meta, Record<String, byte[]> record, String reason, String message) {
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
}
