package io.souper.evaluator;

import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.ReportRequest;
import io.souper.events.SoupDefinition;
import io.souper.events.SubjectKind;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.Faults;
import io.souper.kafka.SouperTopics;
import io.souper.scoring.ScoringRequest;
import io.souper.scoring.ScoringResult;

/**
 * What one decoded record asks the evaluator to answer: a checkpoint to score alone
 * (souper.checkpoints), a candidate or ensemble request (souper.candidates), or one part of a
 * report (souper.report-requests). The handler runs them through one path; only the mapping to
 * the scoring domain, to the answer, and where the answer goes differ.
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

    /**
     * Where the answer goes: souper.evaluations, which the souper folds into its soups, except for
     * report parts, answered on souper.report-results so the souper never sees them.
     */
    default String answerTopic(SouperTopics topics) {
        return topics.evaluations.name();
    }

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
        if (event instanceof ReportRequest report) {
            return new Report(report);
        }
        throw new IllegalArgumentException("the evaluator answers CheckpointReady, EvaluationRequest and ReportRequest, not "
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

    record Report(ReportRequest event) implements Subject {
        public String kind() {
            return switch (event.getPart()) {
                case CHECKPOINT -> EvaluatorMetrics.CHECKPOINT;
                case ENSEMBLE -> EvaluatorMetrics.ENSEMBLE;
                default -> EvaluatorMetrics.CANDIDATE;
            };
        }

        public String soupId() {
            return event.getSoupId();
        }

        public String missingIds() {
            return blank(event.getRequestId()) || blank(event.getReportId()) || blank(event.getSoupId())
                    ? "ReportRequest without requestId, reportId or soupId" : null;
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
        public String answerTopic(SouperTopics topics) {
            return topics.reportResults.name();
        }

        @Override
        public String toString() {
            return "report part " + event.getRequestId() + " (" + event.getPart() + ", "
                    + event.getIngredients().size() + " ingredients) of soup " + event.getSoupId();
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
