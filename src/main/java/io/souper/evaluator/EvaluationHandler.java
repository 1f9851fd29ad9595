package io.souper.evaluator;

import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDefinition;
import io.souper.events.SubjectKind;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.SouperTopics;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The evaluator's handling of one record: decode it (undecodable bytes go to the DLQ as
 * DESERIALIZATION_FAILED), find its soup's definition, evaluate, and publish the result. Any
 * failure of the evaluation itself becomes a result carrying a structured error AND a dead letter
 * (EVALUATION_FAILED, with the original bytes), and the evaluator moves on to the next record.
 */
final class EvaluationHandler implements WorkProcessor {

    static final String COMPONENT = "evaluator";
    private static final Logger LOG = LoggerFactory.getLogger(EvaluationHandler.class);
    private static final Duration REGISTRY_RETRY = Duration.ofSeconds(1);

    private final EvaluationEngine engine;
    private final SoupDefinitions definitions;
    private final OutputPublisher publisher;
    private final EvaluatorMetrics metrics;
    private final String checkpointsTopic;
    private final String candidatesTopic;
    private final Deserializer<CheckpointReady> checkpoints;
    private final Deserializer<EvaluationRequest> requests;
    private final BooleanSupplier running;

    EvaluationHandler(EvaluationEngine engine, SoupDefinitions definitions, OutputPublisher publisher,
                      EvaluatorMetrics metrics, SouperTopics topics, BooleanSupplier running) {
        this.engine = engine;
        this.definitions = definitions;
        this.publisher = publisher;
        this.metrics = metrics;
        this.checkpointsTopic = topics.checkpoints.name();
        this.candidatesTopic = topics.candidates.name();
        this.checkpoints = topics.checkpoints.valueSerde().deserializer();
        this.requests = topics.candidates.valueSerde().deserializer();
        this.running = running;
    }

    @Override
    public boolean process(WorkItem item) {
        if (item.topic().equals(checkpointsTopic)) {
            Decoded<CheckpointReady> event = decode(item, checkpoints);
            return event.value() != null ? checkpoint(item, event.value()) : event.handled();
        }
        if (item.topic().equals(candidatesTopic)) {
            Decoded<EvaluationRequest> event = decode(item, requests);
            return event.value() != null ? request(item, event.value()) : event.handled();
        }
        LOG.error("record from unexpected topic {} ignored", item);
        return true;
    }

    @Override
    public void idle() {
        definitions.refresh();
    }

    private boolean checkpoint(WorkItem item, CheckpointReady event) {
        if (blank(event.getCheckpointId()) || blank(event.getSoupId())) {
            return deadLetterOnly(item, DeadLetters.INVALID_EVENT, "CheckpointReady without checkpointId or soupId");
        }
        long start = System.nanoTime();
        try {
            requireKeyMatches(item, event.getSoupId());
            SoupDefinition soup = definitions.require(event.getSoupId());
            Evaluation evaluation = engine.checkpoint(event, soup);
            long nanos = System.nanoTime() - start;
            metrics.evaluated(EvaluatorMetrics.CHECKPOINT, true, nanos, evaluation.images());
            LOG.info("checkpoint {} of soup {}: held-out {}/{} in {} ms", event.getCheckpointId(), event.getSoupId(),
                    evaluation.heldOut().getCorrect(), evaluation.heldOut().getTotal(), nanos / 1_000_000);
            return publisher.publish(EvaluationResults.scored(event, evaluation, engine.device(), nanos / 1_000_000),
                    null, null);
        } catch (RuntimeException | Error e) {
            EvaluationFailure failure = failure(e);
            long nanos = System.nanoTime() - start;
            metrics.evaluated(EvaluatorMetrics.CHECKPOINT, false, nanos, 0);
            LOG.warn("checkpoint {} of soup {} failed: {}", event.getCheckpointId(), event.getSoupId(), failure);
            EvaluationResult result = EvaluationResults.failed(event, failure, engine.device(), nanos / 1_000_000);
            return publishFailure(item, result, failure);
        }
    }

