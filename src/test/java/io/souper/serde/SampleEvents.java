package io.souper.serde;

import io.souper.events.AcceptRule;
import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.DecisionKind;
import io.souper.events.EvaluationError;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupIngredient;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.events.SplitMetrics;
import io.souper.events.SubjectKind;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One event of every type in io.souper.events, with every optional field set (nothing left default). */
final class SampleEvents {
    static final Instant AT = Instant.ofEpochMilli(1_700_000_000_123L);

    private SampleEvents() {}

    static List<SpecificRecord> all() {
        return List.of(soupDefinition(), checkpointReady(), evaluationRequest(), evaluationResult(),
                soupUpdated(), soupDecision(), deadLetter());
    }

    static SoupDefinition soupDefinition() {
        return SoupDefinition.newBuilder()
                .setSoupId("soup-a")
                .setArchitectureUri("file:///store/arch.pt")
                .setHeldOutUri("file:///data/held-out")
                .setTestUri("file:///data/test")
                .setShiftUris(Map.of("blur", "file:///data/blur", "noise", "file:///data/noise"))
                .setPolicy(SoupPolicy.ONLINE)
                .setAcceptRule(AcceptRule.GREATER_OR_EQUAL)
                .setDescription("fashion-mnist fine-tunes")
                .setCreatedAt(AT)
                .build();
    }

    static CheckpointReady checkpointReady() {
        return CheckpointReady.newBuilder()
                .setCheckpointId("ckpt-7")
                .setSoupId("soup-a")
                .setUri("file:///store/ckpt-7.safetensors")
                .setFormat("safetensors")
                .setSha256("ab".repeat(32))
                .setSizeBytes(123_456_789L)
                .setRunId("run-7")
                .setStep(4200L)
                .setHyperParameters(Map.of("lr", "0.01", "epochs", "2"))
                .setMetrics(Map.of("train_loss", 0.25, "train_acc", 0.9125))
                .setProducedAt(AT)
                .build();
    }

    static EvaluationRequest evaluationRequest() {
        return EvaluationRequest.newBuilder()
                .setRequestId("req-3")
                .setSoupId("soup-a")
                .setBaseVersion(5L)
                .setKind(SubjectKind.ENSEMBLE)
                .setIngredients(List.of(ingredient("ckpt-1"), ingredient("ckpt-7")))
                .setRequestedAt(AT)
                .build();
    }

    static EvaluationResult evaluationResult() {
        return EvaluationResult.newBuilder()
                .setSubjectId("req-3")
                .setSoupId("soup-a")
                .setSubjectKind(SubjectKind.CANDIDATE)
                .setBaseVersion(5L)
                .setIngredients(List.of(ingredient("ckpt-1"), ingredient("ckpt-7")))
                .setRunId("run-7")
                .setHyperParameters(Map.of("lr", "0.01"))
                .setHeldOut(metrics("held-out", 4512, 5000))
                .setTest(metrics("test", 8950, 10000))
                .setShifts(List.of(metrics("blur", 7000, 10000), metrics("noise", 6100, 10000)))
                .setArtifactUri("file:///store/soup-a/v6.safetensors")
                .setArtifactSha256("cd".repeat(32))
                .setDevice("cuda:0")
                .setDurationMs(1234L)
                .setError(new EvaluationError("SHAPE_MISMATCH", "conv1.weight: [32,1,3,3] vs [16,1,3,3]", true))
                .setEvaluatedAt(AT)
                .build();
    }

    static SoupUpdated soupUpdated() {
        return SoupUpdated.newBuilder()
                .setSoupId("soup-a")
                .setVersion(6L)
                .setPolicy(SoupPolicy.ONLINE)
                .setIngredients(List.of(SoupIngredient.newBuilder()
                        .setCheckpointId("ckpt-1").setUri("file:///store/ckpt-1.safetensors")
                        .setSha256("ef".repeat(32)).setRunId("run-1").setHeldOutAccuracy(0.9024)
                        .setTestAccuracy(0.8958).setHyperParameters(Map.of("lr", "0.003")).build()))
                .setHeldOut(metrics("held-out", 4512, 5000))
                .setTest(metrics("test", 8950, 10000))
                .setShifts(List.of(metrics("blur", 7000, 10000)))
                .setArtifactUri("file:///store/soup-a/v6.safetensors")
                .setArtifactSha256("cd".repeat(32))
                .setScoredCount(7)
                .setAcceptedCount(3)
                .setRejectedCount(2)
                .setPendingCount(1)
                .setFailedCount(1)
                .setLastDecision(soupDecision())
                .setUpdatedAt(AT)
                .build();
    }

    static SoupDecision soupDecision() {
        return SoupDecision.newBuilder()
                .setDecisionId("soup-a/12")
                .setSoupId("soup-a")
                .setSequence(12L)
                .setSoupVersion(6L)
                .setKind(DecisionKind.ACCEPTED)
                .setCheckpointId("ckpt-7")
                .setCandidateIngredients(List.of("ckpt-1", "ckpt-7"))
                .setCandidateAccuracy(0.9031)
                .setSoupAccuracy(0.9024)
                .setAcceptRule(AcceptRule.GREATER_OR_EQUAL)
                .setPolicy(SoupPolicy.ONLINE)
                .setRequestId("req-3")
                .setReason("0.9031 >= 0.9024")
                .setDecidedAt(AT)
                .build();
    }

    static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setOriginalTopic("souper.checkpoints")
                .setPartition(2)
                .setOffset(99L)
                .setKey(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setValue(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 9, 42}))
                .setReasonCode("DESERIALIZATION_FAILED")
                .setMessage("Unknown schema id 9")
                .setComponent("evaluator")
                .setHeaders(Map.of("trace", "abc"))
                .setFailedAt(AT)
                .build();
    }

    private static IngredientRef ingredient(String checkpointId) {
        return new IngredientRef(checkpointId, "file:///store/" + checkpointId + ".safetensors", "12".repeat(32));
    }

    private static SplitMetrics metrics(String split, long correct, long total) {
        return new SplitMetrics(split, correct, total, (double) correct / total, null, java.util.Map.of());
    }
}
