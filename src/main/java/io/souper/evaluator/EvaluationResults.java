package io.souper.evaluator;

import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SubjectKind;

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

    static EvaluationResult scored(CheckpointReady event, Evaluation evaluation, String device, long durationMs) {
        return checkpointBase(event, device, durationMs)
                .setIngredients(evaluation.ingredients())
                .setHeldOut(evaluation.heldOut())
                .setTest(evaluation.test())
                .setShifts(evaluation.shifts())
                .build();
    }

    static EvaluationResult failed(CheckpointReady event, EvaluationFailure failure, String device, long durationMs) {
        return checkpointBase(event, device, durationMs)
                .setIngredients(List.of(IngredientRef.newBuilder().setCheckpointId(event.getCheckpointId())
                        .setUri(event.getUri()).setSha256(event.getSha256()).build()))
                .setError(failure.toEvent())
                .build();
    }

    static EvaluationResult scored(EvaluationRequest request, Evaluation evaluation, String device, long durationMs) {
        return requestBase(request, device, durationMs)
                .setIngredients(evaluation.ingredients())
                .setHeldOut(evaluation.heldOut())
                .setTest(evaluation.test())
                .setShifts(evaluation.shifts())
                .setArtifactUri(evaluation.artifact() == null ? null : evaluation.artifact().uri())
                .setArtifactSha256(evaluation.artifact() == null ? null : evaluation.artifact().sha256())
                .build();
    }

    static EvaluationResult failed(EvaluationRequest request, EvaluationFailure failure, String device, long durationMs) {
        return requestBase(request, device, durationMs)
                .setIngredients(request.getIngredients())
                .setError(failure.toEvent())
                .build();
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
