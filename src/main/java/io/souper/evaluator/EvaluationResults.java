package io.souper.evaluator;

import io.souper.checkpoint.StoredArtifact;
import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.ReportRequest;
import io.souper.events.SubjectKind;
import io.souper.scoring.ScoringResult;

import java.time.Instant;
import java.util.List;

/**
 * The evaluator's answers, built the one way the souper reads them: subjectId is the checkpoint
 * or request id (what makes a redelivered result recognisable), the soup id is the key, and a
 * failure carries a structured error instead of scores.
 */
final class EvaluationResults {

    private EvaluationResults() {
    }

    static EvaluationResult scored(CheckpointReady event, ScoringResult scores, String device, long durationMs) {
        return withScores(checkpointBase(event, device, durationMs), scores).build();
    }

    static EvaluationResult failed(CheckpointReady event, EvaluationFailure failure, String device, long durationMs) {
        return checkpointBase(event, device, durationMs)
                .setIngredients(List.of(IngredientRef.newBuilder().setCheckpointId(event.getCheckpointId())
                        .setUri(event.getUri()).setSha256(event.getSha256()).build()))
                .setError(failure.toEvent())
                .build();
    }

    static EvaluationResult scored(EvaluationRequest request, ScoringResult scores, String device, long durationMs) {
        return withScores(requestBase(request, device, durationMs), scores)
                .setArtifactUri(scores.artifact().map(StoredArtifact::uri).orElse(null))
                .setArtifactSha256(scores.artifact().map(StoredArtifact::sha256).orElse(null))
                .build();
    }

    private static EvaluationResult.Builder withScores(EvaluationResult.Builder builder, ScoringResult scores) {
        return builder.setIngredients(ScoringEvents.ingredients(scores))
                .setHeldOut(ScoringEvents.metrics(scores.heldOut()))
                .setTest(scores.test().map(ScoringEvents::metrics).orElse(null))
                .setShifts(ScoringEvents.shifts(scores));
    }

    static EvaluationResult failed(EvaluationRequest request, EvaluationFailure failure, String device, long durationMs) {
        return requestBase(request, device, durationMs)
                .setIngredients(request.getIngredients())
                .setError(failure.toEvent())
                .build();
    }

    /** A report part's answer: subjectId is the part's request id; the kind says what was scored. */
    static EvaluationResult scored(ReportRequest request, ScoringResult scores, String device, long durationMs) {
        return withScores(reportBase(request, device, durationMs), scores)
                .setArtifactUri(scores.artifact().map(StoredArtifact::uri).orElse(null))
                .setArtifactSha256(scores.artifact().map(StoredArtifact::sha256).orElse(null))
                .build();
    }

    static EvaluationResult failed(ReportRequest request, EvaluationFailure failure, String device, long durationMs) {
        return reportBase(request, device, durationMs)
                .setIngredients(request.getIngredients())
                .setError(failure.toEvent())
                .build();
    }

    private static EvaluationResult.Builder reportBase(ReportRequest request, String device, long durationMs) {
        SubjectKind kind = switch (request.getPart()) {
            case CHECKPOINT -> SubjectKind.CHECKPOINT;
            case ENSEMBLE -> SubjectKind.ENSEMBLE;
            default -> SubjectKind.CANDIDATE;
        };
        return EvaluationResult.newBuilder()
                .setSubjectId(request.getRequestId())
                .setSoupId(request.getSoupId())
                .setSubjectKind(kind)
                .setBaseVersion(null)
                .setDevice(device)
                .setDurationMs(durationMs)
                .setEvaluatedAt(Instant.now());
    }

    private static EvaluationResult.Builder checkpointBase(CheckpointReady event, String device, long durationMs) {
        return EvaluationResult.newBuilder()
                .setSubjectId(event.getCheckpointId())
                .setSoupId(event.getSoupId())
                .setSubjectKind(SubjectKind.CHECKPOINT)
                .setBaseVersion(null)
                .setRunId(event.getRunId())
                .setHyperParameters(event.getHyperParameters())
                .setDevice(device)
                .setDurationMs(durationMs)
                .setEvaluatedAt(Instant.now());
    }

    private static EvaluationResult.Builder requestBase(EvaluationRequest request, String device, long durationMs) {
        // A kind the evaluator cannot score is still answered under a kind the souper understands.
        SubjectKind kind = request.getKind() == SubjectKind.ENSEMBLE ? SubjectKind.ENSEMBLE : SubjectKind.CANDIDATE;
        return EvaluationResult.newBuilder()
                .setSubjectId(request.getRequestId())
                .setSoupId(request.getSoupId())
                .setSubjectKind(kind)
                .setBaseVersion(request.getBaseVersion())
                .setDevice(device)
                .setDurationMs(durationMs)
                .setEvaluatedAt(Instant.now());
    }
}
