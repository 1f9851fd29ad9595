package io.souper.evaluator;

import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.SoupDefinition;
import io.souper.events.SubjectKind;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.Faults;
import io.souper.scoring.ScoringRequest;
import io.souper.scoring.ScoringResult;

/**
 * What one decoded record asks the evaluator to answer: a checkpoint to score alone
 * (souper.checkpoints) or a candidate or ensemble request (souper.candidates). The handler runs
 * both through one path; only the mapping to the scoring domain and to the answer differ.
 */
sealed interface Subject {

    /** The metric label: {@link EvaluatorMetrics#CHECKPOINT}, CANDIDATE or ENSEMBLE. */
    String kind();

    String soupId();

    /** Null when the event names who it is; else why it cannot be answered at all. */
    String missingIds();

    ScoringRequest request(SoupDefinition soup);

    EvaluationResult scored(ScoringResult scores, String device, long durationMs);

    EvaluationResult failed(EvaluationFailure failure, String device, long durationMs);

    static Subject of(Object event) {
        if (event == null) {
            throw new Faults.RecordFaultException(DeadLetters.DESERIALIZATION_FAILED, "the record decoded to nothing");
        }
        if (event instanceof CheckpointReady checkpoint) {
            return new Checkpoint(checkpoint);
        }
        if (event instanceof EvaluationRequest request) {
            return new Request(request);
        }
        throw new IllegalArgumentException("the evaluator answers CheckpointReady and EvaluationRequest, not "
                + event.getClass().getName());
    }

    record Checkpoint(CheckpointReady event) implements Subject {
        public String kind() {
            return EvaluatorMetrics.CHECKPOINT;
        }

        public String soupId() {
            return event.getSoupId();
        }

        public String missingIds() {
            return blank(event.getCheckpointId()) || blank(event.getSoupId())
                    ? "CheckpointReady without checkpointId or soupId" : null;
        }

        public ScoringRequest request(SoupDefinition soup) {
            return ScoringEvents.request(event, soup);
        }

        public EvaluationResult scored(ScoringResult scores, String device, long durationMs) {
            return EvaluationResults.scored(event, scores, device, durationMs);
        }

        public EvaluationResult failed(EvaluationFailure failure, String device, long durationMs) {
            return EvaluationResults.failed(event, failure, device, durationMs);
        }

        @Override
        public String toString() {
            return "checkpoint " + event.getCheckpointId() + " of soup " + event.getSoupId();
        }
    }

    record Request(EvaluationRequest event) implements Subject {
        public String kind() {
            return event.getKind() == SubjectKind.ENSEMBLE ? EvaluatorMetrics.ENSEMBLE : EvaluatorMetrics.CANDIDATE;
        }

        public String soupId() {
            return event.getSoupId();
        }

        public String missingIds() {
            return blank(event.getRequestId()) || blank(event.getSoupId())
                    ? "EvaluationRequest without requestId or soupId" : null;
        }

        public ScoringRequest request(SoupDefinition soup) {
            return ScoringEvents.request(event, soup);
        }

        public EvaluationResult scored(ScoringResult scores, String device, long durationMs) {
            return EvaluationResults.scored(event, scores, device, durationMs);
        }

        public EvaluationResult failed(EvaluationFailure failure, String device, long durationMs) {
            return EvaluationResults.failed(event, failure, device, durationMs);
        }

        @Override
        public String toString() {
            return kind() + " " + event.getRequestId() + " of soup " + event.getSoupId() + " ("
                    + event.getIngredients().size() + " ingredients)";
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