    private boolean request(WorkItem item, EvaluationRequest request) {
        if (blank(request.getRequestId()) || blank(request.getSoupId())) {
            return deadLetterOnly(item, DeadLetters.INVALID_EVENT, "EvaluationRequest without requestId or soupId");
        }
        String kind = request.getKind() == SubjectKind.ENSEMBLE ? EvaluatorMetrics.ENSEMBLE : EvaluatorMetrics.CANDIDATE;
        long start = System.nanoTime();
        try {
            requireKeyMatches(item, request.getSoupId());
            SoupDefinition soup = definitions.require(request.getSoupId());
            Evaluation evaluation = switch (request.getKind()) {
                case CANDIDATE -> engine.candidate(request, soup);
                case ENSEMBLE -> engine.ensemble(request, soup);
                default -> throw new EvaluatorException(EvaluatorErrorCode.INVALID_EVENT, "request "
                        + request.getRequestId() + " has kind " + request.getKind()
                        + "; the evaluator scores CANDIDATE (weight average) and ENSEMBLE (logit mean) requests");
            };
            long nanos = System.nanoTime() - start;
            metrics.evaluated(kind, true, nanos, evaluation.images());
            LOG.info("{} {} of soup {} ({} ingredients): held-out {}/{} in {} ms", kind, request.getRequestId(),
                    request.getSoupId(), request.getIngredients().size(), evaluation.heldOut().getCorrect(),
                    evaluation.heldOut().getTotal(), nanos / 1_000_000);
            return publisher.publish(EvaluationResults.scored(request, evaluation, engine.device(), nanos / 1_000_000),
                    null, null);
        } catch (RuntimeException | Error e) {
            EvaluationFailure failure = failure(e);
            long nanos = System.nanoTime() - start;
            metrics.evaluated(kind, false, nanos, 0);
            LOG.warn("{} {} of soup {} failed: {}", kind, request.getRequestId(), request.getSoupId(), failure);
            EvaluationResult result = EvaluationResults.failed(request, failure, engine.device(), nanos / 1_000_000);
            return publishFailure(item, result, failure);
        }
    }

    /** VM errors (out of memory...) are not the record's fault: let them stop the service. */
    private static EvaluationFailure failure(Throwable error) {
        if (error instanceof VirtualMachineError vm) {
            throw vm;
        }
        return EvaluationFailure.of(error);
    }

    private boolean publishFailure(WorkItem item, EvaluationResult result, EvaluationFailure failure) {
        DeadLetter letter = deadLetter(item, DeadLetters.EVALUATION_FAILED, failure.toString(), Map.of(
                "errorCode", failure.code(),
                "retriable", Boolean.toString(failure.retriable()),
                "subjectId", result.getSubjectId(),
                "subjectKind", result.getSubjectKind().name()));
        boolean delivered = publisher.publish(result, letter, item.key());
        if (delivered) {
            metrics.deadLettered(DeadLetters.EVALUATION_FAILED);
        }
        return delivered;
    }

    private boolean deadLetterOnly(WorkItem item, String reason, String message) {
        LOG.warn("{} sent to the dead-letter topic: {}: {}", item, reason, message);
        boolean delivered = publisher.publish(null, deadLetter(item, reason, message, Map.of()), item.key());
        if (delivered) {
            metrics.deadLettered(reason);
        }
        return delivered;
    }

    /**
     * A decoded record ({@code value} set), or one that could not be decoded: then {@code handled}
     * says whether it reached the DLQ (false: the service stopped first; it will be consumed again).
     */
    private record Decoded<T>(T value, boolean handled) {
    }

    private <T> Decoded<T> decode(WorkItem item, Deserializer<T> deserializer) {
        while (true) {
            try {
                T value = deserializer.deserialize(item.topic(), item.value());
                if (value == null) {
                    return new Decoded<>(null, deadLetterOnly(item, DeadLetters.DESERIALIZATION_FAILED,
                            "record has no value"));
                }
                return new Decoded<>(value, true);
            } catch (SerializationException e) {
                if (!RegistryOutage.causedBy(e)) {
                    return new Decoded<>(null, deadLetterOnly(item, DeadLetters.DESERIALIZATION_FAILED, e.getMessage()));
                }
                LOG.warn("schema registry unavailable while decoding {}; retrying: {}", item, e.getMessage());
                if (!pause(REGISTRY_RETRY)) {
                    return new Decoded<>(null, false);
                }
            }
        }
    }

    private boolean pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return running.getAsBoolean();
    }

    private static void requireKeyMatches(WorkItem item, String soupId) {
        if (item.key() == null) {
            return; // unkeyed: the event's own soup id decides where the result goes
        }
        String key = new String(item.key(), StandardCharsets.UTF_8);
        if (!key.equals(soupId)) {
            throw new EvaluatorException(EvaluatorErrorCode.INVALID_EVENT, "record key '" + key
                    + "' differs from the event's soup id '" + soupId + "'; every Souper topic is keyed by soup id");
        }
    }

    private static DeadLetter deadLetter(WorkItem item, String reason, String message, Map<String, String> headers) {
        DeadLetter letter = DeadLetters.of(item.topic(), item.partition().partition(), item.offset(), item.key(),
                item.value(), reason, message, COMPONENT, Instant.now());
        letter.setHeaders(Map.copyOf(headers));
        return letter;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
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
