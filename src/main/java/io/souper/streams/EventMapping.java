package io.souper.streams;

import io.souper.events.AcceptRule;
import io.souper.events.DecisionKind;
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
import io.souper.soup.Acceptance;
import io.souper.soup.Accuracy;
import io.souper.soup.CandidateFailed;
import io.souper.soup.CandidateRequest;
import io.souper.soup.CandidateScored;
import io.souper.soup.CheckpointFailed;
import io.souper.soup.CheckpointScored;
import io.souper.soup.Decision;
import io.souper.soup.InvalidSoupInputException;
import io.souper.soup.Objective;
import io.souper.soup.Policy;
import io.souper.soup.SoupTerms;
import io.souper.soup.ScoredIngredient;
import io.souper.soup.SoupInput;
import io.souper.soup.SoupVersion;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Translates between the Avro events on the wire and the pure soup core's inputs and
 * outputs. Malformed events are refused with an {@link InvalidEventException} naming
 * what is wrong, so the souper can dead-letter them.
 */
final class EventMapping {

    static final String HELD_OUT = "held-out";
    static final String TEST = "test";
    /**
     * The failure the souper records for a result scored on a held-out split of 0 images: "0/0" ranks
     * nothing, yet the evaluator reports it as a score; the subject is decided FAILED, never left waiting.
     */
    static final String EMPTY_HELD_OUT = "EMPTY_HELD_OUT";

    private EventMapping() {
    }

    /** What no redefinition may change (the evaluator's SoupDefinitions maps them alike). */
    static SoupTerms terms(SoupDefinition definition) {
        return new SoupTerms(definition.getPolicy().name(), definition.getAcceptRule().name(),
                definition.getArchitectureUri(), definition.getHeldOutUri(), definition.getMetric().name(),
                "inputs " + definition.getInputNames() + ", ignore index " + definition.getIgnoreIndex());
    }

    static Policy policy(SoupDefinition definition) {
        return definition.getPolicy() == SoupPolicy.ONLINE ? Policy.ONLINE : Policy.SORTED;
    }

    static Acceptance acceptance(SoupDefinition definition) {
        return definition.getAcceptRule() == AcceptRule.GREATER_OR_EQUAL ? Acceptance.GREATER_OR_EQUAL : Acceptance.GREATER;
    }

    /** The metric the soup decides on (the schema's enum and the core's have the same names). */
    static Objective objective(SoupDefinition definition) {
        return definition.getMetric() == null ? Objective.ACCURACY : Objective.valueOf(definition.getMetric().name());
    }

    /** The core input for a result, or empty for results the souper does not act on (ensembles). */
    static Optional<SoupInput> toInput(EvaluationResult result) {
        String id = result.getSubjectId();
        if (id == null || id.isBlank()) {
            throw new InvalidEventException("evaluation result without a subjectId");
        }
        return switch (result.getSubjectKind()) {
            case CHECKPOINT -> Optional.of(checkpointInput(result));
            case CANDIDATE -> Optional.of(candidateInput(result));
            case ENSEMBLE -> Optional.empty();
            default -> throw new InvalidEventException("evaluation result " + id + " has subject kind "
                    + result.getSubjectKind() + "; expected CHECKPOINT or CANDIDATE");
        };
    }

    private static SoupInput checkpointInput(EvaluationResult r) {
        if (r.getError() != null) {
            return new CheckpointFailed(r.getSubjectId(), r.getError().getCode(), r.getError().getMessage(),
                    r.getError().getRetriable());
        }
        if (emptyHeldOut(r)) {
            return new CheckpointFailed(r.getSubjectId(), EMPTY_HELD_OUT, emptyHeldOutMessage(r), false);
        }
        if (r.getIngredients().size() != 1) {
            throw new InvalidEventException("checkpoint result " + r.getSubjectId() + " must name exactly one ingredient"
                    + " (the checkpoint), got " + r.getIngredients().size());
        }
        IngredientRef self = r.getIngredients().get(0);
        return new CheckpointScored(r.getSubjectId(), self.getUri(), self.getSha256(), r.getRunId(),
                r.getHyperParameters(), heldOut(r), accuracy(r.getTest()));
    }

    private static SoupInput candidateInput(EvaluationResult r) {
        if (r.getBaseVersion() == null) {
            throw new InvalidEventException("candidate result " + r.getSubjectId() + " has no baseVersion");
        }
        Set<String> ids = new LinkedHashSet<>();
        for (IngredientRef ref : r.getIngredients()) {
            ids.add(ref.getCheckpointId());
        }
        if (ids.isEmpty()) {
            throw new InvalidEventException("candidate result " + r.getSubjectId() + " names no ingredients");
        }
        if (r.getError() != null) {
            return new CandidateFailed(r.getSubjectId(), r.getBaseVersion(), ids, r.getError().getCode(),
                    r.getError().getMessage(), r.getError().getRetriable());
        }
        if (emptyHeldOut(r)) {
            return new CandidateFailed(r.getSubjectId(), r.getBaseVersion(), ids, EMPTY_HELD_OUT,
                    emptyHeldOutMessage(r), false);
        }
        return new CandidateScored(r.getSubjectId(), r.getBaseVersion(), ids, heldOut(r), accuracy(r.getTest()),
                r.getArtifactUri(), r.getArtifactSha256());
    }

