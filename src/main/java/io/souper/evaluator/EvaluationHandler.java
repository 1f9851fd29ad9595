package io.souper.evaluator;

import ai.djl.engine.EngineException;
import io.souper.errors.SouperException;
import io.souper.events.DeadLetter;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDefinition;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.Faults;
import io.souper.kafka.SouperTopics;
import io.souper.scoring.EvaluationEngine;
import io.souper.scoring.ScoringResult;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The evaluator's handling of one record: decode it, find its soup's definition, score it, and
 * publish the result. What goes wrong is sorted by {@link Faults}: the world's faults (schema
 * registry or broker down, a retriable I/O error) are retried by {@link Retry} until they pass;
 * the record's faults become a result carrying a structured error AND a dead letter (undecodable
 * bytes: DESERIALIZATION_FAILED only; anything else: EVALUATION_FAILED, with the original bytes),
 * and the evaluator moves on (an unexpected exception while scoring is answered as INTERNAL_ERROR
 * and logged with its stack trace; see {@link #failure}).
 */
final class EvaluationHandler implements WorkProcessor {

    static final String COMPONENT = "evaluator";
    private static final Logger LOG = LoggerFactory.getLogger(EvaluationHandler.class);

    private final EvaluationEngine engine;
    private final SoupDefinitions definitions;
    private final OutputPublisher publisher;
    private final EvaluatorMetrics metrics;
    private final Retry retry;
    private final Map<String, Deserializer<?>> deserializers;
    private final SouperTopics topics;

    EvaluationHandler(EvaluationEngine engine, SoupDefinitions definitions, OutputPublisher publisher,
                      EvaluatorMetrics metrics, SouperTopics topics, Retry retry) {
        this.engine = engine;
        this.definitions = definitions;
        this.publisher = publisher;
        this.metrics = metrics;
        this.retry = retry;
        this.topics = topics;
        this.deserializers = Map.of(
                topics.checkpoints.name(), topics.checkpoints.valueSerde().deserializer(),
                topics.candidates.name(), topics.candidates.valueSerde().deserializer(),
                topics.reportRequests.name(), topics.reportRequests.valueSerde().deserializer());
    }

    @Override
    public boolean process(WorkItem item) {
        Deserializer<?> deserializer = deserializers.get(item.topic());
        if (deserializer == null) {
            LOG.error("record from unexpected topic {} ignored", item);
            return true;
        }
        if (item.value() == null) {
            return deadLetterOnly(item, DeadLetters.DESERIALIZATION_FAILED, "record has no value");
        }
        Optional<Subject> subject;
        try {
            subject = retry.call("decoding " + item,
                    () -> Subject.of(deserializer.deserialize(item.topic(), item.value())));
        } catch (RuntimeException e) {
            if (!Faults.isRecordFault(e)) {
                throw e;
            }
            return deadLetterOnly(item, DeadLetters.DESERIALIZATION_FAILED, e.getMessage());
        }
        if (subject.isEmpty()) {
            return false; // the service stopped during a registry outage: the record is consumed again
        }
        String missing = subject.get().missingIds();
        return missing != null ? deadLetterOnly(item, DeadLetters.INVALID_EVENT, missing) : answer(item, subject.get());
    }

    @Override
    public boolean refuse(WorkItem item, EvaluationFailure failure, String reasonCode) {
        Deserializer<?> deserializer = deserializers.get(item.topic());
        Subject subject = null;
        try {
            if (deserializer != null && item.value() != null) {
                subject = Subject.of(deserializer.deserialize(item.topic(), item.value()));
            }
        } catch (RuntimeException e) {
            subject = null; // unreadable (or the registry is down): the dead letter alone tells
        }
        if (subject == null || subject.missingIds() != null) {
            return deadLetterOnly(item, reasonCode, failure.toString());
        }
        metrics.evaluated(subject.kind(), false, 0, 0);
        return publishFailure(item, subject.answerTopic(topics), subject.failed(failure, engine.device(), 0), failure, reasonCode);
    }

    @Override
    public void idle() {
        definitions.refresh();
    }

    /** Scores the subject and publishes the scores, or the failure and its dead letter. */
    private boolean answer(WorkItem item, Subject subject) {
        // Reports are asked by people, not by the souper: Souper's evaluator answers them for every soup.
        if (!(subject instanceof Subject.Report)) {
            // reading the definitions may meet a broker or registry outage: retried like any world's fault
            Optional<Boolean> elsewhere = retry.call("reading the definition of soup " + subject.soupId(),
                    () -> definitions.answeredElsewhere(subject.soupId()));
            if (elsewhere.isEmpty()) {
                return false; // stopped during an outage: consumed again after the restart
            }
            if (elsewhere.get()) {
                LOG.debug("{} left to the evaluator its soup names", subject);
                return true;
            }
        }
        long start = System.nanoTime();
        Optional<ScoringResult> scores;
        try {
            scores = retry.call("evaluating " + subject, () -> {
                requireKeyMatches(item, subject.soupId());
                SoupDefinition soup = definitions.require(subject.soupId());
                return engine.score(subject.request(soup));
            });
        } catch (RuntimeException e) {
            EvaluationFailure failure = failure(e);
            long nanos = System.nanoTime() - start;
            metrics.evaluated(subject.kind(), false, nanos, 0);
            LOG.warn("{} failed: {}", subject, failure);
            return publishFailure(item, subject.answerTopic(topics),
                    subject.failed(failure, engine.device(), nanos / 1_000_000), failure, DeadLetters.EVALUATION_FAILED);
        }
        if (scores.isEmpty()) {
            return false; // stopped while the world was failing: evaluated again after the restart
        }
        long nanos = System.nanoTime() - start;
        metrics.evaluated(subject.kind(), true, nanos, scores.get().imagesScored());
        LOG.info("{}: held-out {}/{} in {} ms", subject, scores.get().heldOut().correct(),
                scores.get().heldOut().total(), nanos / 1_000_000);
        return publisher.publish(subject.answerTopic(topics),
                subject.scored(scores.get(), engine.device(), nanos / 1_000_000), null, null);
    }

    /**
     * What an evaluation failure is answered with. Coded refusals and libtorch failing on these
     * weights are the record's. Anything else is answered too, as INTERNAL_ERROR, but logged with
     * its stack trace: scoring runs third-party and native code on files anyone can announce, so
     * an unexpected exception there is most likely the file's doing, and stopping the evaluator
     * would stop every soup's evaluations and crash again on the same record after a restart.
     * An {@link Error} (out of memory) is not caught here and does stop the process.
     */
    private static EvaluationFailure failure(RuntimeException error) {
        if (!Faults.isRecordFault(error) && !(error instanceof EngineException)) {
            LOG.error("unexpected failure while evaluating; answered as INTERNAL_ERROR", error);
        }
        return EvaluationFailure.of(error);
    }

    private boolean publishFailure(WorkItem item, String answerTopic, EvaluationResult result,
                                   EvaluationFailure failure, String reasonCode) {
        DeadLetter letter = deadLetter(item, reasonCode, failure.toString(), Map.of(
                "errorCode", failure.code(),
                "retriable", Boolean.toString(failure.retriable()),
                "subjectId", result.getSubjectId(),
                "subjectKind", result.getSubjectKind().name()));
        boolean delivered = publisher.publish(answerTopic, result, letter, DeadLetters.recordKey(item.key()));
        if (delivered) {
            metrics.deadLettered(reasonCode);
        }
        return delivered;
    }

    private boolean deadLetterOnly(WorkItem item, String reason, String message) {
        LOG.warn("{} sent to the dead-letter topic: {}: {}", item, reason, message);
        boolean delivered = publisher.publish(null, deadLetter(item, reason, message, Map.of()), DeadLetters.recordKey(item.key()));
        if (delivered) {
            metrics.deadLettered(reason);
        }
        return delivered;
    }

    private static void requireKeyMatches(WorkItem item, String soupId) {
        if (item.key() == null) {
            return; // unkeyed: the event's own soup id decides where the result goes
        }
        String key = new String(item.key(), StandardCharsets.UTF_8);
        if (!key.equals(soupId)) {
            throw new SouperException(EvaluatorErrorCode.INVALID_EVENT, "record key '" + key
                    + "' differs from the event's soup id '" + soupId + "'; every Souper topic is keyed by soup id");
        }
    }

    private static DeadLetter deadLetter(WorkItem item, String reason, String message, Map<String, String> headers) {
        return DeadLetters.of(item.topic(), item.partition().partition(), item.offset(), item.key(), item.value(),
                reason, message, COMPONENT, Instant.now(), headers);
    }

    @Override
    public void close() {
        closeQuietly(engine);
        closeQuietly(definitions);
        closeQuietly(publisher);
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
        }
    }
}
