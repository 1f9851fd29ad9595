package io.souper.streams;

import io.souper.events.AcceptRule;
import io.souper.events.EvaluationError;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Test events, built the way the evaluator and the CLI build them. */
final class Events {

    static final long TOTAL = 1000;

    private Events() {
    }

    static SoupDefinition definition(String soupId, SoupPolicy policy) {
        return SoupDefinition.newBuilder()
                .setSoupId(soupId)
                .setArchitectureUri("file:///models/cnn.pt")
                .setHeldOutUri("file:///data/heldout.safetensors")
                .setPolicy(policy)
                .setAcceptRule(AcceptRule.GREATER)
                .setCreatedAt(Instant.ofEpochMilli(0))
                .build();
    }

    static IngredientRef ref(String checkpointId) {
        return IngredientRef.newBuilder().setCheckpointId(checkpointId)
                .setUri("file:///ckpt/" + checkpointId + ".safetensors").setSha256(null).build();
    }

    static EvaluationResult checkpoint(String soupId, String checkpointId, long correct) {
        return EvaluationResult.newBuilder()
                .setSubjectId(checkpointId)
                .setSoupId(soupId)
                .setSubjectKind(SubjectKind.CHECKPOINT)
                .setIngredients(List.of(ref(checkpointId)))
                .setRunId("run-" + checkpointId)
                .setHyperParameters(Map.of("lr", "0.01"))
                .setHeldOut(split(correct))
                .setEvaluatedAt(Instant.ofEpochMilli(0))
                .build();
    }

    static EvaluationResult failedCheckpoint(String soupId, String checkpointId) {
        return EvaluationResult.newBuilder(checkpoint(soupId, checkpointId, 0))
                .setHeldOut(null)
                .setError(EvaluationError.newBuilder().setCode("FILE_NOT_FOUND").setMessage("gone").build())
                .build();
    }

    /** The evaluator's answer to {@code request}, with {@code correct} of {@link #TOTAL} right. */
    static EvaluationResult answer(EvaluationRequest request, long correct) {
        return EvaluationResult.newBuilder()
                .setSubjectId(request.getRequestId())
                .setSoupId(request.getSoupId())
                .setSubjectKind(SubjectKind.CANDIDATE)
                .setBaseVersion(request.getBaseVersion())
                .setIngredients(request.getIngredients())
                .setHeldOut(split(correct))
                .setArtifactUri("file:///artifacts/" + request.getRequestId())
                .setEvaluatedAt(Instant.ofEpochMilli(0))
                .build();
    }

    static SplitMetrics split(long correct) {
        return SplitMetrics.newBuilder().setSplit("held-out").setCorrect(correct).setTotal(TOTAL)
                .setAccuracy((double) correct / TOTAL).build();
    }
}