    private static boolean emptyHeldOut(EvaluationResult r) {
        return r.getHeldOut() != null && r.getHeldOut().getTotal() == 0 && r.getHeldOut().getCorrect() == 0;
    }

    private static String emptyHeldOutMessage(EvaluationResult r) {
        return "scored on a held-out split of 0 images (0/0): nothing to rank " + r.getSubjectId()
                + " by; give the soup a non-empty held-out split";
    }

    private static Accuracy heldOut(EvaluationResult r) {
        if (r.getHeldOut() == null) {
            throw new InvalidEventException("result " + r.getSubjectId() + " has neither a held-out score nor an error");
        }
        return accuracy(r.getHeldOut());
    }

    private static Accuracy accuracy(SplitMetrics metrics) {
        if (metrics == null) {
            return null;
        }
        try {
            return new Accuracy(metrics.getCorrect(), metrics.getTotal(), metrics.getMetrics() == null ? null
                    : metrics.getMetrics().entrySet().stream().collect(java.util.stream.Collectors.toMap(
                            e -> e.getKey().toString(), java.util.Map.Entry::getValue)));
        } catch (InvalidSoupInputException e) {
            throw new InvalidEventException("split " + metrics.getSplit() + ": " + e.getMessage());
        }
    }

    static SplitMetrics metrics(String split, Accuracy accuracy) {
        return accuracy == null ? null : SplitMetrics.newBuilder().setSplit(split)
                .setCorrect(accuracy.correct()).setTotal(accuracy.total()).setAccuracy(accuracy.value())
                .setMetrics(new java.util.HashMap<>(accuracy.metrics())).build();
    }

    static EvaluationRequest toRequest(CandidateRequest request) {
        List<IngredientRef> refs = request.ingredients().stream().map(i -> IngredientRef.newBuilder()
                .setCheckpointId(i.checkpointId()).setUri(i.uri()).setSha256(i.sha256()).build()).toList();
        return EvaluationRequest.newBuilder()
                .setRequestId(request.requestId())
                .setSoupId(request.soupId())
                .setBaseVersion(request.baseVersion())
                .setKind(SubjectKind.CANDIDATE)
                .setIngredients(refs)
                .setRequestedAt(Instant.ofEpochMilli(request.requestedAtMillis()))
                .build();
    }

    static SoupDecision toDecision(Decision d) {
        return SoupDecision.newBuilder()
                .setDecisionId(d.decisionId())
                .setSoupId(d.soupId())
                .setSequence(d.sequence())
                .setSoupVersion(d.soupVersion())
                .setKind(DecisionKind.valueOf(d.kind().name()))
                .setCheckpointId(d.checkpointId())
                .setCandidateIngredients(d.candidateIngredients())
                .setCandidateAccuracy(d.candidateAccuracy() == null ? null : d.candidateAccuracy().value())
                .setSoupAccuracy(d.soupAccuracy() == null ? null : d.soupAccuracy().value())
                .setAcceptRule(AcceptRule.valueOf(d.acceptance().name()))
                .setPolicy(SoupPolicy.valueOf(d.policy().name()))
                .setRequestId(d.requestId())
                .setReason(d.reason())
                .setDecidedAt(Instant.ofEpochMilli(d.decidedAtMillis()))
                .build();
    }

    static SoupUpdated toUpdate(SoupVersion v) {
        return SoupUpdated.newBuilder()
                .setSoupId(v.soupId())
                .setVersion(v.version())
                .setPolicy(SoupPolicy.valueOf(v.policy().name()))
                .setIngredients(v.ingredients().stream().map(EventMapping::toIngredient).toList())
                .setHeldOut(metrics(HELD_OUT, v.heldOut()))
                .setTest(metrics(TEST, v.test()))
                .setArtifactUri(v.artifactUri())
                .setArtifactSha256(v.artifactSha256())
                .setScoredCount(v.counts().scored())
                .setAcceptedCount(v.counts().accepted())
                .setRejectedCount(v.counts().rejected())
                .setPendingCount(v.counts().pending())
                .setFailedCount(v.counts().failed())
                .setLastDecision(v.lastDecision() == null ? null : toDecision(v.lastDecision()))
                .setUpdatedAt(Instant.ofEpochMilli(v.updatedAtMillis()))
                .build();
    }

    private static SoupIngredient toIngredient(ScoredIngredient i) {
        return SoupIngredient.newBuilder()
                .setCheckpointId(i.checkpointId())
                .setUri(i.uri())
                .setSha256(i.sha256())
                .setRunId(i.runId())
                .setHeldOutAccuracy(i.heldOut().value())
                .setTestAccuracy(i.test() == null ? null : i.test().value())
                .setHyperParameters(i.hyperParameters())
                .build();
    }
}
